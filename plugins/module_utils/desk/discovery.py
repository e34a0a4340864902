# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where io.Connect Desktop and Glue42 Enterprise keep system.json, and which files found on a desk are installs.

The one place that turns profiles and install folders into the folders to search, and search hits into installs.
Pure Python, parameterised by the desk's path flavour: ``ntpath`` for Windows desks (the action plugin lists the
folders with ansible.windows.win_find), ``posixpath`` for POSIX desks (the desk module walks them itself).

Where system.json lives (vendor documentation):

- io.Connect Desktop 9.x, per user: ``<LocalAppData>\\interop.io\\io.Connect Desktop\\Desktop\\config\\system.json``
- Glue42 Enterprise 3.x, per user: ``<LocalAppData>\\Tick42\\GlueDesktop\\config\\system.json``
- io.Connect Desktop 10.x: ``<install>\\config\\system.json``, where ``<install>`` holds ``io-connect-desktop.exe``;
  per user below ``<LocalAppData>\\interop.io``, or anywhere a repackaged install put it (``install_roots``).

io.Connect 9's own folder also holds ``io-connect-desktop.exe`` beside ``config\\system.json``, so it matches the
10.x rule too: a file is listed once, under the most specific product.
"""

from __future__ import annotations

import fnmatch

PRODUCT_9 = "io.Connect Desktop 9"
PRODUCT_10 = "io.Connect Desktop 10"
PRODUCT_GLUE = "Glue42 Enterprise 3"
EXE_IO = "io-connect-desktop.exe"
EXE_GLUE = "tick42-glue-desktop.exe"
SYSTEM_JSON = "system.json"
OVERRIDE_PATTERN = "system-*.json"
ALL_USERS = "(all users)"

# (product, folders below LocalAppData, executable): the per-user installs at known places.
KNOWN = (
    (PRODUCT_9, ("interop.io", "io.Connect Desktop", "Desktop"), EXE_IO),
    (PRODUCT_GLUE, ("Tick42", "GlueDesktop"), EXE_GLUE),
)
# The folders searched below each user's LocalAppData: every known place and every per-user 10.x install is below
# one of them, so two searches per user find them all.
USER_SEARCH_UNDER = (("interop.io",), ("Tick42",))
# File names a search returns (matched case-insensitively, as win_find's -like does).
PATTERNS = (SYSTEM_JSON, OVERRIDE_PATTERN, EXE_IO, EXE_GLUE)

LOCAL_APPDATA = ("AppData", "Local")
START_MENU = ("AppData", "Roaming", "Microsoft", "Windows", "Start Menu", "Programs")
# The Start menu of all users, for shortcuts of machine-wide installs (%ProgramData% on Windows; on a POSIX
# simulated desk, ProgramData beside the profiles folder).
COMMON_START_MENU = ("ProgramData", "Microsoft", "Windows", "Start Menu", "Programs")


class Profile:
    """A user profile of the desk, and whether the connecting account could read it."""

    def __init__(self, flavour, root: str, name: str, path: str = None, readable: bool = True, reason: str = ""):
        self.name = name
        self.path = path or flavour.join(root, name)
        self.local = flavour.join(self.path, *LOCAL_APPDATA)
        self.start_menu = flavour.join(self.path, *START_MENU)
        self.readable = readable
        self.reason = reason
        self.error_kind = ""  # unsafe_link: the profile folder is a link the rule refuses

    def as_dict(self) -> dict:
        out = {"name": self.name, "path": self.path, "readable": self.readable, "reason": self.reason}
        if self.error_kind:
            out["error_kind"] = self.error_kind
        return out


class SearchRoot:
    """A folder searched for installs: below a profile's LocalAppData, or an extra install folder."""

    def __init__(self, path: str, profile: str, start_menu: str, root: str, local: str = None):
        self.path = path
        self.profile = profile
        self.start_menu = start_menu
        self.root = root  # what the report shows paths relative to: the profile, or the install folder
        self.local = local  # the profile's LocalAppData (known places are below it); None for install folders


class Entry:
    """A file a search found. target: the file a link points to (the path itself when it is not a link)."""

    def __init__(self, path: str, target: str = None):
        self.path = path
        self.target = target or path


class Install:
    """One system.json of one install, and the override files beside it."""

    def __init__(self, flavour, root: SearchRoot, product: str, install_dir: str, system_json: Entry, exe: str):
        self.profile = root.profile
        self.root = root.root
        self.start_menu = root.start_menu
        self.product = product
        self.install_dir = install_dir
        self.config_dir = flavour.join(install_dir, "config")
        self.system_json = system_json.path  # where it was found (what users and the report see)
        self.target = system_json.target  # what is read and written (a link's target)
        self.exe = exe
        self.overrides = {}  # lower-case file name -> Entry, the system-*.json beside system.json

    def override_path(self, flavour, name: str) -> Entry:
        """The override file <name> of this install: the one found (and its link target), or where to create it."""
        found = self.overrides.get(name.lower())
        if found is not None:
            return found
        return Entry(flavour.join(self.config_dir, name))

    def as_dict(self) -> dict:
        return {"user": self.profile, "product": self.product, "install_dir": self.install_dir,
                "config_dir": self.config_dir, "system_json": self.system_json, "target": self.target,
                "exe": self.exe, "root": self.root}


def _matches(name: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(name.lower(), pattern.lower())


def wanted(name: str) -> bool:
    """Whether a file name is one a search must return."""
    return any(_matches(name, pattern) for pattern in PATTERNS)


def profiles(flavour, root: str, names, skip=()) -> list:
    """Profile objects for the profile folder names under root, in name order, without the skipped ones
    (compared case-insensitively, as Windows names are)."""
    skipped = {name.lower() for name in skip}
    return [Profile(flavour, root, name) for name in sorted(set(names), key=str.lower) if name.lower() not in skipped]


def search_roots(flavour, user_profiles, install_roots, common_start_menu: str) -> list:
    """The folders to search: each readable profile's, then the extra install folders."""
    out = []
    for profile in user_profiles:
        if not profile.readable:
            continue
        for under in USER_SEARCH_UNDER:
            out.append(SearchRoot(flavour.join(profile.local, *under), profile.name, profile.start_menu, profile.path,
                                  local=profile.local))
    for folder in install_roots:
        out.append(SearchRoot(folder, ALL_USERS, common_start_menu, folder))
    return out


def search_depth(install_search_depth: int) -> int:
    """How many levels below a search folder a search must look (win_find's depth: 1 = the folder's own entries).

    io.Connect 9's system.json is 4 levels below interop.io (io.Connect Desktop\\Desktop\\config\\system.json); a
    10.x executable may be install_search_depth levels below, and its config\\system.json 2 more."""
    return max(4, int(install_search_depth) + 2)


def _levels(flavour, root: str, path: str) -> int:
    """How many path components path is below root, or -1 when it is not below it."""
    norm_root = flavour.normcase(root).rstrip("\\/")
    norm = flavour.normcase(path)
    prefix = norm_root + ("\\" if flavour.sep == "\\" else "/")
    if not norm.startswith(prefix):
        return -1
    rest = norm[len(prefix):]
    return len([part for part in rest.replace("\\", "/").split("/") if part])


def classify(flavour, entries, roots, install_search_depth: int) -> list:
    """The installs among the files found below roots, each system.json once.

    entries: Entry objects for every file found (names matching PATTERNS), in any order.
    A file is the same file when its path or its link target is the same (case-insensitively on Windows)."""
    by_path = {}
    for entry in entries:
        by_path.setdefault(flavour.normcase(entry.path), entry)

    installs, seen = [], set()

    def add(root, product, install_dir, exe):
        system_json = by_path.get(flavour.normcase(flavour.join(install_dir, "config", SYSTEM_JSON)))
        if system_json is None:
            return
        key = flavour.normcase(system_json.target)
        if key in seen or flavour.normcase(system_json.path) in seen:
            return
        seen.update((key, flavour.normcase(system_json.path)))
        installs.append(Install(flavour, root, product, install_dir, system_json, exe))

    for root in roots:
        if root.local is not None:
            for product, under, exe in KNOWN:
                install_dir = flavour.join(root.local, *under)
                if _levels(flavour, root.path, install_dir) >= 1:
                    add(root, product, install_dir, flavour.join(install_dir, exe))
        exes = sorted((e for e in by_path.values() if _matches(flavour.basename(e.path), EXE_IO)),
                      key=lambda e: flavour.normcase(e.path))
        for exe in exes:
            levels = _levels(flavour, root.path, exe.path)
            if 1 <= levels <= int(install_search_depth):
                add(root, PRODUCT_10, flavour.dirname(exe.path), exe.path)

    for install in installs:
        config = flavour.normcase(install.config_dir)
        for entry in by_path.values():
            name = flavour.basename(entry.path)
            if flavour.normcase(flavour.dirname(entry.path)) == config and _matches(name, OVERRIDE_PATTERN):
                install.overrides[name.lower()] = entry
    return installs
