# -*- coding: utf-8 -*-
"""ioconnect.fleet.remediation_plan and remediation_record as a playbook runs them: the inventory decides who is a
desk, who opted out (host variable or group) and who is a canary; the ledger keeps every decision. No desk is
contacted: the plan and the record run on localhost, the desks only need to be in the inventory."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history import open_store
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation import ledger
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.store import RemediationStore
from playbook_runner import BIN, REPO, ansible_env


def event(*desks):
    return {"ioconnect_drift": {"type": "drifted_desks", "count": len(desks), "redelivered": False, "desks": [
        {"desk": d, "environment": "PROD", "region": "EMEA", "type": "newly_drifted", "run_id": "run1",
         "scanned_at": "2026-12-05T07:02:00.000000Z", "drifted_since": "2026-12-05T07:02:00.000000Z",
         "drift_count": 1, "pointers": ["/server/url"], "redelivered": False} for d in desks]}}


def test_the_inventory_decides_opt_out_and_canary_and_the_ledger_records(tmp_path):
    history = str(tmp_path / "drift-history.sqlite")
    open_store(history).close()
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {"ansible_connection": "local"}}, "children": {
        "floor": {"hosts": {"d1": {"ioconnect_remediation_opt_out": True}, "d2": None, "d3": None, "d4": None,
                            "d5": None}},
        "vip": {"hosts": {"d2": None}},
        "canary": {"hosts": {"d4": None}}}}}))
    playbook = tmp_path / "plan.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "plan", "ioconnect.fleet.remediation_plan": {
            "events": [event("d1", "d2", "d3", "d4", "d5", "ghost")], "opt_out": ["vip"], "canary_threshold": 3,
            "history_path": history, "actor": "test"}, "register": "plan"},
        {"name": "record", "ioconnect.fleet.remediation_record": {
            "wave_id": "{{ plan.wave_id }}", "desks": "{{ plan.hosts }}", "canary": "{{ plan.canary }}",
            "history_path": history}, "register": "record"},
        {"name": "show", "ansible.builtin.debug": {"msg": "{{ {'plan': plan, 'record': record} | to_json }}"}},
    ]}]))
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", str(inventory), str(playbook)],
                          capture_output=True, text=True, env=ansible_env(), timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(proc.stdout[proc.stdout.index("{"):])
    out = json.loads(data["plays"][0]["tasks"][2]["hosts"]["localhost"]["msg"])
    plan, record = out["plan"], out["record"]
    assert plan["canary"] == ["d4"] and plan["rollout"] == ["d3", "d5"]
    left = {item["desk"]: (item["decision"], item["reason"]) for item in plan["left"]}
    assert left == {"d1": ("opted_out", "opted out (host variable)"), "d2": ("opted_out", "opted out (vip)"),
                    "ghost": ("skipped", "not in the inventory of this run")}
    # No desk ran: every desk of the wave is not_run, the canary's absence named for the others.
    assert record["counts"] == {"not_run": 3}
    assert "the canary d4 did not succeed" in record["outcomes"]["d3"]["msg"]
    with RemediationStore(history) as store:
        rows = ledger.actions(store)
    assert sorted((r["desk"], r["decision"], r["outcome"]) for r in rows) == [
        ("d1", "opted_out", "none"), ("d2", "opted_out", "none"), ("d3", "remediate", "not_run"),
        ("d4", "canary", "not_run"), ("d5", "remediate", "not_run")]
    assert {r["actor"] for r in rows} == {"test"}


def test_a_history_that_does_not_exist_fails_the_plan_clearly_and_creates_nothing(tmp_path):
    missing = str(tmp_path / "none" / "drift-history.sqlite")
    playbook = tmp_path / "plan.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "plan", "ioconnect.fleet.remediation_plan": {"events": [event("d1")], "history_path": missing}}]}]))
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)],
                          capture_output=True, text=True, env=ansible_env(), timeout=300, check=False)
    assert proc.returncode == 2
    assert "no drift history at %s yet" % missing in proc.stdout and "no desk was planned" in proc.stdout
    failed = json.loads(proc.stdout[proc.stdout.index("{"):])["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert failed["failed"] is True and failed["error_kind"] == "history", "the collection's one error vocabulary"
    assert not os.path.exists(missing)


def test_remediate_playbook_a_failing_canary_stops_the_wave_and_everything_is_recorded(tmp_path):
    """playbooks/remediate.yml end to end without the engine. d2, the canary, passes its validation but fails when
    configured (its io.Manager preflight meets a closed port); d3 is valid but must not be configured after a failed
    canary; d1 and d4 fail their validation (no topology). Every desk's outcome is recorded, the run fails."""
    history = str(tmp_path / "drift-history.sqlite")
    open_store(history).close()
    inventory = tmp_path / "hosts.yml"
    closed = {"PROD": {"EMEA": {"url": "http://127.0.0.1:9", "preflight_url": "http://127.0.0.1:9/closed"}}}
    desks = {"d%d" % i: {"ansible_connection": "local", "ioconnect_env": "PROD", "ioconnect_region": "EMEA",
                         "ansible_python_interpreter": sys.executable, "desktop_preflight_timeout": 2,
                         "desktop_profile_root": str(tmp_path / "none")} for i in range(1, 5)}
    for name in ("d2", "d3"):
        desks[name]["desktop_topology"] = closed
    inventory.write_text(yaml.safe_dump({"all": {"children": {"floor": {"hosts": desks},
                                                              "canary": {"hosts": {"d2": None}}}}}))
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"remediation_events": [event("d1", "d2", "d3", "d4")],
                                 "remediation_canary_threshold": 3, "remediation_history_path": history}))
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", str(inventory),
                           os.path.join(REPO, "playbooks", "remediate.yml"), "-e", "@" + str(extra)],
                          capture_output=True, text=True, env=ansible_env(), timeout=300, check=False)
    assert proc.returncode == 2, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(proc.stdout[proc.stdout.index("{"):])
    ran = [(p["play"]["name"], t["task"]["name"], sorted(h for h, r in t["hosts"].items() if not r.get("skipped")))
           for p in data["plays"] for t in p["tasks"]]
    write_task = "Point the desk's io.Connect Desktop installs at io.Manager"
    configured = [(play, hosts) for play, task, hosts in ran if task.endswith(write_task) and hosts]
    assert configured == [("Configure the canary desks first", ["d2"])], ran
    with RemediationStore(history) as store:
        rows = {r["desk"]: r for r in ledger.actions(store)}
    assert {d: (r["decision"], r["outcome"]) for d, r in rows.items()} == {
        "d1": ("remediate", "not_run"), "d2": ("canary", "failed"), "d3": ("remediate", "not_run"),
        "d4": ("remediate", "not_run")}
    assert "127.0.0.1:9/closed" in rows["d2"]["msg"]
    assert rows["d3"]["msg"] == "not configured: the canary d2 did not succeed"
    assert rows["d1"]["msg"].startswith("validation refused the desk") and rows["d4"]["msg"].startswith("validation")
    assert "Remediation failed on d2" in proc.stdout and "Validation refused d1, d4" in proc.stdout


def test_the_feed_the_cursor_and_the_ledger_on_postgresql(postgres):
    """The same queries on PostgreSQL (the AWX/AAP history): events, a restart, a plan, a failure, a clearing."""
    import datetime

    from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history import make_batch
    from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.events import DriftEventFeed
    from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.guardrails import Candidate, parse_policy

    dsn = postgres.fresh_database("eda_loop")

    def scan(run_id, at, **statuses):
        batch = make_batch({"run_id": run_id, "finished_at": at}, [
            {"name": name, "region": "EMEA", "environment": "PROD", "status": status, "scanned_at": at, "errors": [],
             "drift_count": 1 if status == "drifted" else 0,
             "installs": [{"path": "/d/system.json", "status": status, "drift": [
                 {"pointer": "/server/url", "op": "replace", "before": "a", "after": "b"}] if status == "drifted"
                 else []}]} for name, status in statuses.items()], at)
        with open_store(dsn=dsn) as history:
            history.record(batch)

    def poll(feed):
        events, marks = feed.poll()
        feed.commit(marks)
        return [(e["ioconnect_drift"]["type"], e["ioconnect_drift"].get("desk")) for e in events]

    scan("r1", "2026-12-05T07:00:00.000000Z", a="compliant", b="compliant")
    feed = DriftEventFeed(RemediationStore(dsn=dsn).open(), initial="none")
    assert poll(feed) == []
    scan("r2", "2026-12-05T07:02:00.000000Z", a="drifted", b="failed")
    assert poll(feed) == [("newly_drifted", "a"), ("scan_failed", "b"), ("drifted_desks", None)]
    store = feed.store
    now = datetime.datetime(2026, 12, 5, 7, 4, tzinfo=datetime.timezone.utc)
    wave_id, plan = ledger.plan_wave(store, [Candidate("a", "r2", "2026-12-05T07:02:00.000000Z")],
                                     parse_policy(), "pg-test", now=now)
    assert plan.desks == ["a"]
    assert ledger.record_outcomes(store, wave_id, {"a": ("failed", "write refused")}, now=now) == 1
    store.close()
    restarted = DriftEventFeed(RemediationStore(dsn=dsn).open())
    assert poll(restarted) == [], "a restart repeats nothing (the drift was acted on)"
    scan("r3", "2026-12-05T07:10:00.000000Z", a="drifted")
    assert poll(restarted) == [("still_drifted", "a"), ("drifted_desks", None)]
    _w, plan = ledger.plan_wave(restarted.store, [Candidate("a", "r3", "2026-12-05T07:10:00.000000Z")],
                                parse_policy(), "pg-test", now=now + datetime.timedelta(minutes=10))
    assert plan.desks == [] and plan.left[0][1] == "blocked"
    assert ledger.clear(restarted.store, ["a"], "jdoe", "fixed", now=now + datetime.timedelta(minutes=11)) == ["a"]
    restarted.store.close()
