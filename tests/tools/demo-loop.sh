#!/usr/bin/env bash
# make demo-loop: closed-loop compliance on the demo fleet. ansible-rulebook runs the collection's rulebook
# (extensions/eda/rulebooks/remediate_drift.yml) against the drift history while this script plays the scheduler.
#
#   1. build the 36-desk demo fleet under .demo-loop/, start the stub io.Manager instances, configure every desk
#      (playbooks/configure.yml with the drift_report callback: the first scan of the history)
#   2. start ansible-rulebook (its log: .demo-loop/rulebook.log)
#   3. drift: an upgrade wave resets the six lon-uat desks, users hand-edit two desks (demo_tamper), and one desk
#      (nyc-uat-03) gets a folder nobody can write to
#   4. the scheduled scan: playbooks/drift.yml; the rulebook sees the drift and remediates under the guardrails
#      (canary first for the wave, at most 8 desks per minute here: the two last are deferred)
#   5. the next scheduled scan, a minute later: the deferred desks are put right, the failing desk fails and is
#      blocked
#   6. the next scan: every desk put right is compliant, the failing desk is left alone
#   7. each desk's story from the history and the ledger: "drifted 07:02, put right by the rulebook 07:04"
# Exit 0 when the outcomes are the expected ones. Environment: IOCONNECT_DEMO_ROOT (default .demo-loop),
# DEMO_VERBOSE=1 for Ansible's output.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
venv=${VENV:-$repo/.venv}
[ -x "$venv/bin/ansible-rulebook" ] || { echo "ansible-rulebook is not in $venv: make venv" >&2; exit 2; }
command -v java >/dev/null || [ -n "${JAVA_HOME:-}" ] || { echo "no Java runtime: make deps (bindep.txt)" >&2; exit 2; }
bin=$(cd "$venv/bin" && pwd)
export PATH=$bin:$PATH

root=${IOCONNECT_DEMO_ROOT:-$repo/.demo-loop}
mkdir -p "$root"
root=$(cd "$root" && pwd)
export IOCONNECT_DEMO_ROOT=$root
mkdir -p "$root/collections/ansible_collections/ioconnect"
ln -sfn "$repo" "$root/collections/ansible_collections/ioconnect/fleet"
export ANSIBLE_COLLECTIONS_PATH=$root/collections
export ANSIBLE_FORKS=${ANSIBLE_FORKS:-12} ANSIBLE_PIPELINING=1 ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
export ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_DEPRECATION_WARNINGS=0 ANSIBLE_DISPLAY_SKIPPED_HOSTS=0
report_dir=$root/report
export ANSIBLE_CALLBACKS_ENABLED=ioconnect.fleet.drift_report IOCONNECT_DRIFT_REPORT_DIR=$report_dir
export IOCONNECT_DRIFT_EVENTS_POLL_INTERVAL=2
history=$report_dir/drift-history.sqlite

fleet="$bin/python tests/support/demo_fleet.py"
export IOCONNECT_DEMO_PORT_BASE=${IOCONNECT_DEMO_PORT_BASE:-$($fleet free-base)}
pidfile=$root/stub-iomanager.pid
rulebook_pid=
locked=
cleanup() {
  if [ -n "$rulebook_pid" ]; then kill -TERM -- "-$rulebook_pid" 2>/dev/null || true; fi
  if [ -n "$locked" ]; then chattr -i "$locked" 2>/dev/null || true; fi
  $fleet stop --pidfile "$pidfile"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() {
  local log=$1; shift
  if [ "${DEMO_VERBOSE:-0}" = 1 ]; then "$@" | tee "$log"; return "${PIPESTATUS[0]}"; fi
  "$@" > "$log" 2>&1
}
start=$(date +%s)

step "1. Demo fleet, stub io.Manager instances, configure.yml (the history's first scan)"
rm -rf "$root/desks" "$root"/*.log "$report_dir"
$fleet generate -i inventories/demo --root "$root" --port-base "$IOCONNECT_DEMO_PORT_BASE"
$fleet serve -i inventories/demo --port-base "$IOCONNECT_DEMO_PORT_BASE" --pidfile "$pidfile"
run "$root/configure.log" ansible-playbook -i inventories/demo playbooks/configure.yml || true
grep -h '^drift report: ' "$root/configure.log" || true

step "2. ansible-rulebook -i inventories/demo -r ioconnect.fleet.remediate_drift   (log: $root/rulebook.log)"
# Guardrails for the demo, as a change board would set them (inventory group_vars/all or extra vars).
cat > "$root/guardrails.yml" <<'YAML'
remediation_throttle_max: 8
remediation_throttle_window: 1
remediation_canary_threshold: 5
remediation_canary_count: 1
remediation_change_windows: []
YAML
# The demo inventory plus the guardrails in its group_vars/all (remediate.yml reads them on localhost).
mkdir -p "$root/inventory/group_vars/all"
cp -r inventories/demo/group_vars/. "$root/inventory/group_vars/"
cp inventories/demo/hosts.yml "$root/inventory/hosts.yml"
cp "$root/guardrails.yml" "$root/inventory/group_vars/all/remediation.yml"
setsid "$bin/ansible-rulebook" -v -i "$root/inventory" -r ioconnect.fleet.remediate_drift > "$root/rulebook.log" 2>&1 &
rulebook_pid=$!
echo "rulebook started (pid $rulebook_pid), polling the history every ${IOCONNECT_DRIFT_EVENTS_POLL_INTERVAL}s"

step "3. Drift: an upgrade wave on the six lon-uat desks, two hand edits, one desk that cannot be written"
"$bin/python" - "$root" <<'PY'
import json, os, sys
sys.path.insert(0, "tests/support")
import demo_fleet
root = sys.argv[1]
desks = demo_fleet.read_inventory("inventories/demo")
for name in sorted(desks):
    hv = desks[name]
    if name.startswith("lon-uat-") and hv["demo_state"] != "absent":
        for install in demo_fleet.install_dirs(root, name, hv):
            path = os.path.join(install, "config", "system.json")
            if os.path.exists(path):
                doc = demo_fleet.vendor_document(hv["ioconnect_env"], hv["ioconnect_region"], hv.get("demo_product", "v9"))
                open(path, "wb").write(demo_fleet.render(doc, "bom_crlf4"))
print("upgrade wave: lon-uat-01..06 reset to the installer's system.json")
PY
$fleet tamper -i inventories/demo --root "$root" --port-base "$IOCONNECT_DEMO_PORT_BASE"
locked="$root/desks/nyc-uat-03/Users/jdoe/AppData/Local/interop.io/io.Connect Desktop/Desktop/config"
"$bin/python" - "$locked/system.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8-sig"))
doc["server"]["url"] = "https://iomanager-legacy.corp.example.com/api"
json.dump(doc, open(sys.argv[1], "w"), indent=2)
PY
if chattr +i "$locked"; then
  echo "nyc-uat-03: server.url hand-edited, and its config folder made immutable (chattr +i)"
else
  echo "chattr is not available: nyc-uat-03 will be put right like the others"; locked=
fi

wait_waves() {  # until every remediation the rulebook started has its outcome (at most 240 s)
  local state
  for _ in $(seq 1 120); do
    state=$("$bin/python" - "$history" "$1" <<'PY'
import sqlite3, sys
try:
    c = sqlite3.connect(sys.argv[1])
    total, pending = c.execute("SELECT count(*), sum(outcome = 'pending') FROM eda_remediations "
                               "WHERE decision IN ('canary', 'remediate')").fetchone()
    print("done" if total > int(sys.argv[2]) and not pending else "wait")
except sqlite3.Error:
    print("wait")
PY
)
    if [ "$state" = "done" ]; then return 0; fi
    kill -0 "$rulebook_pid" 2>/dev/null || { echo "the rulebook stopped; see $root/rulebook.log" >&2; exit 1; }
    sleep 2
  done
  echo "the rulebook did not finish within 240 s; see $root/rulebook.log" >&2
  exit 1
}
acted() { "$bin/python" -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT count(*) FROM eda_remediations WHERE decision IN ('canary','remediate')\").fetchone()[0])" "$history" 2>/dev/null || echo 0; }

step "4. The scheduled scan: playbooks/drift.yml (the rulebook acts on what it records)"
t_scan=$(date +%s)
run "$root/drift-1.log" ansible-playbook -i inventories/demo playbooks/drift.yml || true
grep -h '^drift report: ' "$root/drift-1.log" || true
wait_waves 0
echo "the rulebook's wave finished $(( $(date +%s) - t_scan ))s after the scan started"

step "5. The next scheduled scan, once the throttle's minute has passed"
sleep $(( 62 - ($(date +%s) - t_scan) > 0 ? 62 - ($(date +%s) - t_scan) : 0 ))
before=$(acted)
t_scan=$(date +%s)
run "$root/drift-2.log" ansible-playbook -i inventories/demo playbooks/drift.yml || true
grep -h '^drift report: ' "$root/drift-2.log" || true
wait_waves "$before"
echo "the rulebook's wave finished $(( $(date +%s) - t_scan ))s after the scan started"

step "6. The next scheduled scan: playbooks/drift.yml"
run "$root/drift-3.log" ansible-playbook -i inventories/demo playbooks/drift.yml || true
grep -h '^drift report: ' "$root/drift-3.log" || true
sleep $(( IOCONNECT_DRIFT_EVENTS_POLL_INTERVAL * 3 ))

step "7. What happened, from the history and the remediation ledger"
"$bin/python" - "$history" "$root" <<'PY'
import sqlite3, sys
history, root = sys.argv[1], sys.argv[2]
c = sqlite3.connect(history)
rows = c.execute("SELECT desk, decision, outcome, drifted_since, decided_at, finished_at, reason, msg FROM eda_remediations "
                 "ORDER BY decided_at, desk").fetchall()
def hhmmss(stamp):
    return stamp[11:19] if stamp else "?"
latest = dict(c.execute("SELECT desk, status FROM (SELECT desk, status, ROW_NUMBER() OVER (PARTITION BY desk "
                        "ORDER BY scanned_at DESC, run_id DESC) rn FROM desk_scans) WHERE rn = 1").fetchall())
print("%-12s %-10s %-9s %s" % ("desk", "decision", "outcome", "story (UTC)"))
problems = []
acted = {}
for desk, decision, outcome, scanned, decided, finished, reason, msg in rows:
    if decision in ("canary", "remediate"):
        acted[desk] = outcome
        story = "drifted %s, %s %s" % (hhmmss(scanned), "put right by the rulebook" if outcome == "succeeded"
                                       else "the rulebook's remediation " + outcome, hhmmss(finished))
        if outcome == "failed":
            story += ": " + msg[:90]
    else:
        story = reason[:110]
    print("%-12s %-10s %-9s %s" % (desk, decision, outcome, story))
wave = ["lon-uat-0%d" % i for i in range(1, 7) if latest.get("lon-uat-0%d" % i)]
for desk in wave + ["lon-prod-01", "nyc-prod-02", "sgp-prod-01"]:
    if acted.get(desk) != "succeeded":
        problems.append("%s was not put right (%s)" % (desk, acted.get(desk)))
    elif latest.get(desk) not in ("compliant", "changed"):
        problems.append("%s: latest scan %s" % (desk, latest.get(desk)))
canaries = [r for r in rows if r[1] == "canary"]
if not canaries:
    problems.append("no canary for the upgrade wave")
if acted.get("nyc-uat-03") == "failed":
    blocked = [r for r in rows if r[0] == "nyc-uat-03" and r[1] == "blocked"]
    print("\nnyc-uat-03 failed and is blocked%s. After fixing it, clear it:" % (
        " (left alone by the next scan's event)" if blocked else ""))
    print("  ansible-playbook playbooks/remediation_clear.yml -e desks=nyc-uat-03 -e \"reason='folder fixed'\"")
    attempts = [r for r in rows if r[0] == "nyc-uat-03" and r[1] in ("canary", "remediate")]
    if len(attempts) != 1:
        problems.append("nyc-uat-03 attempted %d times" % len(attempts))
print("\nLedger: table eda_remediations in %s; rulebook log: %s/rulebook.log" % (history, root))
if problems:
    print("UNEXPECTED:\n  " + "\n  ".join(problems))
    sys.exit(1)
print("All outcomes as expected.")
PY
step "Done in $(( $(date +%s) - start ))s"
