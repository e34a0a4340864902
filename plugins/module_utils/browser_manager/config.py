# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``manager`` object of @interopio/browser-platform: schema, validation, defaults and rendering.

Pure Python, no Ansible imports, so it runs on the controller (action plugin), on the target (module) and
in plain unit tests. ``jsonschema`` is imported lazily: the controller always has it (requirements/runtime.txt),
a web server or build host may not.

The shape follows ``browser.platform.d.ts`` of @interopio/browser-platform 4.4.0, namespace ``Manager``
(``Config``, ``ManagerAuthOptions``, ``RequestsConfig``, ``CacheConfig``, ``ManagerFeatures``). Rules that
are ours, not the vendor's, say so in ``docs/browser.md``: at most one authentication method, non-empty
credentials, a bearer inside ``token``, intervals of at least 1 ms, an upper bound on timer values, no header
that replaces one the platform sets itself, the URL policy.
"""

from __future__ import annotations

import copy
import json
import re
from urllib.parse import urlsplit

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.json_type import yaml_type
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import DEFAULT_POLICY, mask_string
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.url_policy import is_loopback

FORMATS = ("json", "esm")
ESM_EXPORTS = ("default", "named")
ESM_NAME = "manager"

# Browsers store timer delays as signed 32-bit integers: setInterval(fn, 2**31) fires immediately, in a loop.
MAX_TIMER_MS = 2**31 - 1

DEPRECATED = {
    "critical": (
        "manager.critical is deprecated by @interopio/browser-platform (4.4.0) and has no replacement; "
        "it is written as given, but remove it from the configuration"
    ),
    "responseTimeoutMS": (
        "manager.responseTimeoutMS is deprecated by @interopio/browser-platform (4.4.0); "
        "it is written as given, but use manager.requests.timeout instead"
    ),
}

# The platform's own defaults (browser.platform.d.ts @default). Only the non-deprecated timing settings
# are written by ``write_defaults``; the rest are documented here and in the module's docs.
DEFAULTS = {
    "fetchIntervalMS": 60000,
    "tokenRefreshIntervalMS": 3600000,
    "requests": {"timeout": 10000, "openSessionTimeout": 10000, "closeSessionTimeout": 10000},
}
PLATFORM_DEFAULTS = {
    "critical": False,
    "responseTimeoutMS": 10000,
    "auth.includeCredentials": False,
    "cache.enabled": True,
    "cache.clearOld": False,
    "features.applicationsStore": True,
    "features.layoutsStore": True,
    "features.preferencesStore": True,
}

# How @interopio/browser-platform 4.4.0 reads its timer settings (ManagerController.configurePostStart in
# dist/browser.platform.es.js; the library's own decoder accepts any non-negative number for all of them):
#   fetchInterval:        (config.fetchIntervalMS || defaultDataRefreshIntervalMS) / 1e3          60000 ms
#   tokenRefreshInterval: (config.tokenRefreshIntervalMS || defaultTokenRefreshIntervalMS) / 1e3   3600000 ms
#   requestTimeout:       config.requests?.timeout ?? config.responseTimeoutMS ?? DEFAULT_RESPONSE_TIMEOUT_MS
#   openSessionRequestTimeout / closeSessionRequestTimeout: config.requests?.<name> ?? DEFAULT_RESPONSE_TIMEOUT_MS
# With "||" a 0 silently becomes the default, so the two intervals start at 1. With "??" a 0 is kept: it
# reaches axios (XMLHttpRequest.timeout) as the request timeout, where 0 means no timeout at all. That is a
# real setting, so the timeouts keep 0 and the docs say what it does.
INTERVALS = ("fetchIntervalMS", "tokenRefreshIntervalMS")
_INTERVAL = {"type": "integer", "minimum": 1, "maximum": MAX_TIMER_MS}
_TIMER = {"type": "integer", "minimum": 0, "maximum": MAX_TIMER_MS}
_NON_EMPTY = {"type": "string", "minLength": 1}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://ioconnect.invalid/fleet/browser-manager.json",
    "title": "manager option of @interopio/browser-platform 4.4.0 (Manager.Config)",
    "type": "object",
    "required": ["url", "auth"],
    "additionalProperties": False,
    "properties": {
        "url": _NON_EMPTY,
        "auth": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "username": _NON_EMPTY,
                "basic": {
                    "type": "object",
                    "required": ["username", "password"],
                    "additionalProperties": False,
                    "properties": {"username": _NON_EMPTY, "password": _NON_EMPTY},
                },
                "token": {
                    "type": "object",
                    "required": ["bearer"],
                    "additionalProperties": False,
                    "properties": {"bearer": _NON_EMPTY},
                },
                "includeCredentials": {"type": "boolean"},
            },
            # At most one authentication method (ours: the .d.ts types allow several, the docs show one).
            "not": {
                "anyOf": [
                    {"required": ["basic", "token"]},
                    {"required": ["basic", "username"]},
                    {"required": ["token", "username"]},
                ]
            },
        },
        "headers": {
            "type": "object",
            "propertyNames": {"pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"},
            "additionalProperties": {"type": "string", "pattern": "^[^\\r\\n]*$"},
        },
        "fetchIntervalMS": _INTERVAL,
        "tokenRefreshIntervalMS": _INTERVAL,
        "critical": {"type": "boolean"},
        "responseTimeoutMS": _TIMER,
        "requests": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"timeout": _TIMER, "openSessionTimeout": _TIMER, "closeSessionTimeout": _TIMER},
        },
        "cache": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"enabled": {"type": "boolean"}, "clearOld": {"type": "boolean"}},
        },
        "features": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "applicationsStore": {"type": "boolean"},
                "layoutsStore": {"type": "boolean"},
                "preferencesStore": {"type": "boolean"},
            },
        },
    },
}

# Rendering order: the order of Manager.Config in the .d.ts, so files read like the vendor's docs and do not
# depend on how a role merged its dicts.
_KEY_ORDER = {
    (): ["url", "auth", "headers", "fetchIntervalMS", "tokenRefreshIntervalMS", "requests", "cache",
         "features", "critical", "responseTimeoutMS"],
    ("auth",): ["username", "basic", "token", "includeCredentials"],
    ("auth", "basic"): ["username", "password"],
    ("auth", "token"): ["bearer"],
    ("requests",): ["timeout", "openSessionTimeout", "closeSessionTimeout"],
    ("cache",): ["enabled", "clearOld"],
    ("features",): ["applicationsStore", "layoutsStore", "preferencesStore"],
}

_JSON_TYPES = {
    "object": "a mapping",
    "string": "a string",
    "integer": "a non-negative integer (milliseconds)",
    "boolean": "true or false",
}


class JsonschemaMissing(Exception):
    """jsonschema was required (controller side) but is not importable."""


def field(path) -> str:
    """('auth', 'basic', 'password') -> 'manager.auth.basic.password'."""
    return ".".join(["manager"] + [str(p) for p in path])


def _schema_at(path) -> dict:
    node = SCHEMA
    for token in path:
        props = node.get("properties", {})
        if token in props:
            node = props[token]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return {}
    return node


def _describe(error) -> list:
    """One jsonschema ValidationError -> user messages that name the field."""
    path = list(error.absolute_path)
    where = field(path)
    kind = error.validator
    instance = error.instance
    if kind == "required":
        present = instance if isinstance(instance, dict) else {}
        return ["%s: is required" % field(path + [name]) for name in error.validator_value if name not in present]
    if kind == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        extra = [k for k in instance if k not in error.schema.get("properties", {})]
        return [
            "%s: is not a setting of %s (known: %s); check the spelling, keys are case-sensitive"
            % (field(path + [k]), where, ", ".join(known))
            for k in extra
        ]
    if kind == "type":
        expected = _JSON_TYPES.get(error.validator_value, error.validator_value)
        if error.validator_value == "integer" and len(path) == 1 and path[0] in INTERVALS:
            expected = "a positive integer (milliseconds)"
        hint = ""
        if error.validator_value == "string" and isinstance(instance, (int, float)) and not isinstance(instance, bool):
            hint = " (quote it in YAML)"
        if error.validator_value == "integer" and isinstance(instance, str):
            hint = " (write a number, not a quoted string)"
        return ["%s: must be %s, got %s%s" % (where, expected, yaml_type(instance), hint)]
    if kind == "minLength":
        return ["%s: must be a non-empty string" % where]
    if kind == "minimum" and len(path) == 1 and path[0] in INTERVALS:
        return [
            "%s: must be a positive integer (milliseconds, at least 1), got %s (the platform reads 0 as its "
            "default, %d ms; leave the key out for the default)" % (where, instance, DEFAULTS[path[0]])
        ]
    if kind == "minimum":
        return ["%s: must be a non-negative integer (milliseconds), got %s" % (where, instance)]
    if kind == "maximum":
        return [
            "%s: must be at most %d ms (about 24.8 days): browsers run longer timer delays immediately, got %s"
            % (where, MAX_TIMER_MS, instance)
        ]
    if kind == "not" and path == ["auth"]:
        if not isinstance(instance, dict):
            return []  # 'required' holds vacuously for a non-mapping; the type error says it all
        methods = [m for m in ("basic", "token", "username") if m in instance]
        return [
            "%s: holds more than one authentication method (%s); keep exactly one of basic, token or username"
            % (where, ", ".join(methods))
        ]
    if kind == "pattern" and path == ["headers"]:
        # propertyNames reports the offending name as the instance, at the mapping's path
        return ["%s: %r is not a valid HTTP header name (letters, digits and !#$%%&'*+.^_`|~-)" % (where, instance)]
    if kind == "pattern" and path[:1] == ["headers"]:
        return ["%s: must not contain line breaks" % where]
    return ["%s: %s" % (where, mask_string(error.message))]


def schema_errors(manager) -> list:
    """Validate with jsonschema; raise JsonschemaMissing when it is not installed."""
    try:
        from jsonschema import Draft202012Validator
    except ImportError as exc:  # pragma: no cover - exercised on hosts without jsonschema
        raise JsonschemaMissing(str(exc)) from exc
    validator = Draft202012Validator(SCHEMA)
    messages = []
    for error in validator.iter_errors(manager):
        for message in _describe(error):
            if message not in messages:
                messages.append(message)
    return sorted(messages)


def url_errors(url, allow_plain_http: bool = False) -> list:
    """Our URL policy: absolute http(s), no credentials in the URL, https unless the host is loopback."""
    if not isinstance(url, str) or not url:
        return []  # the schema reports it
    shown = mask_string(url)
    if url != url.strip() or re.search(r"\s", url):
        return ["manager.url: must not contain whitespace, got %r" % shown]
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return ["manager.url: is not a valid URL (%s), got %r" % (exc, shown)]
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return [
            "manager.url: must be an absolute http:// or https:// URL of io.Manager (e.g. https://manager.example.com/api), got %r"
            % shown
        ]
    if "@" in parts.netloc:
        return [
            "manager.url: must not carry credentials (user:password@host); put them in manager.auth.basic, got %r"
            % shown
        ]
    if not parts.hostname:
        return ["manager.url: has no host, got %r" % shown]
    if scheme == "http" and not allow_plain_http and not is_loopback(parts.hostname):
        return [
            "manager.url: plain http:// to a non-loopback host (%s) sends credentials and tokens in clear text; "
            "use https:// or set allow_plain_http: true" % parts.hostname
        ]
    return []


# Headers the platform sets itself. @interopio/browser-platform 4.4.0 bundles @interopio/manager-api, whose
# BaseAPI.getBaseHeaders (dist/browser.platform.es.js) builds the headers of every request to io.Manager as
#   if (auth.username) headers.user = auth.username;
#   if (auth.basic.username || auth.basic.password) headers.Authorization = "Basic " + base64(user:password);
#   if (auth.token.bearer) headers.Authorization = "Bearer " + bearer;
#   for (const name of Object.keys(config.headers)) headers[name] = config.headers[name];
# so manager.headers is copied over the auth headers, and its request interceptor applies them with axios'
# AxiosHeaders.set, which finds an existing header case-insensitively (utils.findKey): "authorization"
# replaces "Authorization" too. After opening a session, ManagerAPI.updateToken writes
# config.headers["serverx-token"] = <the session token>. Nothing else comes from auth: the library never sets
# Proxy-Authorization, so a Proxy-Authorization entry replaces nothing the module validated and is not
# refused here (browsers do not let a page send Proxy-* headers at all; docs/browser.md says so).
_AUTH_HEADERS = (
    # (the header the platform sets, the key of manager.auth that makes it set it)
    ("Authorization", "basic"),
    ("Authorization", "token"),
    ("user", "username"),
)
SESSION_HEADER = "serverx-token"


def header_errors(manager) -> list:
    """manager.headers entries that would silently replace a header the platform sets itself.

    Pure Python, so it runs with or without jsonschema; shapes the schema refuses are left to it. Messages name
    the header, never its value.
    """
    headers = manager.get("headers") if isinstance(manager, dict) else None
    if not isinstance(headers, dict):
        return []
    auth = manager.get("auth") if isinstance(manager.get("auth"), dict) else {}
    errors = []
    seen = {}
    for name in headers:
        if not isinstance(name, str):
            continue
        lower = name.lower()
        if lower in seen:
            errors.append(
                "manager.headers: %r and %r name the same header (HTTP header names are case-insensitive) and the "
                "platform would send only one of them; keep one" % (seen[lower], name)
            )
            continue
        seen[lower] = name
        for header, method in _AUTH_HEADERS:
            if lower == header.lower() and method in auth:
                errors.append(
                    "%s: would replace the %s header that the platform builds from manager.auth.%s (it copies "
                    "manager.headers over its auth headers, in any letter case); remove it from manager.headers "
                    "and keep the value in manager.auth.%s" % (field(["headers", name]), header, method, method)
                )
        if lower == SESSION_HEADER:
            errors.append(
                "%s: is the io.Manager session token header, which the platform sets itself once a session is "
                "open; remove it from manager.headers" % field(["headers", name])
            )
    return errors


def validate(manager, allow_plain_http: bool = False, use_jsonschema=None):
    """Check a manager object. Returns (errors, warnings), both lists of messages naming the field.

    use_jsonschema: True = required (raise JsonschemaMissing when absent, the controller's case),
    None = when importable (the target's case), False = skip the schema (URL policy only).
    """
    if not isinstance(manager, dict):
        return ["manager: must be a mapping with at least url and auth, got %s" % yaml_type(manager)], []
    errors = []
    if use_jsonschema is not False:
        try:
            errors.extend(schema_errors(manager))
        except JsonschemaMissing:
            if use_jsonschema:
                raise
    errors.extend(url_errors(manager.get("url"), allow_plain_http))
    errors.extend(header_errors(manager))
    warnings = [DEPRECATED[key] for key in DEPRECATED if key in manager]
    return errors, warnings


def strip_none(value):
    """Drop None values (Ansible fills unset suboptions with None); the file never holds null."""
    if isinstance(value, dict):
        return {k: strip_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_none(v) for v in value]
    return value


def _integral(value):
    # YAML or Jinja may hand over 60000.0; JavaScript makes no difference but the bytes would.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    return value


def _ordered(value, path=()):
    if not isinstance(value, dict):
        return value
    order = _KEY_ORDER.get(tuple(path))
    if order is None:  # headers, or anything unknown: alphabetical, so the bytes are stable
        keys = sorted(value)
    else:
        keys = [k for k in order if k in value] + sorted(k for k in value if k not in order)
    return {k: _ordered(value[k], tuple(path) + (k,)) for k in keys}


def normalize(manager: dict, write_defaults: bool = True):
    """Return (document, defaults_applied): a canonical copy with the timing defaults filled in.

    Defaults are written only for keys the user left out. requests.timeout is not filled when the deprecated
    responseTimeoutMS is set, so the file never holds two different answers to the same question.
    """
    doc = _integral(copy.deepcopy(strip_none(manager)))
    applied = []
    if write_defaults:
        for key in ("fetchIntervalMS", "tokenRefreshIntervalMS"):
            if key not in doc:
                doc[key] = DEFAULTS[key]
                applied.append("manager." + key)
        requests = dict(doc.get("requests") or {})
        for key, value in DEFAULTS["requests"].items():
            if key == "timeout" and "responseTimeoutMS" in doc:
                continue
            if key not in requests:
                requests[key] = value
                applied.append("manager.requests." + key)
        doc["requests"] = requests
    return _ordered(doc), applied


def _json_text(doc) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False)


ESM_HEADER = "// Generated by ioconnect.fleet.browser_manager_config: local edits are overwritten.\n"


def render(doc: dict, fmt: str = "json", esm_export: str = "default") -> str:
    """Deterministic text of the file: same document in, same bytes out."""
    if fmt == "json":
        return _json_text(doc) + "\n"
    if fmt == "esm":
        if esm_export == "named":
            return "%sexport const %s = %s;\nexport default %s;\n" % (ESM_HEADER, ESM_NAME, _json_text(doc), ESM_NAME)
        return "%sexport default %s;\n" % (ESM_HEADER, _json_text(doc))
    raise ValueError("format must be one of %s, got %r" % (", ".join(FORMATS), fmt))


_ESM_BODY = re.compile(
    r"\A(?:\s*//[^\n]*\n)*\s*export\s+(?:default|const\s+[A-Za-z_$][\w$]*\s*=)\s*(?P<body>\{.*\})\s*;",
    re.DOTALL,
)


def parse(text: str):
    """The manager object held by a file this module renders (JSON or ESM), or None when it is not one."""
    try:
        value = json.loads(text)
        return value if isinstance(value, dict) else None
    except ValueError:
        pass
    match = _ESM_BODY.match(text)
    if match:
        try:
            value = json.loads(match.group("body"))
            return value if isinstance(value, dict) else None
        except ValueError:
            return None
    return None


def masked_text(doc, fmt: str, esm_export: str, previous=None, policy=None) -> str:
    """The file's text with every credential replaced by the mask, for diffs and results.

    previous: the document found on disk; where a secret's value differs from it, the text says so
    (``******** (changed)``): a rotated password must not look like 'no change'. policy: the masking.MaskingPolicy
    of the task (its secret_keys), the built-in rules when None.
    """
    policy = policy or DEFAULT_POLICY
    if previous is None:
        return render(policy.mask_value(doc), fmt, esm_export)
    return render(policy.mask_change(previous, doc)[1], fmt, esm_export)


def masked_before(text: str, policy=None):
    """(masked text, parsed document or None, canonical) for the file found on disk.

    The document is re-rendered in the format it was found in (JSON or ESM) with credentials masked.
    ``canonical`` is False when the file's bytes differ from that rendering (hand edits, other formatting).
    A file we cannot parse is not shown at all: it may hold credentials we cannot locate.
    """
    doc = parse(text)
    if doc is None:
        size = len(text.encode("utf-8"))
        return "(%d bytes not shown: not a manager file this module can read; it may hold credentials)\n" % size, None, False
    fmt = "json" if text.lstrip().startswith("{") else "esm"
    export = "named" if re.search(r"export\s+const\s", text) else "default"
    return render((policy or DEFAULT_POLICY).mask_value(doc), fmt, export), doc, render(doc, fmt, export) == text
