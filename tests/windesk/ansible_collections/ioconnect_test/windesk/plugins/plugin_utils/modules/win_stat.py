# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible.windows.win_stat, after ansible.windows 3.3.0 plugins/modules/win_stat.ps1 (Ansible.Basic).

- ``path`` (aliases dest, name) is of type path: expanded for the connecting account.
- Get-AnsibleItem (Ansible.ModuleUtils.FileUtil) calls [System.IO.File]::GetAttributes with
  -ErrorAction SilentlyContinue: a path that does not exist, or is below a folder the account cannot read, is
  ``exists: false`` either way.
- A folder costs a WMI Win32_Share query (line 134, logged as ``wmi_query``).
- ``get_size`` (default true) walks a folder with EnumerateFiles(AllDirectories) (0 when any folder below cannot be
  listed); ``get_checksum`` (default true)
  hashes a file (sha1 by default). ``owner`` is null when the ACL cannot be read.
- Links: islnk with lnk_target (as stored) and lnk_source (absolute); ``follow`` stats the target instead.
"""

from __future__ import annotations

import hashlib
import ntpath
import os
import re

from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.basic import ModuleExit, basic_params, basic_result
from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.desk_fs import DotNetError


def _raise(error):
    raise error


SPEC = {
    "path": {"type": "path", "required": True, "aliases": ("dest", "name")},
    "get_checksum": {"type": "bool", "default": True},
    "get_size": {"type": "bool", "default": True},
    "checksum_algorithm": {"type": "str", "default": "sha1", "choices": ["md5", "sha1", "sha256", "sha384", "sha512"]},
    "follow": {"type": "bool", "default": False},
}


def run(ctx):
    params = basic_params(ctx, "win_stat", SPEC)
    fs = ctx.fs
    path = params["path"]
    try:
        attrs = fs.get_attributes(path)
    except DotNetError:
        return basic_result(ctx, {"stat": {"exists": False}}, params)
    link = fs.link(path)
    if params["follow"] and link is not None:
        path = link["AbsolutePath"]
        try:
            attrs = fs.get_attributes(path)
        except DotNetError:
            return basic_result(ctx, {"stat": {"exists": False}}, params)
        link = fs.link(path)
    full = fs.actual(path)
    stat = {"exists": True, "attributes": ", ".join(attrs["names"]), "isarchive": "Archive" in attrs["names"],
            "isdir": attrs["is_dir"], "ishidden": attrs["hidden"], "isjunction": False, "islnk": False,
            "isreadonly": attrs["readonly"], "isreg": False, "isshared": False, "nlink": 1, "hlnk_targets": [],
            "path": full, "filename": ntpath.basename(full)}
    stat.update(fs.times(path))
    try:
        stat["owner"] = fs.owner(path)
    except DotNetError:
        stat["owner"] = None
    if attrs["is_dir"]:
        # win_stat.ps1 line 134: Get-CimInstance Win32_Share for a folder (the emulated desk has no shares)
        ctx.wmi("Win32_Share", "Path='%s'" % re.sub(r"(\\|')", r"\\\1", full))
        if params["get_size"]:
            # lines 140-150: EnumerateFiles(AllDirectories) throws on the first folder it cannot list; size 0
            total = 0
            try:
                for base, _dirs, files in os.walk(fs.host(path), onerror=_raise):
                    if fs.is_denied(fs.windows(base)):
                        raise OSError("denied")
                    total += sum(os.path.getsize(os.path.join(base, f)) for f in files
                                 if os.path.isfile(os.path.join(base, f)))
            except OSError:
                total = 0
            stat["size"] = total
    else:
        stat["extension"] = ntpath.splitext(full)[1]
        stat["isreg"] = True
        if params["get_checksum"]:
            try:
                data = fs.read_bytes(path)
            except DotNetError as exc:
                raise ModuleExit({"failed": True, "msg": "Failed to get hash of file, set get_checksum to False to "
                                  "ignore this error: %s" % exc.message})
            stat["checksum"] = hashlib.new(params["checksum_algorithm"], data).hexdigest()
        if params["get_size"]:
            stat["size"] = fs.size(path)
    if link is not None:
        stat.update(islnk=True, isreg=False, lnk_target=link["TargetPath"], lnk_source=link["AbsolutePath"])
    return basic_result(ctx, {"stat": stat}, params)
