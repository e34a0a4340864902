# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""--diff shows what changed, not the file: a system.json of 50 KB and one of 5 MB, both changed in one key
(server), through real ansible-playbook runs with --diff -v and the default callback, on every path that makes a
diff: ioconnect.fleet.system_json and ioconnect.fleet.desk_system_json, on a POSIX desk (the module) and on an
emulated Windows desk (the action plugins, tests/windesk). The bytes printed must not grow with the file: the
bound is the 50 KB run's output plus a little, whatever the size. Also in a compact (one-line) file, where a
line-based diff would print the whole file."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from playbook_runner import BIN, ansible_env

SENTINEL = "far-from-the-change"
URL = "https://iomanager.example.com"


def desk_document(size: int, style: str) -> dict:
    """A system.json of about size bytes once rendered in style: the vendor's keys, then many window settings."""
    doc = {"region": "EMEA", "env": "PROD", "gw": {"embedded": True, "configuration": {"port": 8385}},
           "server": {"enabled": False, "url": "http://localhost:4356/api"},
           "crashReporter": {"enabled": True, "folderPath": "%IO_CD_USER_DATA_DIR%/crashes",
                             "companyName": "Interop Inc", "productName": "io.Connect Desktop",
                             "output": {"type": "local"}},
           "windows": {}}

    def window(n):
        return {"title": "Application %d %s" % (n, SENTINEL), "width": 800 + n % 97, "flags": ["resizable", "movable"]}

    each = len(_render({"windows": {"app-0000000": window(1000)}}, style)) - len(_render({"windows": {}}, style))
    for n in range(max(1, size // each)):
        doc["windows"]["app-%07d" % n] = window(n)
    return doc


def _render(doc: dict, style: str) -> bytes:
    if style == "compact":
        return json.dumps(doc, separators=(",", ":")).encode("utf-8")
    return (json.dumps(doc, indent=4) + "\n").encode("utf-8")


def _run(tmp_path, label: str, raw: bytes) -> str:
    """The four diff paths on one file's copies; returns what ansible-playbook printed (stdout and stderr)."""
    from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.builder import Desk

    folder = tmp_path / label
    posix = {}
    for host in ("posix-file", "posix-desk"):
        config = folder / host / "Users" / "kim" / "AppData" / "Local" / "interop.io" / "io.Connect Desktop" / \
            "Desktop" / "config"
        config.mkdir(parents=True)
        (config.parent / "io-connect-desktop.exe").write_bytes(b"MZ")
        (config / "system.json").write_bytes(raw)
        posix[host] = config / "system.json"
    windows = {}
    for host in ("win-file", "win-desk"):
        desk = Desk(str(folder / host))
        windows[host] = desk.v9("kim", raw)
    inventory = {"all": {"hosts": {
        "posix-file": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
        "posix-desk": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
        "win-file": {"ansible_connection": "ioconnect_test.windesk.desk", "ansible_user": "svc_fleet",
                     "ansible_windesk_root": str(folder / "win-file")},
        "win-desk": {"ansible_connection": "ioconnect_test.windesk.desk", "ansible_user": "svc_fleet",
                     "ansible_windesk_root": str(folder / "win-desk")},
    }}}
    topology = {"PROD": {"EMEA": {"url": URL}}}
    desk_task = {"env": "PROD", "region": "EMEA", "preflight": False, "topology": topology}
    server = {"enabled": True, "url": URL + "/api"}
    plays = [
        {"hosts": "posix-file", "gather_facts": False, "tasks": [
            {"name": "file", "ioconnect.fleet.system_json": {"path": str(posix["posix-file"]), "server": server}}]},
        {"hosts": "posix-desk", "gather_facts": False, "tasks": [
            {"name": "desk", "ioconnect.fleet.desk_system_json": dict(
                desk_task, profile_root=str(folder / "posix-desk" / "Users"), state_dir=str(folder / "state"))}]},
        {"hosts": "win-file", "gather_facts": False, "tasks": [
            {"name": "file", "ioconnect.fleet.system_json": {"path": windows["win-file"], "server": server}}]},
        {"hosts": "win-desk", "gather_facts": False, "tasks": [
            {"name": "desk", "ioconnect.fleet.desk_system_json": desk_task}]},
    ]
    (folder / "hosts.yml").write_text(yaml.safe_dump(inventory))
    (folder / "play.yml").write_text(yaml.safe_dump(plays, sort_keys=False))
    env = ansible_env(ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default")
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", str(folder / "hosts.yml"), "--diff", "-v",
                           str(folder / "play.yml")], capture_output=True, text=True, env=env, timeout=900,
                          check=False)
    shown = proc.stdout + proc.stderr
    assert proc.returncode == 0, shown[-3000:]
    assert "changed=1" in shown and shown.count("changed=1") == 4, shown[-3000:]
    for path in list(posix.values()):
        assert json.loads(path.read_bytes())["server"] == server, "the run did write"
    return shown


@pytest.mark.parametrize("style, size", [("indented", 5_000_000), ("compact", 2_000_000)])
def test_the_bytes_printed_do_not_grow_with_the_file(tmp_path, style, size):
    small = _render(desk_document(50_000, style), style)
    big = _render(desk_document(size, style), style)
    assert 45_000 < len(small) < 60_000 and 0.9 * size < len(big) < 1.2 * size
    shown_small = _run(tmp_path, "s", small)
    shown_big = _run(tmp_path, "b", big)
    # What changed is the same in both (server.enabled and server.url): so is the size of what is shown, but for
    # the line numbers and figures such as the file's size in the result.
    assert len(shown_big) <= len(shown_small) + 1_000, (len(shown_small), len(shown_big))
    assert len(shown_big) < 40_000, len(shown_big)
    for shown in (shown_small, shown_big):
        # Each of the four diffs shows the change, and nothing far from it.
        assert shown.count("\n+++ ") == 4, shown
        assert shown.count('"url": "https://iomanager.example.com/api"') >= 4 if style == "indented" else \
            shown.count('"url":"https://iomanager.example.com/api"') >= 4, shown
        assert "Application 200 " + SENTINEL not in shown
