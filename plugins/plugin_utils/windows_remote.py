# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Windows desk's remote operations, as the action plugins make them: nothing is installed on the desk.

What each call costs (module executions, each one round trip):

- scan: one ansible.windows.win_powershell run of the SCAN script (windows_scripts.py): the profiles (all, named,
  logged on, or the connecting account's own), every install below discovery's folders, every candidate file's bytes
  (BOM included) and SHA-1, each unreadable profile or folder and each refused link with its reason (1, the win_ping
  floor)
- commit: any number of files, backups, folders and ledger entries in one win_powershell run of the COMMIT script
  (1); commit_settled adds one more run to settle what a run that gave no answer left
- shortcut: community.windows.win_shortcut (1 each)
- read, checksums, list_files: ansible.windows.slurp and win_find (1 each)

The link rule (module_utils/desk/links.py) is applied on the desk by both scripts, on the handles they open.
windows_desk.py builds the desk workflow's Desk on these calls; system_json's action plugin uses them directly.
"""

from __future__ import annotations

import base64
import ntpath
import re
import secrets
import time

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.checksum import checksum
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import discovery
from ansible_collections.ioconnect.fleet.plugins.plugin_utils import windows_scripts

PROFILE_ROOT = "C:\\Users"
COMMON_START_MENU = "C:\\ProgramData\\Microsoft\\Windows\\Start Menu\\Programs"


def backup_name(path: str) -> str:
    """A backup's name beside path: when, and 16 random hex digits, so that no desk user can plant a link under
    it beforehand (the COMMIT script creates it exclusively anyway)."""
    return "%s.%s.%s.bak" % (path, time.strftime("%Y%m%d-%H%M%S"), secrets.token_hex(8))


def root_of(path: str, profile_root: str = PROFILE_ROOT) -> str:
    """The folder links may lead within for a path a task names: its profile (<profile_root>\\<user>, or the
    connecting account's for %LOCALAPPDATA%-style paths), else the file's own folder."""
    if re.match(r"^%(LOCALAPPDATA|APPDATA|USERPROFILE)%", path or "", re.I):
        return "%USERPROFILE%"
    prefix = profile_root.rstrip("\\") + "\\"
    if path.lower().startswith(prefix.lower()):
        user = path[len(prefix):].split("\\", 1)[0]
        if user:
            return prefix + user
    return ntpath.dirname(path)


class WindowsRemote:
    """The remote operations of a Windows desk, each one module execution (counted in operations)."""

    def __init__(self, action, task_vars):
        self._action = action
        self._task_vars = task_vars
        self.operations = 0  # module executions and shell calls made, for the result

    def _run(self, module: str, args: dict) -> dict:
        self.operations += 1
        return self._action._execute_module(module_name=module, module_args=args, task_vars=self._task_vars)

    # -- the scan: everything read in one module execution -----------------------------------------------------
    def scan(self, profiles="none", profile_root=PROFILE_ROOT, users=(), skip=(), roots=(), depth=4, files=(),
             extra_patterns=()) -> dict:
        """One run of the SCAN script: {profiles, entries, files, problems} (windows_scripts.py).

        roots: [{path, root, depth}] searched besides the profiles' discovery folders; files: [{path, root}] read as
        named."""
        params = {"Profiles": profiles, "ProfileRoot": profile_root, "Users": list(users), "Skip": list(skip),
                  "Under": ["\\".join(discovery.LOCAL_APPDATA + under) for under in discovery.USER_SEARCH_UNDER],
                  "Roots": [dict(r) for r in roots], "Patterns": list(discovery.PATTERNS) + list(extra_patterns),
                  "Read": [discovery.SYSTEM_JSON, discovery.OVERRIDE_PATTERN] if not files else ["*"],
                  "Depth": int(depth), "Files": [dict(f) for f in files]}
        result = self._run("ansible.windows.win_powershell", {"script": windows_scripts.SCAN, "parameters": params,
                                                              "depth": 6})
        if result.get("failed"):
            raise FleetError("the desk could not be scanned: %s" % _powershell_error(result), kind="io")
        out = result.get("result") or {}
        return {"profiles": out.get("profiles") or [], "entries": out.get("entries") or [],
                "files": {ntpath.normcase(to_text(f["path"])): f for f in out.get("files") or []},
                "problems": out.get("problems") or []}

    @staticmethod
    def scanned_read(scanned: dict):
        """read(path) over what a scan read: bytes, None (no such file), or FleetError (unreadable, unsafe link)."""
        def read(path):
            item = scanned["files"].get(ntpath.normcase(path))
            if item is None or item.get("exists") is False:
                return None
            if item.get("exists") is None:
                kind = to_text(item.get("error_kind") or "io")
                msg = to_text(item.get("msg") or "cannot be read")
                if kind == "unsafe_link":
                    raise FleetError("%s. Nothing was read from it or written through it." % msg, kind=kind)
                raise FleetError("cannot read %s: %s" % (path, msg), kind=kind)
            return base64.b64decode(item["content"])
        return read

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

        operations: {op: write|restore|delete|settle, path, root (the profile or install folder links may lead within),
        content (bytes, write), source and source_sha1 (restore: the backup and the bytes it must hold), expected
        (sha1, 'absent', or None for no check), new_sha1 (settle: what a run that gave no answer was writing),
        backup (the backup's path, or None), record (bytes: this file's
        ledger record)}. Each operation's result says what the file holds after (holds: new, old, none, other).
        ledger: {path, head, sep, tail (bytes), select ('done' or 'not_done'), ops (indexes of operations), fixed
        (records always kept), when_empty ('skip', 'write' or 'delete')}: the entry written is head + the selected
        records joined by sep + tail."""
        def b64(data):
            return None if data is None else base64.b64encode(data).decode("ascii")

        params = {
            "Operations": [{"op": o["op"], "path": o["path"], "root": o.get("root") or root_of(o["path"]),
                            "expected": o.get("expected"), "new_sha1": o.get("new_sha1"), "backup": o.get("backup"),
                            "source": o.get("source"),
                            "source_sha1": o.get("source_sha1"), "content": b64(o.get("content")),
                            "record": b64(o.get("record"))}
                           for o in operations],
            "Folders": [{"path": f, "root": root_of(f)} for f in folders],
            "Ledger": [{"path": e["path"], "root": ntpath.dirname(ntpath.dirname(e["path"])), "head": b64(e["head"]),
                        "sep": to_text(e.get("sep", b",\n")), "tail": b64(e["tail"]),
                        "select": e.get("select", "done"), "ops": list(e.get("ops", [])),
                        "fixed": [b64(r) for r in e.get("fixed", [])], "when_empty": e.get("when_empty", "skip")}
                       for e in ledger],
            "Remove": [{"path": r, "root": root_of(r)} for r in remove],
        }
        result = self._run("ansible.windows.win_powershell", {"script": windows_scripts.COMMIT, "parameters": params,
                                                              "depth": 5})
        if result.get("failed"):
            # No answer from the script (the process died, the connection dropped): which files were written is
            # not known here. Callers settle them with a second run (op settle) before saying anything.
            message = _powershell_error(result)
            return {"unanswered": True, "message": message,
                    "operations": [{"path": o["path"], "done": False, "failed": True, "error_kind": "io",
                                    "msg": "the desk did not answer: %s" % message} for o in operations],
                    "ledger": [{"path": e["path"], "failed": True, "msg": message} for e in ledger], "removed": []}
        return result.get("result") or {}

    def commit_settled(self, operations, folders=(), ledger_items=()) -> dict:
        """commit(); when the COMMIT script gave no answer (its process died between two steps), a second run puts
        the old or the new bytes back under each file's name from what the first left beside it, writes the ledger
        entry for the files that hold the new bytes, and says what each file holds."""
        done = self.commit(operations, folders=folders, ledger=ledger_items)
        if not done.get("unanswered"):
            return done
        settle = [dict(o, op="settle", new_sha1=checksum(o["content"]), content=None) for o in operations
                  if o["op"] == "write"]
        again = self.commit(settle, ledger=ledger_items)
        if again.get("unanswered"):
            for item in done["operations"]:
                item["msg"] += ("; what the file holds now could not be checked (%s): look at it before running "
                                "again" % again.get("message"))
            return done
        for item, first in zip(again.get("operations") or [], done["operations"]):
            if not item.get("done"):
                item["msg"] = "%s; %s" % (first["msg"], to_text(item.get("msg") or ""))
        return again

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
