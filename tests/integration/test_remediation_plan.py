# -*- coding: utf-8 -*-
"""ioconnect.fleet.remediation_plan and remediation_record as a playbook runs them: the inventory decides who is a
desk, who opted out (host variable or group) and who is a canary; the ledger keeps every decision. No desk is
contacted: the plan and the record run on localhost, the desks only need to be in the inventory."""

from __future__ import annotations

import json
import os
import subprocess

import yaml

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history import open_store
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation import ledger
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.store import RemediationStore
from playbook_runner import BIN, ansible_env


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
    assert not os.path.exists(missing)
