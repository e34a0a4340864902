# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The merge of requested io.Manager settings into a system.json document.

Pure functions on parsed JSON values. Unchanged subtrees are shared, not copied, so the cost of a merge
is the size of the request, not of the file.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import urlsplit, urlunsplit

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.json_type import json_type
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import policy as masking_policy
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import secret_keys_errors
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.pointer import format_pointer, parse_pointer

APP_STORE_MODES = ("replace", "present", "absent")

# Top-level keys of system.json that the dedicated options own.
OPTION_KEYS = {"server": "server", "crash_reporter": "crashReporter", "app_stores": "appStores"}

# What io.Connect Desktop's schema requires of a crashReporter object (@interopio/schemas 10.2 system.json).
CRASH_REPORTER_REQUIRED = ("companyName", "productName", "folderPath", "enabled", "output")

# The vendor's own values for those keys (the schema's crashReporter default, @interopio/schemas 10.2), given to a
# crashReporter that a base file does not have yet, under what the task asks. output is the task's to give.
CRASH_REPORTER_DEFAULTS = {
    "enabled": True,
    "folderPath": "%IO_CD_USER_DATA_DIR%/crashes",
    "companyName": "Interop Inc",
    "productName": "io.Connect Desktop",
}

# base: a whole system.json. override: a system-<ENV>-<REGION>.json the desktop merges over system.json when a
# shortcut names it (configOverrides), holding only differences. auto: told apart by the file's name.
KINDS = ("auto", "base", "override")
_OVERRIDE_NAME = re.compile(r"^system-[^\\/]+-[^\\/]+\.json$", re.IGNORECASE)


def document_kind(path: str, kind: str = "auto") -> str:
    """'base' or 'override' for a file: kind itself unless 'auto', then the file name decides
    (system-<ENV>-<REGION>.json is an override; anything else, system.json included, is a base file)."""
    if kind not in KINDS:
        raise FleetError("kind must be one of %s, not %r" % (", ".join(KINDS), kind))
    if kind != "auto":
        return kind
    name = posixpath.basename(str(path).replace("\\", "/"))
    return "override" if _OVERRIDE_NAME.match(name) else "base"


def json_equal(a, b) -> bool:
    """Equality of JSON values: true is not 1, 1 equals 1.0, and key order does not matter."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict):
        if not isinstance(b, dict) or len(a) != len(b):
            return False
        for key, value in a.items():
            if key not in b or not json_equal(value, b[key]):
                return False
        return True
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return json_type(a) == json_type(b) and a == b


def deep_merge(base, patch):
    """patch over base: mappings merge key by key (new keys appended), anything else is replaced.

    Not ansible-core's ``dict_transformations.dict_merge``: that deep-copies the whole document on every call (a
    drift scan merges every desk's file, and most of it is never touched), while this one shares the untouched
    members and never changes either input, which the plan relies on to compare before and after.
    """
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
        return merged
    return patch


_DEFAULT_PORTS = {"http": 80, "https": 443}
_DRIVE_ROOT = re.compile(r"^[A-Za-z]:$")


def path_identity(path: str, windows: bool = False) -> str:
    """How a folder path identifies an app store on the desk's platform.

    Windows: '/' and '\\' are the same separator, case does not matter, a trailing separator does not either
    (``C:\\Apps\\Config\\`` is ``c:/apps/config``); a drive root keeps its separator (``C:`` alone means the
    drive's current folder, not its root). POSIX: case matters and only '/' is a separator.
    """
    if windows:
        unified = path.replace("/", "\\")
        stripped = unified.rstrip("\\")
        if not stripped or _DRIVE_ROOT.match(stripped):
            stripped += "\\" if unified != stripped else ""
        return stripped.casefold()
    stripped = path.rstrip("/")
    return stripped if stripped or not path else "/"


def url_identity(url: str) -> str:
    """How a URL identifies an app store: scheme and host case, a default port and a trailing slash do not count.

    ``HTTPS://Apps.Example.com:443/api/`` is ``https://apps.example.com/api``. The path, query and user info keep
    their case (servers may treat them case-sensitively). A string that is not an absolute URL is only stripped
    of trailing slashes.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return text.rstrip("/")
    scheme = parts.scheme.lower()
    if not scheme or host is None:
        return text.rstrip("/")
    netloc = "[%s]" % host if ":" in host else host
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        netloc += ":%d" % port
    if "@" in parts.netloc:
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), parts.query, parts.fragment))


def _identity_field(store):
    """'url' or 'path': the details key that identifies a store, or None (stores identified by type alone)."""
    details = store.get("details") if isinstance(store, dict) else None
    if isinstance(details, dict):
        for key in ("url", "path"):
            if isinstance(details.get(key), str):
                return key
    return None


def store_identity(store, windows: bool = False) -> tuple:
    """How app stores are matched: type plus details.url (REST, normalised) or details.path (folders, by the
    desk's platform rules: see path_identity)."""
    if not isinstance(store, dict):
        return ("?", repr(store))
    key = _identity_field(store)
    if key == "url":
        return (store.get("type"), "url", url_identity(store["details"]["url"]))
    if key == "path":
        return (store.get("type"), "path", path_identity(store["details"]["path"], windows))
    details = store.get("details")
    if isinstance(details, dict) and ("url" in details or "path" in details):
        # A non-string url or path (refused by validation): matched by its exact value.
        return (store.get("type"), "raw", repr(details.get("url", details.get("path"))))
    return (store.get("type"),)


def apply_app_stores(current, stores: list, mode: str, windows: bool = False) -> list:
    if mode == "replace":
        return list(stores)
    result = list(current)
    if mode == "present":
        for store in stores:
            identity = store_identity(store, windows)
            for idx, existing in enumerate(result):
                if store_identity(existing, windows) == identity:
                    merged = deep_merge(existing, store)
                    key = _identity_field(existing)
                    if key is not None and key == _identity_field(store):
                        # The same store spelt another way (C:\\Apps\\ for c:\\apps): the desk's spelling stays, so
                        # a spelling difference is never drift.
                        merged["details"] = dict(merged["details"], **{key: existing["details"][key]})
                    result[idx] = merged
                    break
            else:
                result.append(store)
        return result
    if mode == "absent":
        unwanted = {store_identity(store, windows) for store in stores}
        return [store for store in result if store_identity(store, windows) not in unwanted]
    raise FleetError("app_stores_mode must be one of %s, not %r" % (", ".join(APP_STORE_MODES), mode))


def _leaf_pointers(value, tokens, out):
    if isinstance(value, dict) and value:
        for key, sub in value.items():
            _leaf_pointers(sub, tokens + [key], out)
    else:
        out.append(tokens)
    return out


def _remove_copy(node, tokens, path):
    """node without the value at tokens; containers on the path are copied, the rest shared.

    path: the whole pointer's tokens, for messages."""
    head, rest = tokens[0], tokens[1:]
    if isinstance(node, dict):
        if head not in node:
            return node, False
        copy = dict(node)
        if rest:
            copy[head], removed = _remove_copy(node[head], rest, path)
            return (copy, True) if removed else (node, False)
        del copy[head]
        return copy, True
    if isinstance(node, list):
        if not rest:
            raise FleetError(
                "remove: %s names an element of an array by its index, which is not idempotent (every run would "
                "delete whatever element is there next). For app stores use app_stores with app_stores_mode: absent; "
                "otherwise remove the whole array or a key inside an element." % format_pointer(path))
        if not head.isdigit() or (len(head) > 1 and head.startswith("0")):
            return node, False
        idx = int(head)
        if idx >= len(node):
            return node, False
        copy = list(node)
        copy[idx], removed = _remove_copy(node[idx], rest, path)
        return (copy, True) if removed else (node, False)
    return node, False


class Request:
    """What a task asks of a desk's file, already validated for types by the argument spec."""

    def __init__(self, server=None, crash_reporter=None, settings=None, app_stores=None,
                 app_stores_mode="replace", remove=None, crash_reporter_defaults=None, secret_keys=None):
        self.server = server
        self.crash_reporter = crash_reporter
        # None: the vendor's defaults; {} gives a new crashReporter nothing but what the task asks.
        self.crash_reporter_defaults = dict(CRASH_REPORTER_DEFAULTS if crash_reporter_defaults is None
                                            else crash_reporter_defaults)
        self.settings = settings or {}
        self.app_stores = app_stores
        self.app_stores_mode = app_stores_mode or "replace"
        self.remove = list(remove or [])
        problems = secret_keys_errors(secret_keys)
        if problems:
            raise FleetError("; ".join(problems))
        self.secret_keys = tuple(secret_keys or ())
        # The one masking policy, with the firm's own key names: drift, diff and messages mask with it.
        self.masking = masking_policy(self.secret_keys)
        self._check()

    @classmethod
    def from_params(cls, params: dict) -> "Request":
        return cls(server=params.get("server"), crash_reporter=params.get("crash_reporter"),
                   settings=params.get("settings"), app_stores=params.get("app_stores"),
                   app_stores_mode=params.get("app_stores_mode"), remove=params.get("remove"),
                   crash_reporter_defaults=params.get("crash_reporter_defaults"), secret_keys=params.get("secret_keys"))

    def top_level_patch(self) -> dict:
        """The mapping-merge part of the request, keyed by system.json's top-level keys."""
        patch = dict(self.settings)
        if self.server is not None:
            patch["server"] = self.server
        if self.crash_reporter is not None:
            patch["crashReporter"] = self.crash_reporter
        return patch

    def _check(self):
        for option, key in OPTION_KEYS.items():
            if key in self.settings:
                raise FleetError(
                    "settings.%s: use the %s option for the %s key, not settings" % (key, option, key))
        if not isinstance(self.crash_reporter_defaults, dict) or "output" in self.crash_reporter_defaults:
            raise FleetError("crash_reporter_defaults: a mapping of the keys a new crashReporter gets (enabled, "
                             "folderPath, companyName, productName); output is given in crash_reporter")
        if self.app_stores_mode not in APP_STORE_MODES:
            raise FleetError("app_stores_mode must be one of %s, not %r"
                             % (", ".join(APP_STORE_MODES), self.app_stores_mode))
        if self.app_stores is not None:
            for idx, store in enumerate(self.app_stores):
                if not isinstance(store, dict) or "type" not in store:
                    raise FleetError("app_stores[%d]: each app store is a mapping with a 'type' key" % idx)
        set_pointers = [format_pointer(t) for t in _leaf_pointers(self.top_level_patch(), [], [])]
        if self.app_stores is not None:
            set_pointers.append("/appStores")
        for pointer in self.remove:
            tokens = parse_pointer(pointer)
            if not tokens:
                raise FleetError("remove: '' names the whole document; name a key such as /server")
            for target in set_pointers:
                if target == pointer or target.startswith(pointer + "/"):
                    raise FleetError(
                        "remove: %s would delete %s, which this task also sets; drop one of the two" % (pointer, target))


def apply_request(document: dict, request: Request, kind: str = "base", base=None, windows: bool = False) -> dict:
    """The document as the request wants it; document itself is not modified.

    kind: 'base' (a whole system.json) or 'override' (a system-<ENV>-<REGION>.json: only differences).
    base: for an override, the value of the system.json it is merged over, when known; the desktop's merged view
    must then still satisfy the rules a merge can break (check_merged).
    windows: the desk runs Windows, so app store folder paths match case-insensitively (store_identity).
    """
    result = dict(document)
    patch = request.top_level_patch()
    if kind == "base" and request.crash_reporter is not None and not isinstance(document.get("crashReporter"), dict):
        # A base file without crashReporter gets the vendor's values for the required keys, under the task's.
        patch["crashReporter"] = deep_merge(request.crash_reporter_defaults, request.crash_reporter)
    for key, value in patch.items():
        result[key] = deep_merge(result[key], value) if key in result else value
    if request.app_stores is not None:
        current = result.get("appStores", [])
        if not isinstance(current, list):
            raise FleetError(
                "/appStores is %s in the file, not an array; io.Connect Desktop expects a list of stores. Fix it by "
                "hand, or use app_stores_mode=replace to overwrite it." % type(current).__name__)
        if request.app_stores_mode != "absent" or "appStores" in result:
            result["appStores"] = apply_app_stores(current, request.app_stores, request.app_stores_mode, windows)
    for pointer in request.remove:
        tokens = parse_pointer(pointer)
        result, _removed = _remove_copy(result, tokens, tokens)
    if kind == "base":
        check_merged(document, result, request)
    elif base is not None:
        # Override files hold only differences: the whole-document rules apply to what the desktop runs with,
        # the override merged over its base file (objects merged key by key, arrays replaced).
        check_merged(base, deep_merge(base, result), request,
                     where=" in the desktop's merged view (system.json with this override file over it)")
    return result


def check_merged(before: dict, after: dict, request: Request, where: str = "") -> None:
    """Rules of io.Connect Desktop's schema that a partial merge can break, checked without jsonschema.

    where: said after the pointer, for a merged view."""
    if request.server is not None:
        server = after.get("server")
        if isinstance(server, dict) and "url" not in server:
            raise FleetError(
                "/server/url%s: io.Connect Desktop requires a url in server (e.g. https://iomanager.example.com/api), "
                "and the file has none: pass server.url" % where)
    if request.crash_reporter is not None:
        crash = after.get("crashReporter")
        if isinstance(crash, dict):
            if not isinstance(before.get("crashReporter"), dict):
                missing = [key for key in CRASH_REPORTER_REQUIRED if key not in crash]
                if missing:
                    raise FleetError(
                        "/crashReporter%s: the file has no crashReporter, and a new one needs %s (io.Connect Desktop's "
                        "schema requires them). Give them in crash_reporter or crash_reporter_defaults (the vendor's "
                        "defaults are used when crash_reporter_defaults is not set), for example companyName: Interop "
                        "Inc, productName: io.Connect Desktop, folderPath: '%%IO_CD_USER_DATA_DIR%%/crashes', "
                        "enabled: true." % (where, ", ".join(missing)))
            output = crash.get("output")
            if isinstance(output, dict) and output.get("type") == "server" and not output.get("serverUrl"):
                raise FleetError(
                    "/crashReporter/output/serverUrl%s: output type 'server' needs serverUrl, the io.Manager crash "
                    "endpoint (<base>/api/crashes)" % where)
