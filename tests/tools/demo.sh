#!/usr/bin/env bash
# make demo: the whole job on a demo fleet of 36 simulated desks (3 regions x 2 environments), on this machine.
#
#   1. build the demo fleet from scratch under .demo/ (tests/support/demo_fleet.py, from inventories/demo)
#   2. start 6 stub io.Manager instances on 127.0.0.1 (one per environment x region)
#   3. playbooks/configure.yml: validate, io.Manager preflight, canary desks, rolling batches
#   4. simulate what happens between two runs (an upgrade resets a system.json, users hand-edit server.url)
#   5. playbooks/drift.yml: check mode over the whole fleet, nothing written
#   6. print what happened, where the drift report (HTML, Markdown, JSON) and its history are, and the Markdown
#      summary; stop the stubs
# Both runs have the ioconnect.fleet.drift_report callback on: each is a scan in the drift history (an SQLite file
# beside the report), so the second report shows history: since when a desk has drifted, and a trend of two scans.
# Exit 0 when the outcomes are the expected ones (the corrupt desk fails with its clear error; the rest succeed).
# Environment: IOCONNECT_DEMO_ROOT (default .demo), IOCONNECT_DEMO_PORT_BASE (default: a free range),
# DEMO_VERBOSE=1 to show Ansible's full output (otherwise it goes to .demo/*.log).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
[ -x .venv/bin/ansible-playbook ] || make venv
bin=$repo/.venv/bin
export PATH=$bin:$PATH

root=${IOCONNECT_DEMO_ROOT:-$repo/.demo}
mkdir -p "$root"
root=$(cd "$root" && pwd)
export IOCONNECT_DEMO_ROOT=$root

# The collection from this work tree, by name (a symlink tree in the ignored demo folder).
mkdir -p "$root/collections/ansible_collections/ioconnect"
ln -sfn "$repo" "$root/collections/ansible_collections/ioconnect/fleet"
export ANSIBLE_COLLECTIONS_PATH=$root/collections
export ANSIBLE_FORKS=${ANSIBLE_FORKS:-12} ANSIBLE_PIPELINING=1 ANSIBLE_NOCOLOR=${ANSIBLE_NOCOLOR:-1}
export ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_DEPRECATION_WARNINGS=0
export ANSIBLE_DISPLAY_SKIPPED_HOSTS=0
# The drift report: every run that checks desks appends its scans to the history and writes the fleet report.
report_dir=$root/report
export ANSIBLE_CALLBACKS_ENABLED=ioconnect.fleet.drift_report IOCONNECT_DRIFT_REPORT_DIR=$report_dir
export IOCONNECT_DRIFT_REPORT_SUMMARY_LINE=always

fleet="$bin/python tests/support/demo_fleet.py"
# Six free ports below the ephemeral range (a fixed port can collide with a client connection).
export IOCONNECT_DEMO_PORT_BASE=${IOCONNECT_DEMO_PORT_BASE:-$($fleet free-base)}
pidfile=$root/stub-iomanager.pid
trap '$fleet stop --pidfile "$pidfile"' EXIT

start=$(date +%s)
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() {  # run LOG ansible-playbook ARGS...: full output to LOG (or the terminal with DEMO_VERBOSE=1)
  local log=$1; shift
  if [ "${DEMO_VERBOSE:-0}" = 1 ]; then "$@" | tee "$log"; return "${PIPESTATUS[0]}"; fi
  "$@" > "$log" 2>&1
}

step "1. Demo fleet: 36 desks under $root/desks"
rm -rf "$root/desks" "$root"/*.json "$root"/*.log "$report_dir"
$fleet generate -i inventories/demo --root "$root" --port-base "$IOCONNECT_DEMO_PORT_BASE"

step "2. Stub io.Manager instances"
$fleet serve -i inventories/demo --port-base "$IOCONNECT_DEMO_PORT_BASE" --pidfile "$pidfile"

step "3. ansible-playbook -i inventories/demo playbooks/configure.yml   (log: $root/configure.log)"
t0=$(date +%s)
set +e
run "$root/configure.log" ansible-playbook -i inventories/demo playbooks/configure.yml \
  -e desktop_summary_file="$root/configure-summary.json"
configure_rc=$?
set -e
echo "configure.yml exit code $configure_rc in $(( $(date +%s) - t0 ))s (non-zero: a desk failed, as expected for the corrupt one)"
grep -h '^drift report: ' "$root/configure.log" || true
$fleet summary "$root/configure-summary.json"

step "4. Between two runs: an upgrade and two hand edits"
$fleet tamper -i inventories/demo --root "$root" --port-base "$IOCONNECT_DEMO_PORT_BASE"

step "5. ansible-playbook -i inventories/demo playbooks/drift.yml   (check mode; log: $root/drift.log)"
t0=$(date +%s)
before=$(find "$root/desks" -type f -newer "$root/configure-summary.json" -printf '%p %T@\n' | sort | sha1sum)
snapshot=$(find "$root/desks" -type f -exec sha1sum {} + | sort | sha1sum)
set +e
run "$root/drift.log" ansible-playbook -i inventories/demo playbooks/drift.yml \
  -e desktop_summary_file="$root/drift-summary.json"
drift_rc=$?
set -e
echo "drift.yml exit code $drift_rc in $(( $(date +%s) - t0 ))s"
grep -h '^drift report: ' "$root/drift.log" || true
$fleet summary "$root/drift-summary.json"
if [ "$snapshot" = "$(find "$root/desks" -type f -exec sha1sum {} + | sort | sha1sum)" ]; then
  echo "  drift.yml wrote nothing: every desk file is byte-identical after the scan"
else
  echo "  ERROR: drift.yml changed a desk file" >&2; exit 1
fi
: "$before"

step "6. The drift report after the second scan (Markdown summary: $report_dir/drift-report.md)"
cat "$report_dir/drift-report.md"
echo
echo "Drift report (open in a browser):  $report_dir/drift-report.html"
echo "Markdown summary:                  $report_dir/drift-report.md"
echo "JSON (docs/drift-report.schema.json): $report_dir/drift-report.json   JUnit: $report_dir/drift-report.junit.xml"
echo "Drift history (SQLite, both scans): $report_dir/drift-history.sqlite"
echo "Run the demo fleet again outside make demo: export ANSIBLE_CONFIG=$root/ansible.cfg IOCONNECT_DEMO_ROOT=$root (see that file)"

step "Done in $(( $(date +%s) - start ))s"
"$bin/python" - "$root" "$report_dir" <<'PY'
import json, os, sys
root, report_dir = sys.argv[1], sys.argv[2]
conf = json.load(open(os.path.join(root, "configure-summary.json")))["counts"]
drift = json.load(open(os.path.join(root, "drift-summary.json")))["counts"]
report = json.load(open(os.path.join(report_dir, "drift-report.json")))
problems = []
for name in ("drift-report.html", "drift-report.md", "drift-report.junit.xml", "drift-history.sqlite"):
    if not os.path.getsize(os.path.join(report_dir, name)):
        problems.append("report: %s is empty" % name)
if report["history"]["status"] != "recorded" or report["history"]["rounds"] != 2:
    problems.append("report: expected a history of the two scans, got %s" % report["history"])
drifted = [d for d in report["desks"] if d["status"] == "drifted"]
if len(drifted) != drift["drifted"] or not all(d["history"]["drifted_since"] for d in drifted):
    problems.append("report: every drifted desk should say since when it drifted: %s"
                    % [(d["name"], d["history"]["drifted_since"]) for d in drifted])
if any(len(points) != 2 for points in report["trend"]["by_region"].values()):
    problems.append("report: expected a trend of two scans per region: %s" % report["trend"]["by_region"])
if conf["failed"] != 1:
    problems.append("configure: expected exactly 1 failed desk (the corrupt file), got %d" % conf["failed"])
if conf["changed"] < 1 or conf["not_installed"] != 1:
    problems.append("configure: expected desks changed and 1 desk without io.Connect Desktop: %s" % conf)
if drift["drifted"] != 3 or drift["failed"] != 1:
    problems.append("drift: expected 3 drifted desks and the corrupt one failed: %s" % drift)
print("configure: %(changed)d changed, %(compliant)d already compliant, %(not_installed)d without io.Connect, "
      "%(failed)d failed, %(not_checked)d not checked (stopped before configure)" % conf)
print("drift:     %(drifted)d drifted, %(compliant)d compliant, %(not_installed)d without io.Connect, "
      "%(failed)d failed" % drift)
print("history:   %d scan rounds; drifted desks per region, configure then drift scan: %s" % (
    report["history"]["rounds"], ", ".join("%s %s" % (region, " -> ".join(str(p["drifted"]) for p in points))
                                           for region, points in report["trend"]["by_region"].items())))
for desk in drifted:
    h = desk["history"]
    when = lambda iso: iso.replace("T", " ").split(".")[0].rstrip("Z") + " UTC" if iso else "never"
    print("           %s drifted since %s (%d drift(s) in its last %d scans), last compliant %s"
          % (desk["name"], when(h["drifted_since"]), h["times_drifted"], h["window"], when(h["last_compliant_at"])))
print("Try: ansible-playbook -i inventories/demo playbooks/rollback.yml --limit lon-prod-01   (restores from backup)")
print("     (with IOCONNECT_DEMO_ROOT=%s IOCONNECT_DEMO_PORT_BASE=%s and ANSIBLE_COLLECTIONS_PATH=%s/collections)"
      % (root, os.environ.get("IOCONNECT_DEMO_PORT_BASE"), root))
if problems:
    print("UNEXPECTED:\n  " + "\n  ".join(problems))
    sys.exit(1)
print("All outcomes as expected.")
PY
