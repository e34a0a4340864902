# -*- coding: utf-8 -*-
"""Contract tests of system_json's Windows path: no Windows host, the boundary is mocked.

Modelled on ansible.windows' tests/unit/plugins/action tests: a Task and a connection whose shell says
_IS_WINDOWS, _execute_module replaced by a recorder that replays what slurp and win_stat return on a desk,
and the win_copy action replaced by a fake that records the task it was given and the bytes of its src.
"""

from __future__ import annotations

import base64
import hashlib
import json
import ntpath
import os
from unittest.mock import MagicMock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.playbook.task import Task
from ansible.plugins.loader import init_plugin_loader

from ansible_collections.ioconnect.fleet.plugins.action.system_json import ActionModule

PATH = r"%LOCALAPPDATA%\interop.io\io.Connect Desktop\Desktop\config\system.json"
ORIGINAL = (b"\xef\xbb\xbf{\r\n    \"region\": \"EMEA\",\r\n    \"env\": \"PROD\",\r\n    \"gw\": {\"port\": 8385},\r\n"
            b"    \"server\": {\r\n        \"enabled\": false,\r\n        \"url\": \"http://old:4356/api\"\r\n    }\r\n}\r\n")
SERVER = {"enabled": True, "url": "https://iomanager-emea.example.com/api"}


class Desk:
    """The desk's side of the boundary: one file, and the modules ansible-core would run there."""

    def __init__(self, content=ORIGINAL, changed_meanwhile=None):
        self.content = content
        self.changed_meanwhile = changed_meanwhile
        self.calls = []
        self.copies = []

    def execute_module(self, module_name=None, module_args=None, task_vars=None, **_kwargs):
        self.calls.append((module_name, dict(module_args)))
        if module_name == "ansible.windows.slurp":
            if self.content is None:
                return {"failed": True, "msg": "Path %s is not found" % module_args["src"]}
            return {"content": base64.b64encode(self.content).decode(), "encoding": "base64",
                    "source": module_args["src"]}
        if module_name == "ansible.windows.win_stat":
            content = self.changed_meanwhile if self.changed_meanwhile is not None else self.content
            if content is None:
                return {"stat": {"exists": False}}
            return {"stat": {"exists": True, "checksum": hashlib.sha1(content).hexdigest()}}
        raise AssertionError("unexpected module %s" % module_name)

    def win_copy_action(self, name, task=None, **_kwargs):
        assert name == "ansible.windows.win_copy"
        desk = self

        class FakeWinCopy:
            def run(self, task_vars=None):
                with open(task.args["src"], "rb") as handle:
                    data = handle.read()
                desk.copies.append({"args": dict(task.args), "diff": task.diff, "check_mode": task.check_mode,
                                    "data": data, "src_exists_during_run": os.path.exists(task.args["src"])})
                desk.content = data
                out = {"changed": True, "checksum": hashlib.sha1(data).hexdigest()}
                if task.args.get("backup"):
                    out["backup_file"] = task.args["dest"] + ".1234.20261124-101500.bak"
                return out
        return FakeWinCopy()


@pytest.fixture(scope="module", autouse=True)
def plugin_loader():
    init_plugin_loader()


def make_action(desk, args, check_mode=False, diff=False):
    task = MagicMock(Task)
    task.args = args
    task.check_mode = check_mode
    task.diff = diff
    task.async_val = 0
    copied = MagicMock(Task)
    copied.diff = diff
    copied.check_mode = check_mode
    task.copy.return_value = copied

    connection = MagicMock()
    connection._shell._IS_WINDOWS = True
    connection._shell.join_path = ntpath.join
    connection._shell.tmpdir = None

    shared_loader = MagicMock()
    shared_loader.action_loader.get.side_effect = desk.win_copy_action
    action = ActionModule(task, connection, MagicMock(), loader=MagicMock(), templar=None,
                          shared_loader_obj=shared_loader)
    action._execute_module = desk.execute_module
    # ansible-core 2.19 ignores the constructor argument and uses the global loaders: replace them on the instance.
    action._shared_loader_obj = shared_loader
    return action


def modules(desk):
    return [name for name, _args in desk.calls]


def test_check_mode_reads_once_and_never_writes():
    desk = Desk()
    result = make_action(desk, {"path": PATH, "server": SERVER}, check_mode=True, diff=True).run(task_vars={})
    assert modules(desk) == ["ansible.windows.slurp"]
    assert desk.calls[0][1] == {"src": PATH}
    assert desk.copies == [] and desk.content == ORIGINAL
    assert result["changed"] is True
    assert [d["pointer"] for d in result["drift"]] == ["/server/enabled", "/server/url"]
    assert "http://old:4356/api" in result["diff"]["before"]
    assert result["diff"]["after_header"] == PATH + " (after)"


def test_write_merges_on_the_controller_and_hands_exact_bytes_to_win_copy():
    desk = Desk()
    result = make_action(desk, {"path": PATH, "server": SERVER, "backup": True}).run(task_vars={})
    assert modules(desk) == ["ansible.windows.slurp", "ansible.windows.win_stat"]
    assert desk.calls[1][1] == {"path": PATH, "get_checksum": True, "checksum_algorithm": "sha1"}
    assert len(desk.copies) == 1
    copy = desk.copies[0]
    assert copy["args"]["dest"] == PATH and copy["args"]["backup"] is True
    assert set(copy["args"]) == {"src", "dest", "backup"}
    assert copy["diff"] is False, "win_copy's own diff would show unmasked content"
    assert copy["data"].startswith(b"\xef\xbb\xbf{\r\n"), "BOM and CRLF are kept"
    assert copy["data"] == ORIGINAL.replace(b"false", b"true").replace(
        b"http://old:4356/api", b"https://iomanager-emea.example.com/api")
    assert not os.path.exists(copy["args"]["src"]), "the local temp file is removed"
    assert result["changed"] is True and result["backup_file"].endswith(".bak")
    assert "failed" not in result or not result["failed"]


def test_second_run_is_one_read_and_no_write():
    desk = Desk()
    make_action(desk, {"path": PATH, "server": SERVER}).run(task_vars={})
    desk.calls.clear()
    result = make_action(desk, {"path": PATH, "server": SERVER}).run(task_vars={})
    assert modules(desk) == ["ansible.windows.slurp"]
    assert len(desk.copies) == 1
    assert result["changed"] is False and result["drift"] == []


def test_a_file_changed_between_read_and_write_is_not_overwritten():
    desk = Desk(changed_meanwhile=ORIGINAL + b" ")
    result = make_action(desk, {"path": PATH, "server": SERVER}).run(task_vars={})
    assert result["failed"] is True and result["error_kind"] == "conflict"
    assert "changed on the desk after it was read" in result["msg"]
    assert desk.copies == []


@pytest.mark.parametrize("when_missing, expect", [("skip", "skip"), ("fail", "missing"), ("create", "create")])
def test_missing_file(when_missing, expect):
    desk = Desk(content=None)
    result = make_action(desk, {"path": PATH, "server": SERVER, "when_missing": when_missing,
                                "backup": True}).run(task_vars={})
    if expect == "skip":
        assert result["changed"] is False and result["exists"] is False and "not installed" in result["msg"]
        assert desk.copies == []
    elif expect == "missing":
        assert result["failed"] is True and result["error_kind"] == "missing"
        assert desk.copies == []
    else:
        assert result["changed"] is True and result["exists"] is False
        assert desk.copies[0]["args"]["backup"] is False, "nothing to back up"
        assert json.loads(desk.copies[0]["data"]) == {"server": SERVER}
        assert b"\r\n" in desk.copies[0]["data"] and not desk.copies[0]["data"].startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("content, kind", [
    (b"{\"server\": {,}}", "parse"),
    (b"[1, 2]", "root"),
    ("{\"a\": 1}".encode("utf-16"), "encoding"),
    (b"{\"a\": 1, \"a\": 2}", "duplicate"),
])
def test_bad_files_are_reported_and_never_written(content, kind):
    desk = Desk(content=content)
    result = make_action(desk, {"path": PATH, "server": SERVER}).run(task_vars={})
    assert result["failed"] is True and result["error_kind"] == kind
    assert PATH in result["msg"]
    assert modules(desk) == ["ansible.windows.slurp"] and desk.copies == []


@pytest.mark.parametrize("args, fragment", [
    ({"server": {"enabled": "yes please", "url": "https://m/api"}}, "server.enabled: must be a boolean"),
    ({"server": {"url": "ftp://m/api"}}, "server.url: must be an http:// or https:// URL"),
    ({"server": {"url": "http://iomanager.corp:4356/api"}}, "plain http"),
    ({"server": {"url": "https://joe:pw@m/api"}}, "credentials inside the URL are refused"),
    ({"server": {"url": "https://m/api", "clientAut": "negotiate"}}, "'clientAut' was unexpected"),
    ({"crash_reporter": {"output": {"type": "cloud"}}}, "crash_reporter.output.type: must be one of"),
    ({"app_stores": [{"type": "rest", "details": {}}]}, "app_stores[0]"),
    ({"server": {"url": "https://m/api", "fetchInterval": -5}}, "server.fetchInterval: must be greater than 0"),
    ({"app_stores": [{"type": "rest", "details": {"url": "https://a/api", "pollInterval": 0}}]},
     "app_stores[0].details.pollInterval: must be greater than 0"),
    ({"server": {"url": "https://m/api", "startRetries": -1}}, "server.startRetries: must be at least 0"),
])
def test_bad_settings_fail_before_the_desk_is_read(args, fragment, tmp_path, monkeypatch):
    from ansible import constants as C
    monkeypatch.setattr(C, "DEFAULT_LOCAL_TMP", str(tmp_path))
    desk = Desk()
    result = make_action(desk, dict(args, path=PATH)).run(task_vars={})
    assert result["failed"] is True and result["error_kind"] == "request"
    assert fragment in result["msg"]
    assert "pw" not in result["msg"]
    assert desk.calls == [], "no desk is touched"


def test_plain_http_to_a_named_host_is_allowed_when_asked(tmp_path, monkeypatch):
    from ansible import constants as C
    monkeypatch.setattr(C, "DEFAULT_LOCAL_TMP", str(tmp_path))
    desk = Desk()
    result = make_action(desk, {"path": PATH, "server": {"url": "http://iomanager.corp:4356/api"},
                                "allow_plain_http": True}).run(task_vars={})
    assert result["changed"] is True


def test_unknown_option_fails_through_the_argument_spec():
    with pytest.raises(AnsibleActionFail, match="serverr"):
        make_action(Desk(), {"path": PATH, "serverr": SERVER}).run(task_vars={})


def test_validate_with_refuses_documents_the_schema_rejects(tmp_path):
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "system.json").write_text(json.dumps({
        "$schema": "http://json-schema.org/draft-06/schema#", "type": "object", "required": ["gw"],
        "properties": {"gw": {"$ref": "gw.json"}, "server": {"type": "object"}}}))
    (schemas / "gw.json").write_text(json.dumps({"type": "object", "properties": {"port": {"type": "string"}}}))
    desk = Desk()
    result = make_action(desk, {"path": PATH, "server": SERVER, "validate_with": str(schemas)}).run(task_vars={})
    assert result["failed"] is True and result["error_kind"] == "schema"
    assert "/gw/port: must be a string" in result["msg"]
    assert desk.copies == []


def test_secrets_never_reach_results():
    desk = Desk()
    result = make_action(desk, {"path": PATH, "server": SERVER, "settings": {"auth": {"password": "s3cr3t-pw"}}},
                         diff=True).run(task_vars={})
    assert "s3cr3t-pw" not in json.dumps(result)
    assert b"s3cr3t-pw" in desk.copies[0]["data"], "the desk gets the real value"


def test_app_store_identity_follows_windows_on_a_windows_desk():
    """c:\\apps\\config on the desk is the store C:\\Apps\\Config\\ asked for: no drift, no write, one read."""
    content = (b'{\r\n  "region": "EMEA",\r\n  "env": "PROD",\r\n  "gw": {},\r\n  "appStores": [\r\n'
               b'    {"type": "path", "details": {"path": "c:\\\\apps\\\\config"}},\r\n'
               b'    {"type": "rest", "details": {"url": "https://apps.example.com/api"}}\r\n  ]\r\n}\r\n')
    desk = Desk(content=content)
    asked = [{"type": "path", "details": {"path": "C:\\Apps\\Config\\"}},
             {"type": "rest", "details": {"url": "https://Apps.Example.com:443/api/"}}]
    result = make_action(desk, {"path": PATH, "app_stores": asked, "app_stores_mode": "present"}).run(task_vars={})
    assert not result.get("failed"), result
    assert result["changed"] is False and result["drift"] == []
    assert modules(desk) == ["ansible.windows.slurp"] and desk.copies == []


def test_the_windows_diff_is_the_desks_text_and_the_bytes_win_copy_writes():
    desk = Desk()
    result = make_action(desk, {"path": PATH, "server": SERVER}, diff=True).run(task_vars={})
    assert result["diff"]["before"] == ORIGINAL.decode("utf-8"), "BOM and CRLF included"
    assert result["diff"]["after"] == desk.copies[0]["data"].decode("utf-8")


def test_the_windows_path_masks_with_the_tasks_secret_keys():
    desk = Desk()
    result = make_action(desk, {"path": PATH, "server": SERVER, "secret_keys": ["deskPin"],
                                "settings": {"desk": {"deskPin": "pin-4711-x", "label": "Desk 7"}}},
                         diff=True).run(task_vars={})
    shown = json.dumps(result)
    assert "pin-4711-x" not in shown and "Desk 7" in shown
    assert desk.copies and b"pin-4711-x" in desk.copies[0]["data"], "the desk gets the value"


def test_bad_secret_keys_fail_before_the_desk_is_read(tmp_path, monkeypatch):
    from ansible import constants as C
    monkeypatch.setattr(C, "DEFAULT_LOCAL_TMP", str(tmp_path))
    desk = Desk()
    result = make_action(desk, {"path": PATH, "server": SERVER, "secret_keys": ["ok", ""]}).run(task_vars={})
    assert result["failed"] is True and result["error_kind"] == "request"
    assert "secret_keys[1]" in result["msg"]
    assert desk.calls == []
