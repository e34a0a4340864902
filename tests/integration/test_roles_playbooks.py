# -*- coding: utf-8 -*-
"""playbooks/configure.yml, drift.yml and rollback.yml with the role ioconnect.fleet.desktop, run for real with
ansible-playbook against simulated desks (local connection), on an inventory of a shape the role does not know:
regions NORDICS and LATAM, environments QA and LIVE, stub io.Manager instances on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys

import pytest
import yaml

from playbook_runner import REPO, ansible_env

FLEET = os.path.join(REPO, "tests", "support", "demo_fleet.py")
BIN = os.path.dirname(sys.executable)
PAIRS = {"LIVE-NORDICS": {"port": 1, "only_app_store": True}, "QA-NORDICS": {"port": 2, "only_app_store": False},
         "LIVE-LATAM": {"port": 3, "only_app_store": True}, "QA-LATAM": {"port": 4, "only_app_store": False}}
DESKS = {
    "osl-live-1": ("nordics", "live", {"demo_state": "fresh", "demo_format": "bom_crlf4"}),
    "osl-qa-1": ("nordics", "qa", {"demo_state": "drifted", "demo_format": "tabs", "demo_users": ["ola", "kari"]}),
    "gru-live-1": ("latam", "live", {"demo_state": "fresh", "demo_format": "lf2", "demo_product": "glue42"}),
    "gru-qa-1": ("latam", "qa", {"demo_state": "fresh", "demo_format": "bom_crlf4", "desktop_layout": "overrides",
                                 "desktop_pairs": [{"env": "QA", "region": "LATAM"}, {"env": "LIVE", "region": "LATAM"}]}),
    "gru-qa-2": ("latam", "qa", {"demo_state": "absent"}),
}


def free_base() -> int:
    for base in range(45000, 60000, 10):
        try:
            socks = []
            for port in range(base + 1, base + 5):
                sock = socket.socket()
                sock.bind(("127.0.0.1", port))
                socks.append(sock)
            return base
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError("no free ports")


def write_inventory(folder, root, port_base, overrides=None):
    """An inventory of region groups (nordics, latam) and environment groups (live, qa), as docs/topology.md says."""
    os.makedirs(os.path.join(folder, "group_vars"), exist_ok=True)
    children = {}
    for desk, (region, env, hostvars) in DESKS.items():
        hv = dict(hostvars, **(overrides or {}).get(desk, {}))
        children.setdefault(region, {"children": {}})["children"].setdefault(
            "%s_%s" % (region, env), {"hosts": {}})["hosts"][desk] = hv
    inv = {"all": {"children": dict(children, live={"children": {"nordics_live": None, "latam_live": None}},
                                    qa={"children": {"nordics_qa": None, "latam_qa": None}},
                                    canary={"hosts": {"osl-live-1": None}})}}
    with open(os.path.join(folder, "hosts.yml"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(inv, handle, sort_keys=False)
    topology = {}
    for pair, spec in PAIRS.items():
        env, region = pair.split("-")
        topology.setdefault(env, {})[region] = {"url": "http://127.0.0.1:%d" % (port_base + spec["port"]),
                                                "only_app_store": spec["only_app_store"]}
    common = {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "demo_instances": PAIRS, "desktop_topology": topology, "desktop_profiles": "all",
        "desktop_profile_root": "%s/desks/{{ inventory_hostname }}/Users" % root,
        "desktop_state_dir": "%s/desks/{{ inventory_hostname }}/ProgramData/ioconnect.fleet" % root,
    }
    for name, data in (("all", common), ("nordics", {"ioconnect_region": "NORDICS"}),
                       ("latam", {"ioconnect_region": "LATAM"}), ("live", {"ioconnect_env": "LIVE"}),
                       ("qa", {"ioconnect_env": "QA"})):
        with open(os.path.join(folder, "group_vars", name + ".yml"), "w", encoding="utf-8") as handle:
            yaml.safe_dump(data, handle, sort_keys=False)
    return folder


def snapshot(root) -> dict:
    """sha256 of every file of every desk (the ledger included)."""
    out = {}
    for base, _dirs, files in os.walk(os.path.join(root, "desks")):
        for name in files:
            path = os.path.join(base, name)
            with open(path, "rb") as handle:
                out[os.path.relpath(path, root)] = hashlib.sha256(handle.read()).hexdigest()
    return out


def playbook(name, inventory, *args):
    env = ansible_env(ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", ANSIBLE_FORKS="8", ANSIBLE_PIPELINING="1")
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", inventory, os.path.join(REPO, "playbooks", name)] + list(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, check=False)
    recap = {m.group(1): {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
             for m in re.finditer(r"^(\S+)\s+: (ok=.*)$", proc.stdout, re.M)}
    return proc, recap


def read_json(path):
    with open(path, "rb") as handle:
        return json.loads(handle.read().decode("utf-8-sig"))


V9 = "Users/%s/AppData/Local/interop.io/io.Connect Desktop/Desktop/config"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("fleet"))
    port_base = free_base()
    inventory = write_inventory(os.path.join(root, "inventory"), root, port_base)
    subprocess.run([sys.executable, FLEET, "generate", "-i", inventory, "--root", root, "--port-base",
                    str(port_base)], check=True, env=ansible_env(), capture_output=True)
    pidfile = os.path.join(root, "stub.pid")
    subprocess.run([sys.executable, FLEET, "serve", "-i", inventory, "--port-base", str(port_base), "--pidfile",
                    pidfile], check=True, env=ansible_env(), capture_output=True)
    yield {"root": root, "inventory": inventory, "port_base": port_base, "original": snapshot(root)}
    subprocess.run([sys.executable, FLEET, "stop", "--pidfile", pidfile], check=False)


def test_wrong_pair_fails_before_any_desk_is_touched(fleet, tmp_path):
    bad = write_inventory(str(tmp_path / "bad"), fleet["root"], fleet["port_base"],
                          overrides={"gru-qa-1": {"ioconnect_env": "STAGING", "desktop_pairs": []}})
    proc, _recap = playbook("configure.yml", bad)
    assert proc.returncode != 0
    assert "STAGING/LATAM is not in desktop_topology" in proc.stdout
    assert snapshot(fleet["root"]) == fleet["original"]


def test_configure_lands_each_desk_on_its_instance(fleet):
    proc, recap = playbook("configure.yml", fleet["inventory"], "-e",
                           "desktop_summary_file=%s/summary.json" % fleet["root"])
    assert proc.returncode == 0, proc.stdout[-4000:]
    root, base = fleet["root"], fleet["port_base"]
    for desk, users, pair in (("osl-live-1", ["jdoe"], "LIVE-NORDICS"), ("osl-qa-1", ["ola", "kari"], "QA-NORDICS")):
        for user in users:
            doc = read_json(os.path.join(root, "desks", desk, V9 % user, "system.json"))
            url = "http://127.0.0.1:%d/api" % (base + PAIRS[pair]["port"])
            assert doc["server"]["url"] == url and doc["server"]["enabled"] is True
            assert doc["crashReporter"]["output"] == {"type": "server", "serverUrl": url + "/crashes"}
            assert (doc["env"], doc["region"]) == tuple(pair.split("-"))
            assert (doc["appStores"] == []) is PAIRS[pair]["only_app_store"]
    glue = read_json(os.path.join(root, "desks", "gru-live-1", "Users/jdoe/AppData/Local/Tick42/GlueDesktop/config",
                                  "system.json"))
    assert glue["server"]["url"] == "http://127.0.0.1:%d/api" % (base + 3)
    config = os.path.join(root, "desks", "gru-qa-1", V9 % "jdoe")
    for pair in ("QA-LATAM", "LIVE-LATAM"):
        override = read_json(os.path.join(config, "system-%s.json" % pair))
        assert override["server"]["url"] == "http://127.0.0.1:%d/api" % (base + PAIRS[pair]["port"])
        assert ("appStores" in override) is PAIRS[pair]["only_app_store"]
        shortcut = os.path.join(root, "desks", "gru-qa-1", "Users/jdoe/AppData/Roaming/Microsoft/Windows/Start Menu",
                                "Programs/io.Connect Desktop/io.Connect Desktop 9 %s.lnk.json" % pair)
        assert "configOverrides config0=config/system-%s.json" % pair in read_json(shortcut)["arguments"]
    summary = read_json(os.path.join(root, "summary.json"))
    assert summary["counts"]["not_installed"] == 1 and summary["counts"]["changed"] == 4

    again, recap = playbook("configure.yml", fleet["inventory"])
    assert again.returncode == 0
    assert all(row.get("changed", 0) == 0 for row in recap.values()), recap


def test_drift_touches_nothing_and_finds_drift(fleet):
    path = os.path.join(fleet["root"], "desks", "osl-qa-1", V9 % "kari", "system.json")
    with open(path, "rb") as handle:
        raw = handle.read()
    with open(path, "wb") as handle:
        handle.write(raw.replace(b'"fetchInterval": 30', b'"fetchInterval": 99') if b'"fetchInterval": 30' in raw
                     else raw.replace(b"/api\"", b"/api/old\"", 1))
    before = snapshot(fleet["root"])
    proc, _recap = playbook("drift.yml", fleet["inventory"], "-e", "desktop_summary_file=%s/drift.json" % fleet["root"])
    assert snapshot(fleet["root"]) == before
    summary = read_json(os.path.join(fleet["root"], "drift.json"))
    assert summary["counts"]["drifted"] == 1, proc.stdout[-3000:]
    assert [d["desk"] for d in summary["desks"] if d["status"] == "drifted"] == ["osl-qa-1"]
    with open(path, "wb") as handle:
        handle.write(raw)


def test_rollback_restores_byte_for_byte(fleet):
    proc, _recap = playbook("rollback.yml", fleet["inventory"])
    assert proc.returncode == 0, proc.stdout[-3000:]
    now = snapshot(fleet["root"])
    for path, digest in fleet["original"].items():
        assert now.get(path) == digest, path
    created = [p for p in now if p not in fleet["original"]]
    # Left: backups and the ledgers; the override files and shortcuts the run created are gone.
    assert all(p.endswith("~") or p.endswith("ledger.json") for p in created), created


def test_preflight_stops_the_region_whose_io_manager_is_down(fleet, tmp_path):
    down = write_inventory(str(tmp_path / "down"), fleet["root"], fleet["port_base"])
    with open(os.path.join(down, "group_vars", "latam.yml"), "a", encoding="utf-8") as handle:
        handle.write("desktop_topology:\n  QA: {LATAM: {url: 'http://127.0.0.1:9'}}\n"
                     "  LIVE: {LATAM: {url: 'http://127.0.0.1:9'}}\n")
    before = snapshot(fleet["root"])
    proc, recap = playbook("configure.yml", down, "--limit", "latam")
    assert proc.returncode != 0
    assert "did not answer" in proc.stdout
    assert snapshot(fleet["root"]) == before
