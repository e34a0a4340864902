# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A simulated fleet: N desks, each an inventory host with its own folder, reached over SSH.

Every desk is an alias of 127.0.0.1 (one loopback sshd), with its own ControlPath so that each desk has its own
persistent SSH connection, as real desks would: without it, all desks would share one multiplexed connection.

A desk is laid out as a Windows desk is (docs/simulated-desks.md): two profiles, each with io.Connect Desktop 9 in
its AppData/Local. The system_json scenarios edit the first profile's system.json; the role scenarios (the desktop
role through playbooks/drift.yml and configure.yml) find and handle both.
"""

from __future__ import annotations

import json
import os

import yaml

REGIONS = ("EMEA", "AMER", "APAC")
ENVS = ("PROD", "UAT")
PROFILES = ("kim", "ola")
V9 = ("AppData", "Local", "interop.io", "io.Connect Desktop", "Desktop")
OLD_URL = "http://localhost:4356/api"
# The io.Manager base URL of each region; fleet_bench.py points them at stub servers on 127.0.0.1.
BASE_URLS = {region: "https://iomanager-%s.example.com" % region.lower() for region in REGIONS}


def server_url(region: str) -> str:
    """The io.Manager of a region: three distinct settings values in the fleet, hence three validations per run."""
    return BASE_URLS[region] + "/api"


def desk_name(index: int) -> str:
    return "desk-%04d" % index


def desk_region(index: int) -> str:
    return REGIONS[index % len(REGIONS)]


def drifted_document(index: int) -> dict:
    """A system.json of the shape io.Connect Desktop ships (about 3 KB), before the region's io.Manager is set."""
    region = desk_region(index)
    return {
        "env": ENVS[index % len(ENVS)],
        "region": region,
        "build": "10.2.0",
        "gw": {
            "embedded": True,
            "configuration": {"port": 8385, "ip": "127.0.0.1", "maxMessageSize": 10485760,
                              "authentication": {"available": ["default"], "default": "default"}},
            "logging": {"level": "info", "appender": "file"},
        },
        "folders": {"cache": "%IO_CD_USER_DATA_DIR%/cache", "remoteConfig": "%IO_CD_USER_DATA_DIR%/remoteConfig",
                    "userData": "%LOCALAPPDATA%/interop.io/io.Connect Desktop/UserData/%IO_CD_ENV%-%IO_CD_REGION%"},
        "logging": {"appenders": {"out": {"type": "console"}, "app": {"type": "file", "filename":
                    "%IO_CD_USER_DATA_DIR%/logs/application.log", "maxLogSize": 10485760, "backups": 10}},
                    "categories": {"default": {"appenders": ["out", "app"], "level": "info"}}},
        "appStores": [
            {"type": "path", "details": {"path": "./config/apps"}},
            {"type": "path", "details": {"path": "%IO_CD_USER_DATA_DIR%/apps/" + region.lower()}},
        ],
        "layouts": {"store": {"type": "file"}, "autoRestore": True, "autoSaveWindowContext": False},
        "windowManagement": {"groups": {"enabled": True}, "tabs": {"enabled": True}, "snapping": {"distance": 20}},
        "splash": {"disabled": False, "width": 590, "height": 300, "blockStartup": True},
        "autoStart": {"enabled": False},
        "hotkeys": {"enabled": True, "whitelist": ["http://localhost", "https://*.example.com"]},
        "themes": {"default": "dark", "available": ["dark", "light"]},
        "notifications": {"enabled": True, "toasts": {"mode": "toasts", "stackBy": "application"}},
        "telemetry": {"enabled": False},
        "server": {"enabled": False, "url": OLD_URL},
        "crashReporter": {"enabled": True, "folderPath": "%IO_CD_USER_DATA_DIR%/crashes",
                          "companyName": "Example Bank", "productName": "io.Connect Desktop",
                          "output": {"type": "local"}},
    }


def requested(index: int) -> dict:
    """What the playbooks ask of a desk: its region's io.Manager and crash upload."""
    url = server_url(desk_region(index))
    return {"server": {"enabled": True, "url": url},
            "crashReporter": {"output": {"type": "server", "serverUrl": url + "/crashes"}}}


def compliant_document(index: int) -> dict:
    document = drifted_document(index)
    wanted = requested(index)
    document["server"].update(wanted["server"])
    document["crashReporter"]["output"] = wanted["crashReporter"]["output"]
    return document


def render(document: dict) -> bytes:
    return (json.dumps(document, indent=4, ensure_ascii=False) + "\n").encode("utf-8")


class Fleet:
    """Desk folders under root/desks, inventories under root/inventories, one per fleet size."""

    def __init__(self, root: str, size: int):
        self.root = os.path.abspath(root)
        self.size = size
        self._bytes = {}

    def desk(self, index: int) -> str:
        return os.path.join(self.root, "desks", desk_name(index))

    def path(self, index: int, profile: str = PROFILES[0]) -> str:
        return os.path.join(self.desk(index), "Users", profile, *V9, "config", "system.json")

    def write(self, state: str, count: int | None = None):
        """Put the first count desks (all by default, every profile) in state 'drifted' or 'compliant'; empty their
        ledger (the role's). Not timed."""
        count = self.size if count is None else count
        for index in range(1, count + 1):
            key = (state, index)
            if key not in self._bytes:
                document = drifted_document(index) if state == "drifted" else compliant_document(index)
                self._bytes[key] = render(document)
            for profile in PROFILES:
                path = self.path(index, profile)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as handle:
                    handle.write(self._bytes[key])
                exe = os.path.join(os.path.dirname(os.path.dirname(path)), "io-connect-desktop.exe")
                if not os.path.exists(exe):
                    with open(exe, "wb") as handle:
                        handle.write(b"MZ")
            runs = os.path.join(self.desk(index), "state", "runs")
            if os.path.isdir(runs):
                for name in os.listdir(runs):
                    os.unlink(os.path.join(runs, name))

    def inventory(self, count: int, connection_vars: dict, control_dir: str) -> str:
        """An inventory of the first count desks, grouped by region, with the desktop role's variables; returns
        its path."""
        groups = {}
        for index in range(1, count + 1):
            region = desk_region(index)
            group = groups.setdefault("region_%s" % region.lower(), {
                "hosts": {}, "vars": {"desk_server_url": server_url(region), "ioconnect_region": region}})
            group["hosts"][desk_name(index)] = {
                "desk_system_json": self.path(index),
                "ioconnect_env": ENVS[index % len(ENVS)],
                "desktop_profile_root": os.path.join(self.desk(index), "Users"),
                "desktop_state_dir": os.path.join(self.desk(index), "state"),
                # One persistent connection per desk; short path: unix sockets are limited to ~100 bytes.
                "ansible_control_path": os.path.join(control_dir, "%04d" % index),
            }
        topology = {env: {region: {"url": BASE_URLS[region]} for region in REGIONS} for env in ENVS}
        role_vars = {"desktop_topology": topology, "desktop_profiles": "all"}
        data = {"all": {"vars": dict(connection_vars, **role_vars), "children": {"desks": {"children": groups}}}}
        folder = os.path.join(self.root, "inventories")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "fleet-%d.yml" % count)
        with open(path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(data, handle, sort_keys=False)
        return path
