# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible.windows.win_copy, the module half, after ansible.windows 3.3.0 plugins/modules/win_copy.ps1
(Ansible.ModuleUtils.Legacy + Ansible.ModuleUtils.Backup). The win_copy action plugin drives it in modes:

- ``query``: for each of ``files`` ({src, dest, checksum}) whether dest\\<dest> is missing or has another sha1
  (Get-FileChecksum); a folder in the way fails. Returns the files to send.
- ``single``: ``src`` is the temporary file the action put on the desk; ``dest`` a file, or a folder (trailing
  separator or an existing folder) that gets ``_original_basename``. The destination's folder must exist when dest
  names the file ("Destination directory '<dir>' does not exist"). ``backup`` copies the old file to
  ``<dest>.<pid>.<yyyyMMdd-HHmmss>.bak`` (Backup-File, local time), then ``Copy-Item -Force`` writes dest in place:
  not a rename, so an interrupted copy can leave dest half-written.
- ``remote``: a copy from ``src`` on the desk (remote_src); one file here, folders are not emulated.
- ``explode`` (zip of several files) is not emulated.
``src`` and ``dest`` are paths (expanded for the connecting account).
"""

from __future__ import annotations

import datetime
import hashlib
import ntpath

from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.basic import legacy_fail, legacy_param
from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.desk_fs import DotNetError


def _sha1(fs, path):
    return hashlib.sha1(fs.read_bytes(path)).hexdigest()


def backup_file(ctx, path):
    """Backup-File: <path>.<pid>.<yyyyMMdd-HHmmss>.bak when path is a file."""
    if not ctx.fs.test_path(path, "Leaf"):
        return None
    backup = "%s.%d.%s.bak" % (path, ctx.pid, datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    if not ctx.check_mode:
        try:
            ctx.fs.copy(path, backup, overwrite=False)
        except DotNetError as exc:
            legacy_fail("Failed to create backup file '%s' from '%s'. (%s)" % (backup, path, exc.message))
    return backup


def _copy_file(ctx, source, dest, result, backup, force):
    fs = ctx.fs
    checksum = _sha1(fs, source) if force else None
    copy = False
    if fs.test_path(dest, "Container"):
        legacy_fail("cannot copy file from '%s' to '%s': dest is already a folder" % (source, dest), result)
    elif fs.test_path(dest, "Leaf"):
        copy = force and _sha1(fs, dest) != checksum
    else:
        copy = True
    if copy:
        folder = ntpath.dirname(dest)
        if fs.test_path(folder, "Leaf"):
            legacy_fail("cannot copy file from '%s' to '%s': object at dest parent dir is not a folder"
                        % (source, dest), result)
        if not fs.test_path(folder) and not ctx.check_mode:
            fs.create_directory(folder)
        if backup:
            result["backup_file"] = backup_file(ctx, dest)
        if not ctx.check_mode:
            fs.copy(source, dest, overwrite=True)
        result["changed"] = True
    return checksum


def run(ctx):
    fs = ctx.fs
    mode = legacy_param(ctx, "_copy_mode", "str", default="single", choices=("explode", "query", "remote", "single"))
    src = legacy_param(ctx, "src", "path", required=mode in ("explode", "single"))
    dest = legacy_param(ctx, "dest", "path", required=True)
    backup = legacy_param(ctx, "backup", "bool", default=False)
    force = legacy_param(ctx, "force", "bool", default=True)
    result = {"changed": False}
    try:
        if mode == "query":
            changed_files = []
            for item in legacy_param(ctx, "files", "list", default=[]) or []:
                path = ntpath.join(dest, item["dest"])
                if fs.test_path(path, "Container"):
                    path = ntpath.join(path, ntpath.basename(item["src"]))
                if fs.test_path(path, "Leaf"):
                    if force and _sha1(fs, path) != item["checksum"]:
                        changed_files.append(item)
                elif fs.test_path(path, "Container"):
                    legacy_fail("cannot copy file to dest '%s': object at path is already a directory" % path, result)
                else:
                    changed_files.append(item)
            result.update(files=changed_files, directories=[], symlinks=[])
        elif mode == "single":
            if not fs.test_path(src, "Leaf"):
                legacy_fail("Cannot copy src file: '%s' as it does not exist" % src, result)
            remote_dest = dest
            if dest.endswith(("/", "\\")) or fs.test_path(dest, "Container"):
                remote_dest = ntpath.join(dest, legacy_param(ctx, "_original_basename", "str"))
            parent = ntpath.dirname(remote_dest)
            if fs.test_path(parent, "Leaf"):
                legacy_fail("object at destination parent dir '%s' is currently a file" % parent, result)
            elif not fs.test_path(parent, "Container"):
                if dest == remote_dest:
                    legacy_fail("Destination directory '%s' does not exist" % parent, result)
                fs.create_directory(parent)
            if backup:
                result["backup_file"] = backup_file(ctx, remote_dest)
            fs.copy(src, remote_dest, overwrite=True)
            result["changed"] = True
        elif mode == "remote":
            result.update(src=src, dest=dest)
            if not fs.test_path(src):
                legacy_fail("Cannot copy src file: '%s' as it does not exist" % src, result)
            if fs.test_path(src, "Container"):
                legacy_fail("the emulator does not emulate win_copy's folder copies", result)
            remote_dest = dest
            if dest.endswith(("/", "\\")) or fs.test_path(dest, "Container"):
                remote_dest = ntpath.join(dest, ntpath.basename(src))
            result.update(operation="file_copy", original_basename=ntpath.basename(src), dest=remote_dest)
            parent = ntpath.dirname(remote_dest)
            if fs.test_path(parent, "Leaf"):
                legacy_fail("object at destination parent dir '%s' is currently a file" % parent, result)
            elif not fs.test_path(parent, "Container"):
                if dest == remote_dest:
                    legacy_fail("Destination directory '%s' does not exist" % parent, result)
                fs.create_directory(parent)
            result["checksum"] = _copy_file(ctx, src, remote_dest, result, backup, force)
            result["size"] = fs.size(remote_dest) if fs.test_path(remote_dest, "Leaf") else None
        else:
            legacy_fail("the emulator does not emulate win_copy's explode mode (several files at once)", result)
    except DotNetError as exc:
        legacy_fail(exc.message, result)
    return result
