# -*- coding: utf-8 -*-
"""Merge semantics, app store modes, JSON pointer removal, drift and masking."""

from __future__ import annotations

import json

import pytest

from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.difference import compute_drift
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.engine import checksum, plan
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import (
    MASK,
    MASK_CHANGED,
    is_secret_key,
    mask_value,
    secret_values,
)
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.merge import (
    CRASH_REPORTER_DEFAULTS,
    document_kind,
    Request,
    apply_app_stores,
    apply_request,
    deep_merge,
    json_equal,
    path_identity,
    store_identity,
    url_identity,
)
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.pointer import format_pointer, parse_pointer

CRASH = {"companyName": "Acme", "productName": "io.Connect Desktop", "folderPath": "%IO_CD_USER_DATA_DIR%/crashes",
         "enabled": True, "output": {"type": "server", "serverUrl": "https://m/api/crashes"}}


def test_json_equal_is_type_strict_for_booleans_only():
    assert json_equal(1, 1.0)
    assert not json_equal(True, 1)
    assert not json_equal(False, 0)
    assert not json_equal(None, False)
    assert json_equal({"a": [1, {"b": True}]}, {"a": [1.0, {"b": True}]})
    assert not json_equal({"a": 1}, {"a": 1, "b": 2})
    assert not json_equal([1, 2], [2, 1])


def test_deep_merge_merges_mappings_and_replaces_the_rest():
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 1}
    out = deep_merge(base, {"a": {"y": [3], "z": {"k": 1}}, "c": None})
    assert out == {"a": {"x": 1, "y": [3], "z": {"k": 1}}, "b": 1, "c": None}
    assert list(out["a"]) == ["x", "y", "z"]
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 1}, "the input document is never modified"


def test_store_identity():
    assert store_identity({"type": "rest", "details": {"url": "https://a/api/"}}) == ("rest", "url", "https://a/api")
    assert store_identity({"type": "path", "details": {"path": "C:\\Apps\\"}}, windows=True) == \
        store_identity({"type": "path", "details": {"path": "c:\\apps"}}, windows=True)
    assert store_identity({"type": "server"}) == ("server",)


@pytest.mark.parametrize("desk, asked", [
    ("c:\\apps\\config", "C:\\Apps\\Config\\"),
    ("C:\\Apps\\Config", "c:/apps/config/"),
    ("%LOCALAPPDATA%\\Apps", "%localappdata%\\apps\\"),
    ("\\\\FileSrv\\Share\\Apps", "\\\\filesrv\\share\\apps\\"),
    ("C:\\", "c:/"),
])
def test_windows_paths_match_case_insensitively_with_either_trailing_separator(desk, asked):
    assert path_identity(desk, windows=True) == path_identity(asked, windows=True)


@pytest.mark.parametrize("desk, asked", [
    ("/opt/apps", "/opt/Apps"),  # POSIX file systems are case-sensitive: two folders
    ("C:\\", "C:"),  # the root of C: is not the current folder of C:
    ("c:\\apps", "c:\\apps2"),
])
def test_windows_and_posix_paths_that_are_other_folders(desk, asked):
    assert path_identity(desk, windows=True) != path_identity(asked, windows=True) or desk.startswith("/")
    assert path_identity(desk) != path_identity(asked)


def test_posix_paths_are_case_sensitive_and_ignore_only_a_trailing_slash():
    assert path_identity("/opt/apps/") == path_identity("/opt/apps") == "/opt/apps"
    assert path_identity("/opt/Apps") != path_identity("/opt/apps")
    assert path_identity("/") == "/"
    assert store_identity({"type": "path", "details": {"path": "./CONFIG/apps/"}}) != \
        store_identity({"type": "path", "details": {"path": "./config/apps"}})


@pytest.mark.parametrize("a, b", [
    ("https://apps.example.com/api", "HTTPS://Apps.Example.COM/api/"),
    ("https://apps.example.com/api", "https://apps.example.com:443/api"),
    ("http://apps.example.com/api", "http://APPS.example.com:80/api/"),
    ("https://apps.example.com", "https://apps.example.com/"),
    ("http://[::1]:8080/api", "http://[::1]:8080/api/"),
])
def test_urls_match_whatever_the_scheme_and_host_case_default_port_and_trailing_slash(a, b):
    assert url_identity(a) == url_identity(b)


@pytest.mark.parametrize("a, b", [
    ("https://apps.example.com/api", "https://apps.example.com/API"),  # paths are the server's business
    ("https://apps.example.com/api", "http://apps.example.com/api"),
    ("https://apps.example.com/api", "https://apps.example.com:8443/api"),
    ("http://apps.example.com:443/api", "http://apps.example.com/api"),  # 443 is https's default, not http's
    ("https://apps.example.com/api?x=1", "https://apps.example.com/api?x=2"),
])
def test_urls_of_other_stores_do_not_match(a, b):
    assert url_identity(a) != url_identity(b)


def test_present_on_windows_keeps_the_desks_spelling_so_a_spelling_is_never_drift():
    current = [{"type": "path", "details": {"path": "c:\\apps\\config"}, "isRequired": True},
               {"type": "rest", "details": {"url": "https://apps.example.com/api"}}]
    asked = [{"type": "path", "details": {"path": "C:\\Apps\\Config\\"}, "isRequired": True},
             {"type": "rest", "details": {"url": "HTTPS://APPS.example.com:443/api/"}}]
    assert apply_app_stores(current, asked, "present", windows=True) == current
    # A real change to a matched store is merged, and the desk's spelling of its path stays.
    asked[0]["isRequired"] = False
    merged = apply_app_stores(current, asked, "present", windows=True)
    assert merged[0] == {"type": "path", "details": {"path": "c:\\apps\\config"}, "isRequired": False}
    assert apply_app_stores(current, asked, "absent", windows=True) == []


def test_present_on_posix_tells_folders_apart_by_case():
    current = [{"type": "path", "details": {"path": "/opt/apps"}}]
    asked = [{"type": "path", "details": {"path": "/opt/Apps/"}}]
    assert apply_app_stores(current, asked, "present") == current + asked
    assert apply_app_stores(current, [{"type": "path", "details": {"path": "/opt/apps/"}}], "present") == current
    assert apply_app_stores(current, asked, "absent") == current


def test_plan_learns_the_platform():
    raw = (b'{\r\n  "region": "EMEA",\r\n  "appStores": [\r\n    {"type": "path", "details": {"path": '
           b'"c:\\\\apps\\\\config"}}\r\n  ]\r\n}\r\n')
    request = Request(app_stores=[{"type": "path", "details": {"path": "C:\\Apps\\Config\\"}}],
                      app_stores_mode="present")
    on_windows = plan(raw, request, "system.json", windows=True)
    assert on_windows.changed is False and on_windows.drift == [] and on_windows.new_bytes is None
    on_posix = plan(raw, request, "system.json")
    assert on_posix.changed is True and [e["pointer"] for e in on_posix.drift] == ["/appStores"]


def test_plan_takes_windows_only_by_keyword():
    with pytest.raises(TypeError):
        plan(b"{}", Request(), "system.json", "fail", "\n", True)  # pylint: disable=too-many-function-args


STORES = [{"type": "path", "details": {"path": "./config/apps"}, "isRequired": False},
          {"type": "rest", "details": {"url": "https://apps/api", "pollInterval": 60000}}]


def stores_after(mode, stores, current=tuple(STORES), windows=False):
    doc = {"appStores": list(current)} if current is not None else {}
    return apply_request(doc, Request(app_stores=stores, app_stores_mode=mode), windows=windows).get(
        "appStores", "missing")


def test_app_stores_replace():
    assert stores_after("replace", []) == []
    assert stores_after("replace", [{"type": "server"}]) == [{"type": "server"}]
    assert stores_after("replace", [{"type": "server"}], current=None) == [{"type": "server"}]


def test_app_stores_present_merges_in_place_and_appends():
    out = stores_after("present", [{"type": "rest", "details": {"url": "https://apps/api/", "auth": "negotiate"}},
                                   {"type": "server"}])
    # The matched store keeps the desk's spelling of its URL ("https://apps/api", asked "https://apps/api/").
    assert out == [STORES[0],
                   {"type": "rest", "details": {"url": "https://apps/api", "pollInterval": 60000,
                                                "auth": "negotiate"}},
                   {"type": "server"}]
    assert stores_after("present", [{"type": "server"}], current=None) == [{"type": "server"}]
    assert stores_after("present", STORES) == STORES


def test_app_stores_absent():
    assert stores_after("absent", [{"type": "path", "details": {"path": "./CONFIG/apps/"}}], windows=True) == \
        [STORES[1]]
    assert stores_after("absent", [{"type": "path", "details": {"path": "./config/apps/"}}]) == [STORES[1]]
    assert stores_after("absent", [{"type": "path", "details": {"path": "./CONFIG/apps/"}}]) == STORES, \
        "POSIX folders differ by case"
    assert stores_after("absent", [{"type": "server"}]) == STORES
    assert stores_after("absent", [{"type": "server"}], current=None) == "missing"


def test_app_stores_that_are_not_a_list_fail_clearly():
    with pytest.raises(FleetError, match="/appStores is dict in the file, not an array"):
        apply_request({"appStores": {"type": "path"}}, Request(app_stores=[], app_stores_mode="present"))


def test_pointers_round_trip_and_validate():
    assert parse_pointer("/a~1b/c~0d/0") == ["a/b", "c~d", "0"]
    assert format_pointer(["a/b", "c~d", "0"]) == "/a~1b/c~0d/0"
    for bad in ("server", "/a/~2"):
        with pytest.raises(FleetError):
            parse_pointer(bad)


def test_remove_by_pointer():
    doc = {"server": {"url": "u", "clientAuth": "negotiate"}, "appStores": [{"type": "a", "x": 1}, {"type": "b"}],
           "a/b": 1}
    assert apply_request(doc, Request(remove=["/server"])) == {"appStores": doc["appStores"], "a/b": 1}
    assert apply_request(doc, Request(remove=["/server/clientAuth", "/appStores/0/x", "/a~1b"])) == \
        {"server": {"url": "u"}, "appStores": [{"type": "a"}, {"type": "b"}]}
    assert apply_request(doc, Request(remove=["/nothing/here", "/appStores/9/x", "/appStores/x/y"])) == doc


def test_removing_an_array_element_by_index_is_refused():
    with pytest.raises(FleetError, match="not idempotent.*app_stores_mode: absent"):
        apply_request({"appStores": [{"type": "a"}]}, Request(remove=["/appStores/0"]))


@pytest.mark.parametrize("request_args, fragment", [
    (dict(server={"url": "u"}, remove=["/server"]), "/server would delete /server/url"),
    (dict(settings={"layouts": {"store": 1}}, remove=["/layouts/store"]), "/layouts/store"),
    (dict(app_stores=[], remove=["/appStores"]), "/appStores"),
    (dict(remove=[""]), "whole document"),
    (dict(settings={"server": {}}), "use the server option"),
    (dict(settings={"appStores": []}), "use the app_stores option"),
    (dict(app_stores=[{"details": {}}]), "app_stores[0]"),
    (dict(app_stores_mode="merge"), "app_stores_mode"),
])
def test_contradictory_requests_fail(request_args, fragment):
    with pytest.raises(FleetError) as info:
        Request(**request_args)
    assert fragment in str(info.value)


def test_server_needs_a_url_after_the_merge():
    with pytest.raises(FleetError, match="/server/url"):
        apply_request({}, Request(server={"enabled": True}))
    assert apply_request({"server": {"url": "u"}}, Request(server={"enabled": True}))["server"] == \
        {"url": "u", "enabled": True}


def test_a_new_crash_reporter_gets_the_vendor_defaults_under_what_the_task_asks():
    out = apply_request({}, Request(crash_reporter={"output": CRASH["output"]}))["crashReporter"]
    assert out == dict(CRASH_REPORTER_DEFAULTS, output=CRASH["output"])
    assert list(out) == ["enabled", "folderPath", "companyName", "productName", "output"]
    # What the task asks wins over the defaults, and users can give their own defaults.
    mine = apply_request({}, Request(crash_reporter={"output": CRASH["output"], "companyName": "Acme"},
                                     crash_reporter_defaults=dict(CRASH_REPORTER_DEFAULTS, productName="Desk")))
    assert mine["crashReporter"]["companyName"] == "Acme" and mine["crashReporter"]["productName"] == "Desk"
    # Without any defaults the vendor's rule still holds.
    with pytest.raises(FleetError, match="companyName, productName, folderPath, enabled"):
        apply_request({}, Request(crash_reporter={"output": CRASH["output"]}, crash_reporter_defaults={}))
    with pytest.raises(FleetError, match="crash_reporter_defaults"):
        Request(crash_reporter_defaults={"output": {"type": "local"}})
    existing = {"crashReporter": dict(CRASH, output={"type": "local"}, companyName="Tick42")}
    out = apply_request(existing, Request(crash_reporter={"output": CRASH["output"]}))
    assert out["crashReporter"] == dict(existing["crashReporter"], output=CRASH["output"])
    with pytest.raises(FleetError, match="serverUrl"):
        apply_request(existing, Request(crash_reporter={"output": {"type": "server"}}))


@pytest.mark.parametrize("path, kind", [
    ("system.json", "base"),
    ("C:\\Apps\\io\\config\\system-PROD-EMEA.json", "override"),
    ("/opt/io/config/System-uat-APAC.json", "override"),
    ("/opt/io/config/system-PROD.json", "base"),
    ("/opt/io/config/my-system.json", "base"),
])
def test_override_files_are_told_apart_by_their_name(path, kind):
    assert document_kind(path) == kind
    assert document_kind(path, "override") == "override" and document_kind(path, "base") == "base"


def test_an_override_file_holds_only_differences():
    # Created from nothing: no required keys, no vendor defaults, no server.url rule.
    request = Request(server={"enabled": True}, crash_reporter={"output": {"type": "server", "serverUrl": "u"}})
    override = apply_request({}, request, kind="override")
    assert override == {"server": {"enabled": True}, "crashReporter": {"output": {"type": "server", "serverUrl": "u"}}}
    # With its base known, the desktop's merged view must hold: the base gives server.url ...
    base = {"server": {"url": "https://m/api"}, "crashReporter": dict(CRASH, output={"type": "local"})}
    assert apply_request({}, Request(server={"enabled": True}), kind="override", base=base) == \
        {"server": {"enabled": True}}
    # ... and a merged view without it fails, naming the merged pointer.
    with pytest.raises(FleetError, match=r"/server/url in the desktop's merged view"):
        apply_request({}, Request(server={"enabled": True}), kind="override", base={"env": "X"})
    with pytest.raises(FleetError, match=r"/crashReporter/output/serverUrl in the desktop's merged view"):
        apply_request({}, Request(crash_reporter={"output": {"type": "server"}}), kind="override", base=base)


def test_drift_lists_pointers_with_ops():
    before = {"server": {"url": "a", "enabled": False}, "appStores": [1], "gone": 1}
    after = {"server": {"url": "b", "enabled": False, "clientAuth": "negotiate"}, "appStores": [1, 2]}
    assert compute_drift(before, after) == [
        {"pointer": "/server/url", "op": "replace", "before": "a", "after": "b"},
        {"pointer": "/server/clientAuth", "op": "add", "before": None, "after": "negotiate"},
        {"pointer": "/appStores", "op": "replace", "before": [1], "after": [1, 2]},
        {"pointer": "/gone", "op": "remove", "before": 1, "after": None},
    ]
    assert compute_drift(before, before) == []


@pytest.mark.parametrize("key", ["password", "Password", "clientSecret", "apiKey", "api_key", "bearer", "token",
                                 "accessToken", "client-secret", "Authorization", "privateKey"])
def test_secret_keys(key):
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["tokenRefreshInterval", "url", "auth", "username", "passwordPolicyUrl"])
def test_harmless_keys(key):
    assert not is_secret_key(key)


def test_masking_everywhere_values_are_reported():
    before = {"crashReporter": {"output": {"backTraceConfig": {"token": "old-tok", "url": "https://bt"}}},
              "proxy": {"url": "http://joe:hunter2@proxy:8080"}}
    after = {"crashReporter": {"output": {"backTraceConfig": {"token": "new-tok", "url": "https://bt"}}},
             "proxy": {"url": "http://joe:hunter2@proxy:8080"}, "auth": {"password": "p4ss", "user": "u"}}
    drift = compute_drift(before, after)
    assert drift == [
        {"pointer": "/crashReporter/output/backTraceConfig/token", "op": "replace", "before": MASK,
         "after": MASK_CHANGED},
        {"pointer": "/auth", "op": "add", "before": None, "after": {"password": MASK, "user": "u"}},
    ]
    raw = json.dumps(before, indent=2).encode()
    result = plan(raw, Request(crash_reporter=after["crashReporter"], settings={"auth": after["auth"]}), "s.json")
    texts = result.diff_before + result.diff_after
    for secret in ("old-tok", "new-tok", "p4ss", "hunter2"):
        assert secret not in texts
    assert MASK_CHANGED in texts
    assert mask_value("https://joe:hunter2@host/api") == "https://%s@host/api" % MASK
    assert secret_values(after) == {"new-tok", "joe:hunter2", "hunter2", "p4ss"}


def test_plan_reports_and_renders():
    raw = b'{\n    "region": "EMEA",\n    "server": {"url": "http://old/api"}\n}\n'
    request = Request(server={"url": "https://new/api", "enabled": True})
    result = plan(raw, request, "/d/system.json")
    assert result.changed and result.exists
    assert [e["pointer"] for e in result.drift] == ["/server/url", "/server/enabled"]
    assert result.original_checksum == checksum(raw)
    assert "/d/system.json updated: 2 setting(s) drifted" in result.msg
    assert result.result(diff_mode=True)["diff"]["before_header"] == "/d/system.json (before)"
    again = plan(result.new_bytes, request, "/d/system.json")
    assert not again.changed and again.new_bytes is None and again.drift == []
    assert "diff" not in again.result(diff_mode=True)


def test_plan_when_missing():
    request = Request(server={"url": "https://new/api"})
    skipped = plan(None, request, "/d/system.json", "skip")
    assert skipped.skipped and not skipped.changed and "not installed" in skipped.msg
    with pytest.raises(FleetError) as info:
        plan(None, request, "/d/system.json", "fail")
    assert info.value.kind == "missing" and "when_missing=skip" in str(info.value)
    created = plan(None, request, "/d/system.json", "create", newline="\r\n")
    assert created.changed and not created.exists
    assert created.new_bytes == b'{\r\n    "server": {\r\n        "url": "https://new/api"\r\n    }\r\n}\r\n'
    assert created.original_checksum == "absent"
