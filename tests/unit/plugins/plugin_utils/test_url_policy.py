# -*- coding: utf-8 -*-
"""URL policy of io.Manager URLs (plugins/plugin_utils/validation.py): https always; plain http only to loopback
unless allow_plain_http; credentials inside a URL refused always; other schemes refused by the request schema.
tests/integration/test_url_policy_playbook.py drives the same rules through a real playbook run."""

from __future__ import annotations

import pytest

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.validation import (
    request_urls,
    url_policy_errors,
    validate_request,
)

WHERES = {
    "server.url": lambda url: {"server": {"url": url}},
    "crash_reporter.output.serverUrl": lambda url: {
        "crashReporter": {"output": {"type": "server", "serverUrl": url}}},
    "app_stores[0].details.url": lambda url: {"appStores": [{"type": "rest", "details": {"url": url}}]},
}


@pytest.fixture(params=sorted(WHERES))
def where(request):
    return request.param


@pytest.mark.parametrize("url", [
    "https://iomanager.example.com/api",
    "https://iomanager.example.com:8443/api",
    "https://10.1.2.3/api",
    "https://[2001:db8::1]:4356/api",
    "HTTPS://IOMANAGER.EXAMPLE.COM/api",
])
def test_https_is_always_allowed(where, url):
    assert url_policy_errors(WHERES[where](url), allow_plain_http=False) == []


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:4356/api",
    "http://127.8.9.10/api",
    "http://localhost:4356/api",
    "http://LOCALHOST/api",
    "http://desk.localhost/api",
    "http://[::1]:4356/api",
])
def test_plain_http_to_loopback_is_allowed(where, url):
    assert url_policy_errors(WHERES[where](url), allow_plain_http=False) == []


@pytest.mark.parametrize("url", [
    "http://iomanager.example.com/api",
    "http://10.0.0.5:4356/api",
    "http://[2001:db8::1]/api",
    "http://localhost.example.com/api",     # not loopback, whatever its name suggests
    "http://127.0.0.1.nip.io/api",
    "http://0.0.0.0:4356/api",              # every interface, not loopback
    "HTTP://iomanager.example.com/api",
])
def test_plain_http_elsewhere_fails_unless_allowed(where, url):
    errors = url_policy_errors(WHERES[where](url), allow_plain_http=False)
    assert len(errors) == 1 and errors[0].startswith(where + ":"), errors
    assert "plain http" in errors[0] and "allow_plain_http" in errors[0]
    assert url_policy_errors(WHERES[where](url), allow_plain_http=True) == []


@pytest.mark.parametrize("url", [
    "https://admin:s3cr3t-pw@iomanager.example.com/api",
    "https://token-only-s3cr3t@iomanager.example.com/api",
    "http://admin:s3cr3t-pw@127.0.0.1:4356/api",
    "https://admin:@iomanager.example.com/api",
    "https://:s3cr3t-pw@iomanager.example.com/api",
])
@pytest.mark.parametrize("allow", [False, True])
def test_credentials_in_urls_are_refused_always_and_never_quoted(where, url, allow):
    errors = url_policy_errors(WHERES[where](url), allow_plain_http=allow)
    assert len(errors) == 1 and "credentials inside the URL are refused" in errors[0], errors
    assert "s3cr3t" not in " ".join(errors) and "admin" not in " ".join(errors)


@pytest.mark.parametrize("url", [
    "ftp://iomanager.example.com/api",
    "file:///C:/iomanager",
    "ws://iomanager.example.com/api",
    "javascript:alert(1)",
    "iomanager.example.com/api",
    "//iomanager.example.com/api",
    "https:/iomanager.example.com",
    "https:// iomanager.example.com/api",
    "",
])
def test_other_schemes_and_non_urls_are_refused_by_the_request_schema(where, url, tmp_path):
    errors = validate_request(WHERES[where](url), allow_plain_http=True, cache_dir=str(tmp_path))
    assert errors, "%s accepted for %s" % (url, where)
    assert any(e.startswith(where.split("[")[0]) or e.startswith(where) or "app_stores[0]" in e for e in errors), \
        errors


def test_an_invalid_url_is_an_error_not_a_traceback():
    assert url_policy_errors({"server": {"url": "http://[::1/api"}}, False) == ["server.url: is not a valid URL"]


def test_every_url_of_a_request_is_checked():
    request = {"server": {"url": "http://a.example.com"},
               "crashReporter": {"output": {"serverUrl": "http://b.example.com"}},
               "appStores": [{"type": "path", "details": {"path": "x"}},
                             {"type": "rest", "details": {"url": "http://c.example.com"}}]}
    assert [w for w, _u in request_urls(request)] == [
        "server.url", "crash_reporter.output.serverUrl", "app_stores[1].details.url"]
    assert len(url_policy_errors(request, False)) == 3


def test_odd_shapes_do_not_crash():
    for request in ({}, {"server": None}, {"crashReporter": {"output": "x"}}, {"appStores": ["x", None, {}]},
                    {"appStores": [{"details": None}]}, {"server": {"url": 42}}):
        assert url_policy_errors(request, False) == []
