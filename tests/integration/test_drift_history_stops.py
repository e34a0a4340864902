# -*- coding: utf-8 -*-
"""Only what was seen is a scan: runs that stop early, in each way a run stops, checked against the drift history.

A fleet of the demo's shape (inventories/demo, its group_vars, a part of its desks, built by
tests/support/demo_fleet.py) is scanned once (playbooks/drift.yml) to give every desk a history. Then a run stops
in one way: the io.Manager preflight fails, validation refuses the run, the canary fails, a desk is unreachable,
--limit leaves desks out, a batch fails beyond max_fail_percentage, the controller is killed with SIGKILL at
random points (seeded). Afterwards every desk the run did not read keeps its last scan (status, "drifted since",
number of scans), the run is recorded as incomplete with its reason, and the report says the same.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import yaml

from playbook_runner import BIN, REPO, ansible_env

FLEET = os.path.join(REPO, "tests", "support", "demo_fleet.py")
DEMO = os.path.join(REPO, "inventories", "demo")
# drifted, compliant (canary), fresh, drifted (hand edit), no install, fresh (canary), drifted (canary),
# corrupt, drifted
DESKS = ["lon-prod-02", "lon-prod-03", "lon-uat-01", "nyc-prod-02", "nyc-prod-04", "nyc-uat-01", "sgp-prod-02",
         "sgp-uat-06", "sgp-uat-02"]


def free_base() -> int:
    out = subprocess.run([sys.executable, FLEET, "free-base"], check=True, capture_output=True, text=True)
    return int(out.stdout.strip())


def write_inventory(folder: str, overrides: dict | None = None) -> str:
    """The demo inventory (its group_vars shared) with only DESKS, host variables overridden per desk."""
    os.makedirs(folder)
    os.symlink(os.path.join(DEMO, "group_vars"), os.path.join(folder, "group_vars"))
    with open(os.path.join(DEMO, "hosts.yml"), encoding="utf-8") as handle:
        inventory = yaml.safe_load(handle)
    for group in inventory["all"]["children"].values():
        if isinstance(group, dict) and isinstance(group.get("hosts"), dict):
            group["hosts"] = {h: dict(v or {}, **(overrides or {}).get(h, {}))
                              for h, v in group["hosts"].items() if h in DESKS} or None
    with open(os.path.join(folder, "hosts.yml"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(inventory, handle, sort_keys=False)  # the demo's order: the batches of a serial play
    return folder


class Fleet:
    def __init__(self, root: str, port_base: int, inventory: str) -> None:
        self.root, self.port_base, self.inventory = root, port_base, inventory
        self.report_dir = os.path.join(root, "report")
        self.db = os.path.join(self.report_dir, "drift-history.sqlite")

    def env(self, **extra) -> dict:
        env = dict(ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", ANSIBLE_FORKS="4", ANSIBLE_PIPELINING="1",
                   ANSIBLE_CALLBACKS_ENABLED="ioconnect.fleet.drift_report", IOCONNECT_DRIFT_REPORT_DIR=self.report_dir,
                   IOCONNECT_DEMO_ROOT=self.root, IOCONNECT_DEMO_PORT_BASE=str(self.port_base))
        env.update(extra)
        return ansible_env(**env)

    def command(self, playbook: str, *args, inventory=None) -> list:
        return [os.path.join(BIN, "ansible-playbook"), "-i", inventory or self.inventory,
                os.path.join(REPO, "playbooks", playbook)] + list(args)

    def run(self, playbook: str, *args, inventory=None, **env) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(playbook, *args, inventory=inventory), capture_output=True, text=True,
                              env=self.env(**env), timeout=900, check=False)

    def serve(self) -> str:
        pidfile = os.path.join(self.root, "stub.pid")
        subprocess.run([sys.executable, FLEET, "serve", "-i", self.inventory, "--port-base", str(self.port_base),
                        "--pidfile", pidfile], check=True, env=ansible_env(IOCONNECT_DEMO_ROOT=self.root),
                       capture_output=True)
        return pidfile

    # -- the history, read with plain SQL as a user would (docs/drift-detection.md, "Querying the history") --
    def query(self, sql: str, params=()) -> list:
        with sqlite3.connect(self.db) as conn:
            return conn.execute(sql, params).fetchall()

    def latest(self) -> dict:
        """desk -> (run_id, status, scanned_at, number of scans) from the history."""
        rows = self.query("SELECT desk, run_id, status, scanned_at FROM desk_scans ORDER BY scanned_at")
        out: dict = {}
        for desk, run_id, status, when in rows:
            out[desk] = (run_id, status, when, out.get(desk, (0, 0, 0, 0))[3] + 1)
        return out

    def runs(self) -> dict:
        return {r[0]: {"outcome": r[1], "reason": r[2], "desks": r[3], "playbooks": json.loads(r[4])}
                for r in self.query("SELECT run_id, outcome, stop_reason, desks, playbooks FROM runs")}

    def events(self, run_id: str) -> dict:
        return {r[0]: (r[1], json.loads(r[2])) for r in self.query(
            "SELECT desk, kind, detail FROM desk_events WHERE run_id = ?", (run_id,))}

    def report(self) -> dict:
        with open(os.path.join(self.report_dir, "drift-report.json"), encoding="utf-8") as handle:
            return json.load(handle)


@pytest.fixture
def fleet(tmp_path):
    """A fresh fleet and its history after one full drift scan (every desk has one scan)."""
    root = str(tmp_path)
    port_base = free_base()
    inventory = write_inventory(os.path.join(root, "inventory"))
    subprocess.run([sys.executable, FLEET, "generate", "-i", inventory, "--root", root, "--port-base",
                    str(port_base)], check=True, env=ansible_env(), capture_output=True)
    fleet = Fleet(root, port_base, inventory)
    proc = fleet.run("drift.yml")
    assert proc.returncode in (0, 2), proc.stdout[-3000:]
    fleet.baseline = fleet.latest()
    assert set(fleet.baseline) == set(DESKS) - set(), fleet.baseline
    fleet.baseline_report = fleet.report()
    return fleet


def new_run(fleet: Fleet, before: set) -> str:
    (run_id,) = set(fleet.runs()) - before
    return run_id


def assert_kept(fleet: Fleet, desks) -> None:
    """These desks keep their last scan: same run, status, time and number of scans as in the baseline."""
    now = fleet.latest()
    for desk in desks:
        assert now[desk] == fleet.baseline[desk], (desk, now[desk], fleet.baseline[desk])


def assert_report_keeps(fleet: Fleet, desks, kind: str) -> None:
    """The report shows each desk's last observed status and drift, and says why the run did not read it."""
    before = {d["name"]: d for d in fleet.baseline_report["desks"]}
    after = {d["name"]: d for d in fleet.report()["desks"]}
    for desk in desks:
        assert after[desk]["status"] == before[desk]["status"], desk
        assert after[desk]["history"]["drifted_since"] == before[desk]["history"]["drifted_since"], desk
        assert after[desk]["history"]["scans"] == before[desk]["history"]["scans"], desk
        assert after[desk]["not_reached"]["kind"] == kind, (desk, after[desk]["not_reached"])
    assert fleet.report()["summary"]["drifted"] >= sum(
        1 for d in desks if before[d]["status"] == "drifted")


def test_baseline_reads_every_desk(fleet):
    statuses = {d: v[1] for d, v in fleet.baseline.items()}
    assert statuses["lon-prod-02"] == "drifted" and statuses["lon-prod-03"] == "compliant"
    assert statuses["nyc-prod-04"] == "not_installed" and statuses["sgp-uat-06"] == "failed"
    (run,) = fleet.runs().values()
    assert run["outcome"] == "complete" and run["reason"] == "" and run["desks"] == len(DESKS)


def test_preflight_failed(fleet):
    """io.Manager down: configure.yml stops at the canary's preflight; no desk is read, none becomes compliant."""
    before = set(fleet.runs())
    # The io.Manager instances at 127.0.0.1:1..6, where nothing listens (not a free port another test could take).
    proc = fleet.run("configure.yml", IOCONNECT_DEMO_PORT_BASE="0")
    assert proc.returncode != 0
    run_id = new_run(fleet, before)
    run = fleet.runs()[run_id]
    assert run["outcome"] == "incomplete" and run["desks"] == 0
    assert "Configure the canary desks first" in run["reason"] and "any_errors_fatal" in run["reason"]
    assert_kept(fleet, DESKS)
    events = fleet.events(run_id)
    assert {events[d][0] for d in ("lon-prod-03", "nyc-uat-01", "sgp-prod-02")} == {"preflight"}
    # The message names the variable that skips the check (the role's, not the task option).
    assert "-e desktop_preflight=false" in events["lon-prod-03"][1]["reason"]
    assert events["nyc-prod-02"][0] == "validated"
    assert_report_keeps(fleet, ["nyc-prod-02", "lon-prod-02", "nyc-prod-04", "sgp-uat-06"], "validated")
    report = fleet.report()
    assert report["run"]["outcome"] == "incomplete" and report["run"]["summary"]["desks"] == 0
    assert report["summary"]["compliant"] == fleet.baseline_report["summary"]["compliant"]
    assert report["summary"]["not_reached"] == len(DESKS)


def test_validation_refused(fleet):
    """A typo in one desk's environment: validation refuses the whole run before any desk is read."""
    bad = write_inventory(os.path.join(fleet.root, "bad"), {"sgp-uat-02": {"ioconnect_env": "UTA"}})
    before = set(fleet.runs())
    proc = fleet.run("configure.yml", inventory=bad)
    assert proc.returncode != 0
    run_id = new_run(fleet, before)
    run = fleet.runs()[run_id]
    assert run["outcome"] == "incomplete" and run["desks"] == 0
    assert "Validate the request" in run["reason"] and "sgp-uat-02" in run["reason"]
    assert_kept(fleet, DESKS)
    events = fleet.events(run_id)
    assert events["sgp-uat-02"][0] == "refused" and "UTA" in events["sgp-uat-02"][1]["reason"]
    assert_report_keeps(fleet, ["lon-prod-02", "nyc-prod-02"], "validated")


def test_canary_failed(fleet):
    """The canary (here the corrupt desk) fails: it is read (a failed scan); no other desk is."""
    pidfile = fleet.serve()
    try:
        before = set(fleet.runs())
        proc = fleet.run("configure.yml", "-e", "desktop_canary=sgp-uat-06")
    finally:
        subprocess.run([sys.executable, FLEET, "stop", "--pidfile", pidfile], check=False)
    assert proc.returncode != 0
    run_id = new_run(fleet, before)
    run = fleet.runs()[run_id]
    assert run["outcome"] == "incomplete" and run["desks"] == 1 and "sgp-uat-06" in run["reason"]
    latest = fleet.latest()
    assert latest["sgp-uat-06"][0] == run_id and latest["sgp-uat-06"][1] == "failed"
    assert_kept(fleet, [d for d in DESKS if d != "sgp-uat-06"])
    assert_report_keeps(fleet, ["lon-prod-02", "nyc-prod-02"], "validated")


def test_unreachable_desk(fleet):
    """One desk cannot be reached: it keeps its last scan; the others are scanned."""
    dead = free_base() + 1  # nothing listens there
    bad = write_inventory(os.path.join(fleet.root, "dead"), {"nyc-prod-02": {
        "ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": dead,
        "ansible_ssh_common_args": "-o ConnectTimeout=5 -o StrictHostKeyChecking=no"}})
    before = set(fleet.runs())
    proc = fleet.run("drift.yml", inventory=bad)
    assert proc.returncode != 0
    run_id = new_run(fleet, before)
    run = fleet.runs()[run_id]
    assert run["outcome"] == "incomplete" and "unreachable 1" in run["reason"] and run["desks"] == len(DESKS) - 1
    assert_kept(fleet, ["nyc-prod-02"])
    assert all(v[0] == run_id for d, v in fleet.latest().items() if d != "nyc-prod-02")
    assert fleet.events(run_id)["nyc-prod-02"][0] == "unreachable"
    assert_report_keeps(fleet, ["nyc-prod-02"], "unreachable")


def test_outside_limit(fleet):
    before = set(fleet.runs())
    proc = fleet.run("drift.yml", "--limit", "lon-*")
    assert proc.returncode == 0, proc.stdout[-3000:]
    run_id = new_run(fleet, before)
    run = fleet.runs()[run_id]
    assert run["outcome"] == "incomplete" and "--limit lon-*" in run["reason"] and run["desks"] == 3
    assert_kept(fleet, [d for d in DESKS if not d.startswith("lon-")])
    assert all(fleet.latest()[d][0] == run_id for d in DESKS if d.startswith("lon-"))
    assert fleet.events(run_id) == {}  # desks outside --limit were not targeted: no event either
    report = fleet.report()
    assert report["summary"]["desks"] == len(DESKS) and report["run"]["summary"]["desks"] == 3


def test_batch_stopped_by_max_fail_percentage(fleet):
    """Rollout batches of 2, none may fail: the first batch (lon-prod-02, lon-prod-03 in inventory order) holds a
    broken desk, so the later batches never run."""
    broken = os.path.join(fleet.root, "desks", "lon-prod-02")
    for base, _dirs, files in os.walk(broken):
        for name in files:
            if name == "system.json":
                with open(os.path.join(base, name), "w", encoding="utf-8") as handle:
                    handle.write('{"region": "EMEA",, }')
    pidfile = fleet.serve()
    try:
        before = set(fleet.runs())
        proc = fleet.run("configure.yml", "-e", "desktop_canary=no_canary", "-e",
                         '{"desktop_serial": [2], "desktop_max_fail_percentage": 0}')
    finally:
        subprocess.run([sys.executable, FLEET, "stop", "--pidfile", pidfile], check=False)
    assert proc.returncode != 0
    run_id = new_run(fleet, before)
    run = fleet.runs()[run_id]
    assert run["outcome"] == "incomplete" and "max_fail_percentage (0%)" in run["reason"], run["reason"]
    latest = fleet.latest()
    first_batch = [d for d in DESKS if latest[d][0] == run_id]
    assert "lon-prod-02" in first_batch and len(first_batch) == 2 and latest["lon-prod-02"][1] == "failed"
    rest = [d for d in DESKS if d not in first_batch]
    assert_kept(fleet, rest)
    events = fleet.events(run_id)
    assert all(events[d][0] == "validated" for d in rest)
    assert_report_keeps(fleet, [d for d in rest if d in ("nyc-prod-02", "sgp-uat-02")], "validated")


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_controller_killed_at_a_random_point(fleet, seed):
    """SIGKILL of the controller (its process group) at a seeded random point of a drift run: the history holds the
    run whole or not at all; a killed run shows as never finished, then incomplete once the next run sees it."""
    # Drift between the baseline and the killed run, so a recorded run would be visible.
    path = os.path.join(fleet.root, "desks", "lon-prod-03")
    for base, _dirs, files in os.walk(path):
        for name in files:
            if name == "system.json":
                with open(os.path.join(base, name), encoding="utf-8-sig") as handle:
                    doc = json.load(handle)
                doc["server"]["url"] = "http://127.0.0.1:1/hand-edited"
                with open(os.path.join(base, name), "w", encoding="utf-8") as handle:
                    json.dump(doc, handle)
    started = time.monotonic()
    reference = fleet.run("drift.yml", "--check")  # how long a whole run takes here (not asserted)
    span = time.monotonic() - started
    fleet.baseline = fleet.latest()
    assert fleet.baseline["lon-prod-03"][1] == "drifted", reference.stdout[-2000:]
    fleet.runs_before = set(fleet.runs())
    delay = random.Random(seed).uniform(0.2, span * 1.1)
    proc = subprocess.Popen(fleet.command("drift.yml"), env=fleet.env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    runs = fleet.runs()
    new = set(runs) - fleet.runs_before
    latest = fleet.latest()
    recorded = {d for d in DESKS if latest[d][0] != fleet.baseline[d][0]}
    if new:
        (run_id,) = new
        if runs[run_id]["outcome"] == "running":  # killed: nothing of it was recorded
            assert recorded == set() and runs[run_id]["desks"] == 0
        else:  # it had recorded its scans before the kill: all of them, in one transaction
            assert runs[run_id]["outcome"] == "complete" and recorded == set(DESKS)
    else:  # killed before its first play started
        assert recorded == set()
    assert_kept(fleet, set(DESKS) - recorded)
    # The next run of this controller sees the killed one and says what happened to it.
    after = fleet.run("drift.yml")
    assert after.returncode in (0, 2), after.stdout[-2000:]
    for run_id in new:
        run = fleet.runs()[run_id]
        assert run["outcome"] in ("complete", "incomplete")
        if run["outcome"] == "incomplete":
            assert "controller stopped before the run ended" in run["reason"]
            assert any(r["run_id"] == run_id for r in fleet.report()["history"]["incomplete_runs"])
