# -*- coding: utf-8 -*-
"""The fleet rules of the request schema (hacking/update_request_schema.py FLEET_RULES): values io.Connect Desktop's
schema accepts but that would break a fleet are refused, each naming the option path and saying why."""

from __future__ import annotations

import pytest

from ansible_collections.ioconnect.fleet.plugins.plugin_utils import validation
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.request_schema import FLEET_RULE_REASONS, SCHEMA

URL = "https://iomanager.example.com/api"
STORE = {"type": "rest", "details": {"url": "https://apps.example.com/api"}}

# (request in system.json's keys, option path, kind): every interval, timeout and retry count the request knows.
POSITIVE = [
    ({"server": {"url": URL, "fetchInterval": None}}, "server.fetchInterval"),
    ({"server": {"url": URL, "startRetryInterval": None}}, "server.startRetryInterval"),
    ({"server": {"url": URL, "tokenRefreshInterval": None}}, "server.tokenRefreshInterval"),
    ({"server": {"url": URL, "requests": {"timeout": None}}}, "server.requests.timeout"),
    ({"server": {"url": URL, "requests": {"openSessionTimeout": None}}}, "server.requests.openSessionTimeout"),
    ({"server": {"url": URL, "requests": {"closeSessionTimeout": None}}}, "server.requests.closeSessionTimeout"),
    ({"appStores": [dict(STORE, details=dict(STORE["details"], pollInterval=None))]},
     "app_stores[0].details.pollInterval"),
    ({"appStores": [dict(STORE, details=dict(STORE["details"], requestTimeout=None))]},
     "app_stores[0].details.requestTimeout"),
    ({"appStores": [dict(STORE, details=dict(STORE["details"], startRetryInterval=None))]},
     "app_stores[0].details.startRetryInterval"),
    ({"appStores": [dict(STORE, details=dict(STORE["details"], readCacheAfter=None))]},
     "app_stores[0].details.readCacheAfter"),
]
NOT_NEGATIVE = [
    ({"server": {"url": URL, "startRetries": None}}, "server.startRetries"),
    ({"appStores": [dict(STORE, details=dict(STORE["details"], startRetries=None))]},
     "app_stores[0].details.startRetries"),
]


def _with(request, value):
    """request with its one None replaced by value."""
    if isinstance(request, dict):
        return {k: (value if v is None else _with(v, value)) for k, v in request.items()}
    if isinstance(request, list):
        return [_with(v, value) for v in request]
    return request


def errors(request, tmp_path):
    return validation.validate_request(request, cache_dir=str(tmp_path))


@pytest.mark.parametrize("request_, where", POSITIVE)
@pytest.mark.parametrize("value", [0, -5, -0.5])
def test_intervals_and_timeouts_must_be_greater_than_0(request_, where, value, tmp_path):
    found = errors(_with(request_, value), tmp_path)
    assert len(found) == 1, found
    assert found[0].startswith("%s: must be greater than 0, not %s (" % (where, value)), found
    assert "0 or less" in found[0], "the message says why the rule exists"


@pytest.mark.parametrize("request_, where", POSITIVE)
@pytest.mark.parametrize("value", [1, 0.5, 60000])
def test_positive_intervals_and_timeouts_pass(request_, where, value, tmp_path):
    assert errors(_with(request_, value), tmp_path) == []


@pytest.mark.parametrize("request_, where", NOT_NEGATIVE)
def test_retries_must_be_at_least_0(request_, where, tmp_path):
    found = errors(_with(request_, -1), tmp_path)
    assert len(found) == 1 and found[0].startswith("%s: must be at least 0, not -1 (" % where), found
    assert "negative count" in found[0]
    assert errors(_with(request_, 0), tmp_path) == [], "0 retries is a valid choice"
    assert errors(_with(request_, 10), tmp_path) == []


def test_every_broken_field_of_one_request_is_named(tmp_path):
    request = {"server": {"url": URL, "fetchInterval": -5, "startRetries": -1, "requests": {"timeout": 0}},
               "appStores": [dict(STORE, details=dict(STORE["details"], pollInterval=0, startRetries=-2))]}
    found = errors(request, tmp_path)
    assert [f.split(":", 1)[0] for f in found] == [
        "app_stores[0].details.pollInterval", "app_stores[0].details.startRetries", "server.fetchInterval",
        "server.requests.timeout", "server.startRetries"]


def test_the_rules_keep_the_existing_checks(tmp_path):
    """No rule weakens a type check: a string interval is still refused as a string, not as a bound."""
    assert errors({"server": {"url": URL, "fetchInterval": "30"}}, tmp_path) == [
        "server.fetchInterval: must be a number, not '30'"]
    assert errors({"appStores": [{"type": "rest", "details": {}}]}, tmp_path) == [
        "app_stores[0].details: 'url' is a required property"]


def _numbers(node, path, out):
    if isinstance(node, dict):
        for name, sub in (node.get("properties") or {}).items():
            if isinstance(sub, dict) and sub.get("type") == "number":
                out[".".join(path + [name])] = sub
        for key, sub in node.items():
            _numbers(sub, path + [key] if key != "properties" else path, out)
    return out


def test_every_timing_and_retry_number_of_the_schema_has_a_rule_and_a_reason():
    numbers = _numbers(SCHEMA, [], {})
    timing = {k: v for k, v in numbers.items() if k.lower().endswith(("interval", "timeout", "retries"))
              or k.endswith("readCacheAfter")}
    assert len(timing) == 12 == len(FLEET_RULE_REASONS), sorted(timing)
    for name, sub in timing.items():
        assert sub.get("$comment", "").startswith("fleet rule: "), name
        assert FLEET_RULE_REASONS[sub["$comment"][len("fleet rule: "):]], name
        if name.lower().endswith("retries"):
            assert sub.get("minimum") == 0, name
        else:
            assert sub.get("exclusiveMinimum") == 0, name
