# -*- coding: utf-8 -*-
"""playbooks/drift.yml as AWX runs it, through ansible-runner: one run over the whole inventory, and the same
inventory cut into slices the way AWX job slicing cuts it (slice k of N holds hosts k-1, k-1+N, ... of the sorted
host list, in an inventory of its own), run in parallel with their own artifact and report folders and one shared
history (PostgreSQL, as AWX/AAP jobs would share it). The fleet view after the slices equals the single run's.

Also the PLAY RECAP of those runs: the summary file changes nothing and shows no change, and the drift gate fails
the run once, on localhost, never on a compliant desk.

The fleet is a part of the demo fleet (inventories/demo, desks built by tests/support/demo_fleet.py): a compliant
desk, drifted ones (several profiles on one), one without io.Connect Desktop and one with a corrupt file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import ansible_runner
import jsonschema
import pytest
import yaml

import pg_server
from playbook_runner import BIN, REPO, collections_path

DEMO_INVENTORY = os.path.join(REPO, "inventories", "demo")
DRIFT = os.path.join(REPO, "playbooks", "drift.yml")
REPORT = os.path.join(REPO, "playbooks", "drift_report.yml")
CONFIGURE = os.path.join(REPO, "playbooks", "configure.yml")
SCHEMA = json.load(open(os.path.join(REPO, "docs", "drift-report.schema.json"), encoding="utf-8"))
# compliant, drifted x3 (one with three profiles, one a Glue42 install), no install, corrupt
DESKS = ["lon-prod-03", "lon-prod-02", "lon-uat-05", "lon-prod-04", "nyc-prod-04", "sgp-uat-06", "sgp-prod-02"]
SLICES = 3


def write_inventory(folder: str, keep: list) -> str:
    """A copy of the demo inventory (its group_vars shared) holding only the desks ``keep``."""
    os.makedirs(folder)
    os.symlink(os.path.join(DEMO_INVENTORY, "group_vars"), os.path.join(folder, "group_vars"))
    with open(os.path.join(DEMO_INVENTORY, "hosts.yml"), encoding="utf-8") as handle:
        inventory = yaml.safe_load(handle)
    children = inventory["all"]["children"]
    for group in children.values():
        if isinstance(group, dict) and isinstance(group.get("hosts"), dict):
            group["hosts"] = {h: v for h, v in group["hosts"].items() if h in keep} or None
    children["canary"] = {"hosts": None}
    path = os.path.join(folder, "hosts.yml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(inventory, handle)
    return folder


def awx_slices(hosts: list, count: int) -> list:
    """The hosts of each slice, as AWX's job slicing assigns them (every count-th host of the sorted list)."""
    ordered = sorted(hosts)
    return [ordered[index::count] for index in range(count)]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    root = tmp_path_factory.mktemp("fleet-view")
    inventory = write_inventory(str(root / "inventory"), DESKS)
    subprocess.run([sys.executable, os.path.join(REPO, "tests", "support", "demo_fleet.py"), "generate", "-i",
                    inventory, "--root", str(root / "demo")], check=True, capture_output=True, timeout=300,
                   env=dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", "")))
    return {"root": root, "inventory": inventory}


def runner(workdir, playbook, inventory, history, extravars=None, limit=None, **env):
    """Start ansible-runner on a playbook, in a private data dir of its own; returns (thread, runner)."""
    os.makedirs(workdir, exist_ok=True)
    envvars = {
        "ANSIBLE_COLLECTIONS_PATH": collections_path(),
        "ANSIBLE_CALLBACKS_ENABLED": "ioconnect.fleet.drift_report",
        "IOCONNECT_DRIFT_REPORT_DIR": os.path.join(workdir, "report"),
        "IOCONNECT_DEMO_ROOT": env.pop("demo_root"),
        "ANSIBLE_FORKS": "8", "ANSIBLE_PIPELINING": "1", "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "PATH": BIN + os.pathsep + os.environ.get("PATH", ""),
    }
    envvars.update(history)
    envvars.update(env)
    return ansible_runner.run_async(private_data_dir=workdir, playbook=playbook, inventory=inventory,
                                    extravars=extravars or {}, envvars=envvars, quiet=True, limit=limit,
                                    artifact_dir=os.path.join(workdir, "artifacts"))


def finish(started):
    thread, run = started
    thread.join(600)
    assert run.status in ("successful", "failed"), (run.status, run.stdout.read()[-3000:])
    return run


def load_report(workdir):
    with open(os.path.join(workdir, "report", "drift-report.json"), encoding="utf-8") as handle:
        report = json.load(handle)
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(report)
    return report


def view(report) -> dict:
    """What the fleet view says, without the times and run ids that differ between runs."""
    desks = {}
    for desk in report["desks"]:
        history = desk["history"]
        desks[desk["name"]] = {
            "status": desk["status"], "region": desk["region"], "environment": desk["environment"],
            "profiles": desk["profiles"], "drift_count": desk["drift_count"],
            "drift": sorted((e["path"], e["pointer"], e["op"], json.dumps(e["before"]), json.dumps(e["after"]))
                            for e in desk["drift"]),
            "files": sorted((i["path"], i["profile"], i["status"]) for i in desk["installs"]),
            "history": (history["scans"], history["times_drifted"], history["drifted_scans"],
                        history["drifted_since"] is not None, history["last_compliant_at"] is not None),
        }
    trend = report["trend"]
    return {
        "desks": desks, "summary": report["summary"], "by_region": report["by_region"],
        "by_environment": report["by_environment"], "by_region_environment": report["by_region_environment"],
        "rounds": len(trend["rounds"]),
        "trend": {kind: {k: [(p["desks"], p["drifted"]) for p in v] for k, v in trend[kind].items()}
                  for kind in ("by_region", "by_environment")},
    }


@pytest.fixture(scope="module")
def runs(fleet, postgres):
    """The single run and the sliced runs, started together (they are independent: two histories)."""
    root, inventory, demo_root = fleet["root"], fleet["inventory"], str(fleet["root"] / "demo")
    single_history = {"IOCONNECT_DRIFT_REPORT_HISTORY_PATH": str(root / "single-history.sqlite")}
    # As the docs advise: no password in the DSN, libpq reads it from a password file.
    postgres.fresh_database("sliced")
    shared = {"IOCONNECT_DRIFT_REPORT_HISTORY_DSN": "postgresql://%s@127.0.0.1:%d/sliced" % (
        pg_server.USER, postgres.port), "PGPASSFILE": postgres.passfile(str(root / "pgpass"))}
    single = runner(str(root / "single"), DRIFT, inventory, single_history, demo_root=demo_root, extravars={
        "ioconnect_drift_fail_on_drift": True, "desktop_summary_file": str(root / "single" / "summary.json")})
    sliced = []
    for number, hosts in enumerate(awx_slices(DESKS, SLICES), start=1):
        folder = str(root / ("slice-%d" % number))
        slice_inventory = write_inventory(os.path.join(folder, "inventory-slice"), hosts)
        # AWX runs the slices of a sliced job as one workflow job: every slice gets its id.
        sliced.append(runner(folder, DRIFT, slice_inventory, shared, demo_root=demo_root,
                             extravars={"awx_workflow_job_id": 4242}))
    single = finish(single)
    sliced = [finish(s) for s in sliced]
    merged = finish(runner(str(root / "merged"), REPORT, inventory, shared, demo_root=demo_root))
    return {"single": single, "sliced": sliced, "merged": merged, "root": root, "shared": shared}


def test_sliced_runs_give_the_fleet_view_of_one_run(runs):
    root = runs["root"]
    single = load_report(str(root / "single"))
    merged = load_report(str(root / "merged"))
    assert {d["name"] for d in single["desks"]} == set(DESKS)
    # The desk without io.Connect Desktop: not_installed from desk_system_json; with per-file system_json calls
    # the role makes none there, so not_checked.
    assert single["summary"]["drifted"] >= 3 and single["summary"]["not_installed"] + single["summary"]["not_checked"] == 1
    assert single["summary"]["failed"] == 1 and single["summary"]["compliant"] == 1
    assert merged["history"]["status"] == "read" and merged["history"]["backend"] == "postgresql"
    assert merged["run"]["summary"]["desks"] == 0  # the report play scanned nothing
    assert view(merged) == view(single)
    assert view(merged)["rounds"] == 1  # three slices of one job: one scan round
    # Each slice wrote its own report; the slice whose scans reached the history last saw the whole fleet.
    slices = [load_report(str(root / ("slice-%d" % n))) for n in range(1, SLICES + 1)]
    for number, report in enumerate(slices, start=1):
        assert {d["name"] for d in report["desks"] if d["in_this_run"]} == set(awx_slices(DESKS, SLICES)[number - 1])
        assert os.path.isdir(str(root / ("slice-%d" % number) / "artifacts"))
    assert max(len(r["desks"]) for r in slices) == len(DESKS)
    assert view(max(slices, key=lambda r: len(r["desks"]))) == view(single)


def test_the_summary_file_shows_no_change_and_the_drift_gate_fails_once_on_localhost(runs):
    run = runs["single"]
    report = load_report(str(runs["root"] / "single"))
    status = {d["name"]: d["status"] for d in report["desks"]}
    stats = run.stats
    assert run.rc != 0
    # The gate: once, on localhost; the only desk failure is the corrupt desk's own.
    assert stats["failures"].get("localhost") == 1
    assert {h for h in stats["failures"] if h != "localhost"} == {n for n, s in status.items() if s == "failed"}
    for name, desk_status in status.items():
        if desk_status in ("compliant", "not_installed"):
            assert not stats["changed"].get(name), name
            assert not stats["failures"].get(name), name
    writes = [e for e in run.events if e.get("event") in ("runner_on_ok", "runner_on_failed", "runner_on_skipped")
              and e.get("event_data", {}).get("task") == "Write the fleet summary"]
    assert writes and all(e["event"] == "runner_on_ok" and not e["event_data"]["res"].get("changed") for e in writes)
    assert os.path.exists(str(runs["root"] / "single" / "summary.json"))
    gate = [e for e in run.events if e.get("event") == "runner_on_failed"
            and e["event_data"].get("task") == "Fail the run when drift is found"]
    assert [e["event_data"]["host"] for e in gate] == ["localhost"]
    assert "Drift found on %d desk(s)" % report["summary"]["drifted"] in gate[0]["event_data"]["res"]["msg"]


def test_a_limited_run_fails_once_on_a_drifted_desk(fleet, tmp_path):
    """With --limit, localhost is out of the run: the gate falls on the first drifted desk, still only once."""
    run = finish(runner(str(tmp_path / "limited"), DRIFT, fleet["inventory"], {"IOCONNECT_DRIFT_REPORT_HISTORY": "false"},
                        demo_root=str(fleet["root"] / "demo"), extravars={"ioconnect_drift_fail_on_drift": True},
                        limit="lon-prod-03,lon-prod-02"))
    assert run.stats["failures"] == {"lon-prod-02": 1}, run.stats
    assert not run.stats["changed"].get("lon-prod-03")


def test_an_idempotent_configure_run_with_a_summary_file_shows_no_change(fleet, tmp_path):
    """configure.yml on desks already compliant (or without io.Connect): changed=0 everywhere, file written."""
    summary = tmp_path / "configure-summary.json"
    run = finish(runner(str(tmp_path / "configure"), CONFIGURE, fleet["inventory"],
                        {"IOCONNECT_DRIFT_REPORT_HISTORY": "false"}, demo_root=str(fleet["root"] / "demo"),
                        extravars={"desktop_preflight": False, "desktop_summary_file": str(summary)},
                        limit="lon-prod-03,nyc-prod-04"))
    assert run.rc == 0, run.stdout.read()[-3000:]
    assert not any(run.stats["changed"].values()), run.stats["changed"]
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert {d["desk"]: d["status"] for d in data["desks"]} == {"lon-prod-03": "compliant", "nyc-prod-04": "not_installed"}


def test_no_password_of_the_shared_history_in_any_artifact(runs):
    for folder in ["single", "merged"] + ["slice-%d" % n for n in range(1, SLICES + 1)]:
        for dirpath, _dirs, files in os.walk(str(runs["root"] / folder)):
            for name in files:
                path = os.path.join(dirpath, name)
                if os.path.islink(path):
                    continue
                with open(path, "rb") as handle:
                    data = handle.read()
                assert pg_server.PASSWORD.encode() not in data, path
    shutil.rmtree(str(runs["root"] / "demo"), ignore_errors=True)
