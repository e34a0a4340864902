# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The file system of an emulated Windows desk, as the .NET calls of ansible.windows' modules see it.

A desk is a folder on this machine: ``<desk>/fs/C/Users/kim/...`` is ``C:\\Users\\kim\\...``, and ``<desk>/desk.json``
says who connects and what that account may not read:

    {"account": "svc_fleet",                  # the connecting account (its profile is C:\\Users\\<account>)
     "deny": ["C:\\\\Users\\\\kim"],             # folders the account can neither list nor look into
     "logged_on": ["kim"],                    # users with a loaded profile (Win32_UserProfile.Loaded)
     "hidden": ["AppData"],                   # extra names with the Hidden attribute
     "env": {"ProgramFiles": "D:\\\\Apps"},     # environment variables of the account, over the defaults
     "edit_after_read": {"C:\\\\...\\\\system.json": "<base64>"},   # someone saves the file just after a read
     "crash_during_write": ["C:\\\\...\\\\system.json"],         # the writing process dies mid-write
     "owners": {"c:\\\\users\\\\kim\\\\x": "BUILTIN\\\\Administrators"},  # owners other than the default one
     "reparse": {"c:\\\\users\\\\kim\\\\x": "Junction"},    # a link's kind (default SymbolicLink)
     "faults": [{"call": "ReplaceFile", "path": "C:\\\\...", "error": 1177}],  # a Win32 call fails, once
     "kill_at": {"step": "replace", "path": "C:\\\\..."},         # the process dies after this step of COMMIT
     "after_scan": [{"junction": "C:\\\\...", "target": "C:\\\\..."}]}     # the user plants a link after SCAN

What each behaviour follows, in .NET and Windows terms (the modules' .ps1 sources call these):
- Paths are case-insensitive and case-preserving (NTFS): every component is looked up ignoring case.
- ``[Environment]::ExpandEnvironmentVariables`` replaces %NAME% (any case) with the connecting account's value and
  leaves unknown names as they are; it is what Ansible.Basic does to options of type path, and what
  Ansible.ModuleUtils.Legacy's Get-AnsibleParam -type path does (Expand-Environment).
- A relative path is resolved against the session's location, the account's profile folder
  (``$ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath`` in win_find).
- A denied folder: its own attributes can be read (its parent lists it), but listing it or reading anything below it
  fails with UnauthorizedAccessException ("Access to the path '...' is denied."); its ACL cannot be read
  ("Attempted to perform an unauthorized operation."); ``Test-Path`` on anything below it is false, and
  ``DirectoryInfo.Attributes`` of anything below it is -1.
- A host symbolic link is a reparse point: a symbolic link, or a junction when desk.json ``reparse`` says so; its
  owner is desk.json ``owners``' or, by default, the profile's user below C:\\Users\\<user> (a standard user may
  create junctions in folders they own) and BUILTIN\\Administrators elsewhere. A host symbolic link is followed
  by every call but SafeIo's (safe_io.py), as Windows follows links for calls made without
  FILE_FLAG_OPEN_REPARSE_POINT; a host file without write permission has the ReadOnly attribute.
- Hidden is an attribute (desk.json ``hidden`` and the usual hidden names), never implied by a leading ".".
- A folder lists its entries in NTFS index order: case-insensitive (upper-cased, ordinal).
- ``DirectoryInfo.Attributes`` of a new object (``attributes_now``): .NET Framework 4.x FileSystemInfo.Attributes
  calls Refresh (File.FillAttributeInfo): not found gives -1, any other error, access denied included, is thrown
  (__Error.WinIOError) as UnauthorizedAccessException. Entries from an enumeration carry the attributes the
  enumeration read and do not throw.
"""

from __future__ import annotations

import base64
import json
import ntpath
import os
import re
import stat

DEFAULT_HIDDEN = ("appdata", "programdata", "default", "all users", "default user", "desktop.ini", "ntuser.dat")


class DotNetError(Exception):
    """A .NET exception: type is its class name, as FullName (System.UnauthorizedAccessException, ...)."""

    def __init__(self, type_name: str, message: str):
        super().__init__(message)
        self.type_name = type_name
        self.message = message


def access_denied(path):
    return DotNetError("System.UnauthorizedAccessException", "Access to the path '%s' is denied." % path)


def not_found(path):
    return DotNetError("System.IO.FileNotFoundException", "Could not find file '%s'." % path)


def part_not_found(path):
    return DotNetError("System.IO.DirectoryNotFoundException", "Could not find a part of the path '%s'." % path)


class DeskFS:
    def __init__(self, root: str, account: str = ""):
        self.root = os.path.abspath(root)
        self.fs = os.path.join(self.root, "fs")
        try:
            with open(os.path.join(self.root, "desk.json"), encoding="utf-8") as handle:
                self.config = json.load(handle)
        except FileNotFoundError:
            self.config = {}
        self.account = self.config.get("account") or account or "Administrator"
        profile = "C:\\Users\\%s" % self.account
        self.env = {
            "SystemDrive": "C:", "SystemRoot": "C:\\Windows", "windir": "C:\\Windows",
            "ProgramData": "C:\\ProgramData", "ALLUSERSPROFILE": "C:\\ProgramData",
            "ProgramFiles": "C:\\Program Files", "ProgramFiles(x86)": "C:\\Program Files (x86)",
            "PUBLIC": "C:\\Users\\Public", "USERNAME": self.account, "USERPROFILE": profile,
            "HOMEDRIVE": "C:", "HOMEPATH": "\\Users\\%s" % self.account,
            "APPDATA": profile + "\\AppData\\Roaming", "LOCALAPPDATA": profile + "\\AppData\\Local",
            "TEMP": profile + "\\AppData\\Local\\Temp", "TMP": profile + "\\AppData\\Local\\Temp",
        }
        self.env.update(self.config.get("env") or {})
        self.deny = [self.key(p) for p in self.config.get("deny") or []]
        self.hidden = set(DEFAULT_HIDDEN) | {h.lower() for h in self.config.get("hidden") or []}
        self.cwd = profile

    # -- names -----------------------------------------------------------------------------------------------
    def expand(self, value):
        """[Environment]::ExpandEnvironmentVariables: %NAME% (case-insensitive) -> value; unknown names stay."""
        if not isinstance(value, str):
            return value
        lookup = {k.lower(): v for k, v in self.env.items()}
        return re.sub(r"%([^%]+)%", lambda m: lookup.get(m.group(1).lower(), m.group(0)), value)

    def full(self, path: str) -> str:
        """An absolute, normalised Windows path (relative paths are below the session's location)."""
        path = path.replace("/", "\\")
        if not (re.match(r"^[A-Za-z]:\\", path) or path.startswith("\\\\")):
            path = ntpath.join(self.cwd, path)
        return ntpath.normpath(path)

    @staticmethod
    def key(path: str) -> str:
        return ntpath.normcase(ntpath.normpath(path.replace("/", "\\")))

    def host(self, path: str) -> str:
        """Where a Windows path lives on this machine, each existing component matched ignoring case."""
        path = self.full(path)
        drive, rest = ntpath.splitdrive(path)
        current = os.path.join(self.fs, drive.rstrip(":").upper())
        for part in [p for p in rest.split("\\") if p]:
            candidate = os.path.join(current, part)
            if not os.path.lexists(candidate) and os.path.isdir(current):
                for name in os.listdir(current):
                    if name.lower() == part.lower():
                        candidate = os.path.join(current, name)
                        break
            current = candidate
        return current

    def windows(self, host_path: str) -> str:
        """The Windows path of a host path inside the desk."""
        rel = os.path.relpath(host_path, self.fs)
        drive, _sep, rest = rel.partition(os.sep)
        return "%s:\\%s" % (drive, rest.replace(os.sep, "\\")) if rest else "%s:\\" % drive

    def actual(self, path: str) -> str:
        """The path with each component in its case on disk (what FullName reports)."""
        return self.windows(self.host(path))

    # -- access ------------------------------------------------------------------------------------------------
    def below_denied(self, path: str) -> bool:
        key = self.key(self.full(path))
        return any(key.startswith(d + "\\") for d in self.deny)

    def is_denied(self, path: str) -> bool:
        key = self.key(self.full(path))
        return key in self.deny or self.below_denied(path)

    # -- .NET file system calls --------------------------------------------------------------------------------
    def attributes(self, path: str):
        """DirectoryInfo/FileInfo.Attributes: None for -1 (does not exist, or cannot be looked at)."""
        if self.below_denied(path):
            return None
        host = self.host(path)
        if not os.path.lexists(host):
            return None
        names = []
        is_dir = os.path.isdir(host)
        if os.path.islink(host):
            names.append("ReparsePoint")
        if is_dir:
            names.append("Directory")
        else:
            names.append("Archive")
        # Windows hides what has the Hidden attribute, never a name for starting with "." (that is a POSIX habit).
        if ntpath.basename(self.full(path)).lower() in self.hidden:
            names.append("Hidden")
        try:
            if not is_dir and not (os.lstat(host).st_mode & stat.S_IWUSR):
                names.append("ReadOnly")
        except OSError:
            pass
        return {"names": names, "is_dir": is_dir, "is_link": os.path.islink(host), "hidden": "Hidden" in names,
                "readonly": "ReadOnly" in names}

    def attributes_now(self, path: str):
        """``(New-Object System.IO.DirectoryInfo $path).Attributes`` on .NET Framework 4.x: None for -1 (not found),
        UnauthorizedAccessException for something that exists below a folder the account cannot look into."""
        if self.below_denied(path) and os.path.lexists(self.host(path)):
            raise access_denied(self.full(path))
        return self.attributes(path)

    def get_attributes(self, path: str):
        """[System.IO.File]::GetAttributes: throws for a path below a denied folder or one that does not exist."""
        if self.below_denied(path):
            raise access_denied(self.full(path))
        attrs = self.attributes(path)
        if attrs is None:
            raise not_found(self.full(path))
        return attrs

    def test_path(self, path: str, path_type: str = "Any") -> bool:
        """Test-Path -LiteralPath [-PathType Leaf|Container]."""
        attrs = self.attributes(path)
        if attrs is None:
            return False
        if path_type == "Leaf":
            return not attrs["is_dir"]
        if path_type == "Container":
            return attrs["is_dir"]
        return True

    def list_dir(self, path: str) -> list:
        """DirectoryInfo.EnumerateFileSystemInfos("*", TopDirectoryOnly): the Windows paths of the entries."""
        if self.is_denied(path):
            raise access_denied(self.full(path))
        host = self.host(path)
        if not os.path.isdir(host):
            raise part_not_found(self.full(path))
        base = self.full(path)  # FullName of a child: the folder as it was given, then the child's own name
        # NTFS returns a folder's entries in the order of its index, names compared after upper-casing with the
        # volume's upcase table (case-insensitive, ordinal): "Desktop" before "config" is wrong, "config" before
        # "Desktop" right, and "_x" after "Zeta" (0x5F > 0x5A). FindFirstFile/FindNextFile pass that order on.
        return [ntpath.join(base, name) for name in sorted(os.listdir(host), key=lambda n: (n.upper(), n))]

    def owner(self, path: str) -> str:
        """FileSystemInfo.GetAccessControl().Owner."""
        if self.is_denied(path):
            raise DotNetError("System.UnauthorizedAccessException", "Attempted to perform an unauthorized operation.")
        return self.owner_of(path)

    def read_bytes(self, path: str) -> bytes:
        """[System.IO.File]::ReadAllBytes."""
        if self.below_denied(path):
            raise access_denied(self.full(path))
        host = self.host(path)
        if os.path.isdir(host):
            raise access_denied(self.full(path))
        try:
            with open(host, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            if os.path.isdir(os.path.dirname(host)):
                raise not_found(self.full(path))
            raise part_not_found(self.full(path))

    def _writable(self, path: str) -> str:
        if self.is_denied(path) or self.is_denied(ntpath.dirname(self.full(path))):
            raise access_denied(self.full(path))
        host = self.host(path)
        if not os.path.isdir(os.path.dirname(host)):
            raise part_not_found(self.full(path))
        return host

    def write_bytes(self, path: str, data: bytes, create_new: bool = False) -> None:
        """FileStream(path, CreateNew or Create) + Write: the bytes land in path (a link's target)."""
        host = self._writable(path)
        if create_new and os.path.lexists(host):
            raise DotNetError("System.IO.IOException", "The file '%s' already exists." % self.full(path))
        attrs = self.attributes(path)
        if attrs is not None and attrs["readonly"]:
            raise access_denied(self.full(path))
        with open(host, "wb") as handle:
            handle.write(data)

    def delete(self, path: str) -> None:
        """[System.IO.File]::Delete: no error when the file does not exist."""
        host = self._writable(path)
        if os.path.isdir(host) and not os.path.islink(host):
            raise access_denied(self.full(path))
        if os.path.lexists(host):
            os.unlink(host)

    def move(self, source: str, dest: str) -> None:
        """[System.IO.File]::Move: a rename; fails when dest exists."""
        src_host, dest_host = self._writable(source), self._writable(dest)
        if os.path.lexists(dest_host):
            raise DotNetError("System.IO.IOException", "Cannot create a file when that file already exists.")
        os.rename(src_host, dest_host)

    def replace(self, source: str, dest: str) -> None:
        """[System.IO.File]::Replace(source, dest, null) (ReplaceFile): source takes dest's place in one step; a
        read-only dest refuses (access denied); dest's mode (its ACL) is kept."""
        src_host, dest_host = self._writable(source), self._writable(dest)
        attrs = self.attributes(dest)
        if attrs is None:
            raise not_found(self.full(dest))
        if attrs["readonly"]:
            raise access_denied(self.full(dest))
        real = os.path.realpath(dest_host)
        os.chmod(src_host, stat.S_IMODE(os.stat(real).st_mode))
        os.replace(src_host, real)

    def copy(self, source: str, dest: str, overwrite: bool) -> None:
        """[System.IO.File]::Copy / Copy-Item -Force: the bytes of source written over dest (in place)."""
        data = self.read_bytes(source)
        if not overwrite and os.path.lexists(self.host(dest)):
            raise DotNetError("System.IO.IOException", "The file '%s' already exists." % self.full(dest))
        self.write_bytes(dest, data)

    def create_directory(self, path: str) -> bool:
        """[System.IO.Directory]::CreateDirectory / New-Item -ItemType Directory: every missing level."""
        full = self.full(path)
        if self.is_denied(full) and not self.test_path(full, "Container"):
            raise access_denied(full)
        host = self.host(full)
        if os.path.isdir(host):
            return False
        if os.path.lexists(host):
            raise DotNetError("System.IO.IOException", "Cannot create '%s' because a file with that name already "
                              "exists." % full)
        parts = ntpath.normpath(full).split("\\")
        for level in range(2, len(parts) + 1):
            sub = "\\".join(parts[:level])
            if not self.test_path(sub):
                if self.is_denied(sub):
                    raise access_denied(sub)
                os.makedirs(self.host(sub), exist_ok=True)
        return True

    def link(self, path: str):
        """Ansible.ModuleUtils.LinkUtil Get-Link: None, or {Type, TargetPath (as stored), AbsolutePath}."""
        host = self.host(path)
        if not os.path.islink(host):
            return None
        stored = os.readlink(host)
        absolute = os.path.normpath(os.path.join(os.path.dirname(host), stored))
        return {"Type": "SymbolicLink",
                "TargetPath": self.windows(absolute) if os.path.isabs(stored) else stored.replace("/", "\\"),
                "AbsolutePath": self.windows(absolute)}

    def times(self, path: str) -> dict:
        info = os.lstat(self.host(path))
        return {"creationtime": info.st_ctime, "lastaccesstime": info.st_atime, "lastwritetime": info.st_mtime}

    def size(self, path: str) -> int:
        try:
            return os.path.getsize(self.host(path))
        except OSError:
            return 0  # a dangling link

    # -- owners, links, faults ------------------------------------------------------------------------------------
    def owner_of(self, path: str) -> str:
        """The owner of the entry itself (a link's own owner, not its target's)."""
        owners = {self.key(k): v for k, v in (self.config.get("owners") or {}).items()}
        key = self.key(self.full(path))
        if key in owners:
            return owners[key]
        match = re.match(r"^c:\\users\\([^\\]+)", key)
        if match and match.group(1) not in ("public", "default"):
            return "DESK\\%s" % ntpath.basename(self.actual("C:\\Users\\" + match.group(1)))
        return "BUILTIN\\Administrators"

    @staticmethod
    def sid(owner: str) -> str:
        known = {"builtin\\administrators": "S-1-5-32-544", "nt authority\\system": "S-1-5-18",
                 "nt service\\trustedinstaller": "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"}
        if owner.lower() in known:
            return known[owner.lower()]
        return "S-1-5-21-1004336348-1177238915-682003330-%d" % (1000 + sum(owner.lower().encode()) % 9000)

    def link_type(self, path: str) -> str:
        kinds = {self.key(k): v for k, v in (self.config.get("reparse") or {}).items()}
        return kinds.get(self.key(self.full(path)), "SymbolicLink")

    def fault(self, call: str, path: str) -> int:
        """A Win32 error planned for this call on this path (desk.json faults: path, or the name's suffix for the
        random names COMMIT makes, e.g. ".tmp", ".bak"), used once; 0 when none."""
        faults = self.config.get("faults") or []
        for index, fault in enumerate(faults):
            if fault.get("call") != call or (fault.get("suffix") and not path.lower().endswith(fault["suffix"])):
                continue
            if not fault.get("path") or self.key(fault["path"]) == self.key(path):
                del faults[index]
                self._save_config()
                return int(fault["error"])
        return 0

    def killed_at(self, step: str, path: str) -> bool:
        """Whether the process dies right after this step (desk.json kill_at), once."""
        plan = self.config.get("kill_at") or {}
        if plan.get("step") != step or (plan.get("path") and self.key(plan["path"]) != self.key(path)):
            return False
        self.config.pop("kill_at")
        self._save_config()
        return True

    def plant(self, events_key: str, pinned=()) -> list:
        """Runs the hostile user's planned changes (desk.json after_scan / swap_during_commit), once: each
        {"junction"|"symlink": path, "target": path, "owner": owner} replaces path (a file or a folder moved
        aside as <path>.moved) with a link. A folder held pinned cannot be moved (sharing violation): that change
        fails. Returns what was done, for the operation log."""
        done = []
        for event in self.config.pop(events_key, None) or []:
            kind = "junction" if "junction" in event else "symlink"
            path = self.full(event[kind])
            host = self.host(path)
            if self.key(path) in pinned or any(self.key(path) == p for p in pinned):
                done.append({"planted": path, "refused": "sharing violation (pinned)"})
                continue
            if os.path.lexists(host):
                os.rename(host, host + ".moved")
            os.makedirs(os.path.dirname(host), exist_ok=True)
            os.symlink(self.host(event["target"]), host)
            self.config.setdefault("reparse", {})[self.key(path)] = "Junction" if kind == "junction" else \
                "SymbolicLink"
            if event.get("owner"):
                self.config.setdefault("owners", {})[self.key(path)] = event["owner"]
            done.append({"planted": path})
        if done:
            self._save_config()
        return done

    # -- scripted events ---------------------------------------------------------------------------------------
    def after_read(self, path: str) -> None:
        """Someone saves the file right after it was read (desk.json edit_after_read), once."""
        edits = self.config.get("edit_after_read") or {}
        for name, content in list(edits.items()):
            if self.key(name) == self.key(self.full(path)):
                with open(self.host(path), "wb") as handle:
                    handle.write(base64.b64decode(content))
                del edits[name]
                self._save_config()

    def crashes_writing(self, path: str) -> bool:
        return any(self.key(p) == self.key(self.full(path)) for p in self.config.get("crash_during_write") or [])

    def _save_config(self) -> None:
        with open(os.path.join(self.root, "desk.json"), "w", encoding="utf-8") as handle:
            json.dump(self.config, handle, indent=2)
