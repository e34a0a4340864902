# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible.windows.win_find, after ansible.windows 3.3.0 plugins/modules/win_find.ps1 (Ansible.Basic), with its bugs.

What the product depends on, line by line in Search-Path and the main loop:
- ``paths`` is a list of plain strings, not paths: nothing is expanded. Each goes through
  ``GetUnresolvedProviderPathFromPSPath`` (line 457), so ``%LOCALAPPDATA%\\interop.io`` becomes a folder of that
  literal name below the session's location (the account's profile), which does not exist.
- ``(New-Object DirectoryInfo $Path).Attributes`` (lines 229-230) -1 (missing): warning "Argument path '<path>' does
  not exist or is not accessible, skipping". A file: "... is a file not a directory". On .NET Framework 4.x the
  getter throws for anything but not-found (FileSystemInfo.Attributes -> Refresh -> __Error.WinIOError): a path that
  exists below a folder the account cannot look into fails the whole module, "Unhandled exception while executing
  module: Exception getting "Attributes": "Access to the path '<path>' is denied."" (desk_fs.attributes_now).
- ``EnumerateFileSystemInfos`` throwing UnauthorizedAccessException (a folder the account cannot list, line 246) is
  swallowed: no entries, no warning. Entries come in NTFS order (desk_fs.list_dir).
- The depth bug (upstream issue #839, fixed by PR #896 after 3.3.0): a child folder is searched when ``recurse`` and
  the folder's own ``$Depth -ne 1`` (line 249), but each such child first lowers the *shared*
  ``$PSBoundParameters['Depth']`` (line 252), so the k-th child folder searched gets depth - k, not depth - 1. A child
  that gets exactly 1 lists its entries only; one that gets 0 or less never reaches 1 again and is searched without
  limit. ``depth`` unset binds 0: no limit anywhere. With ``follow: false`` a folder that is a reparse point (link) is
  not entered (line 250) and does not lower the count.
- The recursion happens before the entry itself is examined; each entry is examined once (CheckedPaths, by lower-case
  FullName, line 258).
- Filters: file_type (file/directory/any), hidden (hidden entries only with hidden: true), patterns (-like, always
  case-insensitive; -match/-cmatch with use_regex and case_sensitive), size and age are not emulated.
- Every matched entry: ``owner`` from GetAccessControl (line 319; on failure null and the warning
  "Failed to get the owner for '<path>': <message>"); a matched folder costs one WMI query,
  ``Get-CimInstance -ClassName Win32_Share -Filter "Path='<path, \\ and ' escaped>'"`` (line 327, logged as
  ``wmi_query``); files hashed when ``get_checksum`` (default true, sha1; a failure leaves null, line 339); link
  information from Get-Link (islnk, lnk_target as stored, lnk_source absolute).
- The result: examined, matched, files sorted by path (Sort-Object: case-insensitive, line 462).
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
    if len(path) >= 248:
        # New-Object DirectoryInfo (line 229) on Windows PowerShell 5.1: .NET Framework's legacy path handling
        # refuses a folder name of 248 characters or more; nothing catches it. (This also ends a search that
        # follows a link loop, which otherwise never stops: the recursion comes before CheckedPaths.)
        raise DotNetError("System.IO.PathTooLongException", 'Exception calling ".ctor" with "1" argument(s): "The '
                          'specified path, file name, or both are too long. The fully qualified file name must be '
                          'less than 260 characters, and the directory name must be less than 248 characters."')
    try:
        attrs = fs.attributes_now(path)
    except DotNetError as exc:
        raise DotNetError(exc.type_name, 'Exception getting "Attributes": "%s"' % exc.message)
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
    bound_depth = depth  # $PSBoundParameters['Depth'] of this call, shared by every child folder (the bug)
    for child in children:
        child_attrs = fs.attributes(child)
        if child_attrs is None:
            continue
        if child_attrs["is_dir"] and params["recurse"] and depth != 1:
            if params["follow"] or not child_attrs["is_link"]:
                bound_depth -= 1
                _search(ctx, params, child, bound_depth, checked, out)
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
        if child_attrs["is_dir"]:
            ctx.wmi("Win32_Share", "Path='%s'" % re.sub(r"(\\|')", r"\\\1", child))
        else:
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
    depth = params["depth"] or 0  # [System.Int32]$Depth bound to $null: 0
    for path in params["paths"]:
        _search(ctx, params, ctx.fs.full(path), depth, checked, files)
    files.sort(key=lambda f: f["path"].lower())
    return basic_result(ctx, {"examined": ctx.examined, "matched": ctx.matched, "files": files}, params)
