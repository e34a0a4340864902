# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which io.Manager instance a desk talks to, and what each of its files must hold.

Turns the desk's options (topology, its environment/region pairs, the layout and the settings every pair gets) into
one instance per pair and one system_json request per file. Pure Python: the action plugin runs it on the controller
to validate every desk before any is touched, and the desk module runs the same code on the desk.
"""

from __future__ import annotations

import re

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import path_names
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.merge import deep_merge

LAYOUTS = ("base", "overrides")
INSTANCE_KEYS = ("url", "server_url", "crash_url", "preflight_url", "only_app_store", "crashes_to_manager", "server")
_HTTP_URL = re.compile(r"^https?://[^/\s]+")


class Names:
    """How the desk's settings are called in messages: the variables they come from (desktop_topology, with the
    task's options_from_vars, as the ioconnect.fleet.desktop role does), the plugin's option names (topology)
    otherwise."""

    def __init__(self, role: bool = False, prefix: str = ""):
        self.prefix = prefix or ("desktop_" if role else "")

    def __call__(self, option: str) -> str:
        return self.prefix + option


class Instance:
    """An io.Manager instance, resolved for one environment/region pair."""

    def __init__(self, env, region, url, server_url, crash_url, preflight_url, only_app_store, crashes_to_manager,
                 server):
        self.env = env
        self.region = region
        self.name = "%s-%s" % (env, region)
        self.url = url
        self.server_url = server_url
        self.crash_url = crash_url
        self.preflight_url = preflight_url
        self.only_app_store = only_app_store
        self.crashes_to_manager = crashes_to_manager
        self.server = server

    def as_dict(self) -> dict:
        return dict(vars(self))


def desk_pairs(env, region, pairs) -> list:
    """[(env, region)] of a desk: pairs when given, else its one env/region."""
    if pairs:
        return [((p or {}).get("env") or "", (p or {}).get("region") or "") for p in pairs]
    return [(env or "", region or "")]


def _known_pairs(topology) -> str:
    found = ["%s/%s" % (env, region) for env, regions in topology.items() if isinstance(regions, dict)
             for region in regions]
    return " ".join(found) or "(none)"


def resolve(desk: str, options: dict, names: Names) -> list:
    """One Instance per pair of the desk; FleetError naming the desk and the setting when anything is wrong.

    options: the plugin's options (topology, env, region, pairs, layout, server_settings, manager_only_app_store,
    crashes_to_manager)."""
    untouched = " No desk was touched."
    pairs = desk_pairs(options.get("env"), options.get("region"), options.get("pairs"))
    if any(not env or not region for env, region in pairs):
        raise FleetError(
            "%s: no environment/region for this desk. Put the desk in an environment group whose group_vars set "
            "ioconnect_env and a region group whose group_vars set ioconnect_region (or set %s and %s, or %s for "
            "the overrides layout).%s" % (desk, names("env"), names("region"), names("pairs"), untouched))
    for env, region in pairs:
        for value, option in ((env, "env"), (region, "region")):
            problem = path_names.pair_name_problem(value)
            if problem:
                raise FleetError("%s: %s: %s.%s" % (desk, names(option) if not options.get("pairs") else
                                                    "%s[].%s" % (names("pairs"), option), problem, untouched))
    layout = options.get("layout") or "base"
    if layout not in LAYOUTS:
        raise FleetError("%s: %s must be one of %s, not %r.%s"
                         % (desk, names("layout"), ", ".join(LAYOUTS), layout, untouched))
    if layout == "base" and len(pairs) != 1:
        raise FleetError(
            "%s: %s=base puts one environment/region in system.json, but %s lists %d. Use %s=overrides for desks "
            "that run several.%s" % (desk, names("layout"), names("pairs"), len(pairs), names("layout"), untouched))
    topology = options.get("topology")
    if not isinstance(topology, dict) or not topology:
        raise FleetError(
            "%s: %s is empty or not a mapping; it must map environment -> region -> {url: "
            "https://iomanager.example.com}. Set it in the group_vars of the inventory.%s"
            % (desk, names("topology"), untouched))
    settings = options.get("server_settings") or {}
    if not isinstance(settings, dict):
        raise FleetError("%s: %s must be a mapping of server settings.%s"
                         % (desk, names("server_settings"), untouched))
    out = []
    for env, region in pairs:
        regions = topology.get(env)
        instance = regions.get(region) if isinstance(regions, dict) else None
        if not isinstance(instance, dict):
            raise FleetError(
                "%s: %s/%s is not in %s, so there is no io.Manager instance for it. Known pairs: %s. Fix the desk's "
                "ioconnect_env/ioconnect_region (inventory groups) or add the pair to the topology.%s"
                % (desk, env, region, names("topology"), _known_pairs(topology), untouched))
        out.append(_instance(desk, env, region, instance, options, names, settings))
    return out


def _instance(desk, env, region, instance, options, names, settings) -> Instance:
    where = "%s.%s.%s" % (names("topology"), env, region)
    problems = []
    unknown = sorted(str(k) for k in instance if k not in INSTANCE_KEYS)
    if unknown:
        problems.append("unknown key(s) %s (allowed: %s)" % (", ".join(unknown), ", ".join(INSTANCE_KEYS)))
    url = instance.get("url")
    if not isinstance(url, str) or not _HTTP_URL.match(url):
        problems.append("url must be the io.Manager base URL, http:// or https:// (for example "
                        "https://iomanager-emea.example.com)")
    for key in ("server_url", "crash_url", "preflight_url"):
        if key in instance and (not isinstance(instance[key], str) or not _HTTP_URL.match(instance[key])):
            problems.append("%s must be an http:// or https:// URL" % key)
    for key in ("only_app_store", "crashes_to_manager"):
        if key in instance and not isinstance(instance[key], bool):
            problems.append("%s must be a boolean (true or false)" % key)
    if "server" in instance and not isinstance(instance["server"], dict):
        problems.append("server must be a mapping of server settings")
    if problems:
        raise FleetError("%s: %s: %s. No desk was touched." % (desk, where, "; ".join(problems)))
    base = url.rstrip("/")
    server_url = instance.get("server_url") or (base if base.endswith("/api") else base + "/api")
    server_url = server_url.rstrip("/")
    server = deep_merge(deep_merge({"enabled": True, "url": server_url}, settings), instance.get("server") or {})
    return Instance(
        env=env, region=region, url=base, server_url=server_url,
        crash_url=instance.get("crash_url") or server_url + "/crashes",
        preflight_url=instance.get("preflight_url") or server_url + "/v2/server/info",
        only_app_store=instance.get("only_app_store", bool(options.get("manager_only_app_store"))),
        crashes_to_manager=instance.get("crashes_to_manager", options.get("crashes_to_manager", True) is not False),
        server=server,
    )


def file_request(instance: Instance, options: dict) -> dict:
    """The system_json request (its option names) for one file of the desk: system.json in the base layout, the
    pair's system-<ENV>-<REGION>.json in the overrides layout."""
    overrides = (options.get("layout") or "base") == "overrides"
    app_stores = [] if instance.only_app_store else options.get("app_stores")
    request = {
        "server": instance.server,
        "app_stores_mode": "replace",
        "remove": [],
        "when_missing": "create" if overrides else "fail",
        "kind": "override" if overrides else "base",
        "crash_reporter_defaults": options.get("crash_reporter_defaults"),
    }
    if instance.crashes_to_manager:
        request["crash_reporter"] = {"output": {"type": "server", "serverUrl": instance.crash_url}}
    if overrides or options.get("set_env_region", True) is not False:
        request["settings"] = {"env": instance.env, "region": instance.region}
    if app_stores is not None:
        request["app_stores"] = app_stores
    if overrides:
        # An override's arrays replace the base file's: an appStores left in it would hide the base list.
        if app_stores is None:
            request["remove"].append("/appStores")
        if not instance.crashes_to_manager:
            request["remove"].append("/crashReporter")
    return request


def override_name(instance: Instance) -> str:
    return "system-%s.json" % instance.name
