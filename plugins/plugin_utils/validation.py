# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side validation of system_json requests and of merged documents, with jsonschema.

Messages name the option path (server.url, app_stores[0].details.url) and the rule, never a secret value.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from urllib.parse import urlsplit

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import DEFAULT_POLICY, MASK
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import policy as masking_policy
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import secret_keys_errors
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.pointer import format_pointer
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.url_policy import has_credentials, plain_http_refused
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.merge import Request

# jsonschema and referencing are imported on first use: every fork of a run imports this module, and a fork whose
# request is already validated (a marker in the run's temp folder) never needs them. Importing them costs about
# 90 ms of CPU, as much as a desk's whole task on the controller.
jsonschema = None
best_match = Registry = Resource = DRAFT7 = None

MISSING_JSONSCHEMA = ("ioconnect.fleet.system_json needs the Python packages jsonschema and referencing on the "
                      "controller: pip install -r requirements/runtime.txt (or use the collection's execution "
                      "environment)")

_OPTION_NAMES = {"server": "server", "crashReporter": "crash_reporter", "appStores": "app_stores"}
_TYPE_NAMES = {"boolean": "a boolean (true or false)", "number": "a number", "integer": "an integer",
               "string": "a string", "object": "a mapping", "array": "a list"}
_validator_cache = {}
_BOUNDS = {"minimum": "at least", "exclusiveMinimum": "greater than", "maximum": "at most",
           "exclusiveMaximum": "less than"}
# The request schema's own rules (hacking/update_request_schema.py FLEET_RULES) are marked "$comment": "fleet rule:
# <id>"; request_schema.FLEET_RULE_REASONS says why each exists.
_FLEET_RULE = "fleet rule: "


def require_jsonschema():
    """Import jsonschema and referencing (once); RuntimeError with what to install when they are missing."""
    global jsonschema, best_match, Registry, Resource, DRAFT7  # pylint: disable=global-statement
    if jsonschema is not None:
        return
    try:
        import jsonschema as module
        from jsonschema.exceptions import best_match as match
        from referencing import Registry as registry, Resource as resource
        from referencing.jsonschema import DRAFT7 as draft7
    except ImportError:
        raise RuntimeError(MISSING_JSONSCHEMA)
    best_match, Registry, Resource, DRAFT7 = match, registry, resource, draft7
    jsonschema = module


def _option_path(path) -> str:
    """('server', 'features', 'commands') -> server.features.commands; ('appStores', 0, ...) -> app_stores[0]..."""
    out = ""
    for idx, token in enumerate(path):
        if isinstance(token, int):
            out += "[%d]" % token
        elif idx == 0:
            out += _OPTION_NAMES.get(token, "settings.%s" % token)
        else:
            out += ".%s" % token
    return out or "(request)"


def _shown(value, secret, masking=DEFAULT_POLICY):
    if secret:
        return MASK
    value = masking.mask_value(value)
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    text = masking.mask_text(text)
    return text if len(text) <= 60 else text[:57] + "..."


def _branch_of_same_type(error):
    """For a oneOf of typed shapes (app stores), the errors of the branch whose 'type' the instance has."""
    instance = error.instance
    if isinstance(instance, dict) and "type" in instance:
        branches = {}
        for sub in error.context:
            branches.setdefault(sub.schema_path[0] if sub.schema_path else None, []).append(sub)
        for errors in branches.values():
            if not any(list(e.relative_path) == ["type"] for e in errors):
                return errors
    return error.context


def _describe(error, masking=DEFAULT_POLICY) -> str:
    """What is wrong with the value of one error, its value masked by the task's masking policy."""
    secret = masking.pointer_is_secret(error.absolute_path)
    validator = error.validator
    if validator == "type":
        expected = error.validator_value
        expected = expected if isinstance(expected, list) else [expected]
        return "must be %s, not %s" % (" or ".join(_TYPE_NAMES.get(t, t) for t in expected),
                                       _shown(error.instance, secret, masking))
    if validator == "enum":
        return "must be one of %s, not %s" % (", ".join(json.dumps(v) for v in error.validator_value),
                                              _shown(error.instance, secret, masking))
    if validator == "pattern":
        return "must be an http:// or https:// URL, not %s" % _shown(error.instance, secret, masking)
    if validator in ("oneOf", "anyOf") and error.context:
        inner = best_match(_branch_of_same_type(error))
        return "matches no allowed shape; closest: %s %s" % (_option_path(inner.absolute_path),
                                                             _describe(inner, masking))
    if validator in _BOUNDS:
        message = "must be %s %s, not %s" % (_BOUNDS[validator], json.dumps(error.validator_value),
                                             _shown(error.instance, secret, masking))
        rule = error.schema.get("$comment") if isinstance(error.schema, dict) else None
        from ansible_collections.ioconnect.fleet.plugins.plugin_utils.request_schema import FLEET_RULE_REASONS
        if isinstance(rule, str) and rule.startswith(_FLEET_RULE) and rule[len(_FLEET_RULE):] in FLEET_RULE_REASONS:
            message += " (%s)" % FLEET_RULE_REASONS[rule[len(_FLEET_RULE):]]
        return message
    # required / additionalProperties messages name keys, not values.
    return error.message if validator in ("required", "additionalProperties") else "breaks the rule %r" % validator


def _leaves(error):
    """An app store error reported at the fields it is about: for a store whose 'type' picks one shape of the oneOf,
    every error of that shape (app_stores[0].details.pollInterval: ...), not 'matches no allowed shape'."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        branch = _branch_of_same_type(error)
        if branch is not error.context:
            return [leaf for sub in branch for leaf in _leaves(sub)]
    # No shape has the store's type: the oneOf message says which came closest.
    return [error]


def format_errors(errors, limit: int = 5, prefix=None, masking=DEFAULT_POLICY) -> list:
    errors = sorted((leaf for e in errors for leaf in _leaves(e)), key=lambda e: [str(t) for t in e.absolute_path])
    out = []
    for error in errors[:limit]:
        where = prefix(error.absolute_path) if prefix else _option_path(error.absolute_path)
        out.append("%s: %s" % (where, _describe(error, masking)))
    if len(errors) > limit:
        out.append("... and %d more" % (len(errors) - limit))
    return out


def request_urls(request: dict):
    """(option path, URL) for every io.Manager URL a request carries."""
    server = request.get("server") or {}
    if isinstance(server.get("url"), str):
        yield "server.url", server["url"]
    output = (request.get("crashReporter") or {}).get("output") or {}
    if isinstance(output, dict) and isinstance(output.get("serverUrl"), str):
        yield "crash_reporter.output.serverUrl", output["serverUrl"]
    for idx, store in enumerate(request.get("appStores") or []):
        details = store.get("details") if isinstance(store, dict) else None
        if isinstance(details, dict) and isinstance(details.get("url"), str):
            yield "app_stores[%d].details.url" % idx, details["url"]


def url_policy_errors(request: dict, allow_plain_http: bool) -> list:
    errors = []
    for where, url in request_urls(request):
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
        except ValueError:
            errors.append("%s: is not a valid URL" % where)
            continue
        if has_credentials(url):
            errors.append("%s: credentials inside the URL are refused (they would be stored in clear text on every "
                          "desk and shown in logs); use server.clientAuth (negotiate or kerberos) instead" % where)
        elif plain_http_refused(url, allow_plain_http):
            errors.append("%s: plain http to %s sends io.Manager traffic unencrypted; use https://, or set "
                          "allow_plain_http: true if this network is trusted" % (where, host or "?"))
    return errors


def _cache_dir():
    from ansible import constants as C  # controller only; imported late so this module stays importable in tests
    return os.path.join(C.DEFAULT_LOCAL_TMP, "ioconnect-fleet-validated")


def validate_request(request: dict, allow_plain_http: bool = False, cache_dir=None, masking=None) -> list:
    """Error messages for a request (server/crashReporter/appStores keyed as in system.json); [] when valid.

    masking: the masking.MaskingPolicy of the task (its secret_keys), for the values messages quote.

    A valid request is remembered in the run's local temp folder (shared by all forks of one ansible-playbook
    run and removed with it), so a fleet of desks with the same settings is validated once per run.
    """
    digest = hashlib.sha256(json.dumps([request, bool(allow_plain_http)], sort_keys=True, default=str)
                            .encode("utf-8")).hexdigest()
    folder = cache_dir if cache_dir is not None else _cache_dir()
    marker = os.path.join(folder, digest)
    if os.path.exists(marker):
        return []
    try:
        os.makedirs(folder, exist_ok=True)
        lock = open(os.path.join(folder, ".lock"), "a", encoding="utf-8")
    except OSError:
        lock = None  # a cache, nothing more: validate without it
    try:
        if lock is not None:
            # Forks that start together all miss the marker; the lock makes only the first one validate (and
            # import jsonschema, a fifth of a second of a worker's time: the others find the marker).
            fcntl.flock(lock, fcntl.LOCK_EX)
            if os.path.exists(marker):
                return []
        require_jsonschema()
        from ansible_collections.ioconnect.fleet.plugins.plugin_utils.request_schema import SCHEMA
        validator = jsonschema.Draft7Validator(SCHEMA)
        errors = format_errors(validator.iter_errors(request), masking=masking or DEFAULT_POLICY) + \
            url_policy_errors(request, allow_plain_http)
        if not errors and lock is not None:
            try:
                with open(marker, "w", encoding="utf-8"):
                    pass
            except OSError:
                pass
        return errors
    finally:
        if lock is not None:
            lock.close()


def load_schema_set(folder: str, root_name: str = "system.json"):
    """A validator for root_name, with every *.json of folder registered for $ref resolution (no network)."""
    require_jsonschema()
    if not os.path.isdir(folder):
        raise ValueError("validate_with: %s is not a folder on the controller (it should hold the JSON schemas, "
                         "e.g. the schemas/ folder of the @interopio/schemas npm package)" % folder)
    stamp = tuple(sorted((n, os.path.getmtime(os.path.join(folder, n))) for n in os.listdir(folder)
                         if n.endswith(".json")))
    key = (os.path.abspath(folder), root_name, stamp)
    if key in _validator_cache:
        return _validator_cache[key]
    registry = Registry()
    schemas = {}
    for name, _mtime in stamp:
        try:
            with open(os.path.join(folder, name), encoding="utf-8-sig") as handle:
                contents = json.load(handle)
        except ValueError as exc:
            raise ValueError("validate_with: %s is not valid JSON: %s" % (os.path.join(folder, name), exc))
        schemas[name] = contents
        resource = Resource.from_contents(contents, default_specification=DRAFT7)
        uris = {name, "http://glue42.com/gd/%s" % name}
        if isinstance(contents, dict) and isinstance(contents.get("$id"), str):
            uris.add(contents["$id"])
        for uri in uris:
            registry = registry.with_resource(uri=uri, resource=resource)
    if root_name not in schemas:
        raise ValueError("validate_with: %s holds no %s (found: %s)" % (folder, root_name,
                                                                        ", ".join(sorted(schemas)) or "no *.json"))
    root = schemas[root_name]
    cls = jsonschema.validators.validator_for(root, default=jsonschema.Draft7Validator)
    validator = cls(root, registry=registry)
    _validator_cache[key] = validator
    return validator


def document_errors(validator, document: dict, masking=None) -> list:
    """Errors of a merged system.json against a vendor schema, as 'JSON pointer: problem', values masked."""
    def pointer(path):
        return format_pointer(path) or "/"
    return format_errors(validator.iter_errors(document), prefix=pointer, masking=masking or DEFAULT_POLICY)


def validate_pairs(desk, params, desk_pairs, names):
    """desk_system_json's checks of a desk on the controller: every pair's request (module_utils/desk/workflow.pairs)
    against the vendor's shapes and the URL policy, and the validate_with schema set, returned (None without
    validate_with). Raises FleetError naming the desk and the option path (names: topology.Names)."""
    problems = secret_keys_errors(params["secret_keys"], names("secret_keys"))
    if problems:
        raise FleetError("%s: %s. No desk was touched." % (desk, "; ".join(problems)))
    masking = masking_policy(params["secret_keys"])
    for pair in desk_pairs:
        request = pair.request
        try:
            Request.from_params(request)
        except FleetError as exc:
            raise FleetError("%s (%s): %s" % (desk, pair.instance.name, exc), kind=exc.kind)
        shapes = {"server": request["server"]}
        if "crash_reporter" in request:
            shapes["crashReporter"] = request["crash_reporter"]
        if request.get("app_stores") is not None:
            shapes["appStores"] = request["app_stores"]
        try:
            errors = validate_request(shapes, params["allow_plain_http"], masking=masking)
        except RuntimeError as exc:
            raise FleetError(str(exc))
        if errors:
            raise FleetError("%s (%s): invalid settings, no desk was touched: %s (server is %s merged with the "
                             "instance's server; app_stores is %s)"
                             % (desk, pair.instance.name, "; ".join(errors), names("server_settings"),
                                names("app_stores")))
    if not params["validate_with"]:
        return None
    try:
        return load_schema_set(params["validate_with"], "system.json")
    except (ValueError, RuntimeError) as exc:
        raise FleetError(str(exc))
