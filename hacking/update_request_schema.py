#!/usr/bin/env python
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Regenerate plugins/plugin_utils/request_schema.py from the vendor's @interopio/schemas package.

    npm pack @interopio/schemas@10.2.0 && tar xzf interopio-schemas-10.2.0.tgz
    python3 hacking/update_request_schema.py package/schemas/system.json

The bundled schema checks the shapes of what a task may request (server, crashReporter, appStores): the vendor's
definitions, minus the top-level 'required' lists (a request is merged into what the desk already has), plus an
http(s) pattern on io.Manager URLs, plus the fleet rules below.

Fleet rules are ours, not the vendor's: values its schema accepts but that would break a fleet (a negative poll
interval is valid JSON and a valid number, and written to 3,000 desks it is never what anyone meant). Each rule is
marked in the schema with "$comment": "fleet rule: <option path>", and its reason is written into FLEET_RULE_REASONS
beside the schema, which plugins/plugin_utils/validation.py quotes in its error message.
Every number the request schema knows whose name ends in Interval or Timeout must be covered by a rule (> 0), and
every one ending in Retries too (>= 0): the generator stops when the vendor adds one that is not, so the rules
cannot silently fall behind the schema.
"""
import json
import sys
import textwrap

URL_PATTERN = "^https?://[^\\s/$.?#].[^\\s]*$"

_POSITIVE = "exclusiveMinimum"  # > 0
_NOT_NEGATIVE = "minimum"  # >= 0

# (where, property) -> (keyword, bound, reason). "where" is "server" or a name under the vendor's "definitions".
# The reason is shown to the user with the error, so it says what the value does on a desk.
FLEET_RULES = {
    ("server", "fetchInterval"): (
        _POSITIVE, 0, "seconds between a desk's polls of io.Manager for apps, Layouts and commands; an interval of 0 "
        "or less is no interval: every desk would poll io.Manager without pause, or never"),
    ("server", "startRetryInterval"): (
        _POSITIVE, 0, "seconds between a desk's attempts to reach io.Manager at start-up; 0 or less retries without "
        "pause, so a restarting io.Manager meets every desk of the fleet at once"),
    ("server", "tokenRefreshInterval"): (
        _POSITIVE, 0, "seconds between refreshes of a desk's io.Manager token; 0 or less refreshes without pause"),
    ("server", "startRetries"): (
        _NOT_NEGATIVE, 0, "how many times a desk retries reaching io.Manager at start-up; a negative count has no "
        "meaning; 0 means no retry"),
    ("requestsConfig", "timeout"): (
        _POSITIVE, 0, "milliseconds a desk waits for an io.Manager answer; 0 or less times every request out at "
        "once, or never, so desks cannot work with io.Manager"),
    ("requestsConfig", "openSessionTimeout"): (
        _POSITIVE, 0, "milliseconds a desk waits for io.Manager to open its session; 0 or less fails every session "
        "at once, or never gives up"),
    ("requestsConfig", "closeSessionTimeout"): (
        _POSITIVE, 0, "milliseconds a desk waits for io.Manager to close its session at shutdown; 0 or less fails "
        "it at once, or hangs the shutdown"),
    ("appStoreRestConfig", "pollInterval"): (
        _POSITIVE, 0, "milliseconds between a desk's polls of the REST app store; 0 or less polls it without pause"),
    ("appStoreRestConfig", "requestTimeout"): (
        _POSITIVE, 0, "milliseconds a desk waits for the REST app store; 0 or less fails every request at once, or "
        "never gives up, and a required store, the default, then stops the desktop at start-up"),
    ("appStoreRestConfig", "startRetryInterval"): (
        _POSITIVE, 0, "milliseconds between a desk's attempts to reach the REST app store at start-up; 0 or less "
        "retries without pause"),
    ("appStoreRestConfig", "readCacheAfter"): (
        _POSITIVE, 0, "milliseconds a desk waits for the REST app store before it reads its cached copy; 0 or less "
        "skips the store and always starts from the cache"),
    ("appStoreRestConfig", "startRetries"): (
        _NOT_NEGATIVE, 0, "how many times a desk retries reaching the REST app store at start-up; a negative count "
        "has no meaning; 0 means no retry"),
}


def _properties(schema, where):
    """The property schemas a FLEET_RULES 'where' names (REST app stores keep theirs under details)."""
    node = schema["properties"]["server"] if where == "server" else schema["definitions"][where]
    props = node["properties"]
    return props["details"]["properties"] if where.startswith("appStore") else props


def rule_id(where, name) -> str:
    """The option path a rule is known by: server.fetchInterval, app_stores[].details.pollInterval."""
    prefix = {"server": "server", "requestsConfig": "server.requests", "appStoreRestConfig": "app_stores[].details"}
    return "%s.%s" % (prefix[where], name)


def _reasons_source() -> str:
    """FLEET_RULE_REASONS as Python source, each reason wrapped to fit pep8's line length."""
    lines = ["FLEET_RULE_REASONS = {"]
    for (where, name), (_keyword, _bound, reason) in FLEET_RULES.items():
        lines.append("    %r: (" % rule_id(where, name))
        chunks = textwrap.wrap(reason, 100, drop_whitespace=False)
        lines.extend("        %r" % chunk for chunk in chunks[:-1])
        lines.append("        %r)," % chunks[-1])
    lines.append("}")
    return "\n".join(lines) + "\n"


def _ruled_name(name) -> bool:
    return name.lower().endswith(("interval", "timeout", "retries"))


def apply_fleet_rules(schema) -> None:
    """Add FLEET_RULES to the request schema; fail when a timing or retry number has no rule."""
    for (where, name), (keyword, bound, reason) in FLEET_RULES.items():
        props = _properties(schema, where)
        if name not in props:
            raise SystemExit("fleet rule %s.%s: the vendor's schema has no such property any more" % (where, name))
        props[name] = dict(props[name], **{keyword: bound, "$comment": "fleet rule: " + rule_id(where, name)})
    unruled = []

    def walk(node, path):
        if isinstance(node, dict):
            for name, sub in (node.get("properties") or {}).items():
                if (isinstance(sub, dict) and sub.get("type") in ("number", "integer") and _ruled_name(name)
                        and "$comment" not in sub):
                    unruled.append(".".join(path + [name]))
            for key, sub in node.items():
                walk(sub, path + ([key] if key not in ("properties",) else []))
        elif isinstance(node, list):
            for sub in node:
                walk(sub, path)
    walk(schema, [])
    if unruled:
        raise SystemExit("timing or retry numbers without a fleet rule (add them to FLEET_RULES): %s"
                         % ", ".join(unruled))


def refs(node, out):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            out.add(ref.split("/")[-1])
        for value in node.values():
            refs(value, out)
    elif isinstance(node, list):
        for value in node:
            refs(value, out)
    return out


def strip_descriptions(node, names=False):
    """Descriptions and defaults are documentation, not rules: dropping them keeps the bundled file small.

    names: node maps property or definition names to schemas, so its keys are never annotations."""
    if isinstance(node, dict):
        return {k: strip_descriptions(v, names=k in ("properties", "definitions", "patternProperties") and not names)
                for k, v in node.items() if names or k not in ("description", "default")}
    if isinstance(node, list):
        return [strip_descriptions(v) for v in node]
    return node


def main(path):
    vendor = json.load(open(path, encoding="utf-8"))
    defs = vendor["definitions"]
    server = dict(defs["serverConfig"])
    server.pop("required", None)
    server["properties"] = dict(server["properties"])
    server["properties"]["url"] = dict(server["properties"]["url"], pattern=URL_PATTERN)
    crash = json.loads(json.dumps(vendor["properties"]["crashReporter"]))
    crash.pop("required", None)
    crash.pop("default", None)
    crash["properties"]["output"]["properties"]["serverUrl"]["pattern"] = URL_PATTERN
    stores = {"type": "array", "items": {"$ref": "#/definitions/appStoreConfig"}}
    needed, todo = set(), refs([server, crash, stores], set())
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo |= refs(defs[name], set())
    definitions = {name: json.loads(json.dumps(defs[name])) for name in sorted(needed)}
    rest = definitions["appStoreRestConfig"]["properties"]["details"]["properties"]
    rest["url"] = dict(rest["url"], pattern=URL_PATTERN)
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://ioconnect.fleet/request.json",
        "type": "object",
        "properties": {"server": server, "crashReporter": crash, "appStores": stores},
        "definitions": definitions,
    }
    schema = strip_descriptions(schema)
    apply_fleet_rules(schema)
    text = json.dumps(schema, indent=1, ensure_ascii=True)
    keys = json.dumps(list(vendor["properties"]), indent=1)
    sys.stdout.write(
        "# -*- coding: utf-8 -*-\n"
        "# GENERATED by hacking/update_request_schema.py from @interopio/schemas (ISC licence) - do not edit.\n"
        "# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)\n"
        '"""Shapes of what a system_json task may request, from io.Connect Desktop\'s own schema, plus the fleet rules\n'
        'of hacking/update_request_schema.py (marked "$comment": "fleet rule: <id>", their reasons in FLEET_RULE_REASONS)."""\n\n'
        "from __future__ import annotations\n\n"
        "import json\n\n"
        "SOURCE = '@interopio/schemas 10.2.0 schemas/system.json'\n\n"
        "SCHEMA = json.loads(r\'\'\'\n%s\n\'\'\')\n\n"
        "# Top-level keys io.Connect Desktop's schema allows (additionalProperties is false at the root).\n"
        "TOP_LEVEL_KEYS = tuple(json.loads(r\'\'\'\n%s\n\'\'\'))\n\n"
        "# Why each fleet rule (\"$comment\": \"fleet rule: <id>\") exists, quoted in its error message.\n"
        "%s" % (text, keys, _reasons_source()))


if __name__ == "__main__":
    main(sys.argv[1])
