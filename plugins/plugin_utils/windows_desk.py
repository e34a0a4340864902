# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Windows desk as the action plugins see it: every remote operation, with ansible.windows modules only.

Nothing is installed on the desk. What each call costs (module executions, each one round trip):

- list the profiles: ansible.windows.win_find on the profile folder (1); logged-on users: win_powershell (1);
  the connecting account's own profile: the PowerShell shell's expand_user (1)
- find every install: one ansible.windows.win_find over all the searched folders (1)
- read a file: ansible.windows.slurp (1 per file; the bytes come back as they are, BOM included)
- write any number of files, backups, folders and the ledger entry: one win_powershell run of the COMMIT script (1)
- a Start-menu shortcut: community.windows.win_shortcut (1 each, only for missing ones)

Facts of ansible.windows 3.3.0 this relies on (read in its .ps1 sources):
- win_find's ``paths`` is a list of plain strings: environment variables are not expanded (an unexpanded
  ``%LOCALAPPDATA%`` becomes a relative path and is skipped with a warning), so every path given here is absolute.
- win_find's defaults walk and hash more than needed: ``get_checksum`` is turned off. It lists hidden entries only
  with ``hidden: true`` (AppData itself is hidden; what is below it is listed either way).
- A folder the connecting account cannot list yields no entries and no error in win_find (the
  UnauthorizedAccessException is swallowed), and slurp then says "not found". A profile folder whose owner win_find
  cannot read (``owner`` null, with a warning naming the folder) is one the account cannot read: it is reported
  as unreadable, never as "not installed".
- slurp's ``src`` is a path option: Ansible.ModuleUtils.Legacy expands environment variables in it for the
  connecting account. The paths given here are absolute already.
"""

from __future__ import annotations

import base64
import ntpath
import re

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import discovery
from ansible_collections.ioconnect.fleet.plugins.plugin_utils import windows_scripts

PROFILE_ROOT = "C:\\Users"
COMMON_START_MENU = "C:\\ProgramData\\Microsoft\\Windows\\Start Menu\\Programs"
_OWNER_WARNING = re.compile(r"^Failed to get the owner for '(?P<path>.*)': (?P<reason>.*)$", re.S)


def absolute(path: str) -> bool:
    """A Windows path win_find can take as it is: a drive-rooted or UNC path without environment variables."""
    return bool(re.match(r"^([A-Za-z]:\\|\\\\[^\\]+\\)", path or "")) and "%" not in path


class WindowsDesk:
    flavour = ntpath

    def __init__(self, action, task_vars):
        self._action = action
        self._task_vars = task_vars
        self.operations = 0  # module executions and shell calls made, for the result

    def _run(self, module: str, args: dict) -> dict:
        self.operations += 1
        return self._action._execute_module(module_name=module, module_args=args, task_vars=self._task_vars)

    # -- profiles --------------------------------------------------------------------------------------------
    def list_profiles(self, root: str, names=None, skip=()) -> list:
        """The profile folders under root (all of them, or the named ones), each marked readable or not."""
        found = self._run("ansible.windows.win_find", {"paths": [root], "file_type": "directory",
                                                       "recurse": False, "get_checksum": False})
        if found.get("failed"):
            raise FleetError("the profile folder %s cannot be listed: %s" % (root, to_text(found.get("msg", ""))),
                             kind="access")
        entries = found.get("files") or []
        if not entries and any("does not exist or is not accessible" in to_text(w)
                               for w in found.get("warnings") or []):
            raise FleetError("the profile folder %s does not exist or the connecting account cannot read it "
                             "(profile_root)" % root, kind="access")
        reasons = {}
        for warning in found.get("warnings") or []:
            match = _OWNER_WARNING.match(to_text(warning))
            if match:
                reasons[ntpath.normcase(match.group("path"))] = match.group("reason").strip()
        by_name = {to_text(e["filename"]).lower(): e for e in entries if e.get("isdir")}
        wanted = names if names is not None else [to_text(e["filename"]) for e in entries if e.get("isdir")]
        profiles = discovery.profiles(ntpath, root, wanted, skip if names is None else ())
        for profile in profiles:
            entry = by_name.get(profile.name.lower())
            if entry is None:
                profile.reason = "no such profile folder"
                continue
            profile.path = to_text(entry["path"])
            profile.name = to_text(entry["filename"])
            profile.local = ntpath.join(profile.path, *discovery.LOCAL_APPDATA)
            profile.start_menu = ntpath.join(profile.path, *discovery.START_MENU)
            if entry.get("owner") is None:
                profile.readable = False
                profile.reason = reasons.get(ntpath.normcase(profile.path), "its owner and contents cannot be read")
        return profiles

    def logged_on_profiles(self) -> list:
        result = self._run("ansible.windows.win_powershell", {"script": windows_scripts.LOGGED_ON, "depth": 4})
        if result.get("failed"):
            raise FleetError("cannot list the logged-on users: %s" % _powershell_error(result), kind="access")
        out = []
        for item in (result.get("result") or {}).get("profiles") or []:
            path = to_text(item.get("path") or "")
            profile = discovery.Profile(ntpath, ntpath.dirname(path), ntpath.basename(path), path=path,
                                        readable=bool(item.get("readable")), reason=to_text(item.get("reason") or ""))
            out.append(profile)
        return out

    def own_profile(self) -> list:
        """The connecting account's profile folder, as the desk says (the PowerShell shell's expand_user of ~;
        ActionBase._remote_expand_user would ask for ~<remote_user>, which powershell_expand_user.ps1 returns as is)."""
        self.operations += 1
        shell = self._action._connection._shell
        if hasattr(shell, "_expand_user2"):
            # ansible-core 2.19+: the bootstrap wrapper runs powershell_expand_user.ps1 (what core itself uses)
            command = shell._expand_user2("~")
            out = self._action._low_level_execute_command(command.command, in_data=command.input_data, sudoable=False)
        else:
            # ansible-core 2.16-2.18: the public expand_user, an encoded ``Write-Output (Get-Location).Path`` (a
            # session starts in the account's profile folder)
            out = self._action._low_level_execute_command(shell.expand_user("~"), sudoable=False)
        lines = to_text(out.get("stdout", "")).strip().splitlines()
        if out.get("rc") != 0 or not lines:
            raise FleetError("cannot find the connecting account's profile folder: %s"
                             % to_text(out.get("stderr") or out.get("stdout") or "no answer"), kind="io")
        path = lines[-1].strip()
        return [discovery.Profile(ntpath, ntpath.dirname(path), ntpath.basename(path), path=path)]

    # -- installs --------------------------------------------------------------------------------------------
    def find(self, roots, depth: int, extra_patterns=()) -> list:
        """Every file below the roots whose name discovery wants, in one win_find (links followed).

        ``depth`` is not passed to win_find: up to ansible.windows 3.3.0 its depth handling is wrong (upstream
        issue #839: each child folder lowers the depth shared with its siblings, so with the default depth
        ``io.Connect Desktop\\{Cache,Crashpad,Desktop,UserData}`` gives Desktop depth 1 and its
        ``config\\system.json`` is never seen, while UserData is walked without limit). Without ``depth`` every
        version walks the whole tree the same way; discovery.classify keeps only hits within depth levels."""
        del depth
        if not roots:
            return []
        found = self._run("ansible.windows.win_find", {
            "paths": [root.path for root in roots], "patterns": list(discovery.PATTERNS) + list(extra_patterns),
            "recurse": True, "follow": True, "hidden": True, "file_type": "file", "get_checksum": False})
        if found.get("failed"):
            raise FleetError("searching for io.Connect Desktop failed: %s" % to_text(found.get("msg", "")), kind="io")
        entries = []
        for item in found.get("files") or []:
            path = to_text(item["path"])
            target = to_text(item.get("lnk_source") or "") if item.get("islnk") else ""
            entries.append(discovery.Entry(path, target or path))
        return entries

    # -- files -----------------------------------------------------------------------------------------------
    def read(self, path: str):
        """The file's bytes (BOM included), None when it does not exist; FleetError when it cannot be read."""
        slurped = self._run("ansible.windows.slurp", {"src": path})
        if not slurped.get("failed"):
            return base64.b64decode(slurped["content"])
        msg = to_text(slurped.get("msg", ""))
        if msg.endswith("is not found"):
            return None
        if "has an invalid path" in msg:
            # Get-AnsibleParam's Test-Path -IsValid (Ansible.ModuleUtils.Legacy): nothing was read
            raise FleetError("%s is not a valid Windows path (it holds one of \" < > | or a colon after the drive): "
                             "check path" % path, kind="request")
        if msg.endswith("is a directory"):
            raise FleetError("%s is a directory, not a file; check path (it should name system.json)" % path,
                             kind="io")
        kind = "access" if "denied" in msg.lower() or "unauthorized" in msg.lower() else "io"
        raise FleetError("cannot read %s: %s" % (path, msg), kind=kind)

    def commit(self, operations, folders=(), ledger=(), remove=()) -> dict:
        """Run the COMMIT script: {operations: [per operation], ledger: [per entry], removed: [paths]}.

        operations: {op: write|restore|delete, path, content (bytes, write), source (restore), expected (sha1,
        'absent', or None for no check), backup (the backup's path, or None), record (bytes: this file's ledger
        record)}.
        ledger: {path, head, sep, tail (bytes), select ('done' or 'not_done'), ops (indexes of operations), fixed
        (records always kept), when_empty ('skip', 'write' or 'delete')}: the entry written is head + the selected
        records joined by sep + tail."""
        def b64(data):
            return None if data is None else base64.b64encode(data).decode("ascii")

        params = {
            "Operations": [{"op": o["op"], "path": o["path"], "expected": o.get("expected"), "backup": o.get("backup"),
                            "source": o.get("source"), "content": b64(o.get("content")), "record": b64(o.get("record"))}
                           for o in operations],
            "Folders": list(folders),
            "Ledger": [{"path": e["path"], "head": b64(e["head"]), "sep": to_text(e.get("sep", b",\n")), "tail": b64(e["tail"]),
                        "select": e.get("select", "done"), "ops": list(e.get("ops", [])),
                        "fixed": [b64(r) for r in e.get("fixed", [])], "when_empty": e.get("when_empty", "skip")}
                       for e in ledger],
            "Remove": list(remove),
        }
        result = self._run("ansible.windows.win_powershell", {"script": windows_scripts.COMMIT, "parameters": params,
                                                              "depth": 5})
        if result.get("failed"):
            # No answer from the script (the process died, the connection dropped): which files were written is
            # not known here. Callers ask the desk (checksums) before saying anything about them.
            message = _powershell_error(result)
            return {"unanswered": True, "message": message,
                    "operations": [{"path": o["path"], "done": False, "failed": True, "error_kind": "io",
                                    "msg": "the desk did not answer: %s" % message} for o in operations],
                    "ledger": [{"path": e["path"], "failed": True, "msg": message} for e in ledger], "removed": []}
        return result.get("result") or {}

    def shortcut(self, shortcut) -> dict:
        return self._run("community.windows.win_shortcut", {
            "src": shortcut.exe, "dest": shortcut.path, "arguments": shortcut.arguments,
            "directory": shortcut.directory, "description": shortcut.description, "state": "present"})

    def checksums(self, paths) -> dict:
        """path (normcase) -> sha1 now, for files in any folders, in one win_find ('absent' when missing)."""
        folders = sorted({ntpath.dirname(p) for p in paths}, key=str.lower)
        names = sorted({ntpath.basename(p) for p in paths}, key=str.lower)
        found = self._run("ansible.windows.win_find", {"paths": folders, "patterns": names, "recurse": False,
                                                       "hidden": True, "get_checksum": True,
                                                       "checksum_algorithm": "sha1"})
        if found.get("failed"):
            raise FleetError("cannot check the files to roll back: %s" % to_text(found.get("msg", "")), kind="io")
        sums = {ntpath.normcase(to_text(f["path"])): to_text(f.get("checksum") or "").lower()
                for f in found.get("files") or []}
        return {p: sums.get(ntpath.normcase(p), "absent") for p in paths}

    def list_files(self, folder: str, pattern: str) -> list:
        found = self._run("ansible.windows.win_find", {"paths": [folder], "patterns": [pattern], "recurse": False,
                                                       "get_checksum": False})
        if found.get("failed"):
            raise FleetError("cannot list %s: %s" % (folder, to_text(found.get("msg", ""))), kind="io")
        return [to_text(f["filename"]) for f in found.get("files") or []]


def _powershell_error(result: dict) -> str:
    if result.get("module_stderr") or result.get("module_stdout"):
        return to_text(result.get("module_stderr") or result.get("module_stdout")).strip() or "no output"
    errors = result.get("error") or []
    if errors:
        first = errors[0]
        return to_text(first.get("exception", {}).get("message") if isinstance(first.get("exception"), dict)
                       else first.get("output") or first)
    return to_text(result.get("msg") or "win_powershell failed")
