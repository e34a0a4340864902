# -*- coding: utf-8 -*-
"""End to end against the real library: every file browser_manager_config writes is handed to IOBrowserPlatform()
of @interopio/browser-platform 4.4.0 in headless Chromium, and the library's own config decoder must accept it.

There is no licence key here, so a configuration the decoder accepts ends in the platform's licence error, which
is raised after the decoder (Platform.processConfig, then PlatformController.start -> verifyLicense). The two are
told apart by the error: the decoder throws {kind: "DecoderError", at: "input.manager...", message}, the licence
check an Error with browser_platform.LICENCE_ERROR.

Control cases, written by the test itself (bypassing the module), prove that the decoder does run on `manager`
and that the page tells a refusal from an acceptance: each must be refused by the decoder at the expected path,
and by our validation too, naming the same field. "Premise" cases document the rules that are ours only: the
decoder accepts them, the module refuses them (see plugins/module_utils/browser_manager/config.py for the
library code behind each rule).
"""

from __future__ import annotations

import os

import pytest

import browser_platform as bp
from ansible_collections.ioconnect.fleet.plugins.module_utils.browser_manager import config as bm
from playbook_runner import run_tasks

MODULE = "ioconnect.fleet.browser_manager_config"
URL = "https://manager-emea.example.com/api"
PASSWORD = "E2e-Pw-4Hk9-qq"
BEARER = "e2e-bearer-8Lm3-rr"
BASIC = {"basic": {"username": "main-app", "password": PASSWORD}}
MAX = bm.MAX_TIMER_MS

# name (the file under /files/), module options besides path and manager, manager
WRITTEN = [
    ("basic.json", {}, {"url": URL, "auth": BASIC, "headers": {"X-Client": "main-app"}}),
    ("token-every-key.json", {}, {
        "url": URL,
        "auth": {"token": {"bearer": BEARER}, "includeCredentials": True},
        "headers": {"X-Api-Key": "key-1", "Proxy-Authorization": "Basic eDp5"},
        "fetchIntervalMS": 1,
        "tokenRefreshIntervalMS": MAX,
        "requests": {"timeout": 0, "openSessionTimeout": 0, "closeSessionTimeout": MAX},
        "cache": {"enabled": False, "clearOld": True},
        "features": {"applicationsStore": True, "layoutsStore": False, "preferencesStore": True},
        "critical": False,
        "responseTimeoutMS": 5000,
    }),
    ("username-only-given.json", {"write_defaults": False},
     {"url": "http://127.0.0.1:4356/api", "auth": {"username": "zoë.müller"}}),
    ("no-auth-own-authorization.json", {},
     {"url": "https://manager.example.com:8443/api", "auth": {}, "headers": {"Authorization": "Negotiate abc"},
      "fetchIntervalMS": 120000}),
    ("basic-default.js", {"format": "esm"}, {"url": URL, "auth": BASIC, "requests": {"timeout": 15000}}),
    ("token-named.js", {"format": "esm", "esm_export": "named"},
     {"url": URL, "auth": {"token": {"bearer": BEARER}}, "cache": {"clearOld": True}}),
    ("empty-auth-named-only-given.js", {"format": "esm", "esm_export": "named", "write_defaults": False},
     {"url": "http://localhost:4356/api", "auth": {}}),
]

# name, format (json | esm default | esm named), manager, the decoder's path and message, our error's start
CONTROLS = [
    ("empty-password.json", "json", {"url": URL, "auth": {"basic": {"username": "main-app", "password": ""}}},
     "input.manager.auth.basic.password", "Expected a non-empty string",
     "manager.auth.basic.password: must be a non-empty string"),
    ("negative-interval.json", "json", {"url": URL, "auth": {}, "fetchIntervalMS": -1},
     "input.manager.fetchIntervalMS", "Expected a non-negative number",
     "manager.fetchIntervalMS: must be a positive integer"),
    ("no-auth.json", "json", {"url": URL},
     "input.manager", "the key 'auth' is required but was not present", "manager.auth: is required"),
    ("empty-url.json", "json", {"url": "", "auth": {}},
     "input.manager.url", "Expected a non-empty string", "manager.url: must be a non-empty string"),
    ("quoted-timeout.json", "json", {"url": URL, "auth": {}, "requests": {"timeout": "10000"}},
     "input.manager.requests.timeout", "expected a number, got a string",
     "manager.requests.timeout: must be a non-negative integer (milliseconds), got string"),
    ("quoted-feature.js", "default", {"url": URL, "auth": {}, "features": {"layoutsStore": "no"}},
     "input.manager.features.layoutsStore", "expected a boolean, got a string",
     "manager.features.layoutsStore: must be true or false, got string"),
    ("empty-bearer.js", "named", {"url": URL, "auth": {"token": {"bearer": ""}}},
     "input.manager.auth.token.bearer", "Expected a non-empty string",
     "manager.auth.token.bearer: must be a non-empty string"),
]

# name, manager, our error's start: accepted by the decoder, refused by the module (rules of ours)
PREMISES = [
    ("zero-interval.json", {"url": URL, "auth": {}, "fetchIntervalMS": 0, "tokenRefreshIntervalMS": 0},
     "manager.fetchIntervalMS: must be a positive integer (milliseconds, at least 1), got 0"),
    ("authorization-beside-basic.json", {"url": URL, "auth": BASIC, "headers": {"authorization": "Bearer x"}},
     "manager.headers.authorization: would replace the Authorization header"),
]


def _render(manager, kind):
    if kind == "json":
        return bm.render(manager, "json")
    return bm.render(manager, "esm", kind)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """Write every file (the module's in one playbook run, the others directly), open each in Chromium."""
    root = bp.webroot(tmp_path_factory.mktemp("platform") / "webroot")
    files = os.path.join(root, "files")
    os.makedirs(files)
    work = tmp_path_factory.mktemp("playbook")
    tasks = [{"name": name, MODULE: dict(path=os.path.join(files, name), manager=manager, **options)}
             for name, options, manager in WRITTEN]
    run = run_tasks(tasks, work)
    assert run.rc == 0, (run.stdout + run.stderr)[-4000:]
    assert all(run.result(name)["changed"] for name, _o, _m in WRITTEN)

    for name, kind, manager, *_rest in CONTROLS:
        with open(os.path.join(files, name), "w", encoding="utf-8") as handle:
            handle.write(_render(manager, kind))
    for name, manager, _error in PREMISES:
        with open(os.path.join(files, name), "w", encoding="utf-8") as handle:
            handle.write(_render(manager, "json"))

    names = [w[0] for w in WRITTEN] + [c[0] for c in CONTROLS] + [p[0] for p in PREMISES]
    with bp.serve(root) as (base, requested):
        results = bp.open_pages(["%s/?config=/files/%s" % (base, name) for name in names],
                                str(tmp_path_factory.mktemp("profiles")))
        served = set(requested)
    out = {}
    for name, result in zip(names, results):
        with open(os.path.join(files, name), encoding="utf-8") as handle:
            result["file"] = handle.read()
        out[name] = result
    assert "/lib/browser.platform.es.js" in served and all("/files/" + n in served for n in names), served
    return out


def _loaded(result, name):
    """The page ran to the end and saw exactly the object the file holds."""
    assert result.get("status") == "done", (name, {k: v for k, v in result.items() if k != "dom"})
    assert result["digest"] == bp.digest(bm.parse(result["file"])), name
    return result["platform"]


@pytest.mark.parametrize("name", [w[0] for w in WRITTEN])
def test_the_decoder_accepts_what_the_module_writes(pages, name):
    result = pages[name]
    platform = _loaded(result, name)
    assert platform == {"settled": "rejected", "name": "Error", "message": bp.LICENCE_ERROR}, (name, platform)
    if name.endswith(".js"):
        named = dict((w[0], w[1]) for w in WRITTEN)[name].get("esm_export") == "named"
        assert result["exports"] == (["default", "manager"] if named else ["default"])
        assert result["sameNamed"] is (True if named else None)
    assert PASSWORD not in result["dom"] and BEARER not in result["dom"]
    # What was written is what the module validated: read back, it passes our own validation too.
    assert bm.validate(bm.parse(result["file"]), use_jsonschema=True)[0] == []


@pytest.mark.parametrize("case", CONTROLS, ids=[c[0] for c in CONTROLS])
def test_the_decoder_refuses_the_control_cases(pages, case):
    name, _kind, manager, at, message, ours = case
    platform = _loaded(pages[name], name)
    assert platform["settled"] == "rejected" and platform["message"] != bp.LICENCE_ERROR, (name, platform)
    assert (platform.get("kind"), platform.get("at"), platform["message"]) == ("DecoderError", at, message)
    errors, _warnings = bm.validate(manager, use_jsonschema=True)
    assert [e for e in errors if e.startswith(ours)], (name, errors)


@pytest.mark.parametrize("case", PREMISES, ids=[p[0] for p in PREMISES])
def test_rules_of_our_own_refuse_what_the_decoder_lets_through(pages, case):
    name, manager, ours = case
    platform = _loaded(pages[name], name)
    assert platform == {"settled": "rejected", "name": "Error", "message": bp.LICENCE_ERROR}, (name, platform)
    errors, _warnings = bm.validate(manager, use_jsonschema=True)
    assert [e for e in errors if e.startswith(ours)], (name, errors)
