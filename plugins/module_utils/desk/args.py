# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument spec of ioconnect.fleet.desk_system_json, shared by the module and its action plugin."""

from __future__ import annotations

from ansible_collections.ioconnect.fleet.plugins.module_utils.desk.topology import LAYOUTS

STATES = ("configured", "rolled_back")
PROFILE_MODES = ("all", "named", "logged_on", "current")
SKIP_PROFILES = ["All Users", "Default", "Default User", "Public", "defaultuser0", "WDAGUtilityAccount"]

# Options only the controller acts on: the action plugin drops them before the module runs on a desk.
CONTROLLER_ONLY = ("validate_only", "validate_with", "allow_plain_http", "preflight", "preflight_timeout",
                   "preflight_validate_certs", "options_from_vars")

# Options that only feed the pairs' requests: once the action plugin has resolved them (_pairs), the desk module
# does not need them.
REQUEST_OPTIONS = ("topology", "env", "region", "pairs", "set_env_region", "manager_only_app_store", "app_stores",
                   "crashes_to_manager", "crash_reporter_defaults", "server_settings")

# Options never taken from variables by options_from_vars: the desk's name, and what a task decides itself (whether
# it configures or rolls back, whether it only validates): a variable must never turn a drift scan into a rollback.
# The private options, whose names start with _, never are either.
NOT_FROM_VARS = ("desk", "options_from_vars", "state", "validate_only")

# Options whose values may hold secrets under secret-like keys (masked in every output).
VALUE_OPTIONS = ("topology", "server_settings", "app_stores", "crash_reporter_defaults", "_pairs")


def argument_spec() -> dict:
    return dict(
        options_from_vars=dict(type="str"),
        state=dict(type="str", default="configured", choices=list(STATES)),
        validate_only=dict(type="bool", default=False),
        desk=dict(type="str", default=""),
        topology=dict(type="dict", default={}),
        env=dict(type="str", default=""),
        region=dict(type="str", default=""),
        pairs=dict(type="list", elements="dict", default=[],
                   options=dict(env=dict(type="str", required=True), region=dict(type="str", required=True))),
        layout=dict(type="str", default="base", choices=list(LAYOUTS)),
        set_env_region=dict(type="bool", default=True),
        manager_only_app_store=dict(type="bool", default=False),
        app_stores=dict(type="list", elements="dict"),
        crashes_to_manager=dict(type="bool", default=True),
        crash_reporter_defaults=dict(type="dict"),
        server_settings=dict(type="dict", default={}),
        allow_plain_http=dict(type="bool", default=False),
        validate_with=dict(type="path"),
        profiles=dict(type="str", default="all", choices=list(PROFILE_MODES)),
        users=dict(type="list", elements="str", default=[]),
        skip_profiles=dict(type="list", elements="str", default=list(SKIP_PROFILES)),
        profile_root=dict(type="str", default=""),
        current_user=dict(type="str", default=""),
        install_roots=dict(type="list", elements="str", default=[]),
        install_search_depth=dict(type="int", default=3),
        backup=dict(type="bool", default=True),
        state_dir=dict(type="str", default=""),
        shortcuts=dict(type="bool", default=True),
        shortcut_folder_name=dict(type="str", default="io.Connect Desktop"),
        preflight=dict(type="bool", default=True),
        preflight_timeout=dict(type="int", default=10),
        preflight_validate_certs=dict(type="bool", default=True),
        rollback_runs=dict(type="int", default=1),
        # Names of keys, not secrets: no_log=False tells ansible-test's no_log heuristic ("key") so.
        secret_keys=dict(type="list", elements="str", default=[], no_log=False),
        # The private protocol between the action plugin and the desk module (not documented, never from
        # variables): the desk's resolved pairs with their requests (pair name -> workflow.Pair.as_dict(), in the
        # desk's order), the prefix messages name variables with,
        # and the two round trips of validate_with (plan and return the merged documents; write only files that
        # still have the checksum that was validated).
        _pairs=dict(type="dict"),
        _variable_prefix=dict(type="str"),
        _plan_only=dict(type="bool"),
        _expected_checksums=dict(type="dict"),
    )
