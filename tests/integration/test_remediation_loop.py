# -*- coding: utf-8 -*-
"""Closed-loop remediation with the real engine: ansible-rulebook (Drools, Java 17) runs the collection's rulebook
extensions/eda/rulebooks/remediate_drift.yml on a demo-shaped fleet (desks built by tests/support/demo_fleet.py,
local connection, stub io.Manager instances on 127.0.0.1). The test plays the scheduler: it tampers with desks and
runs playbooks/drift.yml with the drift_report callback, as a cron job or an AWX schedule would; the rulebook must
do the rest.

One rulebook session per phase, in order (each phase builds on the ledger of the one before):
  1. a wave of three drifted desks: canary first, the desk whose write fails is recorded failed; the next scan
     still finds it drifted and the rulebook does not touch it again (blocked);
  2. throttle: four more desks drift while three were attempted in the window; exactly two are put right;
  3. the rulebook is killed (SIGKILL), a scan lands while it is down, it restarts with the change window closed:
     the new scan's events arrive (nothing lost), none of the old ones is acted on again (nothing repeated), and no
     desk is touched outside the window;
  4. the window opens: the deferred desks are put right.
Waits are bounded (a deadline per wait, the rulebook stopped at the end of each phase); assertions are on the
ledger, the history and the desks' files, never on durations.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import yaml

from playbook_runner import REPO, ansible_env

sys.path.insert(0, os.path.join(REPO, "tests", "support"))
import demo_fleet  # noqa: E402  (tests/support is not a package)

BIN = os.path.dirname(sys.executable)
RULEBOOK = os.path.join(BIN, "ansible-rulebook")
FLEET = os.path.join(REPO, "tests", "support", "demo_fleet.py")
DEADLINE = 150  # seconds any one wait may take before the test fails (a bound, not a timing assertion)
# region, environment, canary group
DESKS = {
    "lon-01": ("emea", "prod", True), "lon-02": ("emea", "prod", False), "lon-03": ("emea", "prod", False),
    "nyc-01": ("amer", "prod", False), "nyc-02": ("amer", "prod", False), "nyc-03": ("amer", "prod", False),
    "sgp-01": ("apac", "uat", False), "sgp-bad": ("apac", "uat", False),
}
SETTINGS = {"remediation_throttle_max": 5, "remediation_throttle_window": 60, "remediation_canary_threshold": 3,
            "remediation_canary_count": 1, "remediation_change_windows": []}


def chattr_works(folder: str) -> bool:
    """Whether this file system lets root make a folder immutable (ext4 does; overlayfs and tmpfs may not)."""
    probe = os.path.join(folder, "chattr-probe")
    os.makedirs(probe, exist_ok=True)
    works = subprocess.run(["chattr", "+i", probe], capture_output=True, check=False).returncode == 0
    subprocess.run(["chattr", "-i", probe], capture_output=True, check=False)
    os.rmdir(probe)
    return works


def write_inventory(folder: str, immutable: bool) -> str:
    shutil.copytree(os.path.join(REPO, "inventories", "demo", "group_vars"), os.path.join(folder, "group_vars"))
    groups: dict = {}
    for desk, (region, env, canary) in DESKS.items():
        groups.setdefault("%s_%s" % (region, env), {"hosts": {}})["hosts"][desk] = {
            "demo_state": "compliant", "demo_format": "lf2"}
        if desk == "sgp-bad" and not immutable:
            # No immutable folders here: the desk's configure run fails at its io.Manager preflight instead (a
            # closed port); its settings, and so its drift, are those of every UAT/APAC desk.
            groups["apac_uat"]["hosts"][desk]["desktop_topology"] = {"UAT": {"APAC": {
                "url": "http://127.0.0.1:{{ demo_port_base | int + demo_instances['UAT-APAC'].port }}",
                "preflight_url": "http://127.0.0.1:9/closed"}}}
        if canary:
            groups.setdefault("canary", {"hosts": {}})["hosts"][desk] = None
    children = dict(groups)
    children.update({"emea": {"children": {"emea_prod": None}}, "amer": {"children": {"amer_prod": None}},
                     "apac": {"children": {"apac_uat": None}},
                     "prod": {"children": {"emea_prod": None, "amer_prod": None}},
                     "uat": {"children": {"apac_uat": None}}})
    with open(os.path.join(folder, "hosts.yml"), "w", encoding="utf-8") as handle:
        yaml.safe_dump({"all": {"children": children}}, handle, sort_keys=False)
    settings(folder, **SETTINGS)
    return folder


def settings(inventory: str, **values) -> None:
    """The guardrails the remediation playbook reads, in the inventory (group_vars/all)."""
    path = os.path.join(inventory, "group_vars", "all", "remediation.yml")
    current = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            current = yaml.safe_load(handle) or {}
    current.update(values)
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(current, handle)


class Loop:
    def __init__(self, root: str) -> None:
        self.root = root
        # IOCONNECT_TEST_CHATTR=0 takes the preflight way even where chattr works (to test that way too).
        self.immutable = os.environ.get("IOCONNECT_TEST_CHATTR", "1") != "0" and chattr_works(root)
        self.inventory = write_inventory(os.path.join(root, "inventory"), self.immutable)
        self.report = os.path.join(root, "report")
        self.history = os.path.join(self.report, "drift-history.sqlite")
        self.port_base = demo_fleet_free_base()
        self.env = ansible_env(
            ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", ANSIBLE_FORKS="8", ANSIBLE_PIPELINING="1",
            ANSIBLE_CALLBACKS_ENABLED="ioconnect.fleet.drift_report", IOCONNECT_DRIFT_REPORT_DIR=self.report,
            IOCONNECT_DRIFT_REPORT_FORMATS="json", IOCONNECT_DEMO_ROOT=root,
            IOCONNECT_DEMO_PORT_BASE=str(self.port_base), IOCONNECT_DRIFT_EVENTS_POLL_INTERVAL="1",
            ANSIBLE_DEPRECATION_WARNINGS="0")
        self.proc = None
        self.logs = []

    # -- the fleet ----------------------------------------------------------------------------------------------
    def config(self, desk: str) -> str:
        hv = {"demo_product": "v9", "demo_users": ["jdoe"]}
        return os.path.join(demo_fleet.install_dirs(self.root, desk, hv)[0], "config")

    def url(self, desk: str) -> str:
        with open(os.path.join(self.config(desk), "system.json"), "rb") as handle:
            return json.loads(handle.read().decode("utf-8-sig"))["server"]["url"]

    def tamper(self, *desks: str) -> None:
        for desk in desks:
            path = os.path.join(self.config(desk), "system.json")
            with open(path, "rb") as handle:
                doc = json.loads(handle.read().decode("utf-8"))
            doc["server"]["url"] = demo_fleet.OLD_MANAGER
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(doc, handle, indent=2)

    def scan(self, formats: str = "json") -> str:
        """playbooks/drift.yml with the drift_report callback: one run in the history; returns its run id."""
        before = set(self.runs())
        proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", self.inventory,
                               os.path.join(REPO, "playbooks", "drift.yml")], capture_output=True, text=True,
                              env=dict(self.env, IOCONNECT_DRIFT_REPORT_FORMATS=formats), timeout=600, check=False)
        new = [r for r in self.runs() if r not in before]
        assert len(new) == 1, "the drift scan recorded no run\n%s\n%s" % (proc.stdout[-3000:], proc.stderr[-3000:])
        return new[0]

    # -- the history and the ledger -----------------------------------------------------------------------------
    def query(self, sql: str, params=()) -> list:
        conn = sqlite3.connect(self.history, timeout=30)
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise
        finally:
            conn.close()

    def runs(self) -> list:
        if not os.path.exists(self.history):
            return []
        return [r[0] for r in self.query("SELECT run_id FROM runs ORDER BY finished_at")]

    def ledger(self, *where: str) -> list:
        rows = self.query("SELECT desk, decision, outcome, scan_run_id, reason, actor FROM eda_remediations "
                          "ORDER BY decided_at, desk")
        return [dict(zip(("desk", "decision", "outcome", "scan", "reason", "actor"), r)) for r in rows
                if not where or r[0] in where]

    def status(self, run_id: str) -> dict:
        return dict(self.query("SELECT desk, status FROM desk_scans WHERE run_id = ?", (run_id,)))

    # -- the rulebook -------------------------------------------------------------------------------------------
    def start(self) -> None:
        log = open(os.path.join(self.root, "rulebook-%d.log" % len(self.logs)), "w", encoding="utf-8")
        self.logs.append(log.name)
        self.proc = subprocess.Popen([RULEBOOK, "-v", "-i", self.inventory, "-r",
                                      "ioconnect.fleet.remediate_drift"],
                                     stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=self.root,
                                     start_new_session=True)
        log.close()

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        self.proc = None

    def wait(self, what: str, done) -> None:
        """Until done() holds; fails after DEADLINE seconds with the rulebook's log."""
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            if done():
                return
            if self.proc is not None and self.proc.poll() is not None:
                break
            time.sleep(1)
        log = open(self.logs[-1], encoding="utf-8").read() if self.logs else ""
        pytest.fail("%s: not within %d s (rulebook %s)\nledger: %s\nrulebook log (tail):\n%s" % (
            what, DEADLINE, "running" if self.proc and self.proc.poll() is None else "exited", self.ledger(),
            log[-6000:]))


def demo_fleet_free_base() -> int:
    out = subprocess.run([sys.executable, FLEET, "free-base", "--start", "35560"], capture_output=True, text=True,
                         check=True)
    return int(out.stdout.strip())


def settled(loop: Loop, desks) -> bool:
    """Every acting decision on these desks has its outcome."""
    rows = loop.ledger(*desks)
    acting = [r for r in rows if r["decision"] in ("canary", "remediate")]
    return bool(acting) and all(r["outcome"] != "pending" for r in acting)


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    if not os.path.exists(RULEBOOK):
        pytest.skip("ansible-rulebook is not in this virtualenv: make venv (requirements/dev.txt) and make deps "
                    "(Java 17, bindep.txt)")
    root = str(tmp_path_factory.mktemp("loop"))
    the_loop = Loop(root)
    subprocess.run([sys.executable, FLEET, "generate", "-i", the_loop.inventory, "--root", root, "--port-base",
                    str(the_loop.port_base)], check=True, env=the_loop.env, capture_output=True)
    pidfile = os.path.join(root, "stub.pid")
    subprocess.run([sys.executable, FLEET, "serve", "-i", the_loop.inventory, "--port-base",
                    str(the_loop.port_base), "--pidfile", pidfile], check=True, env=the_loop.env,
                   capture_output=True)
    locked = the_loop.config("sgp-bad")
    try:
        baseline = the_loop.scan()
        assert set(the_loop.status(baseline).values()) == {"compliant"}
        yield the_loop
    finally:
        the_loop.stop(signal.SIGKILL)
        subprocess.run(["chattr", "-i", locked], check=False, capture_output=True)
        subprocess.run([sys.executable, FLEET, "stop", "--pidfile", pidfile], check=False)


def test_1_a_wave_canary_first_and_a_failing_desk_is_not_retried(loop):
    right = loop.url("lon-01")
    loop.tamper("lon-01", "nyc-01", "sgp-bad")
    # The desk whose write fails: its config folder cannot be written (immutable), so the module's backup, temp file
    # and rename fail; reading it (the drift scan) still works. (Without chattr: its io.Manager preflight fails.)
    if loop.immutable:
        subprocess.run(["chattr", "+i", loop.config("sgp-bad")], check=True)
    wave = loop.scan()
    assert loop.status(wave) == {d: ("drifted" if d in ("lon-01", "nyc-01", "sgp-bad") else "compliant")
                                 for d in DESKS}
    loop.start()
    loop.wait("the wave's outcomes in the ledger", lambda: settled(loop, ["lon-01", "nyc-01", "sgp-bad"]))
    rows = {r["desk"]: r for r in loop.ledger() if r["decision"] in ("canary", "remediate")}
    assert rows["lon-01"]["decision"] == "canary" and rows["lon-01"]["outcome"] == "succeeded"
    assert rows["nyc-01"]["decision"] == "remediate" and rows["nyc-01"]["outcome"] == "succeeded"
    assert rows["sgp-bad"]["outcome"] == "failed"
    assert all(r["scan"] == wave for r in rows.values())
    assert "ansible-rulebook ruleset 'Put drifted io.Connect Desktop desks right'" in rows["lon-01"]["actor"]
    assert set(rows) == {"lon-01", "nyc-01", "sgp-bad"}, "only the drifted desks were touched"
    assert loop.url("lon-01") == right and loop.url("nyc-01") == loop.url("nyc-02")
    assert loop.url("sgp-bad") == demo_fleet.OLD_MANAGER

    after = loop.scan()
    status = loop.status(after)
    assert status["lon-01"] == status["nyc-01"] == "compliant" and status["sgp-bad"] == "drifted"
    loop.wait("the still-drifted failing desk seen and left alone",
              lambda: any(r["scan"] == after and r["decision"] == "blocked" for r in loop.ledger("sgp-bad")))
    attempts = [r for r in loop.ledger("sgp-bad") if r["decision"] in ("canary", "remediate")]
    assert len(attempts) == 1, "a desk whose remediation failed is never retried: %s" % attempts
    loop.stop()


def test_2_the_throttle_holds(loop):
    # Three desks were attempted in this 60-minute window; the throttle allows five.
    loop.tamper("lon-02", "lon-03", "nyc-02", "nyc-03")
    wave = loop.scan()
    loop.start()
    four = ("lon-02", "lon-03", "nyc-02", "nyc-03")
    loop.wait("the throttled wave decided and run",
              lambda: len([r for r in loop.ledger(*four) if r["scan"] == wave]) == 4 and settled(loop, four))
    decided = {r["desk"]: r for r in loop.ledger(*four) if r["scan"] == wave}
    put_right = sorted(d for d, r in decided.items() if r["decision"] in ("canary", "remediate"))
    deferred = sorted(d for d, r in decided.items() if r["decision"] == "deferred")
    assert len(put_right) == 2 and len(deferred) == 2, decided
    assert all("throttle: at most 5 desk(s) per 1 h, 3 already" in decided[d]["reason"] for d in deferred)
    assert all(decided[d]["outcome"] == "succeeded" for d in put_right)
    assert [loop.url(d) == demo_fleet.OLD_MANAGER for d in put_right] == [False, False]
    assert [loop.url(d) == demo_fleet.OLD_MANAGER for d in deferred] == [True, True]
    acting = [r for r in loop.ledger() if r["decision"] in ("canary", "remediate")]
    assert len({r["desk"] for r in acting}) == 5
    loop.stop(signal.SIGKILL)
    loop.deferred = deferred


def test_3_restart_neither_repeats_nor_loses_and_the_change_window_holds(loop):
    # The rulebook of phase 2 was killed (SIGKILL) once idle.
    before = loop.ledger()
    # While the rulebook is down: a scan lands, and the change window closes (opens in 12 hours, for an hour).
    now = time.gmtime()
    opens = "%02d:00" % ((now.tm_hour + 12) % 24)
    closes = "%02d:00" % ((now.tm_hour + 13) % 24)
    settings(loop.inventory, remediation_change_windows=[{"start": opens, "end": closes}],
             remediation_throttle_max=10)
    missed = loop.scan()
    loop.start()
    loop.wait("the scan made while the rulebook was down, decided",
              lambda: len([r for r in loop.ledger(*loop.deferred) if r["scan"] == missed]) == 2)
    after = loop.ledger()
    assert after[:len(before)] == before
    new = after[len(before):]
    assert sorted((r["desk"], r["decision"], r["scan"]) for r in new) == sorted(
        [(d, "deferred", missed) for d in loop.deferred] + [("sgp-bad", "blocked", missed)]), new
    assert all("outside the change window (next opens" in r["reason"] for r in new if r["decision"] == "deferred")
    assert [loop.url(d) == demo_fleet.OLD_MANAGER for d in loop.deferred] == [True, True]
    pairs = [(r["desk"], r["scan"]) for r in after if r["decision"] in ("canary", "remediate")]
    assert len(pairs) == len(set(pairs)), "no scan of a desk acted on twice"
    loop.stop()


def test_4_the_window_opens_and_the_rest_is_put_right(loop):
    settings(loop.inventory, remediation_change_windows=[])
    drifted = loop.scan()
    loop.start()
    loop.wait("the deferred desks put right",
              lambda: all(any(r["scan"] == drifted and r["outcome"] == "succeeded" for r in loop.ledger(d))
                          for d in loop.deferred))
    loop.stop()
    final = loop.status(loop.scan(formats="json,markdown"))
    assert final == {d: ("drifted" if d == "sgp-bad" else "compliant") for d in DESKS}
    # The history shows each desk's story: drifted at one scan, put right by the rulebook after it; the report says
    # so in the desk's row and its timeline, and says the failing desk's remediation failed.
    with open(os.path.join(loop.report, "drift-report.json"), encoding="utf-8") as handle:
        report = {d["name"]: d for d in json.load(handle)["desks"]}
    with open(os.path.join(loop.report, "drift-report.md"), encoding="utf-8") as handle:
        markdown = handle.read().splitlines()
    for desk in loop.deferred:
        rows = [r for r in loop.ledger(desk) if r["outcome"] == "succeeded"]
        assert rows and rows[-1]["actor"].startswith("ansible-rulebook")
        fixed = report[desk]["history"]["remediation"]
        assert fixed["outcome"] == "succeeded" and fixed["scan_run_id"] == drifted, fixed
        assert any(e["kind"] == "remediation" and e["outcome"] == "succeeded" for e in report[desk]["timeline"])
        row = [line for line in markdown if line.startswith("| %s | " % desk)]
        assert any(", put right by the rulebook " in line for line in row), row
    row = [line for line in markdown if line.startswith("| sgp-bad | ")]
    assert any(", the rulebook failed to put it right " in line for line in row), row
