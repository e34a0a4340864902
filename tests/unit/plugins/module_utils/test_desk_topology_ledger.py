# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/module_utils/desk/topology.py (which io.Manager a desk talks to, what each file must hold) and
plugins/module_utils/desk/ledger.py (the rollback ledger and its guarded rollback)."""

from __future__ import annotations

import json
import ntpath
import posixpath

import pytest

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import ledger, topology

TOPOLOGY = {"PROD": {"EMEA": {"url": "https://m-emea.example.com/", "only_app_store": True,
                              "server": {"fetchInterval": 60}}},
            "UAT": {"EMEA": {"url": "https://m-uat.example.com/api", "crashes_to_manager": False}}}
ROLE = topology.Names(role=True)


def resolve(**options):
    return topology.resolve("desk-1", dict({"topology": TOPOLOGY, "env": "PROD", "region": "EMEA"}, **options), ROLE)


def test_an_instance_gives_server_crash_and_preflight_urls():
    (instance,) = resolve(server_settings={"clientAuth": "negotiate", "fetchInterval": 30})
    assert instance.server == {"enabled": True, "url": "https://m-emea.example.com/api", "clientAuth": "negotiate",
                               "fetchInterval": 60}, "the pair's server settings win over the desk's"
    assert instance.crash_url == "https://m-emea.example.com/api/crashes"
    assert instance.preflight_url == "https://m-emea.example.com/api/v2/server/info"
    assert instance.only_app_store is True and instance.crashes_to_manager is True
    (uat,) = resolve(env="UAT")
    assert uat.server_url == "https://m-uat.example.com/api", "a url ending in /api is used as it is"


@pytest.mark.parametrize("options, fragment", [
    ({"env": "STAGING"}, "STAGING/EMEA is not in desktop_topology, so there is no io.Manager instance for it. "
                         "Known pairs: PROD/EMEA UAT/EMEA"),
    ({"env": ""}, "no environment/region for this desk"),
    ({"pairs": [{"env": "PROD", "region": "EMEA"}, {"env": "UAT", "region": "EMEA"}]}, "desktop_layout=base puts one"),
    ({"topology": {}}, "desktop_topology is empty or not a mapping"),
    ({"topology": {"PROD": {"EMEA": {"url": "iomanager:4356"}}}}, "url must be the io.Manager base URL"),
    ({"topology": {"PROD": {"EMEA": {"url": "https://m", "only_app_store": "yes"}}}}, "only_app_store must be a boolean"),
    ({"topology": {"PROD": {"EMEA": {"url": "https://m", "ur1": "x"}}}}, "unknown key(s) ur1"),
])
def test_role_variables_are_checked_with_role_names(options, fragment):
    with pytest.raises(FleetError) as info:
        resolve(**options)
    assert fragment in str(info.value) and "No desk was touched" in str(info.value)
    assert str(info.value).startswith("desk-1: ")


def test_plugin_users_see_option_names():
    with pytest.raises(FleetError, match="STAGING/EMEA is not in topology"):
        topology.resolve("d", {"topology": TOPOLOGY, "env": "STAGING", "region": "EMEA"}, topology.Names(False))


def test_file_requests_for_both_layouts():
    prod, uat = resolve(layout="overrides", pairs=[{"env": "PROD", "region": "EMEA"}, {"env": "UAT", "region": "EMEA"}])
    base = topology.file_request(prod, {"layout": "base"})
    assert base["kind"] == "base" and base["when_missing"] == "fail" and base["app_stores"] == []
    assert base["crash_reporter"] == {"output": {"type": "server", "serverUrl": prod.crash_url}}
    assert base["settings"] == {"env": "PROD", "region": "EMEA"} and base["remove"] == []
    over = topology.file_request(uat, {"layout": "overrides"})
    assert over["kind"] == "override" and over["when_missing"] == "create"
    assert "crash_reporter" not in over and over["remove"] == ["/appStores", "/crashReporter"]
    assert topology.override_name(uat) == "system-UAT-EMEA.json"
    assert "settings" not in topology.file_request(prod, {"layout": "base", "set_env_region": False})


# -- ledger ------------------------------------------------------------------------------------------------------
def test_the_state_dir_is_decided_in_one_place():
    assert ledger.state_dir(True) == "C:\\ProgramData\\ioconnect.fleet"
    assert ledger.state_dir(False) == "/var/lib/ioconnect-fleet"
    assert ledger.state_dir(True, "D:\\state") == "D:\\state"
    assert ledger.runs_dir(ntpath, "C:\\x") == "C:\\x\\runs" and ledger.runs_dir(posixpath, "/x") == "/x/runs"


def test_entries_are_json_and_assemble_from_head_records_and_tail():
    entry = ledger.new_entry(ledger.new_run_id(), ["PROD-EMEA"], [{"path": "a", "sha1_after": "1"}], ["s.lnk"])
    text = ledger.dumps(entry)
    assert json.loads(text)["files"] == [{"path": "a", "sha1_after": "1"}]
    head, tail = ledger.frame(entry)
    records = [ledger.record_text({"path": p}) for p in ("x", "y")]
    assert json.loads(head + ledger.SEPARATOR.join(records) + tail)["files"] == [{"path": "x"}, {"path": "y"}]
    assert json.loads(head + tail)["files"] == []
    assert ledger.loads("n.json", b"{half") is None
    assert ledger.latest(["20260101T000000Z-a.json", "20261201T000000Z-b.json", "x.txt"], 1) == \
        ["20261201T000000Z-b.json"]


def record(path, before, after, existed=True, backup="b"):
    return {"path": path, "shown": path, "existed": existed, "backup_file": backup if existed else None,
            "sha1_before": before, "sha1_after": after}


def test_rollback_restores_only_what_still_holds_what_the_run_wrote():
    entry = {"run": "r1", "_name": "r1.json",
             "files": [record("a", "a0", "a1"), record("b", "b0", "b1"), record("c", "absent", "c1", existed=False),
                       record("d", "d0", "d1")]}
    steps = ledger.plan_rollback([entry], {"a": "a1", "b": "EDITED", "c": "c1", "d": "d0"})
    assert [(s.path, s.action) for s in steps] == [("a", "restore"), ("b", "fail"), ("c", "delete"), ("d", "none")]
    assert "edited after the run" in steps[1].problem and "b" in steps[1].problem
    kept = ledger.remaining(entry, steps)
    assert [r["path"] for r in kept["files"]] == ["b"]
    assert ledger.remaining(entry, [s for s in steps if s.action != "fail"]) is None


def test_rollback_of_two_runs_chains_and_a_missing_backup_is_a_failure():
    newer = {"run": "r2", "files": [record("a", "a1", "a2")]}
    older = {"run": "r1", "files": [record("a", "a0", "a1"), record("z", "z0", "z1", backup=None)]}
    steps = ledger.plan_rollback([newer, older], {"a": "a2", "z": "z1"})
    assert [(s.path, s.action) for s in steps] == [("a", "restore"), ("a", "restore"), ("z", "fail")]
    assert "no backup was kept" in steps[2].problem
    deleted = ledger.plan_rollback([{"run": "r", "files": [record("a", "a0", "a1")]}], {"a": "absent"})
    assert deleted[0].action == "fail" and "deleted since" in deleted[0].problem
