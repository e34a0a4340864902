# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What system_json costs a desk and does to it, counted at the connection (tests/unit/conftest.py).

Windows desks are emulated at the wire: every module execution below is a real PowerShell payload built by
ansible-core, decoded and answered as ansible.windows' module would (tests/windesk), and logged. POSIX desks are
the local connection with pipelining, running the real module; its exec_command calls are counted.

Contract:
- Windows desk, check mode or compliant: 1 module execution (the SCAN script; an override's base file too).
- Windows desk, drifted, write: SCAN + one more win_powershell (the COMMIT script: beside, checksum guard, backup,
  replace in one step). A write the desk never answered: + one COMMIT run that settles what it left.
- POSIX desk: 1 round trip in every mode (2 with validate_with when writing).
- Request validation with jsonschema: once per distinct settings value, however many desks.
"""

from __future__ import annotations

import base64
import hashlib
import difflib
import json
import os
import re

import pytest

from ansible_collections.ioconnect.fleet.plugins.plugin_utils import validation

WIN_PATH = r"C:\Users\jdoe\AppData\Local\interop.io\io.Connect Desktop\Desktop\config\system.json"
URL = "https://iomanager-emea.example.com/api"
SERVER = {"enabled": True, "url": URL}
CRASH = {"output": {"type": "server", "serverUrl": URL + "/crashes"}}

# A desk's system.json as io.Connect Desktop ships it on Windows: BOM, CRLF, 4-space indent.
DRIFTED = ("\ufeff{\r\n"
           "    \"env\": \"PROD\",\r\n"
           "    \"region\": \"EMEA\",\r\n"
           "    \"gw\": {\r\n"
           "        \"embedded\": true,\r\n"
           "        \"configuration\": {\"port\": 8385}\r\n"
           "    },\r\n"
           "    \"server\": {\r\n"
           "        \"enabled\": false,\r\n"
           "        \"url\": \"http://localhost:4356/api\"\r\n"
           "    },\r\n"
           "    \"crashReporter\": {\r\n"
           "        \"enabled\": true,\r\n"
           "        \"output\": {\"type\": \"local\"}\r\n"
           "    }\r\n"
           "}\r\n").encode("utf-8")
COMPLIANT = (DRIFTED.replace(b"\"enabled\": false", b"\"enabled\": true")
             .replace(b"http://localhost:4356/api", URL.encode())
             .replace(b"{\"type\": \"local\"}", b"{\"type\": \"server\", \"serverUrl\": \"" + URL.encode() + b"/crashes\"}"))


@pytest.fixture(autouse=True)
def local_tmp(tmp_path, monkeypatch):
    """The run's local temp folder (DEFAULT_LOCAL_TMP): one per test, as one per ansible-playbook run."""
    from ansible import constants as C
    monkeypatch.setattr(C, "DEFAULT_LOCAL_TMP", str(tmp_path / "local-tmp"))
    os.makedirs(C.DEFAULT_LOCAL_TMP, exist_ok=True)
    return tmp_path / "local-tmp"


def request(path=WIN_PATH, **extra):
    return dict({"path": path, "server": SERVER, "crash_reporter": CRASH}, **extra)


def stray(desk):
    return [p for p in desk.files() if p.endswith(".tmp")]


# -- Windows: reading ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("diff", [False, True], ids=["plain", "diff"])
@pytest.mark.parametrize("content", [DRIFTED, COMPLIANT], ids=["drifted", "compliant"])
def test_windows_check_mode_is_one_slurp(windows_desk, on_windows, content, diff):
    windows_desk.write(WIN_PATH, content)
    result = on_windows("ioconnect.fleet.system_json", request(), check_mode=True, diff=diff)
    assert windows_desk.modules() == ["win_powershell"]
    assert windows_desk.read(WIN_PATH) == content
    assert result["changed"] is (content is DRIFTED)


def test_windows_compliant_desk_is_one_slurp(windows_desk, on_windows):
    windows_desk.write(WIN_PATH, COMPLIANT)
    result = on_windows("ioconnect.fleet.system_json", request(backup=True))
    assert windows_desk.modules() == ["win_powershell"]
    assert result["changed"] is False and result["drift"] == []


@pytest.mark.parametrize("when_missing, failed", [("skip", False), ("fail", True)])
def test_windows_missing_file_without_create_is_one_slurp(windows_desk, on_windows, when_missing, failed):
    result = on_windows("ioconnect.fleet.system_json", request(when_missing=when_missing))
    assert windows_desk.modules() == ["win_powershell"]
    assert bool(result.get("failed")) is failed and result["changed"] is False


def test_windows_environment_variables_are_the_connecting_accounts(windows_desk, on_windows):
    """slurp's src and the COMMIT script expand %LOCALAPPDATA% for the account that connects (svc_fleet)."""
    mine = WIN_PATH.replace("jdoe", "svc_fleet")
    windows_desk.write(mine, DRIFTED)
    given = r"%LOCALAPPDATA%\interop.io\io.Connect Desktop\Desktop\config\system.json"
    result = on_windows("ioconnect.fleet.system_json", request(path=given))
    assert result["changed"] is True and not result.get("failed"), result
    assert windows_desk.read(mine) == COMPLIANT


# -- Windows: writing ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("backup", [False, True])
def test_windows_write_is_slurp_and_one_commit(windows_desk, on_windows, backup):
    windows_desk.write(WIN_PATH, DRIFTED)
    result = on_windows("ioconnect.fleet.system_json", request(backup=backup), diff=True)
    assert not result.get("failed"), result
    assert windows_desk.modules() == ["win_powershell", "win_powershell"]
    assert windows_desk.read(WIN_PATH) == COMPLIANT, "the engine's bytes, BOM and CRLF kept"
    assert stray(windows_desk) == []
    if backup:
        assert re.match(re.escape(WIN_PATH) + r"\.\d{8}-\d{6}\.[0-9a-f]{16}\.bak$", result["backup_file"]), result
        assert windows_desk.read(result["backup_file"]) == DRIFTED
    else:
        assert "backup_file" not in result
    assert result["changed"] is True and "\n@@ -" in result["diff"]["prepared"]


def test_windows_second_apply_is_one_slurp(windows_desk, on_windows):
    windows_desk.write(WIN_PATH, DRIFTED)
    on_windows("ioconnect.fleet.system_json", request())
    windows_desk.forget_operations()
    result = on_windows("ioconnect.fleet.system_json", request())
    assert windows_desk.modules() == ["win_powershell"] and result["changed"] is False


def test_windows_create_goes_through_the_same_commit(windows_desk, on_windows):
    windows_desk.write(WIN_PATH.replace("system.json", "apps\\keep.json"), b"{}")
    result = on_windows("ioconnect.fleet.system_json", {"path": WIN_PATH, "server": SERVER, "when_missing": "create",
                                                        "backup": True})
    assert not result.get("failed") and result["changed"] is True and "backup_file" not in result
    assert windows_desk.modules() == ["win_powershell", "win_powershell"]
    assert windows_desk.read(WIN_PATH).endswith(b"\r\n") and not windows_desk.read(WIN_PATH).startswith(b"\xef")


def test_windows_create_in_a_missing_folder_is_refused_as_on_posix(windows_desk, on_windows):
    missing = r"C:\Apps\nowhere\config\system.json"
    result = on_windows("ioconnect.fleet.system_json", {"path": missing, "server": SERVER, "when_missing": "create"})
    assert result["failed"] is True and result["error_kind"] == "io"
    assert "cannot find the path" in result["msg"] and "nowhere" in result["msg"]
    assert not windows_desk.exists(r"C:\Apps")


def test_windows_a_file_saved_meanwhile_is_not_overwritten(windows_desk, on_windows):
    """Someone saves system.json between the read and the write: the COMMIT script's checksum guard refuses, the
    other edit stays, no temporary file is left."""
    windows_desk.write(WIN_PATH, DRIFTED)
    theirs = DRIFTED.replace(b"PROD", b"UAT")
    windows_desk.config["edit_after_read"] = {WIN_PATH: base64.b64encode(theirs).decode()}
    windows_desk.save()
    result = on_windows("ioconnect.fleet.system_json", request(backup=True))
    assert result["failed"] is True and result["error_kind"] == "conflict", result
    assert "changed on the desk after it was read" in result["msg"]
    assert windows_desk.read(WIN_PATH) == theirs
    assert stray(windows_desk) == [] and "backup_file" not in result
    assert not [p for p in windows_desk.files() if p.endswith(".bak")], "no backup of a write that did not happen"


def test_windows_expected_checksum_is_honoured(windows_desk, on_windows):
    windows_desk.write(WIN_PATH, DRIFTED)
    result = on_windows("ioconnect.fleet.system_json", request(expected_checksum="0" * 40))
    assert result["failed"] is True and result["error_kind"] == "conflict"
    assert windows_desk.modules() == ["win_powershell"] and windows_desk.read(WIN_PATH) == DRIFTED
    right = hashlib.sha1(DRIFTED).hexdigest()
    result = on_windows("ioconnect.fleet.system_json", request(expected_checksum=right))
    assert result["changed"] is True and windows_desk.read(WIN_PATH) == COMPLIANT


def test_windows_an_interrupted_write_never_leaves_a_half_written_file(windows_desk, on_windows):
    """The desk's process dies while the new bytes are being written beside the file: system.json is whole (the old
    one), the task fails and says so after asking the desk, and the half-written temporary file is what is left."""
    windows_desk.write(WIN_PATH, DRIFTED)
    windows_desk.config["crash_during_write"] = [WIN_PATH]
    windows_desk.save()
    result = on_windows("ioconnect.fleet.system_json", request(backup=True))
    assert result["failed"] is True
    assert "still holds its old settings" in result["msg"], result["msg"]
    assert windows_desk.read(WIN_PATH) == DRIFTED
    # SCAN, the COMMIT that died, the COMMIT that settles what it left
    assert windows_desk.modules() == ["win_powershell"] * 3
    half = stray(windows_desk)
    assert len(half) == 1 and half[0].startswith(WIN_PATH.rsplit("\\", 1)[0] + "\\.system.json.")


def test_windows_a_read_only_file_fails_and_keeps_its_bytes(windows_desk, on_windows):
    windows_desk.write(WIN_PATH, DRIFTED)
    os.chmod(windows_desk.host(WIN_PATH), 0o444)
    result = on_windows("ioconnect.fleet.system_json", request(backup=True))
    assert result["failed"] is True and result["error_kind"] == "io"
    assert "denied" in result["msg"] and "still holds its old settings" in result["msg"]
    assert windows_desk.read(WIN_PATH) == DRIFTED
    assert stray(windows_desk) == [] and not [p for p in windows_desk.files() if p.endswith(".bak")]


def test_windows_an_override_is_checked_over_its_base_file(windows_desk, on_windows):
    windows_desk.write(WIN_PATH, COMPLIANT)
    override = WIN_PATH.replace("system.json", "system-UAT-EMEA.json")
    result = on_windows("ioconnect.fleet.system_json", {"path": override, "server": {"enabled": True},
                                                        "settings": {"env": "UAT"}, "when_missing": "create"})
    assert not result.get("failed"), result
    assert windows_desk.modules() == ["win_powershell", "win_powershell"]
    assert json.loads(windows_desk.read(override)) == {"server": {"enabled": True}, "env": "UAT"}
    windows_desk.write(WIN_PATH, DRIFTED.replace(b"\"url\": \"http://localhost:4356/api\"", b"\"x\": 1"))
    os.unlink(windows_desk.host(override))
    result = on_windows("ioconnect.fleet.system_json", {"path": override, "server": {"enabled": True},
                                                        "when_missing": "create"})
    assert result["failed"] is True and "/server/url in the desktop's merged view" in result["msg"]


@pytest.mark.parametrize("content", [b"{\"server\": {,}}", b"\xff\xfe{\x00}\x00", b"[]"], ids=["json", "utf16", "root"])
def test_windows_bad_files_are_reported_and_never_written(windows_desk, on_windows, content):
    windows_desk.write(WIN_PATH, content)
    result = on_windows("ioconnect.fleet.system_json", request())
    assert result["failed"] is True and result["error_kind"] in ("parse", "encoding", "root")
    assert windows_desk.modules() == ["win_powershell"] and windows_desk.read(WIN_PATH) == content


def test_windows_invalid_settings_contact_no_desk(windows_desk, on_windows):
    windows_desk.write(WIN_PATH, DRIFTED)
    result = on_windows("ioconnect.fleet.system_json", request(server={"enabled": "yes", "url": URL}))
    assert result["failed"] is True and result["error_kind"] == "request"
    assert windows_desk.operations() == []


def test_windows_secrets_never_reach_results(windows_desk, on_windows):
    windows_desk.write(WIN_PATH, DRIFTED)
    crash = {"output": {"type": "backtrace",
                        "backTraceConfig": {"token": "s3cr3t-t0ken", "url": "https://bt.example.com"}}}
    result = on_windows("ioconnect.fleet.system_json", request(crash_reporter=crash), diff=True)
    assert result["changed"] is True
    assert "s3cr3t-t0ken" not in json.dumps(result)
    assert b"s3cr3t-t0ken" in windows_desk.read(WIN_PATH)


# -- POSIX: one round trip ------------------------------------------------------------------------------------------
@pytest.fixture
def posix_file(tmp_path):
    path = tmp_path / "desk" / "system.json"
    path.parent.mkdir()
    return path


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize("content", [DRIFTED, COMPLIANT], ids=["drifted", "compliant"])
def test_posix_is_one_round_trip(on_posix, posix_file, content, check_mode):
    posix_file.write_bytes(content)
    calls = on_posix.commands
    result = on_posix("ioconnect.fleet.system_json", request(str(posix_file), backup=True), check_mode=check_mode)
    assert not result.get("failed"), result
    assert len(calls) == 1, calls
    assert result["changed"] is (content is DRIFTED)
    assert posix_file.read_bytes() == (COMPLIANT if content is DRIFTED and not check_mode else content)


def vendor_like_schemas(folder):
    folder.mkdir()
    (folder / "system.json").write_text(json.dumps({"type": "object", "properties": {"server": {"type": "object"}}}))
    return str(folder)


def test_posix_validate_with_is_read_then_guarded_write(on_posix, posix_file, tmp_path):
    posix_file.write_bytes(DRIFTED)
    calls = on_posix.commands
    result = on_posix("ioconnect.fleet.system_json",
                      request(str(posix_file), validate_with=vendor_like_schemas(tmp_path / "schemas")))
    assert result["changed"] is True and len(calls) == 2
    assert posix_file.read_bytes() == COMPLIANT


@pytest.mark.parametrize("check_mode, content", [(True, DRIFTED), (False, COMPLIANT)], ids=["check", "compliant"])
def test_posix_validate_with_reads_once_when_nothing_is_written(on_posix, posix_file, tmp_path, check_mode, content):
    posix_file.write_bytes(content)
    calls = on_posix.commands
    on_posix("ioconnect.fleet.system_json", request(str(posix_file), validate_with=vendor_like_schemas(
        tmp_path / "schemas")), check_mode=check_mode)
    assert len(calls) == 1 and posix_file.read_bytes() == content


def test_a_windows_looking_path_on_a_posix_desk_is_warned_about(on_posix, tmp_path, monkeypatch):
    warnings = []
    from ansible.utils.display import Display
    monkeypatch.setattr(Display, "warning", lambda self, msg, *a, **k: warnings.append(msg))
    monkeypatch.chdir(tmp_path)
    on_posix("ioconnect.fleet.system_json", request(path=WIN_PATH, when_missing="skip"), check_mode=True)
    assert any("looks like a Windows path" in w for w in warnings), warnings


# -- validation: once per distinct settings value ------------------------------------------------------------------
def test_jsonschema_runs_once_per_distinct_settings_value(windows_desk, on_windows, monkeypatch, local_tmp):
    constructed = []
    validation.require_jsonschema()
    real = validation.jsonschema.Draft7Validator

    def counting_validator(schema, *args, **kwargs):
        constructed.append(schema)
        return real(schema, *args, **kwargs)

    monkeypatch.setattr(validation.jsonschema, "Draft7Validator", counting_validator)
    windows_desk.write(WIN_PATH, DRIFTED)
    regions = ("emea", "amer", "apac")
    for index in range(12):
        url = "https://iomanager-%s.example.com/api" % regions[index % 3]
        on_windows("ioconnect.fleet.system_json", request(server={"enabled": True, "url": url}), check_mode=True)
    assert windows_desk.modules() == ["win_powershell"] * 12
    assert len(constructed) == 3, "12 desks, 3 distinct settings values: 3 validations"
    markers = [n for n in os.listdir(local_tmp / "ioconnect-fleet-validated") if not n.startswith(".")]
    assert len(markers) == 3


# -- Windows: what the engine's second edition changed, seen at the wire ------------------------------------------
def test_windows_app_store_identity_follows_windows(windows_desk, on_windows):
    """c:\\apps\\config on the desk is the store C:\\Apps\\Config\\ asked for: no drift, no write, one read."""
    content = (b'{\r\n  "region": "EMEA",\r\n  "env": "PROD",\r\n  "gw": {},\r\n  "appStores": [\r\n'
               b'    {"type": "path", "details": {"path": "c:\\\\apps\\\\config"}},\r\n'
               b'    {"type": "rest", "details": {"url": "https://apps.example.com/api"}}\r\n  ]\r\n}\r\n')
    windows_desk.write(WIN_PATH, content)
    asked = [{"type": "path", "details": {"path": "C:\\Apps\\Config\\"}},
             {"type": "rest", "details": {"url": "https://Apps.Example.com:443/api/"}}]
    result = on_windows("ioconnect.fleet.system_json", {"path": WIN_PATH, "app_stores": asked,
                                                        "app_stores_mode": "present"})
    assert not result.get("failed"), result
    assert result["changed"] is False and result["drift"] == []
    assert windows_desk.modules() == ["win_powershell"] and windows_desk.read(WIN_PATH) == content


def test_windows_diff_is_the_desks_text_and_the_bytes_written(windows_desk, on_windows):
    windows_desk.write(WIN_PATH, DRIFTED)
    result = on_windows("ioconnect.fleet.system_json", request(), diff=True)
    before, after = DRIFTED.decode("utf-8"), windows_desk.read(WIN_PATH).decode("utf-8")
    assert before.startswith("\ufeff{\r\n") and "\r\n" in after, "BOM and CRLF included"
    diff = result["diff"]
    # What diff -u shows for the desk's text and the bytes written (the file is small and holds no secret).
    assert diff["prepared"] == "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                                            diff["before_header"], diff["after_header"]))


def test_windows_masks_with_the_tasks_secret_keys(windows_desk, on_windows):
    windows_desk.write(WIN_PATH, DRIFTED)
    result = on_windows("ioconnect.fleet.system_json", dict(request(), secret_keys=["deskPin"],
                                                            settings={"desk": {"deskPin": "pin-4711-x",
                                                                               "label": "Desk 7"}}), diff=True)
    shown = json.dumps(result)
    assert "pin-4711-x" not in shown and "Desk 7" in shown
    assert b"pin-4711-x" in windows_desk.read(WIN_PATH), "the desk gets the value"


def test_windows_bad_secret_keys_fail_before_the_desk_is_read(windows_desk, on_windows):
    windows_desk.write(WIN_PATH, DRIFTED)
    result = on_windows("ioconnect.fleet.system_json", dict(request(), secret_keys=["ok", ""]))
    assert result["failed"] is True and result["error_kind"] == "request" and "secret_keys[1]" in result["msg"]
    assert windows_desk.operations() == []


@pytest.mark.parametrize("server, fragment", [
    ({"url": URL, "fetchInterval": -5}, "server.fetchInterval: must be greater than 0"),
    ({"url": URL, "startRetries": -1}, "server.startRetries: must be at least 0"),
])
def test_windows_fleet_rules_fail_before_the_desk_is_read(windows_desk, on_windows, server, fragment):
    windows_desk.write(WIN_PATH, DRIFTED)
    result = on_windows("ioconnect.fleet.system_json", request(server=server))
    assert result["failed"] is True and fragment in result["msg"]
    assert windows_desk.operations() == []
