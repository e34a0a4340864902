# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build emulated Windows desks for tests: profiles, installs, links, denied folders; read their operation logs."""

from __future__ import annotations

import json
import ntpath
import os

BOM = b"\xef\xbb\xbf"
V9 = ("AppData", "Local", "interop.io", "io.Connect Desktop", "Desktop")
GLUE = ("AppData", "Local", "Tick42", "GlueDesktop")


def vendor_document(env="PROD", region="EMEA", **server) -> dict:
    """A system.json as io.Connect Desktop installs it (io.Manager off)."""
    return {
        "region": region, "env": env,
        "gw": {"embedded": True, "configuration": {"port": 8385, "ip": "127.0.0.1"}},
        "appStores": [{"type": "path", "details": {"path": "./config/apps"}}],
        "server": dict({"enabled": False, "url": "http://localhost:4356/api"}, **server),
        "crashReporter": {"enabled": True, "folderPath": "%IO_CD_USER_DATA_DIR%/crashes", "companyName": "Interop Inc",
                          "productName": "io.Connect Desktop", "output": {"type": "local"}},
    }


def render(doc: dict, style: str = "bom_crlf4") -> bytes:
    """bom_crlf4: as the Windows installer writes it; lf2: 2 spaces, LF; tabs."""
    if style == "lf2":
        return (json.dumps(doc, indent=2) + "\n").encode("utf-8")
    if style == "tabs":
        return (json.dumps(doc, indent="\t") + "\n").encode("utf-8")
    return BOM + (json.dumps(doc, indent=4) + "\n").replace("\n", "\r\n").encode("utf-8")


class Desk:
    """An emulated Windows desk in folder root (fs/ is C:, desk.json its settings)."""

    def __init__(self, root: str, account: str = "svc_fleet"):
        self.root = os.path.abspath(root)
        os.makedirs(os.path.join(self.root, "fs", "C", "Users", account, "AppData", "Local", "Temp"), exist_ok=True)
        os.makedirs(os.path.join(self.root, "fs", "C", "Users", "Public"), exist_ok=True)
        os.makedirs(os.path.join(self.root, "fs", "C", "ProgramData"), exist_ok=True)
        self.config = {"account": account, "deny": [], "logged_on": []}
        self.save()

    def save(self) -> "Desk":
        with open(os.path.join(self.root, "desk.json"), "w", encoding="utf-8") as handle:
            json.dump(self.config, handle, indent=2)
        return self

    def host(self, windows_path: str) -> str:
        drive, rest = ntpath.splitdrive(windows_path)
        return os.path.join(self.root, "fs", drive.rstrip(":").upper(), *[p for p in rest.split("\\") if p])

    def write(self, windows_path: str, data: bytes) -> str:
        host = self.host(windows_path)
        os.makedirs(os.path.dirname(host), exist_ok=True)
        with open(host, "wb") as handle:
            handle.write(data)
        return windows_path

    def read(self, windows_path: str) -> bytes:
        with open(self.host(windows_path), "rb") as handle:
            return handle.read()

    def exists(self, windows_path: str) -> bool:
        return os.path.lexists(self.host(windows_path))

    def profile(self, user: str) -> str:
        path = "C:\\Users\\%s" % user
        os.makedirs(self.host(path + "\\AppData\\Local\\Temp"), exist_ok=True)
        return path

    def v9(self, user: str, data: bytes, with_exe: bool = True) -> str:
        """io.Connect Desktop 9 in a user's LocalAppData; returns its system.json."""
        folder = "\\".join([self.profile(user)] + list(V9))
        if with_exe:
            self.write(folder + "\\io-connect-desktop.exe", b"MZ")
        return self.write(folder + "\\config\\system.json", data)

    def glue(self, user: str, data: bytes) -> str:
        folder = "\\".join([self.profile(user)] + list(GLUE))
        self.write(folder + "\\tick42-glue-desktop.exe", b"MZ")
        return self.write(folder + "\\config\\system.json", data)

    def v10(self, install_dir: str, data: bytes) -> str:
        """io.Connect Desktop 10 in install_dir (a folder holding io-connect-desktop.exe)."""
        self.write(install_dir + "\\io-connect-desktop.exe", b"MZ")
        return self.write(install_dir + "\\config\\system.json", data)

    def link(self, windows_path: str, target_windows_path: str, owner: str = None, kind: str = "SymbolicLink") -> str:
        """A symbolic link (or a junction: kind="Junction") at windows_path to target (absolute). owner: its owner;
        by default the profile's user below C:\\Users\\<user> (who may plant it), else BUILTIN\\Administrators."""
        host = self.host(windows_path)
        os.makedirs(os.path.dirname(host), exist_ok=True)
        os.symlink(self.host(target_windows_path), host)
        key = ntpath.normcase(ntpath.normpath(windows_path))
        self.config.setdefault("reparse", {})[key] = kind
        if owner:
            self.config.setdefault("owners", {})[key] = owner
        self.save()
        return windows_path

    def junction(self, windows_path: str, target_windows_path: str, owner: str = None) -> str:
        """A directory junction (what a standard user may create in a folder they own, with no privilege)."""
        return self.link(windows_path, target_windows_path, owner=owner, kind="Junction")

    def deny(self, *windows_paths) -> "Desk":
        self.config["deny"].extend(windows_paths)
        return self.save()

    def operations(self) -> list:
        try:
            with open(os.path.join(self.root, "operations.jsonl"), encoding="utf-8") as handle:
                return [json.loads(line) for line in handle if line.strip()]
        except FileNotFoundError:
            return []

    def forget_operations(self) -> None:
        path = os.path.join(self.root, "operations.jsonl")
        if os.path.exists(path):
            os.unlink(path)

    def modules(self) -> list:
        """The module executions logged, by name, in order."""
        return [op["module"] for op in self.operations() if op["op"] == "module"]

    def files(self) -> dict:
        """Windows path -> bytes of every file of the desk (links as their target's bytes)."""
        out = {}
        fs = os.path.join(self.root, "fs")
        for base, _dirs, names in os.walk(fs):
            for name in names:
                host = os.path.join(base, name)
                rel = os.path.relpath(host, fs)
                drive, _sep, rest = rel.partition(os.sep)
                try:
                    with open(host, "rb") as handle:
                        out["%s:\\%s" % (drive, rest.replace(os.sep, "\\"))] = handle.read()
                except OSError:
                    pass
        return out
