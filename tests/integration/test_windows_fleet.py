# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/configure.yml, drift.yml and rollback.yml with the desktop role, run for real with ansible-playbook
against a fleet of Windows desks emulated at the wire (tests/windesk: each desk a folder, reached with the test-only
connection ioconnect_test.windesk.desk behind ansible-core's PowerShell shell plugin), and stub io.Manager
instances on 127.0.0.1. Every desk's remote operations are counted at the connection and held to the figures
docs/scale.md states: check mode 1 module execution per desk (the SCAN script), a drifted desk written 2."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from playbook_runner import REPO, ansible_env

FLEET = os.path.join(REPO, "tests", "support", "demo_fleet.py")
BIN = os.path.dirname(sys.executable)
PAIRS = {"PROD-EMEA": {"port": 1, "only_app_store": True}, "UAT-EMEA": {"port": 2, "only_app_store": False}}
V9 = "Users/%s/AppData/Local/interop.io/io.Connect Desktop/Desktop/config"
DESKS = {
    # desk: (env, files read in check mode, host vars)
    "win-prod-01": ("PROD", 2, {"demo_state": "fresh", "demo_users": ["kim", "ola"]}),
    "win-prod-02": ("PROD", 1, {"demo_state": "drifted", "demo_product": "glue42", "demo_link": True}),
    "win-prod-03": ("PROD", 1, {"demo_state": "fresh", "demo_product": "v10",
                                "desktop_install_roots": ["C:\\Program Files\\interop.io"]}),
    "win-uat-01": ("UAT", 1, {"demo_state": "fresh", "desktop_layout": "overrides",
                              "desktop_pairs": [{"env": "UAT", "region": "EMEA"}, {"env": "PROD", "region": "EMEA"}]}),
    "win-uat-02": ("UAT", 0, {"demo_state": "absent"}),
}


def free_base() -> int:
    out = subprocess.run([sys.executable, FLEET, "free-base", "--count", "3", "--start", "46000"], check=True,
                         capture_output=True, text=True)
    return int(out.stdout.strip())


def write_inventory(folder, root, port_base, extra=None):
    os.makedirs(os.path.join(folder, "group_vars"), exist_ok=True)
    hosts = {"prod": {}, "uat": {}}
    for desk, (env, _files, hostvars) in DESKS.items():
        hosts[env.lower()][desk] = dict(hostvars, demo_platform="windows", **(extra or {}).get(desk, {}))
    inventory = {"all": {"children": {"emea": {"children": {"prod": {"hosts": hosts["prod"]},
                                                            "uat": {"hosts": hosts["uat"]}}},
                                      "canary": {"hosts": {"win-prod-01": None}}}}}
    with open(os.path.join(folder, "hosts.yml"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(inventory, handle, sort_keys=False)
    topology = {}
    for pair, spec in PAIRS.items():
        env, region = pair.split("-")
        topology.setdefault(env, {})[region] = {"url": "http://127.0.0.1:%d" % (port_base + spec["port"]),
                                                "only_app_store": spec["only_app_store"]}
    common = {"ansible_connection": "ioconnect_test.windesk.desk", "ansible_user": "svc_fleet",
              "ansible_windesk_root": "%s/desks/{{ inventory_hostname }}" % root,
              "demo_instances": PAIRS, "desktop_topology": topology, "ioconnect_region": "EMEA"}
    for name, data in (("all", common), ("prod", {"ioconnect_env": "PROD"}), ("uat", {"ioconnect_env": "UAT"})):
        with open(os.path.join(folder, "group_vars", name + ".yml"), "w", encoding="utf-8") as handle:
            yaml.safe_dump(data, handle, sort_keys=False)
    return folder


def playbook(name, inventory, *args):
    env = ansible_env(ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", ANSIBLE_FORKS="5")
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", inventory, os.path.join(REPO, "playbooks", name)] + list(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, check=False)
    recap = {m.group(1): {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
             for m in re.finditer(r"^(\S+)\s+: (ok=.*)$", proc.stdout, re.M)}
    return proc, recap


def operations(root, desk):
    path = os.path.join(root, "desks", desk, "operations.jsonl")
    try:
        with open(path, encoding="utf-8") as handle:
            ops = [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:
        ops = []
    if os.path.exists(path):
        os.unlink(path)
    return ops


def snapshot(root):
    out = {}
    for base, _dirs, files in os.walk(os.path.join(root, "desks")):
        for name in files:
            if name in ("operations.jsonl", "desk.json"):
                continue
            path = os.path.join(base, name)
            with open(path, "rb") as handle:
                out[os.path.relpath(path, root)] = hashlib.sha256(handle.read()).hexdigest()
    return out


def read_json(path):
    with open(path, "rb") as handle:
        return json.loads(handle.read().decode("utf-8-sig"))


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("winfleet"))
    port_base = free_base()
    inventory = write_inventory(os.path.join(root, "inventory"), root, port_base)
    env = ansible_env()
    subprocess.run([sys.executable, FLEET, "generate", "-i", inventory, "--root", root, "--port-base",
                    str(port_base)], check=True, env=env, capture_output=True)
    pidfile = os.path.join(root, "stub.pid")
    subprocess.run([sys.executable, FLEET, "serve", "-i", inventory, "--port-base", str(port_base), "--pidfile",
                    pidfile], check=True, env=env, capture_output=True)
    yield {"root": root, "inventory": inventory, "port_base": port_base, "original": snapshot(root)}
    subprocess.run([sys.executable, FLEET, "stop", "--pidfile", pidfile], check=False)


def test_a_bad_setting_on_one_desk_stops_the_run_before_any_desk_is_touched(fleet, tmp_path):
    bad = write_inventory(str(tmp_path / "bad"), fleet["root"], fleet["port_base"],
                          extra={"win-uat-01": {"desktop_server_settings": {"clientAuth": "kerberoz"}}})
    proc, _recap = playbook("configure.yml", bad)
    assert proc.returncode != 0
    assert "server.clientAuth" in proc.stdout and "kerberoz" in proc.stdout
    assert snapshot(fleet["root"]) == fleet["original"]
    assert all(operations(fleet["root"], desk) == [] for desk in DESKS), "no desk was contacted"


def test_drift_scan_costs_one_module_execution_per_desk_and_writes_nothing(fleet):
    proc, recap = playbook("drift.yml", fleet["inventory"], "-e", "desktop_summary_file=%s/drift0.json"
                           % fleet["root"])
    assert snapshot(fleet["root"]) == fleet["original"]
    summary = read_json(os.path.join(fleet["root"], "drift0.json"))
    status = {d["desk"]: d["status"] for d in summary["desks"]}
    assert status == {"win-prod-01": "drifted", "win-prod-02": "drifted", "win-prod-03": "drifted",
                      "win-uat-01": "drifted", "win-uat-02": "not_installed"}, proc.stdout[-3000:]
    for desk, (_env, files, _hv) in DESKS.items():
        modules = [op["module"] for op in operations(fleet["root"], desk) if op["op"] == "module"]
        # One SCAN: profiles, installs and every file read (win-uat-01's base file; its overrides do not exist yet).
        assert modules == ["win_powershell"], (desk, modules)


def test_configure_lands_each_desk_and_costs_one_more_execution(fleet):
    proc, recap = playbook("configure.yml", fleet["inventory"], "-e", "desktop_summary_file=%s/summary.json"
                           % fleet["root"])
    assert proc.returncode == 0, proc.stdout[-4000:]
    root, base = fleet["root"], fleet["port_base"]
    for user in ("kim", "ola"):
        doc = read_json(os.path.join(root, "desks", "win-prod-01", "fs", "C", V9 % user, "system.json"))
        assert doc["server"] == {"enabled": True, "url": "http://127.0.0.1:%d/api" % (base + 1)}
        assert doc["appStores"] == []
    shared = os.path.join(root, "desks", "win-prod-02", "fs", "C", "Configs", "win-prod-02-0-system.json")
    assert read_json(shared)["server"]["url"] == "http://127.0.0.1:%d/api" % (base + 1), "a link's target is written"
    config = os.path.join(root, "desks", "win-uat-01", "fs", "C", V9 % "jdoe")
    for pair in PAIRS:
        override = read_json(os.path.join(config, "system-%s.json" % pair))
        assert override["server"]["url"] == "http://127.0.0.1:%d/api" % (base + PAIRS[pair]["port"])
    menu = os.path.join(root, "desks", "win-uat-01", "fs", "C", "Users", "jdoe", "AppData", "Roaming", "Microsoft",
                        "Windows", "Start Menu", "Programs", "io.Connect Desktop")
    assert sorted(os.listdir(menu)) == ["io.Connect Desktop 9 PROD-EMEA.lnk", "io.Connect Desktop 9 UAT-EMEA.lnk"]
    for desk, (_env, files, _hv) in DESKS.items():
        modules = [op["module"] for op in operations(fleet["root"], desk) if op["op"] == "module"]
        if desk == "win-uat-02":
            assert modules == ["win_powershell"]
        elif desk == "win-uat-01":
            # SCAN, the Start-menu folders' SCAN, COMMIT, the two missing shortcuts
            assert modules == ["win_powershell"] * 3 + ["win_shortcut", "win_shortcut"]
        else:
            assert modules == ["win_powershell", "win_powershell"], (desk, modules)  # SCAN + COMMIT
    again, recap = playbook("configure.yml", fleet["inventory"])
    assert again.returncode == 0
    assert all(row.get("changed", 0) == 0 for row in recap.values()), recap
    for desk in DESKS:
        scans = [op for op in operations(fleet["root"], desk) if op["op"] == "module"]
        assert len(scans) <= 2 and all(op["module"] == "win_powershell" for op in scans), "no COMMIT when compliant"


def test_rollback_restores_every_file_but_one_edited_by_hand(fleet):
    edited = os.path.join(fleet["root"], "desks", "win-prod-01", "fs", "C", V9 % "ola", "system.json")
    with open(edited, "rb") as handle:
        raw = handle.read()
    with open(edited, "wb") as handle:
        handle.write(raw.replace(b'"embedded": true', b'"embedded": false'))
    proc, recap = playbook("rollback.yml", fleet["inventory"])
    assert proc.returncode != 0 and recap["win-prod-01"]["failed"] == 1, proc.stdout[-3000:]
    assert "was not rolled back" in proc.stdout and "edited after the run" in proc.stdout
    now = snapshot(fleet["root"])
    ola = os.path.relpath(edited, fleet["root"])
    for path, digest in fleet["original"].items():
        if path != ola:
            assert now.get(path) == digest, path
    assert now[ola] != fleet["original"][ola], "the hand edit is kept"
    created = [p for p in now if p not in fleet["original"]]
    assert all(p.endswith(".bak") or "\\runs\\" in p or "/runs/" in p for p in created), created


def test_a_desk_with_a_profile_it_cannot_read_fails_alone(fleet, tmp_path):
    inventory = write_inventory(str(tmp_path / "deny"), fleet["root"], fleet["port_base"])
    desk_json = os.path.join(fleet["root"], "desks", "win-prod-01", "desk.json")
    with open(desk_json, encoding="utf-8") as handle:
        config = json.load(handle)
    config["deny"] = ["C:\\Users\\ola"]
    with open(desk_json, "w", encoding="utf-8") as handle:
        json.dump(config, handle)
    proc, recap = playbook("drift.yml", inventory, "-e", "desktop_summary_file=%s/deny.json" % fleet["root"])
    summary = read_json(os.path.join(fleet["root"], "deny.json"))
    row = [d for d in summary["desks"] if d["desk"] == "win-prod-01"][0]
    assert row["status"] == "failed" and "profile ola" in row["error"] and "cannot be read" in row["error"]
    assert recap["win-prod-02"]["failed"] == 0
