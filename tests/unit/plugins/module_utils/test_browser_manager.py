# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of the io.Connect Browser manager object: validation messages, defaults, rendering, masking."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.ioconnect.fleet.plugins.module_utils.browser_manager import config as bm
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import MASK, MASK_CHANGED

URL = "https://manager.example.com/api"
BASIC = {"basic": {"username": "app", "password": "pw-Secret-1"}}


def ok(**extra):
    doc = {"url": URL, "auth": BASIC}
    doc.update(extra)
    return doc


def errors_of(manager, **kw):
    errors, _warnings = bm.validate(manager, use_jsonschema=True, **kw)
    return errors


# -- validation ---------------------------------------------------------------------------------------------

def test_valid_minimal_objects():
    for auth in (BASIC, {"token": {"bearer": "t"}}, {"username": "alice"}, {}, {"includeCredentials": True}):
        assert errors_of({"url": URL, "auth": auth}) == []


def test_full_object_is_valid():
    manager = ok(
        headers={"X-Client": "main", "X-Api-Key": "k", "Proxy-Authorization": "Basic eA=="},
        fetchIntervalMS=1,
        tokenRefreshIntervalMS=bm.MAX_TIMER_MS,
        requests={"timeout": 0, "openSessionTimeout": 2, "closeSessionTimeout": 3},
        cache={"enabled": False, "clearOld": True},
        features={"applicationsStore": True, "layoutsStore": False, "preferencesStore": True},
        critical=False,
        responseTimeoutMS=5,
    )
    assert errors_of(manager) == []


@pytest.mark.parametrize(
    "manager, expected",
    [
        ({"auth": BASIC}, ["manager.url: is required"]),
        ({"url": URL}, ["manager.auth: is required"]),
        ({}, ["manager.auth: is required", "manager.url: is required"]),
        ({"url": "", "auth": {}}, ["manager.url: must be a non-empty string"]),
        (
            {"url": URL, "auth": {"basic": {"username": "u", "password": "p"}, "token": {"bearer": "t"}}},
            ["manager.auth: holds more than one authentication method (basic, token); "
             "keep exactly one of basic, token or username"],
        ),
        (
            {"url": URL, "auth": {"basic": {"username": "u", "password": "p"}, "username": "u"}},
            ["manager.auth: holds more than one authentication method (basic, username); "
             "keep exactly one of basic, token or username"],
        ),
        ({"url": URL, "auth": {"basic": {"username": "u", "password": ""}}},
         ["manager.auth.basic.password: must be a non-empty string"]),
        ({"url": URL, "auth": {"basic": {"username": "", "password": "p"}}},
         ["manager.auth.basic.username: must be a non-empty string"]),
        ({"url": URL, "auth": {"basic": {"username": "u"}}}, ["manager.auth.basic.password: is required"]),
        ({"url": URL, "auth": {"token": {}}}, ["manager.auth.token.bearer: is required"]),
        ({"url": URL, "auth": {"token": {"bearer": ""}}}, ["manager.auth.token.bearer: must be a non-empty string"]),
        ({"url": URL, "auth": {"basic": {"username": "u", "password": 1234}}},
         ["manager.auth.basic.password: must be a string, got number (quote it in YAML)"]),
        ({"url": URL, "auth": "basic"}, ["manager.auth: must be a mapping, got string"]),
        (ok(fetchIntervalMS=-1),
         ["manager.fetchIntervalMS: must be a positive integer (milliseconds, at least 1), got -1 "
          "(the platform reads 0 as its default, 60000 ms; leave the key out for the default)"]),
        (ok(fetchIntervalMS=0),
         ["manager.fetchIntervalMS: must be a positive integer (milliseconds, at least 1), got 0 "
          "(the platform reads 0 as its default, 60000 ms; leave the key out for the default)"]),
        (ok(tokenRefreshIntervalMS=-5),
         ["manager.tokenRefreshIntervalMS: must be a positive integer (milliseconds, at least 1), got -5 "
          "(the platform reads 0 as its default, 3600000 ms; leave the key out for the default)"]),
        (ok(tokenRefreshIntervalMS=0),
         ["manager.tokenRefreshIntervalMS: must be a positive integer (milliseconds, at least 1), got 0 "
          "(the platform reads 0 as its default, 3600000 ms; leave the key out for the default)"]),
        (ok(requests={"openSessionTimeout": -1}),
         ["manager.requests.openSessionTimeout: must be a non-negative integer (milliseconds), got -1"]),
        (ok(responseTimeoutMS=-1), ["manager.responseTimeoutMS: must be a non-negative integer (milliseconds), got -1"]),
        (ok(fetchIntervalMS="60000"),
         ["manager.fetchIntervalMS: must be a positive integer (milliseconds), got string "
          "(write a number, not a quoted string)"]),
        (ok(fetchIntervalMS=1.5), ["manager.fetchIntervalMS: must be a positive integer (milliseconds), got number"]),
        (ok(fetchIntervalMS=True), ["manager.fetchIntervalMS: must be a positive integer (milliseconds), got boolean"]),
        (ok(requests={"timeout": "10000"}),
         ["manager.requests.timeout: must be a non-negative integer (milliseconds), got string "
          "(write a number, not a quoted string)"]),
        (ok(critical="yes"), ["manager.critical: must be true or false, got string"]),
        (ok(cache={"enabled": "no"}), ["manager.cache.enabled: must be true or false, got string"]),
        (ok(headers={"X-A": 1}), ["manager.headers.X-A: must be a string, got number (quote it in YAML)"]),
        (ok(headers={"X-A": "a\r\nEvil: 1"}), ["manager.headers.X-A: must not contain line breaks"]),
    ],
)
def test_invalid_objects_name_the_field(manager, expected):
    assert errors_of(manager) == expected


def test_timer_upper_bound():
    (message,) = errors_of(ok(fetchIntervalMS=2**31))
    assert message.startswith("manager.fetchIntervalMS: must be at most 2147483647 ms")
    assert errors_of(ok(fetchIntervalMS=2**31 - 1)) == []


def test_zero_is_refused_for_intervals_and_kept_for_timeouts():
    """The platform reads the intervals with `||` (0 becomes its default) and the timeouts with `??` (0 reaches
    XMLHttpRequest.timeout, where it means no timeout): 0 is refused where it would be ignored, nowhere else."""
    for key in bm.INTERVALS:
        assert errors_of(ok(**{key: 0})) and errors_of(ok(**{key: 1})) == []
    zero_timeouts = ok(requests={"timeout": 0, "openSessionTimeout": 0, "closeSessionTimeout": 0})
    assert errors_of(zero_timeouts) == []
    assert errors_of(ok(responseTimeoutMS=0)) == []
    for timeout in ("timeout", "openSessionTimeout", "closeSessionTimeout"):
        assert errors_of(ok(requests={timeout: -1})), timeout


# -- headers the platform sets itself -----------------------------------------------------------------------

TOKEN = {"token": {"bearer": "tok-Secret-2"}}


@pytest.mark.parametrize("auth, method", [(BASIC, "basic"), (TOKEN, "token")])
@pytest.mark.parametrize("name", ["Authorization", "authorization", "AUTHORIZATION", "AuThOrIzAtIoN"])
def test_authorization_header_beside_basic_or_token_is_refused(auth, method, name):
    secret = "Bearer hdr-Secret-3"
    for use_jsonschema in (True, False):  # the rule is ours and pure Python: it runs on targets without jsonschema
        errors, _warnings = bm.validate({"url": URL, "auth": auth, "headers": {name: secret, "X-Client": "a"}},
                                        use_jsonschema=use_jsonschema)
        assert errors == [
            "manager.headers.%s: would replace the Authorization header that the platform builds from "
            "manager.auth.%s (it copies manager.headers over its auth headers, in any letter case); remove it from "
            "manager.headers and keep the value in manager.auth.%s" % (name, method, method)
        ]
        assert "hdr-Secret-3" not in " ".join(errors)


@pytest.mark.parametrize("name", ["user", "User", "USER"])
def test_user_header_beside_auth_username_is_refused(name):
    (message,) = errors_of({"url": URL, "auth": {"username": "alice"}, "headers": {name: "bob"}})
    assert message.startswith("manager.headers.%s: would replace the user header that the platform builds from "
                              "manager.auth.username" % name)


@pytest.mark.parametrize("name", ["serverx-token", "Serverx-Token"])
@pytest.mark.parametrize("auth", [{}, BASIC, {"username": "alice"}])
def test_session_token_header_is_refused(name, auth):
    (message,) = errors_of({"url": URL, "auth": auth, "headers": {name: "sess-Secret-4"}})
    assert message == ("manager.headers.%s: is the io.Manager session token header, which the platform sets itself "
                       "once a session is open; remove it from manager.headers" % name)


@pytest.mark.parametrize(
    "auth, headers",
    [
        # Nothing from auth to replace: the library sends Authorization only for basic or token.
        ({}, {"Authorization": "Negotiate abc"}),
        ({"username": "alice"}, {"Authorization": "Custom abc"}),
        ({"includeCredentials": True}, {"authorization": "Custom abc"}),
        # `user` is set only for auth.username.
        (BASIC, {"user": "alice"}),
        (TOKEN, {"User": "alice"}),
        # The library never sets Proxy-Authorization from auth.
        (BASIC, {"Proxy-Authorization": "Basic eA=="}),
        (TOKEN, {"X-Authorization": "x", "Authorization-Id": "y"}),
    ],
)
def test_headers_that_replace_nothing_are_accepted(auth, headers):
    assert errors_of({"url": URL, "auth": auth, "headers": headers}) == []


def test_same_header_twice_in_another_case_is_refused():
    (message,) = errors_of(ok(headers={"X-Client": "a", "x-client": "b"}))
    assert message == ("manager.headers: 'X-Client' and 'x-client' name the same header (HTTP header names are "
                       "case-insensitive) and the platform would send only one of them; keep one")


def test_header_rule_leaves_bad_shapes_to_the_schema():
    assert bm.header_errors({"url": URL, "auth": BASIC, "headers": ["Authorization"]}) == []
    assert bm.header_errors({"url": URL, "auth": "basic", "headers": {"Authorization": "x"}}) == []
    assert bm.header_errors("not a mapping") == []


def test_unknown_keys_are_refused_with_the_known_ones():
    (message,) = errors_of(ok(fetchIntervalMs=1000))
    assert message.startswith("manager.fetchIntervalMs: is not a setting of manager (known: auth, cache, critical,")
    assert "keys are case-sensitive" in message
    (message,) = errors_of(ok(requests={"timeoutMS": 1}))
    assert message.startswith("manager.requests.timeoutMS: is not a setting of manager.requests (known: ")


def test_header_names_are_checked():
    (message,) = errors_of(ok(headers={"bad name": "x"}))
    assert message.startswith("manager.headers: 'bad name' is not a valid HTTP header name")


def test_not_a_mapping():
    errors, warnings = bm.validate(["url"], use_jsonschema=True)
    assert errors == ["manager: must be a mapping with at least url and auth, got list"]
    assert warnings == []


def test_error_messages_never_echo_secrets():
    manager = {"url": "https://user:pw-in-url@host/api",
               "auth": {"basic": {"username": "u", "password": 987654}, "token": {"bearer": "bearer-xyz"}}}
    text = " ".join(errors_of(manager))
    for secret in ("pw-in-url", "987654", "bearer-xyz"):
        assert secret not in text


# -- URL policy ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "url",
    ["https://m.example.com/api", "https://m.example.com:8443/api", "http://127.0.0.1:4356/api",
     "http://localhost:4356/api", "http://[::1]:4356/api", "http://127.8.9.10/api", "HTTPS://M.EXAMPLE.COM/api",
     "http://app.localhost/api"],
)
def test_url_accepted(url):
    assert bm.url_errors(url) == []


@pytest.mark.parametrize(
    "url, start",
    [
        ("ftp://m.example.com/api", "manager.url: must be an absolute http:// or https:// URL"),
        ("/api", "manager.url: must be an absolute http:// or https:// URL"),
        ("manager.example.com/api", "manager.url: must be an absolute http:// or https:// URL"),
        ("https://u:p@m.example.com/api", "manager.url: must not carry credentials"),
        ("https://u@m.example.com/api", "manager.url: must not carry credentials"),
        ("http://m.example.com/api", "manager.url: plain http:// to a non-loopback host (m.example.com)"),
        ("http://10.1.2.3/api", "manager.url: plain http:// to a non-loopback host (10.1.2.3)"),
        ("https:///api", "manager.url: has no host"),
        ("https://m.example.com:99999/api", "manager.url: is not a valid URL"),
        ("https://m.example.com/a pi", "manager.url: must not contain whitespace"),
        (" https://m.example.com/api", "manager.url: must not contain whitespace"),
    ],
)
def test_url_refused(url, start):
    (message,) = bm.url_errors(url)
    assert message.startswith(start), message


def test_url_credentials_are_masked_in_the_message():
    (message,) = bm.url_errors("https://u:hunter2@m.example.com/api")
    assert "hunter2" not in message and "********" in message


def test_allow_plain_http():
    assert bm.url_errors("http://m.example.com/api", allow_plain_http=True) == []
    # credentials in the URL stay refused
    assert bm.url_errors("http://u:p@m.example.com/api", allow_plain_http=True)


# -- deprecations --------------------------------------------------------------------------------------------

def test_deprecated_keys_are_accepted_with_a_warning():
    errors, warnings = bm.validate(ok(critical=True, responseTimeoutMS=5000), use_jsonschema=True)
    assert errors == []
    assert len(warnings) == 2
    assert "manager.critical is deprecated" in warnings[0]
    assert "use manager.requests.timeout instead" in warnings[1]


def test_without_jsonschema_only_the_url_policy_runs():
    errors = bm.validate({"url": "http://m.example.com", "auth": {"token": {}}}, use_jsonschema=False)[0]
    assert errors == [
        "manager.url: plain http:// to a non-loopback host (m.example.com) sends credentials and tokens in clear "
        "text; use https:// or set allow_plain_http: true"
    ]


# -- defaults and rendering ----------------------------------------------------------------------------------

def test_defaults_are_written_for_missing_keys_only():
    doc, applied = bm.normalize(ok(fetchIntervalMS=1000, requests={"timeout": 5}))
    assert doc["fetchIntervalMS"] == 1000
    assert doc["tokenRefreshIntervalMS"] == 3600000
    assert doc["requests"] == {"timeout": 5, "openSessionTimeout": 10000, "closeSessionTimeout": 10000}
    assert applied == ["manager.tokenRefreshIntervalMS", "manager.requests.openSessionTimeout",
                       "manager.requests.closeSessionTimeout"]
    assert "critical" not in doc and "cache" not in doc and "features" not in doc


def test_no_defaults_when_disabled():
    doc, applied = bm.normalize(ok(), write_defaults=False)
    assert doc == ok() and applied == []


def test_response_timeout_suppresses_the_requests_timeout_default():
    doc, applied = bm.normalize(ok(responseTimeoutMS=2000))
    assert "timeout" not in doc["requests"]
    assert "manager.requests.timeout" not in applied


def test_none_values_dropped_and_integral_floats_made_int():
    given = {"url": URL, "auth": {"username": "u", "basic": None}, "fetchIntervalMS": 60000.0, "cache": None}
    doc = bm.normalize(given, write_defaults=False)[0]
    assert doc == {"url": URL, "auth": {"username": "u"}, "fetchIntervalMS": 60000}
    assert isinstance(doc["fetchIntervalMS"], int)


def test_key_order_is_canonical():
    scrambled = {"features": {"preferencesStore": True, "applicationsStore": True}, "fetchIntervalMS": 1,
                 "headers": {"b": "2", "A": "1"}, "auth": {"basic": {"password": "p", "username": "u"}}, "url": URL}
    doc = bm.normalize(scrambled, write_defaults=False)[0]
    assert list(doc) == ["url", "auth", "headers", "fetchIntervalMS", "features"]
    assert list(doc["auth"]["basic"]) == ["username", "password"]
    assert list(doc["headers"]) == ["A", "b"]
    assert list(doc["features"]) == ["applicationsStore", "preferencesStore"]


def test_render_json_exact_bytes():
    doc = bm.normalize({"url": URL, "auth": {"username": "ü"}}, write_defaults=False)[0]
    assert bm.render(doc, "json") == '{\n  "url": "%s",\n  "auth": {\n    "username": "ü"\n  }\n}\n' % URL


def test_render_esm_default_and_named():
    doc = {"url": URL, "auth": {}}
    default = bm.render(doc, "esm", "default")
    assert default.startswith(bm.ESM_HEADER)
    assert default.endswith('export default {\n  "url": "%s",\n  "auth": {}\n};\n' % URL)
    named = bm.render(doc, "esm", "named")
    assert 'export const manager = {\n' in named and named.endswith("};\nexport default manager;\n")


def test_render_refuses_unknown_format():
    with pytest.raises(ValueError):
        bm.render({}, "yaml")


@pytest.mark.parametrize("fmt, export", [("json", "default"), ("esm", "default"), ("esm", "named")])
def test_parse_reads_back_what_render_writes(fmt, export):
    doc = bm.normalize(ok(headers={"X": "}; alert(1); //"}))[0]
    assert bm.parse(bm.render(doc, fmt, export)) == doc


def test_parse_rejects_other_files():
    assert bm.parse("") is None
    assert bm.parse("[1, 2]") is None
    assert bm.parse("const x = 1;") is None
    assert bm.parse("export default {broken;") is None


# -- masking in diffs ----------------------------------------------------------------------------------------

def test_masked_text_hides_credentials():
    doc = bm.normalize(ok(headers={"Authorization": "Bearer abc", "X-Client": "main"}))[0]
    text = bm.masked_text(doc, "json", "default")
    assert "pw-Secret-1" not in text and "Bearer abc" not in text
    shown = json.loads(text)
    assert shown["auth"]["basic"] == {"username": "app", "password": MASK}
    assert shown["headers"] == {"Authorization": MASK, "X-Client": "main"}
    token_doc = {"url": URL, "auth": {"token": {"bearer": "tok-123"}}}
    assert "tok-123" not in bm.masked_text(token_doc, "esm", "named")


def test_changed_secret_is_marked():
    before = ok()
    after = {"url": URL, "auth": {"basic": {"username": "app", "password": "rotated"}}}
    shown = json.loads(bm.masked_text(after, "json", "default", previous=before))
    assert shown["auth"]["basic"]["password"] == MASK_CHANGED
    same = json.loads(bm.masked_text(before, "json", "default", previous=before))
    assert same["auth"]["basic"]["password"] == MASK


def test_masked_before():
    doc = bm.normalize(ok())[0]
    text, parsed, canonical = bm.masked_before(bm.render(doc, "esm", "named"))
    assert parsed == doc and canonical is True
    assert "pw-Secret-1" not in text and text.startswith(bm.ESM_HEADER) and "export const manager" in text
    text, parsed, canonical = bm.masked_before(json.dumps(doc))
    assert parsed == doc and canonical is False and "pw-Secret-1" not in text
    text, parsed, canonical = bm.masked_before("password=pw-Secret-1\n")
    assert parsed is None and "pw-Secret-1" not in text and "not shown" in text


# -- properties ----------------------------------------------------------------------------------------------

_names = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FFF), min_size=1, max_size=12)
_timer = st.integers(min_value=0, max_value=bm.MAX_TIMER_MS)
_interval = st.integers(min_value=1, max_value=bm.MAX_TIMER_MS)
# Header names that replace nothing the platform sets, each at most once whatever its case.
_header_names = st.from_regex(r"\A[A-Za-z0-9-]{1,10}\Z").filter(lambda n: n.lower() not in ("user", "authorization"))
_auth = st.one_of(
    st.builds(lambda u, p: {"basic": {"username": u, "password": p}}, _names, _names),
    st.builds(lambda t: {"token": {"bearer": t}}, _names),
    st.builds(lambda u: {"username": u}, _names),
    st.just({}),
)
_managers = st.fixed_dictionaries(
    {"url": st.just(URL), "auth": _auth},
    optional={
        "fetchIntervalMS": _interval,
        "tokenRefreshIntervalMS": _interval,
        "requests": st.fixed_dictionaries({}, optional={"timeout": _timer, "closeSessionTimeout": _timer}),
        "headers": st.dictionaries(_header_names, st.from_regex(r"\A[^\r\n]{0,10}\Z"), max_size=3)
        .filter(lambda h: len({n.lower() for n in h}) == len(h)),
        "cache": st.fixed_dictionaries({}, optional={"enabled": st.booleans()}),
    },
)


@settings(max_examples=200, deadline=None)
@given(_managers, st.sampled_from([("json", "default"), ("esm", "default"), ("esm", "named")]), st.booleans())
def test_valid_objects_render_stably_and_round_trip(manager, fmt_export, write_defaults):
    fmt, export = fmt_export
    assert errors_of(manager) == []
    doc = bm.normalize(manager, write_defaults)[0]
    text = bm.render(doc, fmt, export)
    assert bm.parse(text) == doc
    # idempotence: normalising the written document again gives the same bytes
    again, applied = bm.normalize(bm.parse(text), write_defaults)
    assert bm.render(again, fmt, export) == text and applied == []
    assert errors_of(doc) == []
    shown = bm.parse(bm.masked_text(doc, fmt, export))
    for method, key in (("basic", "password"), ("token", "bearer")):
        if method in doc["auth"]:
            assert shown["auth"][method] == MASK if method == "token" else shown["auth"][method][key] == MASK
