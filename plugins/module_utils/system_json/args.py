# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument spec of ioconnect.fleet.system_json, shared by the module and its action plugin."""

from __future__ import annotations

from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.engine import WHEN_MISSING
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.merge import APP_STORE_MODES, KINDS

# Options only the controller acts on; the action plugin drops them before the module runs on a desk.
CONTROLLER_ONLY = ("validate_with", "validate_schema", "allow_plain_http")

# Options whose values may hold secrets under secret-like keys (masked in every output).
VALUE_OPTIONS = ("server", "crash_reporter", "crash_reporter_defaults", "settings", "app_stores")


def argument_spec() -> dict:
    """The module's spec. The action plugin takes path as a plain string (see controller_argument_spec)."""
    return dict(
        path=dict(type="path", required=True),
        server=dict(type="dict"),
        crash_reporter=dict(type="dict"),
        crash_reporter_defaults=dict(type="dict"),
        settings=dict(type="dict"),
        app_stores=dict(type="list", elements="dict"),
        app_stores_mode=dict(type="str", default="replace", choices=list(APP_STORE_MODES)),
        remove=dict(type="list", elements="str", default=[]),
        when_missing=dict(type="str", default="fail", choices=list(WHEN_MISSING)),
        backup=dict(type="bool", default=False),
        validate_with=dict(type="path"),
        validate_schema=dict(type="str", default="system.json"),
        allow_plain_http=dict(type="bool", default=False),
        expected_checksum=dict(type="str"),
        kind=dict(type="str", default="auto", choices=list(KINDS)),
        # Names of keys, not secrets: no_log=False tells ansible-test's no_log heuristic ("key") so.
        secret_keys=dict(type="list", elements="str", default=[], no_log=False),
    )


def controller_argument_spec() -> dict:
    """The spec the action plugin validates with: path is not expanded on the controller, since it names a file on
    the desk (a Windows path, or a POSIX path whose ~ and $VARS belong to the desk's user)."""
    spec = argument_spec()
    spec["path"] = dict(type="str", required=True)
    return spec
