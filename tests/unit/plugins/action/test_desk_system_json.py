# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ioconnect.fleet.desk_system_json on whole desks: Windows desks emulated at the wire (every module execution is
counted in the desk's operation log), POSIX desks through the local connection (every round trip counted).

Figures the docs state (docs/scale.md), asserted here:
- Windows, check mode: 1 module execution (the SCAN script reads every file); a drifted desk written: 2 (+ COMMIT);
  a compliant one: 1.
- POSIX: 1 round trip, in check mode and when writing.
"""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.checksum import checksum

URL = "https://iomanager-emea.example.com"
TOPOLOGY = {"PROD": {"EMEA": {"url": URL, "only_app_store": True}},
            "UAT": {"EMEA": {"url": "https://iomanager-uat.example.com"}}}
ARGS = {"topology": TOPOLOGY, "env": "PROD", "region": "EMEA", "preflight": False}
PROGRAM_FILES = "C:\\Program Files\\interop.io\\io.Connect Desktop"


def builder():
    from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils import builder as module
    return module


def fleet_desk(desk):
    """Three profiles (one with 9.x, one with Glue42, one without), a machine-wide 10.x, and the connecting
    account's own profile, empty."""
    b = builder()
    kim = desk.v9("kim", b.render(b.vendor_document()))
    ann = desk.glue("ann", b.render(b.vendor_document(), "lf2"))
    desk.profile("nobody")
    v10 = desk.v10(PROGRAM_FILES, b.render(b.vendor_document(), "tabs"))
    return {"kim": kim, "ann": ann, "v10": v10}


# -- Windows: discovery ---------------------------------------------------------------------------------------------
def test_windows_check_mode_finds_every_install_in_one_scan(windows_desk, on_windows):
    paths = fleet_desk(windows_desk)
    before = windows_desk.files()
    result = on_windows("ioconnect.fleet.desk_system_json",
                        dict(ARGS, install_roots=["C:\\Program Files\\interop.io"]), check_mode=True)
    assert not result.get("failed"), result
    assert result["status"] == "drifted"
    found = {f["path"]: f for f in result["files"]}
    assert set(found) == set(paths.values())
    assert found[paths["kim"]]["product"] == "io.Connect Desktop 9" and found[paths["kim"]]["profile"] == "kim"
    assert found[paths["ann"]]["product"] == "Glue42 Enterprise 3"
    assert found[paths["v10"]]["product"] == "io.Connect Desktop 10"
    assert found[paths["v10"]]["profile"] == "(all users)"
    assert windows_desk.modules() == ["win_powershell"]
    assert result["remote_operations"] == 1
    assert windows_desk.files() == before, "check mode writes nothing"
    names = {p["name"] for p in result["profiles"]}
    assert names == {"ann", "kim", "nobody", "svc_fleet"}, "every profile, not only the connecting account's"


def test_windows_io_connect_9_is_listed_once_though_it_matches_the_10_rule(windows_desk, on_windows):
    b = builder()
    windows_desk.v9("kim", b.render(b.vendor_document()))
    result = on_windows("ioconnect.fleet.desk_system_json", ARGS, check_mode=True)
    assert [(f["product"], f["profile"]) for f in result["files"]] == [("io.Connect Desktop 9", "kim")]


def test_windows_a_symlinked_system_json_is_found_read_and_written_through_its_target(windows_desk, on_windows):
    b = builder()
    real = windows_desk.write("D:\\Configs\\kim-system.json", b.render(b.vendor_document()))
    link = "C:\\Users\\kim\\AppData\\Local\\interop.io\\io.Connect Desktop\\Desktop\\config\\system.json"
    windows_desk.profile("kim")
    windows_desk.link(link, real, owner="BUILTIN\\Administrators")  # planted by an administrator: followed
    result = on_windows("ioconnect.fleet.desk_system_json", ARGS)
    assert result["status"] == "changed", result["msg"]
    assert [(f["path"], f["target"]) for f in result["files"]] == [(link, real)]
    assert os.path.islink(windows_desk.host(link)), "the link stays a link"
    assert json.loads(windows_desk.read(real).decode("utf-8-sig"))["server"]["url"] == URL + "/api"


def test_windows_two_links_to_one_file_are_one_file(windows_desk, on_windows):
    b = builder()
    real = windows_desk.v9("kim", b.render(b.vendor_document()))
    other = "C:\\Users\\ann\\AppData\\Local\\interop.io\\io.Connect Desktop\\Desktop\\config\\system.json"
    windows_desk.profile("ann")
    windows_desk.link(other, real)
    result = on_windows("ioconnect.fleet.desk_system_json", ARGS, check_mode=True)
    assert len(result["files"]) == 1 and result["files"][0]["target"] == real


def test_windows_an_unreadable_profile_fails_the_desk_with_the_reason_and_nothing_is_written(windows_desk, on_windows):
    fleet_desk(windows_desk)
    windows_desk.v9("locked", builder().render(builder().vendor_document()))
    windows_desk.deny("C:\\Users\\locked")
    before = windows_desk.files()
    result = on_windows("ioconnect.fleet.desk_system_json", ARGS)
    assert result["failed"] is True and result["status"] == "failed"
    locked = [p for p in result["profiles"] if p["name"] == "locked"][0]
    assert locked["readable"] is False and "denied" in locked["reason"].lower()
    assert "profile locked" in result["msg"] and "cannot be read" in result["msg"]
    assert windows_desk.files() == before
    assert windows_desk.modules() == ["win_powershell"], "the scan only: no COMMIT"


def test_windows_logged_on_profiles(windows_desk, on_windows):
    paths = fleet_desk(windows_desk)
    windows_desk.config["logged_on"] = ["ann"]
    windows_desk.save()
    result = on_windows("ioconnect.fleet.desk_system_json", dict(ARGS, profiles="logged_on"), check_mode=True)
    assert [f["path"] for f in result["files"]] == [paths["ann"]]
    assert windows_desk.modules() == ["win_powershell"]


def test_windows_named_and_current_profiles(windows_desk, on_windows):
    paths = fleet_desk(windows_desk)
    named = on_windows("ioconnect.fleet.desk_system_json", dict(ARGS, profiles="named", users=["KIM", "ghost"]),
                       check_mode=True)
    assert [f["path"] for f in named["files"]] == [paths["kim"]]
    assert [p["reason"] for p in named["profiles"] if p["name"] == "ghost"] == ["no such profile folder"]
    windows_desk.forget_operations()
    current = on_windows("ioconnect.fleet.desk_system_json", dict(ARGS, profiles="current"), check_mode=True)
    assert current["status"] == "not_installed" and current["files"] == []
    assert [p["path"] for p in current["profiles"]] == ["C:\\Users\\svc_fleet"]
    assert [op["op"] for op in windows_desk.operations()] == ["module"]


def test_windows_install_roots_with_environment_variables_are_refused_before_the_desk(windows_desk, on_windows):
    result = on_windows("ioconnect.fleet.desk_system_json", dict(ARGS, install_roots=["%ProgramFiles%\\interop.io"]))
    assert result["failed"] is True and "does not expand" in result["msg"]
    assert windows_desk.operations() == []


# -- Windows: writing ---------------------------------------------------------------------------------------------
def test_windows_apply_costs_one_more_execution_and_records_the_ledger(windows_desk, on_windows):
    paths = fleet_desk(windows_desk)
    result = on_windows("ioconnect.fleet.desk_system_json", dict(ARGS, install_roots=["C:\\Program Files\\interop.io"]))
    assert result["status"] == "changed" and result["restart_pending"] is True, result
    assert windows_desk.modules() == ["win_powershell", "win_powershell"]
    entry = json.loads(windows_desk.read(result["ledger"]))
    recorded = {r["shown"]: r for r in entry["files"]}
    assert set(recorded) == set(paths.values())
    for shown, record in recorded.items():
        assert record["sha1_after"] == checksum(windows_desk.read(record["path"]))
        assert windows_desk.read(record["backup_file"]) != windows_desk.read(record["path"])
    kim = json.loads(windows_desk.read(paths["kim"]).decode("utf-8-sig"))
    assert kim["server"] == {"enabled": True, "url": URL + "/api"} and kim["appStores"] == []
    assert windows_desk.read(paths["kim"]).startswith(b"\xef\xbb\xbf") and b"\r\n" in windows_desk.read(paths["kim"])
    windows_desk.forget_operations()
    again = on_windows("ioconnect.fleet.desk_system_json", dict(ARGS, install_roots=["C:\\Program Files\\interop.io"]))
    assert again["status"] == "compliant" and again["changed"] is False and "ledger" not in again
    assert windows_desk.modules() == ["win_powershell"]


def test_windows_a_corrupt_file_fails_alone(windows_desk, on_windows):
    paths = fleet_desk(windows_desk)
    windows_desk.write(paths["ann"], b'{"server": {"url": "x",},}')
    result = on_windows("ioconnect.fleet.desk_system_json", ARGS)
    assert result["failed"] is True and result["status"] == "failed"
    by_path = {f["path"]: f for f in result["files"]}
    assert by_path[paths["ann"]]["failed"] is True and by_path[paths["ann"]]["error_kind"] == "parse"
    assert by_path[paths["kim"]]["changed"] is True and by_path[paths["kim"]]["failed"] is False
    assert json.loads(windows_desk.read(paths["kim"]).decode("utf-8-sig"))["server"]["enabled"] is True
    assert windows_desk.read(paths["ann"]) == b'{"server": {"url": "x",},}'


def test_windows_overrides_layout_writes_pairs_and_creates_only_missing_shortcuts(windows_desk, on_windows):
    b = builder()
    base = windows_desk.v9("kim", b.render(b.vendor_document()))
    args = dict(ARGS, layout="overrides", pairs=[{"env": "PROD", "region": "EMEA"}, {"env": "UAT", "region": "EMEA"}])
    result = on_windows("ioconnect.fleet.desk_system_json", args)
    assert result["status"] == "changed", result
    config = base.rsplit("\\", 1)[0]
    prod = json.loads(windows_desk.read(config + "\\system-PROD-EMEA.json").decode("utf-8"))
    assert prod == {"server": {"enabled": True, "url": URL + "/api"},
                    "crashReporter": {"output": {"type": "server", "serverUrl": URL + "/api/crashes"}},
                    "env": "PROD", "region": "EMEA", "appStores": []}
    uat = json.loads(windows_desk.read(config + "\\system-UAT-EMEA.json").decode("utf-8"))
    assert "appStores" not in uat, "an override's appStores would replace the base list"
    assert windows_desk.read(base) == b.render(b.vendor_document()), "the base file is only read"
    menu = "C:\\Users\\kim\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\io.Connect Desktop\\"
    lnk = json.loads(windows_desk.read(menu + "io.Connect Desktop 9 PROD-EMEA.lnk"))
    assert lnk["Arguments"] == "-- config=config/system.json configOverrides config0=config/system-PROD-EMEA.json"
    assert sorted(result["shortcuts_changed"]) == sorted(menu + "io.Connect Desktop 9 %s.lnk" % p
                                                         for p in ("PROD-EMEA", "UAT-EMEA"))
    # the scan, the Start-menu folders' scan, COMMIT, the two missing shortcuts
    assert windows_desk.modules() == ["win_powershell"] * 3 + ["win_shortcut"] * 2
    windows_desk.forget_operations()
    again = on_windows("ioconnect.fleet.desk_system_json", args)
    assert again["status"] == "compliant" and again["changed"] is False, again
    # base + 2 overrides read in one scan; the shortcuts are found by the second, so none is created again
    assert windows_desk.modules() == ["win_powershell", "win_powershell"]


def test_windows_a_file_edited_after_the_run_is_not_rolled_back(windows_desk, on_windows):
    paths = fleet_desk(windows_desk)
    originals = {k: windows_desk.read(p) for k, p in paths.items()}
    on_windows("ioconnect.fleet.desk_system_json", dict(ARGS, install_roots=["C:\\Program Files\\interop.io"]))
    edited = windows_desk.read(paths["ann"]).replace(b'"env": "PROD"', b'"env": "PROD", "x": 1')
    windows_desk.write(paths["ann"], edited)
    windows_desk.forget_operations()
    result = on_windows("ioconnect.fleet.desk_system_json", {"state": "rolled_back"})
    assert result["failed"] is True
    assert windows_desk.read(paths["kim"]) == originals["kim"] and windows_desk.read(paths["v10"]) == originals["v10"]
    assert windows_desk.read(paths["ann"]) == edited, "the hand edit is kept"
    failed = [f for f in result["files"] if f.get("failed")]
    assert [f["path"] for f in failed] == [paths["ann"]]
    assert "edited after the run" in failed[0]["msg"] and failed[0]["backup_file"] in failed[0]["msg"]
    # win_find (entries) + slurp (1 entry) + win_find (checksums) + win_powershell (restore, ledger)
    assert windows_desk.modules() == ["win_find", "slurp", "win_find", "win_powershell"]
    runs = [p for p in windows_desk.files() if "\\runs\\" in p]
    assert len(runs) == 1, "the entry stays, with only the file that could not be rolled back"
    assert [r["shown"] for r in json.loads(windows_desk.read(runs[0]))["files"]] == [paths["ann"]]


# -- POSIX ----------------------------------------------------------------------------------------------------------
def posix_desk(tmp_path):
    """The same shape as fleet_desk, as a POSIX simulated desk (docs/simulated-desks.md)."""
    b = builder()
    users = tmp_path / "desk" / "Users"
    v9 = users / "kim" / "AppData" / "Local" / "interop.io" / "io.Connect Desktop" / "Desktop"
    (v9 / "config").mkdir(parents=True)
    (v9 / "io-connect-desktop.exe").write_bytes(b"MZ")
    (v9 / "config" / "system.json").write_bytes(b.render(b.vendor_document()))
    glue = users / "ann" / "AppData" / "Local" / "Tick42" / "GlueDesktop" / "config"
    glue.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_bytes(b.render(b.vendor_document(), "lf2"))
    (glue / "system.json").symlink_to(elsewhere)
    (users / "Public").mkdir()
    return users, v9 / "config" / "system.json", glue / "system.json", elsewhere


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_posix_desk_is_one_round_trip_and_follows_links(on_posix, tmp_path, check_mode):
    users, v9, glue, elsewhere = posix_desk(tmp_path)
    calls = on_posix.commands
    state = tmp_path / "state"
    result = on_posix("ioconnect.fleet.desk_system_json",
                      dict(ARGS, profile_root=str(users), state_dir=str(state)), check_mode=check_mode)
    assert not result.get("failed"), result
    assert len(calls) == 1
    assert sorted(f["path"] for f in result["files"]) == sorted([str(v9), str(glue)])
    assert {f["path"]: f["target"] for f in result["files"]}[str(glue)] == str(elsewhere)
    assert os.path.islink(glue)
    written = json.loads(elsewhere.read_bytes())["server"]["enabled"]
    assert written is (not check_mode)
    assert os.path.isdir(state / "runs") is (not check_mode)


def test_posix_rollback_restores_byte_for_byte_and_keeps_a_hand_edit(on_posix, tmp_path):
    users, v9, glue, elsewhere = posix_desk(tmp_path)
    before = {v9: v9.read_bytes(), elsewhere: elsewhere.read_bytes()}
    args = dict(ARGS, profile_root=str(users), state_dir=str(tmp_path / "state"))
    on_posix("ioconnect.fleet.desk_system_json", args)
    elsewhere.write_bytes(elsewhere.read_bytes() + b" ")
    result = on_posix("ioconnect.fleet.desk_system_json", {"state": "rolled_back", "state_dir": args["state_dir"]})
    assert result["failed"] is True
    assert v9.read_bytes() == before[v9]
    assert elsewhere.read_bytes() != before[elsewhere] and elsewhere.read_bytes().endswith(b" ")
    assert [f["path"] for f in result["files"] if f.get("failed")] == [str(glue)]


def test_posix_a_windows_path_in_profile_root_is_explained(on_posix):
    result = on_posix("ioconnect.fleet.desk_system_json", dict(ARGS, profile_root="C:\\Users"))
    assert result["failed"] is True and "look like Windows paths" in result["msg"]


def test_a_bad_setting_on_one_desk_fails_before_any_desk_is_read(windows_desk, on_windows):
    fleet_desk(windows_desk)
    result = on_windows("ioconnect.fleet.desk_system_json", dict(ARGS, server_settings={"clientAuth": "kerberoz"}),
                        check_mode=True)
    assert result["failed"] is True and "server.clientAuth" in result["msg"] and "kerberoz" in result["msg"]
    assert windows_desk.operations() == []
    validated = on_windows("ioconnect.fleet.desk_system_json", dict(ARGS, validate_only=True))
    assert validated["changed"] is False and windows_desk.operations() == []


def test_a_firms_own_secret_keys_are_masked_in_the_desks_result(windows_desk, on_windows):
    b = builder()
    doc = b.vendor_document()
    doc["desk"] = {"sharedKey": "shh-0815-x"}
    windows_desk.v9("kim", b.render(doc))
    args = dict(ARGS, app_stores=[{"type": "rest", "details": {"url": "https://apps.example.com/api"}}],
                topology={"PROD": {"EMEA": {"url": URL}}}, secret_keys=["sharedKey"])
    result = on_windows("ioconnect.fleet.desk_system_json", args, check_mode=True, diff=True)
    assert result["status"] == "drifted" and "diff" in result["files"][0]
    assert "shh-0815-x" not in json.dumps(result)
    bad = on_windows("ioconnect.fleet.desk_system_json", dict(ARGS, secret_keys=[""]))
    assert bad["failed"] is True and "secret_keys[0]" in bad["msg"]


# -- options_from_vars (the desktop role's way of passing its variables) ---------------------------------------------
def test_options_come_from_the_prefixed_variables_templated_once(windows_desk, on_windows):
    try:
        from ansible.template import trust_as_template
    except ImportError:  # ansible-core < 2.19: every string is a template
        def trust_as_template(value):
            return value

    b = builder()
    kim = windows_desk.v9("kim", b.render(b.vendor_document()))
    fleet_vars = {"fleet_topology": TOPOLOGY, "site_env": "UAT",
                  "fleet_env": trust_as_template("{{ site_env }}"), "fleet_region": "EMEA",
                  "fleet_preflight": False, "fleet_app_stores": None, "fleet_validate_with": "",
                  "fleet_backup": True, "fleet__plan_only": True, "fleet_state": "rolled_back",
                  "fleet_validate_only": True, "unrelated_env": "PROD"}
    result = on_windows("ioconnect.fleet.desk_system_json", {"options_from_vars": "fleet_", "backup": False},
                        task_vars=fleet_vars, check_mode=True)
    assert not result.get("failed"), result
    assert result["env_region"] == ["UAT-EMEA"], "fleet_env was templated with the desk's variables"
    assert [f["path"] for f in result["files"]] == [kim]
    drift = {d["pointer"]: d["after"] for d in result["files"][0]["drift"]}
    assert drift["/server/url"] == "https://iomanager-uat.example.com/api"
    # null and "" (for an option without a default) leave the option unset. What the task decides (state,
    # validate_only) and the private options are never read from a variable: this stayed a drift scan.
    assert result["status"] == "drifted" and "merged" not in result["files"][0]


def test_a_task_option_wins_over_its_variable(windows_desk, on_windows):
    b = builder()
    windows_desk.v9("kim", b.render(b.vendor_document()))
    fleet_vars = {"fleet_topology": TOPOLOGY, "fleet_env": "UAT", "fleet_region": "EMEA", "fleet_preflight": False}
    result = on_windows("ioconnect.fleet.desk_system_json", {"options_from_vars": "fleet_", "env": "PROD"},
                        task_vars=fleet_vars, check_mode=True)
    assert result["env_region"] == ["PROD-EMEA"], result


def test_a_wrong_variable_is_named_by_its_variable(windows_desk, on_windows):
    fleet_vars = {"fleet_topology": TOPOLOGY, "fleet_env": "PROD", "fleet_region": "EMEA",
                  "fleet_install_search_depth": "deep"}
    result = on_windows("ioconnect.fleet.desk_system_json", {"options_from_vars": "fleet_"}, task_vars=fleet_vars)
    assert result.get("failed") and result["error_kind"] == "request", result
    assert "fleet_install_search_depth" in result["msg"] and "No desk was touched" in result["msg"]
    assert windows_desk.modules() == [], "nothing ran on the desk"


def test_messages_name_the_variables(windows_desk, on_windows):
    fleet_vars = {"fleet_topology": TOPOLOGY, "fleet_env": "PROD", "fleet_region": "MARS"}
    result = on_windows("ioconnect.fleet.desk_system_json", {"options_from_vars": "fleet_"}, task_vars=fleet_vars)
    assert result.get("failed"), result
    assert "fleet_topology" in result["msg"] or "fleet_region" in result["msg"], result["msg"]
