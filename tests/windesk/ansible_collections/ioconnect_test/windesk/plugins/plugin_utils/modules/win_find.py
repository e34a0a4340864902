# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible.windows.win_find, after ansible.windows 3.3.0 plugins/modules/win_find.ps1 (Ansible.Basic).

What the product depends on, line by line in Search-Path and the main loop:
- ``paths`` is a list of plain strings, not paths: nothing is expanded. Each goes through
  ``GetUnresolvedProviderPathFromPSPath``, so ``%LOCALAPPDATA%\\interop.io`` becomes a folder of that literal name
  below the session's location (the account's profile), which does not exist.
- ``DirectoryInfo.Attributes`` -1 (missing, or below a folder the account cannot read): warning
  "Argument path '<path>' does not exist or is not accessible, skipping". A file: "... is a file not a directory".
- ``EnumerateFileSystemInfos`` throwing UnauthorizedAccessException (a folder the account cannot list) is swallowed:
  no entries, no warning.
- A child folder is searched when ``recurse`` and ``Depth -ne 1``, with Depth - 1; with ``follow: false`` a folder
  that is a reparse point (link) is not entered. ``depth`` unset is 0, which never reaches 1: no limit.
- The recursion happens before the entry itself is examined; each entry is examined once (CheckedPaths, by lower-case
  FullName).
- Filters: file_type (file/directory/any), hidden (hidden entries only with hidden: true), patterns (-like, always
  case-insensitive; -match/-cmatch with use_regex and case_sensitive), size and age are not emulated.
- Every matched entry: ``owner`` from GetAccessControl (on failure null and the warning
  "Failed to get the owner for '<path>': <message>"); files hashed when ``get_checksum`` (default true, sha1);
  link information from Get-Link (islnk, lnk_target as stored, lnk_source absolute).
- The result: examined, matched, files sorted by path (Sort-Object: case-insensitive).
"""

from __future__ import annotations

import fnmatch
import hashlib
import ntpath
import re

from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.basic import ModuleExit, basic_params, basic_result
from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.desk_fs import DotNetError

SPEC = {
    "paths": {"type": "list", "elements": "str", "required": True},
    "age": {"type": "str"},
    "age_stamp": {"type": "str", "default": "mtime", "choices": ["mtime", "ctime", "atime"]},
    "file_type": {"type": "str", "default": "file", "choices": ["file", "directory", "any"]},
    "follow": {"type": "bool", "default": False},
    "hidden": {"type": "bool", "default": False},
    "patterns": {"type": "list", "elements": "str", "aliases": ("regex", "regexp")},
    "recurse": {"type": "bool", "default": False},
    "size": {"type": "str"},
    "use_regex": {"type": "bool", "default": False},
    "get_checksum": {"type": "bool", "default": True},
    "checksum_algorithm": {"type": "str", "default": "sha1", "choices": ["md5", "sha1", "sha256", "sha384", "sha512"]},
    "depth": {"type": "int"},
    "case_sensitive": {"type": "bool", "default": False},
}


def _name_matches(name, params) -> bool:
    for pattern in params["patterns"]:
        if params["use_regex"]:
            if re.search(pattern, name, 0 if params["case_sensitive"] else re.IGNORECASE):
                return True
        elif fnmatch.fnmatchcase(name.lower(), pattern.lower()):
            return True
    return False


def _search(ctx, params, path, depth, checked, out):
    fs = ctx.fs
    attrs = fs.attributes(path)
    if attrs is None:
        ctx.warn("Argument path '%s' does not exist or is not accessible, skipping" % path)
        return
    if not attrs["is_dir"]:
        ctx.warn("Argument path '%s' is a file not a directory, skipping" % path)
        return
    try:
        children = fs.list_dir(path)
    except DotNetError:
        children = []  # No ListDirectory permissions: swallowed, as Get-ChildItem did
    for child in children:
        child_attrs = fs.attributes(child)
        if child_attrs is None:
            continue
        if child_attrs["is_dir"] and params["recurse"] and depth != 1:
            if params["follow"] or not child_attrs["is_link"]:
                _search(ctx, params, child, depth - 1, checked, out)
        if child.lower() in checked:
            continue
        checked.add(child.lower())
        ctx.examined += 1
        file_type = params["file_type"]
        if file_type != "any" and (file_type == "directory") != child_attrs["is_dir"]:
            continue
        if child_attrs["hidden"] and not params["hidden"]:
            continue
        if params["patterns"] is not None and not _name_matches(ntpath.basename(child), params):
            continue
        ctx.matched += 1
        info = {"attributes": ", ".join(child_attrs["names"]), "checksum": None, "exists": True, "extension": None,
                "filename": ntpath.basename(child), "isarchive": "Archive" in child_attrs["names"],
                "isdir": child_attrs["is_dir"], "ishidden": child_attrs["hidden"],
                "isreadonly": child_attrs["readonly"], "isreg": False, "isshared": False, "owner": None,
                "path": child, "sharename": None, "size": None, "isjunction": False, "islnk": False, "nlink": 1,
                "lnk_source": None, "lnk_target": None, "hlnk_targets": []}
        info.update(fs.times(child))
        try:
            info["owner"] = fs.owner(child)
        except DotNetError as exc:
            ctx.warn("Failed to get the owner for '%s': %s" % (child, exc.message))
        if not child_attrs["is_dir"]:
            info.update(extension=ntpath.splitext(child)[1], isreg=True, size=fs.size(child))
            if params["get_checksum"]:
                try:
                    info["checksum"] = hashlib.new(params["checksum_algorithm"], fs.read_bytes(child)).hexdigest()
                except DotNetError:
                    info["checksum"] = None  # Get-FileChecksum -ErrorAction SilentlyContinue
        link = fs.link(child)
        if link is not None:
            info.update(islnk=True, isreg=False, lnk_source=link["AbsolutePath"], lnk_target=link["TargetPath"])
        out.append(info)


def run(ctx):
    params = basic_params(ctx, "win_find", SPEC)
    if params["age"] is not None or params["size"] is not None:
        raise ModuleExit({"failed": True, "msg": "the emulator does not emulate win_find's age and size filters"})
    ctx.examined = 0
    ctx.matched = 0
    files, checked = [], set()
    depth = params["depth"] or 0
    for path in params["paths"]:
        _search(ctx, params, ctx.fs.full(path), depth, checked, files)
    files.sort(key=lambda f: f["path"].lower())
    return basic_result(ctx, {"examined": ctx.examined, "matched": ctx.matched, "files": files}, params)
