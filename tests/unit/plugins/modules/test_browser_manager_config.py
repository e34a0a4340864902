# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The browser_manager_config module, run in-process: the JSON it prints is what Ansible would receive."""

from __future__ import annotations

import contextlib
import json
import os
import stat

import pytest

from ansible.module_utils import basic
from ansible_collections.ioconnect.fleet.plugins.module_utils.browser_manager import config as bm
from ansible_collections.ioconnect.fleet.plugins.module_utils.browser_manager import args as bm_args
from ansible_collections.ioconnect.fleet.plugins.modules import browser_manager_config as module

PASSWORD = "Pa55-word-ZQX"
BEARER = "eyJ-bearer-QQQ"
HEADER_SECRET = "hdr-secret-WWW"


@contextlib.contextmanager
def _module_args(args: dict):
    try:
        from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19
    except ImportError:  # pragma: no cover - older cores
        from unittest import mock

        with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()):
            yield
        return
    with patch_module_args(args):
        yield


def run_module(capsys, **args) -> dict:
    args.setdefault("_ansible_remote_tmp", "/tmp")
    with _module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    out = capsys.readouterr().out
    return json.loads(out)


def basic_manager(password=PASSWORD, **extra):
    doc = {"url": "https://manager.example.com/api", "auth": {"basic": {"username": "app", "password": password}}}
    doc.update(extra)
    return doc


@pytest.fixture
def target(tmp_path):
    return str(tmp_path / "manager.json")


def test_creates_the_file_with_defaults(capsys, target):
    result = run_module(capsys, path=target, manager=basic_manager())
    assert result["changed"] is True and result["exists"] is False
    with open(target, encoding="utf-8") as handle:
        text = handle.read()
    doc = json.loads(text)
    assert doc["auth"]["basic"]["password"] == PASSWORD
    assert doc["fetchIntervalMS"] == 60000 and doc["tokenRefreshIntervalMS"] == 3600000
    assert doc["requests"] == {"timeout": 10000, "openSessionTimeout": 10000, "closeSessionTimeout": 10000}
    assert text == bm.render(bm.normalize(basic_manager())[0])
    assert result["manager"]["auth"]["basic"]["password"] == "********"
    assert PASSWORD not in json.dumps(result)


def test_second_run_is_unchanged(capsys, target):
    run_module(capsys, path=target, manager=basic_manager())
    mtime = os.stat(target).st_mtime_ns
    result = run_module(capsys, path=target, manager=basic_manager())
    assert result["changed"] is False
    assert "already holds" in result["msg"]
    assert os.stat(target).st_mtime_ns == mtime


def test_reformatted_file_is_rewritten(capsys, target):
    doc = bm.normalize(basic_manager())[0]
    with open(target, "w", encoding="utf-8") as handle:
        json.dump(doc, handle)  # same object, other bytes
    result = run_module(capsys, path=target, manager=basic_manager(), _ansible_diff=True)
    assert result["changed"] is True
    assert "re-rendered for display" in result["diff"]["before_header"]


def test_check_mode_writes_nothing(capsys, target):
    result = run_module(capsys, path=target, manager=basic_manager(), _ansible_check_mode=True, mode="0600")
    assert result["changed"] is True and "would be written" in result["msg"]
    assert not os.path.exists(target)


def test_check_mode_on_existing_file(capsys, target):
    run_module(capsys, path=target, manager=basic_manager())
    before = open(target, "rb").read()
    result = run_module(capsys, path=target, manager=basic_manager(fetchIntervalMS=1), _ansible_check_mode=True,
                        backup=True)
    assert result["changed"] is True and "backup_file" not in result
    assert open(target, "rb").read() == before
    assert os.listdir(os.path.dirname(target)) == ["manager.json"]


def test_diff_is_masked(capsys, target):
    result = run_module(capsys, path=target, manager=basic_manager(headers={"X-Api-Key": HEADER_SECRET}),
                        _ansible_diff=True)
    diff = result["diff"]
    assert diff["before"] == "" and diff["before_header"].endswith("(absent)")
    assert '"password": "********"' in diff["after"]
    assert '"X-Api-Key": "********"' in diff["after"]
    assert PASSWORD not in json.dumps(result) and HEADER_SECRET not in json.dumps(result)
    # An Authorization header of its own (a server without basic or token auth) is masked the same way.
    other = target + ".custom"
    result = run_module(capsys, path=other, manager={"url": "https://manager.example.com/api", "auth": {},
                                                     "headers": {"Authorization": HEADER_SECRET}}, _ansible_diff=True)
    assert '"Authorization": "********"' in result["diff"]["after"] and HEADER_SECRET not in json.dumps(result)


def test_authorization_header_beside_auth_is_refused_on_the_target(capsys, target):
    """The module checks again where it runs (the action plugin checks first, on the controller)."""
    result = run_module(capsys, path=target, manager=basic_manager(headers={"authorization": HEADER_SECRET}))
    assert result["failed"] is True and result["error_kind"] == "schema"
    assert result["errors"] == [
        "manager.headers.authorization: would replace the Authorization header that the platform builds from "
        "manager.auth.basic (it copies manager.headers over its auth headers, in any letter case); remove it from "
        "manager.headers and keep the value in manager.auth.basic"
    ]
    assert HEADER_SECRET not in json.dumps(result) and PASSWORD not in json.dumps(result)
    assert not os.path.exists(target)


def test_rotated_password_shows_as_changed(capsys, target):
    run_module(capsys, path=target, manager=basic_manager())
    result = run_module(capsys, path=target, manager=basic_manager(password="new-" + PASSWORD), _ansible_diff=True)
    assert result["changed"] is True
    assert '"password": "********"' in result["diff"]["before"]
    assert '"password": "******** (changed)"' in result["diff"]["after"]
    assert PASSWORD not in json.dumps(result)


def test_unreadable_previous_content_is_not_shown(capsys, target):
    with open(target, "w", encoding="utf-8") as handle:
        handle.write("window.cfg = {password: '%s'}\n" % PASSWORD)
    result = run_module(capsys, path=target, manager=basic_manager(password="other-pw-123"), _ansible_diff=True)
    assert "not shown" in result["diff"]["before"]
    assert PASSWORD not in json.dumps(result)


def test_invocation_hides_credentials(capsys, target):
    manager = {"url": "https://m.example.com/api", "auth": {"token": {"bearer": BEARER}},
               "headers": {"X-Api-Key": HEADER_SECRET}}
    result = run_module(capsys, path=target, manager=manager)
    text = json.dumps(result)
    assert BEARER not in text and HEADER_SECRET not in text
    assert result["invocation"]["module_args"]["manager"]["auth"]["token"]["bearer"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    with open(target, encoding="utf-8") as handle:
        assert json.load(handle)["auth"]["token"]["bearer"] == BEARER


def test_backup(capsys, target):
    run_module(capsys, path=target, manager=basic_manager())
    first = open(target, "rb").read()
    result = run_module(capsys, path=target, manager=basic_manager(fetchIntervalMS=30000), backup=True)
    assert result["changed"] is True
    assert open(result["backup_file"], "rb").read() == first
    assert json.loads(open(target, "rb").read())["fetchIntervalMS"] == 30000
    # unchanged: no new backup
    again = run_module(capsys, path=target, manager=basic_manager(fetchIntervalMS=30000), backup=True)
    assert again["changed"] is False and "backup_file" not in again


@pytest.mark.parametrize("export, marker", [("default", "export default {"), ("named", "export const manager = {")])
def test_esm(capsys, tmp_path, export, marker):
    path = str(tmp_path / "manager.js")
    result = run_module(capsys, path=path, manager=basic_manager(), format="esm", esm_export=export)
    assert result["changed"] is True and result["format"] == "esm"
    text = open(path, encoding="utf-8").read()
    assert marker in text and bm.parse(text)["auth"]["basic"]["password"] == PASSWORD
    assert run_module(capsys, path=path, manager=basic_manager(), format="esm", esm_export=export)["changed"] is False


def test_switching_format_rewrites(capsys, target):
    run_module(capsys, path=target, manager=basic_manager())
    result = run_module(capsys, path=target, manager=basic_manager(), format="esm", _ansible_diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"].startswith("{") and result["diff"]["after"].startswith("//")


def test_write_defaults_false(capsys, target):
    run_module(capsys, path=target, manager=basic_manager(), write_defaults=False)
    assert json.load(open(target, encoding="utf-8")) == basic_manager()


def test_mode_is_applied_and_idempotent(capsys, target):
    run_module(capsys, path=target, manager=basic_manager(), mode="0640")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert run_module(capsys, path=target, manager=basic_manager(), mode="0640")["changed"] is False
    result = run_module(capsys, path=target, manager=basic_manager(), mode="0600")
    assert result["changed"] is True and stat.S_IMODE(os.stat(target).st_mode) == 0o600


def test_missing_directory_fails_clearly(capsys, tmp_path):
    path = str(tmp_path / "nope" / "manager.json")
    result = run_module(capsys, path=path, manager=basic_manager())
    assert result["failed"] is True and result["error_kind"] == "missing"
    assert "does not exist" in result["msg"] and path in result["msg"]


def test_path_is_a_directory(capsys, tmp_path):
    result = run_module(capsys, path=str(tmp_path), manager=basic_manager())
    assert result["failed"] is True and result["error_kind"] == "io"


def test_module_validates_when_jsonschema_is_present(capsys, target):
    result = run_module(capsys, path=target, manager=basic_manager(password="", fetchIntervalMS=-1))
    assert result["failed"] is True and result["error_kind"] == "schema"
    assert result["errors"] == [
        "manager.auth.basic.password: must be a non-empty string",
        "manager.fetchIntervalMS: must be a positive integer (milliseconds, at least 1), got -1 "
        "(the platform reads 0 as its default, 60000 ms; leave the key out for the default)",
    ]
    assert target in result["msg"] and "nothing was written" in result["msg"]
    assert not os.path.exists(target)


def test_plain_http_policy(capsys, target):
    manager = {"url": "http://manager.example.com/api", "auth": {"username": "u"}}
    result = run_module(capsys, path=target, manager=manager)
    assert result["failed"] is True and "allow_plain_http" in result["msg"]
    assert run_module(capsys, path=target, manager=manager, allow_plain_http=True)["changed"] is True


def test_deprecated_keys_warn(capsys, target, monkeypatch):
    # Record warnings at the source: under pytest, ansible-core 2.19 may route them to the controller's display.
    seen = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, warning, **kw: seen.append(warning))
    result = run_module(capsys, path=target, manager=basic_manager(critical=True, responseTimeoutMS=5000))
    assert result["changed"] is True
    warnings = " ".join(seen)
    assert "manager.critical is deprecated" in warnings
    assert "manager.responseTimeoutMS is deprecated" in warnings
    doc = json.load(open(target, encoding="utf-8"))
    assert doc["critical"] is True and doc["responseTimeoutMS"] == 5000 and "timeout" not in doc["requests"]


def test_argument_spec_marks_credentials_no_log():
    auth = bm_args.manager_spec()["auth"]["options"]
    assert auth["basic"]["options"]["password"]["no_log"] is True
    assert auth["token"]["options"]["bearer"]["no_log"] is True


def test_documentation_matches_argument_spec():
    import yaml

    from ansible.plugins.loader import fragment_loader
    from ansible.utils.plugin_docs import get_docstring

    # As ansible-doc reads it: secret_keys comes from the ioconnect.fleet.secret_keys fragment.
    doc = get_docstring(module.__file__, fragment_loader, collection_name="ioconnect.fleet", is_module=True)[0]
    spec = bm_args.argument_spec()

    def compare(documented, specced, where):
        assert set(documented) == set(specced), where
        for name, entry in specced.items():
            assert documented[name]["type"] == entry.get("type", "str"), (where, name)
            if "options" in entry:
                compare(documented[name]["suboptions"], entry["options"], where + "." + name)

    # The file options (mode, owner...) are the ansible.builtin.files fragment's, taken by add_file_common_args.
    file_options = yaml.safe_load(fragment_loader.get("ansible.builtin.files").DOCUMENTATION)["options"]
    compare({k: v for k, v in doc["options"].items() if k not in file_options}, spec, "options")
    assert doc["version_added"] == "0.1.0"
    assert set(doc["attributes"]) >= {"check_mode", "diff_mode", "platform"}


def test_missing_directory_in_check_mode_reports_a_change(capsys, tmp_path):
    path = str(tmp_path / "nope" / "manager.json")
    result = run_module(capsys, path=path, manager=basic_manager(), _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] is True and "does not exist yet" in result["msg"]
    assert PASSWORD not in json.dumps(result) and '"password": "********"' in result["diff"]["after"]
    assert not os.path.exists(os.path.dirname(path))


def test_secret_keys_mask_a_firms_own_header_everywhere(capsys, target):
    firm = "sig-firm-RRR"
    manager = basic_manager(headers={"X-Desk-Signature": firm, "X-Client": "main-app"})
    result = run_module(capsys, path=target, manager=manager, secret_keys=["X-Desk-Signature"], _ansible_diff=True)
    text = json.dumps(result)
    assert firm not in text and PASSWORD not in text
    assert result["manager"]["headers"] == {"X-Client": "main-app", "X-Desk-Signature": "********"}
    assert '"X-Desk-Signature": "********"' in result["diff"]["after"]
    rotated_manager = basic_manager(headers={"X-Desk-Signature": firm + "2", "X-Client": "main-app"})
    rotated = run_module(capsys, path=target, manager=rotated_manager, secret_keys=["X-Desk-Signature"],
                         _ansible_diff=True)
    assert '"X-Desk-Signature": "******** (changed)"' in rotated["diff"]["after"]
    assert firm not in json.dumps(rotated)
    with open(target, encoding="utf-8") as handle:
        assert json.load(handle)["headers"]["X-Desk-Signature"] == firm + "2"
    without = run_module(capsys, path=target, manager=manager)
    assert without["manager"]["headers"]["X-Desk-Signature"] == firm, "the option is what hides it"


def test_a_secret_keys_name_that_would_hide_everything_is_refused(capsys, target):
    result = run_module(capsys, path=target, manager=basic_manager(), secret_keys=["  "])
    assert result["failed"] is True and "secret_keys[0]" in result["msg"]
    assert not os.path.exists(target)
