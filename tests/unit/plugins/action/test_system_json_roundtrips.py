# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Round-trip contract of system_json: how many times a desk is contacted, counted, so that a change that adds a
round trip fails here (the fleet benchmark in benchmarks/ reports what each round trip costs; it never asserts).

No Windows host: as in ansible.windows' tests/unit/plugins/action tests, the connection's shell says _IS_WINDOWS
with ntpath.join, ActionModule._execute_module replays recorded results of ansible.windows.slurp and
ansible.windows.win_stat, and action_loader.get hands out a fake win_copy action that records its task args.
The connection itself records every exec_command/put_file/fetch_file, so a round trip that bypasses
_execute_module (a temp folder, a checksum, a raw command) is counted too.

Contract:
- Windows desk, check mode: 1 module execution (slurp), no win_copy.
- Windows desk, compliant, not check mode: 1 (slurp).
- Windows desk, drifted, write: slurp + win_stat (the checksum guard) + one run of the win_copy action.
- POSIX desk: 1 execution of ioconnect.fleet.system_json in every mode (2 with validate_with when writing).
- Request validation with jsonschema: once per distinct settings value, however many desks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import ntpath
import os
from unittest.mock import MagicMock

import pytest

from ansible.playbook.task import Task
from ansible.plugins.loader import init_plugin_loader

from ansible_collections.ioconnect.fleet.plugins.action.system_json import ActionModule
from ansible_collections.ioconnect.fleet.plugins.plugin_utils import validation

WIN_PATH = r"C:\Users\jdoe\AppData\Local\interop.io\io.Connect Desktop\Desktop\config\system.json"
POSIX_PATH = "/home/jdoe/.config/io.Connect Desktop/config/system.json"
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


def recorded_slurp(content, src):
    """What ansible.windows.slurp returns (plugins/modules/slurp.ps1)."""
    if content is None:
        return {"changed": False, "failed": True, "msg": "Path %s is not found" % src}
    return {"changed": False, "content": base64.b64encode(content).decode("ascii"), "encoding": "base64",
            "source": src}


def recorded_win_stat(content, path):
    """What ansible.windows.win_stat returns with get_checksum and checksum_algorithm sha1 (trimmed)."""
    if content is None:
        return {"changed": False, "stat": {"exists": False}}
    return {"changed": False, "stat": {
        "exists": True, "isdir": False, "isreg": True, "path": path, "filename": ntpath.basename(path),
        "extension": ".json", "size": len(content), "attributes": "Archive", "hlnk_targets": [],
        "checksum": hashlib.sha1(content).hexdigest(), "owner": "DESK01\\jdoe"}}


class Desk:
    """One desk's side of the boundary: its file, and a log of every contact with it."""

    def __init__(self, content=DRIFTED, windows=True):
        self.content = content
        self.windows = windows
        self.executions = []   # (module_name, module_args) of every _execute_module call
        self.win_copies = []   # task args of every win_copy action run
        self.win_copy_gets = []
        self.connection = self._connection()

    def _connection(self):
        connection = MagicMock(name="connection")
        connection._shell._IS_WINDOWS = self.windows
        connection._shell.join_path = ntpath.join if self.windows else os.path.join
        connection._shell.tmpdir = None  # a fresh connection: no remote temp folder yet
        return connection

    def raw_contacts(self):
        """Contacts that bypassed _execute_module and the win_copy action."""
        c = self.connection
        return c.exec_command.call_count + c.put_file.call_count + c.fetch_file.call_count

    def execute_module(self, module_name=None, module_args=None, task_vars=None, **_kwargs):
        self.executions.append((module_name, dict(module_args or {})))
        if module_name in ("ansible.windows.slurp", "ansible.builtin.slurp"):
            return recorded_slurp(self.content, module_args["src"])
        if module_name == "ansible.windows.win_stat":
            return recorded_win_stat(self.content, module_args["path"])
        if module_name == "ioconnect.fleet.system_json":
            return self._posix_module(module_args)
        raise AssertionError("a module the contract does not allow: %s" % module_name)

    def _posix_module(self, module_args):
        from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.engine import plan
        from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.merge import Request
        result_plan = plan(self.content, Request.from_params(module_args), module_args["path"],
                           module_args.get("when_missing", "fail"))
        result = result_plan.result()
        expected = module_args.get("expected_checksum")
        if expected is not None and expected != result_plan.original_checksum:
            return {"failed": True, "error_kind": "conflict", "msg": "changed"}
        if result_plan.changed:
            self.content = result_plan.new_bytes
        return result

    def get_action(self, name, task=None, connection=None, **_kwargs):
        self.win_copy_gets.append((name, connection))
        desk = self

        class RecordingWinCopy:
            def run(self, tmp=None, task_vars=None):
                with open(task.args["src"], "rb") as handle:
                    data = handle.read()
                desk.win_copies.append({"args": dict(task.args), "data": data})
                desk.content = data
                return {"changed": True, "checksum": hashlib.sha1(data).hexdigest(), "dest": task.args["dest"],
                        "operation": "file_copy", "original_basename": "system.json", "size": len(data)}
        return RecordingWinCopy()


@pytest.fixture(scope="module", autouse=True)
def plugin_loader():
    init_plugin_loader()


@pytest.fixture(autouse=True)
def local_tmp(tmp_path, monkeypatch):
    """The run's local temp folder (DEFAULT_LOCAL_TMP): one per test, as one per ansible-playbook run."""
    from ansible import constants as C
    monkeypatch.setattr(C, "DEFAULT_LOCAL_TMP", str(tmp_path))
    return tmp_path


def run_task(desk, args, check_mode=False, diff=False):
    task = MagicMock(Task)
    task.args = dict(args)
    task.check_mode = check_mode
    task.diff = diff
    task.async_val = 0
    copied = MagicMock(Task)
    copied.check_mode = check_mode
    copied.diff = diff
    task.copy.return_value = copied

    shared_loader = MagicMock()
    shared_loader.action_loader.get.side_effect = desk.get_action
    action = ActionModule(task, desk.connection, MagicMock(), loader=MagicMock(), templar=None,
                          shared_loader_obj=shared_loader)
    action._execute_module = desk.execute_module
    action._shared_loader_obj = shared_loader  # ansible-core 2.19 takes the global loaders otherwise
    return action.run(task_vars={})


def modules(desk):
    return [name for name, _args in desk.executions]


def request(path=WIN_PATH, **extra):
    return dict({"path": path, "server": SERVER, "crash_reporter": CRASH}, **extra)


# -- Windows: check mode --------------------------------------------------------------------------------------
@pytest.mark.parametrize("diff", [False, True], ids=["plain", "diff"])
@pytest.mark.parametrize("content", [DRIFTED, COMPLIANT], ids=["drifted", "compliant"])
def test_windows_check_mode_is_one_slurp(content, diff):
    desk = Desk(content)
    result = run_task(desk, request(), check_mode=True, diff=diff)
    assert desk.executions == [("ansible.windows.slurp", {"src": WIN_PATH})]
    assert desk.win_copies == [] and desk.win_copy_gets == []
    assert desk.raw_contacts() == 0
    assert desk.content == content
    assert result["changed"] is (content is DRIFTED)


def test_windows_check_mode_of_a_missing_file_is_one_slurp():
    desk = Desk(content=None)
    result = run_task(desk, {"path": WIN_PATH, "server": SERVER, "when_missing": "create"}, check_mode=True)
    assert modules(desk) == ["ansible.windows.slurp"]
    assert desk.win_copies == [] and desk.raw_contacts() == 0
    assert result["changed"] is True and result["exists"] is False


# -- Windows: compliant desk, not check mode ------------------------------------------------------------------
def test_windows_compliant_desk_is_one_slurp():
    desk = Desk(COMPLIANT)
    result = run_task(desk, request(backup=True))
    assert desk.executions == [("ansible.windows.slurp", {"src": WIN_PATH})]
    assert desk.win_copies == [] and desk.raw_contacts() == 0
    assert result["changed"] is False and result["drift"] == []


@pytest.mark.parametrize("when_missing", ["skip", "fail"])
def test_windows_missing_file_without_create_is_one_slurp(when_missing):
    desk = Desk(content=None)
    run_task(desk, request(when_missing=when_missing))
    assert modules(desk) == ["ansible.windows.slurp"]
    assert desk.win_copies == [] and desk.raw_contacts() == 0


# -- Windows: a write -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("backup", [False, True])
def test_windows_write_is_slurp_win_stat_and_one_win_copy(backup):
    desk = Desk(DRIFTED)
    result = run_task(desk, request(backup=backup), diff=True)
    assert desk.executions == [
        ("ansible.windows.slurp", {"src": WIN_PATH}),
        ("ansible.windows.win_stat", {"path": WIN_PATH, "get_checksum": True, "checksum_algorithm": "sha1"}),
    ]
    assert [name for name, _c in desk.win_copy_gets] == ["ansible.windows.win_copy"]
    assert desk.win_copy_gets[0][1] is desk.connection, "win_copy reuses the task's connection"
    assert len(desk.win_copies) == 1
    args = desk.win_copies[0]["args"]
    assert set(args) == {"src", "dest", "backup"}
    assert args["dest"] == WIN_PATH and args["backup"] is backup
    assert not os.path.exists(args["src"]), "the controller-side temp file is removed after the copy"
    assert desk.win_copies[0]["data"] == COMPLIANT
    assert desk.raw_contacts() == 0
    assert result["changed"] is True and not result.get("failed")


def test_windows_create_is_slurp_win_stat_and_one_win_copy():
    desk = Desk(content=None)
    result = run_task(desk, {"path": WIN_PATH, "server": SERVER, "when_missing": "create", "backup": True})
    assert not result.get("failed"), result
    assert modules(desk) == ["ansible.windows.slurp", "ansible.windows.win_stat"]
    assert len(desk.win_copies) == 1 and desk.win_copies[0]["args"]["backup"] is False
    assert desk.raw_contacts() == 0


def test_windows_second_apply_is_one_slurp():
    desk = Desk(DRIFTED)
    run_task(desk, request())
    desk.executions.clear()
    run_task(desk, request())
    assert modules(desk) == ["ansible.windows.slurp"]
    assert len(desk.win_copies) == 1


def test_windows_conflict_stops_before_the_copy():
    desk = Desk(DRIFTED)
    original = desk.execute_module

    def someone_edits_in_between(module_name=None, **kwargs):
        if module_name == "ansible.windows.win_stat":
            desk.content = DRIFTED + b"\r\n"
        return original(module_name=module_name, **kwargs)

    desk.execute_module = someone_edits_in_between
    result = run_task(desk, request())
    assert modules(desk) == ["ansible.windows.slurp", "ansible.windows.win_stat"]
    assert desk.win_copies == [] and result["error_kind"] == "conflict"


def test_windows_invalid_settings_contact_no_desk():
    desk = Desk(DRIFTED)
    result = run_task(desk, request(server={"enabled": "yes", "url": URL}))
    assert result["failed"] is True and result["error_kind"] == "request"
    assert desk.executions == [] and desk.win_copies == [] and desk.raw_contacts() == 0


# -- POSIX: one execution of the module -------------------------------------------------------------------------
@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize("content", [DRIFTED, COMPLIANT], ids=["drifted", "compliant"])
def test_posix_is_one_module_execution(content, check_mode):
    desk = Desk(content, windows=False)
    run_task(desk, request(POSIX_PATH, backup=True), check_mode=check_mode)
    assert modules(desk) == ["ioconnect.fleet.system_json"]
    sent = desk.executions[0][1]
    assert sent["path"] == POSIX_PATH and sent["server"] == SERVER and sent["backup"] is True
    assert not {"validate_with", "validate_schema", "allow_plain_http"} & set(sent), "controller-only options stay"
    assert desk.win_copy_gets == [] and desk.raw_contacts() == 0


def vendor_like_schemas(folder):
    folder.mkdir()
    (folder / "system.json").write_text(json.dumps({"type": "object", "properties": {"server": {"type": "object"}}}))
    return str(folder)


def test_posix_validate_with_is_read_then_guarded_write(tmp_path):
    desk = Desk(DRIFTED, windows=False)
    run_task(desk, request(POSIX_PATH, validate_with=vendor_like_schemas(tmp_path / "schemas")))
    assert modules(desk) == ["ansible.builtin.slurp", "ioconnect.fleet.system_json"]
    assert desk.executions[0][1] == {"src": POSIX_PATH}
    assert desk.executions[1][1]["expected_checksum"] == hashlib.sha1(DRIFTED).hexdigest()
    assert desk.raw_contacts() == 0


@pytest.mark.parametrize("check_mode, content", [(True, DRIFTED), (False, COMPLIANT)], ids=["check", "compliant"])
def test_posix_validate_with_reads_once_when_nothing_is_written(tmp_path, check_mode, content):
    desk = Desk(content, windows=False)
    run_task(desk, request(POSIX_PATH, validate_with=vendor_like_schemas(tmp_path / "schemas")),
             check_mode=check_mode)
    assert modules(desk) == ["ansible.builtin.slurp"]


# -- validation: once per distinct settings value ------------------------------------------------------------------
def test_jsonschema_runs_once_per_distinct_settings_value(monkeypatch, local_tmp):
    constructed = []
    real = validation.jsonschema.Draft7Validator

    def counting_validator(schema, *args, **kwargs):
        constructed.append(schema)
        return real(schema, *args, **kwargs)

    monkeypatch.setattr(validation.jsonschema, "Draft7Validator", counting_validator)
    regions = ("emea", "amer", "apac")
    for index in range(12):
        url = "https://iomanager-%s.example.com/api" % regions[index % 3]
        desk = Desk(DRIFTED)
        run_task(desk, request(server={"enabled": True, "url": url}), check_mode=True)
        assert modules(desk) == ["ansible.windows.slurp"]
    assert len(constructed) == 3, "12 desks, 3 distinct settings values: 3 validations"
    markers = [n for n in os.listdir(local_tmp / "ioconnect-fleet-validated") if not n.startswith(".")]
    assert len(markers) == 3
