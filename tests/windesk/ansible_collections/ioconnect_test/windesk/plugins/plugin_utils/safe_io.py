# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The C# class IoConnectFleet.SafeIo of ioconnect.fleet's Windows scripts (plugin_utils/windows_scripts.py SAFE_IO),
method by method, on the emulated desk's file system (desk_fs.py): reparse points are host symbolic links, with a
type (SymbolicLink, Junction) and an owner given in desk.json.

The Win32 behaviour each method follows:
- CreateFileW with FILE_FLAG_OPEN_REPARSE_POINT opens the entry itself, never its target; CREATE_NEW fails with
  ERROR_FILE_EXISTS (80) when the name exists, a link included, dangling or not.
- GetFinalPathNameByHandleW: the path of the opened object with every link on its way resolved (os.path.realpath of
  the host path).
- A folder handle held without FILE_SHARE_DELETE (Pins): the folder cannot be renamed or deleted meanwhile
  (ERROR_SHARING_VIOLATION, 32), so no swap of it for a junction can happen; the emulator refuses such a swap
  (desk.json ``swap_during_commit``) while the folder is pinned.
- ReplaceFileW with a backup name (Win32 docs, ReplaceFileW, "Return value"): success renames the replaced file to
  the backup name and the replacement to the replaced name; ERROR_UNABLE_TO_REMOVE_REPLACED (1175) and
  ERROR_UNABLE_TO_MOVE_REPLACEMENT (1176, a backup name given): both files keep their names;
  ERROR_UNABLE_TO_MOVE_REPLACEMENT_2 (1177): the replacement keeps its name, the replaced file has the backup name;
  any other error: both keep their names. Faults are injected from desk.json ``faults``.
- MoveFileExW without MOVEFILE_REPLACE_EXISTING: fails with ERROR_ALREADY_EXISTS (183) when the target exists.
"""

from __future__ import annotations

import ntpath
import os
import stat

from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.desk_fs import DotNetError

MAX_LINK_HOPS = 31
ADMIN_SIDS = ("S-1-5-32-544", "S-1-5-18", "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464")
ERROR_FILE_EXISTS = 80
ERROR_ALREADY_EXISTS = 183
ERROR_SHARING_VIOLATION = 32


class UnsafeLink(DotNetError):
    def __init__(self, message):
        super().__init__("IoConnectFleet.UnsafeLinkException", message)


class Node:
    def __init__(self, path):
        self.path = path
        self.exists = False
        self.is_dir = False
        self.is_link = False
        self.link_type = ""
        self.target = ""
        self.owner = ""
        self.owner_sid = ""
        self.hard_links = 0


def same(left: str, right: str) -> bool:
    return left.rstrip("\\").lower() == right.rstrip("\\").lower()


def inside(path: str, folder: str) -> bool:
    child = ntpath.normpath(path).rstrip("\\")
    parent = ntpath.normpath(folder).rstrip("\\")
    return same(child, parent) or child.lower().startswith(parent.lower() + "\\")


def refusal(node: Node, root: str) -> str:
    return ("%s is a link owned by %s to %s, outside the profile %s; ioconnect.fleet does not follow it"
            % (node.path, node.owner or "an unknown owner", node.target or "an unknown target", root))


class SafeIo:
    """SafeIo's static methods, bound to one desk; pins: the Windows paths (lower case) of pinned folders."""

    def __init__(self, fs):
        self.fs = fs
        self.pins = set()

    def final_path(self, windows_path: str) -> str:
        return self.fs.windows(os.path.realpath(self.fs.host(windows_path)))

    def inspect(self, path: str, pins=None) -> Node:
        fs = self.fs
        full = fs.full(path)
        node = Node(full)
        if fs.below_denied(full):
            raise DotNetError("System.IO.IOException", "cannot open %s: Access is denied (Win32 error 5)" % full)
        host = fs.host(full)
        if not os.path.lexists(host):
            return node
        node.exists = True
        node.path = fs.actual(full)
        node.is_link = os.path.islink(host)
        node.is_dir = os.path.isdir(host)
        node.hard_links = os.lstat(host).st_nlink if not node.is_link else 1
        node.owner = fs.owner_of(full)
        node.owner_sid = fs.sid(node.owner)
        if node.is_link:
            node.link_type = fs.link_type(full)
            stored = os.readlink(host)
            absolute = os.path.normpath(os.path.join(os.path.dirname(host), stored))
            fs_root = fs.fs + os.sep
            node.target = fs.windows(absolute) if (absolute + os.sep).startswith(fs_root) else ""
            node.target = fs.config.get("link_targets", {}).get(fs.key(full), node.target)
        if pins is not None and node.is_dir and not node.is_link:
            pins.add(fs.key(node.path))
        return node

    def resolve(self, path: str, root: str, pins=None, hops: int = 0) -> str:
        if hops > MAX_LINK_HOPS:
            raise DotNetError("System.IO.IOException", "too many links on the way to " + path)
        full = self.fs.full(path)
        drive, rest = ntpath.splitdrive(full)
        current = drive + "\\"
        parts = [p for p in rest.split("\\") if p]
        for index, part in enumerate(parts):
            candidate = ntpath.join(current, part)
            node = self.inspect(candidate, pins if inside(candidate, root) else None)
            if not node.exists:
                return ntpath.join(current, *parts[index:])
            if node.is_link:
                follow = node.owner_sid in ADMIN_SIDS or (node.target and inside(node.target, root))
                if not follow:
                    raise UnsafeLink(refusal(node, root))
                current = self.resolve(node.target, root, pins, hops + 1)
            else:
                current = node.path
        return current

    def _check(self, resolved: str, root: str) -> None:
        node = self.inspect(resolved)
        if node.is_link:
            raise UnsafeLink(refusal(node, root))
        if node.is_dir:
            raise DotNetError("System.IO.IOException", "%s is a folder, not a file" % resolved)
        if node.hard_links > 1:
            raise UnsafeLink("%s has %d hard links (names elsewhere for the same bytes); ioconnect.fleet does not "
                             "read or write it" % (resolved, node.hard_links))
        final = self.final_path(resolved)
        if not same(final, resolved):
            raise UnsafeLink("%s is now %s: a folder on its path was replaced while it was used; nothing was read "
                             "or written" % (resolved, final))

    def open_read(self, resolved: str, root: str):
        """OpenRead: the bytes, or None when there is no file."""
        fs = self.fs
        if fs.below_denied(resolved):
            raise DotNetError("System.IO.IOException", "cannot open %s: Access is denied. (Win32 error 5)" % resolved)
        if not os.path.lexists(fs.host(resolved)):
            return None
        self._check(resolved, root)
        data = fs.read_bytes(resolved)
        fs.after_read(resolved)
        return data

    def create_exclusive(self, path: str, root: str, data: bytes) -> None:
        """CreateExclusive + Write + Flush(true)."""
        fs = self.fs
        full = fs.full(path)
        host = fs.host(full)
        if fs.is_denied(ntpath.dirname(full)):
            raise DotNetError("System.IO.IOException", "cannot create %s: Access is denied. (Win32 error 5)" % full)
        if not os.path.isdir(os.path.dirname(host)):
            raise DotNetError("System.IO.IOException", "cannot create %s: The system cannot find the path "
                              "specified. (Win32 error 3)" % full)
        fault = fs.fault("CreateFile", full)
        if fault:
            raise DotNetError("System.IO.IOException", "cannot create %s: %s (Win32 error %d)"
                              % (full, {112: "There is not enough space on the disk."}.get(fault, "Win32 error"), fault))
        if os.path.lexists(host):
            raise DotNetError("System.IO.IOException", "cannot create %s: The file exists. (Win32 error %d)"
                              % (full, ERROR_FILE_EXISTS))
        final = self.final_path(full)
        if not same(final, full):
            raise UnsafeLink("%s was created as %s: a folder on its path was replaced while it was used"
                             % (full, final))
        fd = os.open(host, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)

    def replace(self, replaced: str, replacement: str, backup: str) -> int:
        fs = self.fs
        fault = fs.fault("ReplaceFile", replaced)
        src, dest, bak = fs.host(replacement), fs.host(replaced), fs.host(backup)
        if fault in (1175, 1176) or (fault and fault != 1177):
            return fault  # both files keep their names
        if fault == 1177:
            os.rename(dest, bak)  # the replaced file now has the backup's name; the replacement keeps its own
            return fault
        if not os.path.lexists(dest):
            return 2
        if fs.attributes(replaced)["readonly"]:
            return 5
        mode = stat.S_IMODE(os.lstat(dest).st_mode)
        os.rename(dest, bak)
        os.chmod(src, mode)  # ReplaceFile keeps the replaced file's ACL (the host mode here)
        os.rename(src, dest)
        return 0

    def move(self, source: str, target: str) -> int:
        fs = self.fs
        fault = fs.fault("MoveFileEx", target)
        if fault:
            return fault
        if os.path.lexists(fs.host(target)):
            return ERROR_ALREADY_EXISTS
        if not os.path.lexists(fs.host(source)):
            return 2
        os.rename(fs.host(source), fs.host(target))
        return 0
