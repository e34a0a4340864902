# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Windows desk as the action plugins see it: WindowsRemote, every remote operation (the SCAN and COMMIT scripts
over ansible.windows.win_powershell, win_find, slurp, win_shortcut), and WindowsDesk, the workflow's Desk
(module_utils/desk/workflow.py) built on it, which desk_system_json's action plugin runs on the controller.

Nothing is installed on the desk. What each call costs (module executions, each one round trip):

- read the desk: one ansible.windows.win_powershell run of the SCAN script (windows_scripts.py): the profiles (all,
  named, logged on, or the connecting account's own), every install below discovery's folders, every candidate
  file's bytes (BOM included) and SHA-1, each unreadable profile or folder and each refused link with its reason
  (1, the win_ping floor; 1 more for the Start-menu folders when shortcuts may be created)
- write any number of files, backups, folders and the ledger entry: one win_powershell run of the COMMIT script (1);
  when that run gives no answer, one more settles what it left
- a Start-menu shortcut: community.windows.win_shortcut (1 each, only for missing ones)
- rollback: ansible.windows.win_find of the ledger folder and slurp of its entries (admin-owned C:\\ProgramData),
  win_find for the files' checksums, then COMMIT (which checks every file and backup again on the desk)

The link rule (module_utils/desk/links.py) is applied on the desk by both scripts, on the handles they open.
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
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import discovery, ledger
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk.workflow import Committed, Desk, Scan, ledger_record
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


class WindowsDesk(Desk):
    """The workflow's Desk over a WindowsRemote: one SCAN reads everything, one COMMIT writes everything."""

    flavour = ntpath
    windows = True
    newline = "\r\n"

    def __init__(self, action, task_vars):
        self.remote = WindowsRemote(action, task_vars)
        self._files = {}  # normcase path -> what SCAN read
        self._found = set()  # normcase paths (and link targets) of every file SCAN found
        self._shortcuts = set()  # normcase paths of the .lnk files in the Start-menu folders

    @property
    def operations(self) -> int:
        return self.remote.operations

    def scan(self, options: dict, shortcut_folders: bool) -> Scan:
        profile_root = (options["profile_root"] or PROFILE_ROOT).rstrip("\\")
        mode = options["profiles"]
        depth = discovery.search_depth(options["install_search_depth"])
        scanned = self.remote.scan(profiles=mode, profile_root=profile_root,
                                   users=options["users"] if mode == "named" else (),
                                   skip=options["skip_profiles"] if mode == "all" else (),
                                   roots=[{"path": f, "root": f, "depth": depth} for f in options["install_roots"]],
                                   depth=depth)
        profiles = []
        for item in scanned["profiles"]:
            path = to_text(item.get("path") or "")
            profile = discovery.Profile(ntpath, ntpath.dirname(path) or profile_root,
                                        to_text(item.get("name") or ntpath.basename(path)), path=path or None,
                                        readable=bool(item.get("readable")), reason=to_text(item.get("reason") or ""))
            profile.error_kind = to_text(item.get("error_kind") or "")
            profiles.append(profile)
        roots = discovery.search_roots(ntpath, profiles, options["install_roots"], COMMON_START_MENU)
        entries = [discovery.Entry(to_text(e["path"]), to_text(e.get("target") or e["path"]))
                   for e in scanned["entries"]]
        if shortcut_folders:
            # The Start-menu folders are listed too (a second, shallow scan), so that only missing shortcuts are
            # created.
            folders = sorted({ntpath.join(r.start_menu, options["shortcut_folder_name"]) for r in roots},
                             key=str.lower)
            if folders:
                menus = self.remote.scan(roots=[{"path": f, "root": _profile_of(f, roots), "depth": 1}
                                                for f in folders], extra_patterns=["*.lnk"])
                self._shortcuts = {ntpath.normcase(to_text(e["path"])) for e in menus["entries"]
                                   if to_text(e["path"]).lower().endswith(".lnk")}
        self._files = scanned["files"]
        self._found = {ntpath.normcase(e.path) for e in entries} | {ntpath.normcase(e.target) for e in entries}
        problems = [(to_text(p.get("root") or ""), FleetError(to_text(p.get("msg")),
                                                              kind=to_text(p.get("error_kind") or "io")))
                    for p in scanned["problems"]]
        return Scan(profiles, roots, entries, problems)

    def read(self, paths) -> dict:
        read = WindowsRemote.scanned_read({"files": self._files})
        out = {}
        for path in paths:
            # The scan listed every system*.json of the install folders: a file it did not find does not exist.
            try:
                out[path] = read(path) if ntpath.normcase(path) in self._found else None
            except FleetError as exc:
                out[path] = exc
        return out

    def commit(self, changes, wanted_shortcuts, entry: dict, backup: bool, state_dir: str) -> Committed:
        """One COMMIT run: every changed file beside itself then in place, the backups, the Start-menu folders and
        the ledger entry (listing exactly the files written); then win_shortcut for each missing shortcut."""
        wanted = [s for s in wanted_shortcuts if ntpath.normcase(s.path) not in self._shortcuts]
        operations = []
        for outcome in changes:
            plan = outcome.plan
            backup_file = backup_name(outcome.target.path) if backup and plan.exists else None
            operations.append({"op": "write", "path": outcome.target.path, "root": outcome.target.install.root,
                               "content": plan.new_bytes, "expected": outcome.expected, "backup": backup_file,
                               "record": ledger.record_text(ledger_record(outcome, backup_file,
                                                                          checksum(plan.new_bytes)))})
        if not operations and not wanted:
            return Committed()
        entry = dict(entry, shortcuts=[s.path for s in wanted])
        head, tail = ledger.frame(entry)
        entry_path = ntpath.join(ledger.runs_dir(ntpath, state_dir), ledger.entry_name(entry["run"]))
        entry_items = [{"path": entry_path, "head": head, "sep": ledger.SEPARATOR, "tail": tail, "select": "done",
                        "ops": list(range(len(operations))), "when_empty": "write" if wanted else "skip"}]
        done = self.remote.commit_settled(operations, folders=sorted({s.folder for s in wanted}, key=str.lower),
                                          ledger_items=entry_items)
        problems = [to_text(p) for p in done.get("problems") or []]
        for outcome, item in zip(changes, done.get("operations") or []):
            if item.get("backup_file"):
                outcome.backup_file = to_text(item["backup_file"])
            if item.get("done"):
                outcome.written_checksum = to_text(item.get("sha1") or "")
            else:
                outcome.fail(FleetError(to_text(item.get("msg") or "not written"),
                                        kind=to_text(item.get("error_kind") or "io")))
        written = None
        for item in done.get("ledger") or []:
            if item.get("failed"):
                problems.append("the files were written, but %s; rollback will not know this run"
                                % to_text(item.get("msg")))
            elif item.get("written"):
                written = entry_path
        created = []
        for shortcut in wanted:
            if any(shortcut.folder in problem for problem in problems):
                continue  # its folder was refused (a link the rule does not follow) or could not be made
            made = self.remote.shortcut(shortcut)
            if made.get("failed"):
                problems.append("cannot create the shortcut %s: %s" % (shortcut.path, to_text(made.get("msg"))))
            elif made.get("changed"):
                created.append(shortcut.path)
        return Committed(problems, created, written)

    def ledger(self, state_dir: str, count: int) -> list:
        """The ledger folder listed with win_find and its entries read with slurp (admin-owned C:\\ProgramData)."""
        runs = ledger.runs_dir(ntpath, state_dir)
        entries = []
        for name in ledger.latest(self.remote.list_files(runs, "*.json"), count):
            entry = ledger.loads(name, self.remote.read(ntpath.join(runs, name)) or b"")
            if entry is None:
                raise FleetError("the ledger entry %s is not one ioconnect.fleet wrote (damaged?); move it out of %s "
                                 "and run again" % (ntpath.join(runs, name), runs), kind="parse")
            entries.append(entry)
        return entries

    def checksums(self, paths) -> dict:
        return self.remote.checksums(paths)

    def undo(self, state_dir: str, entries, steps, check_mode: bool) -> tuple:
        """One COMMIT run restores, deletes (checking every file and backup again on the desk), removes the
        shortcuts and rewrites each ledger entry with only the files it could not roll back."""
        shortcuts = [s for e in entries for s in e["shortcuts"]]
        if check_mode:
            return shortcuts, []
        acting = [s for s in steps if s.action in ("restore", "delete")]
        runs = ledger.runs_dir(ntpath, state_dir)
        operations = [{"op": s.action, "path": s.path, "root": s.record.get("root") or root_of(s.path),
                       "source": s.backup_file, "source_sha1": s.record.get("sha1_before"),
                       "expected": s.expected, "record": ledger.record_text(s.record)} for s in acting]
        entry_items = []
        for entry in entries:
            mine = [i for i, s in enumerate(acting) if any(s.record is r for r in entry["files"])]
            kept = [ledger.record_text(s.record) for s in steps
                    if s.action == "fail" and any(s.record is r for r in entry["files"])]
            head, tail = ledger.frame(dict(entry, shortcuts=[]))
            entry_items.append({"path": ntpath.join(runs, entry["_name"]), "head": head, "sep": ledger.SEPARATOR,
                                "tail": tail, "select": "not_done", "ops": mine, "fixed": kept,
                                "when_empty": "delete"})
        done = self.remote.commit(operations, ledger=entry_items, remove=shortcuts)
        answers = list(done.get("operations") or [])
        for index, step in enumerate(acting):
            item = answers[index] if index < len(answers) else {}
            if not item.get("done") and (item.get("failed") or step.action == "restore"):
                reason = to_text(item.get("msg") or "the desk did not say")
                step.fail("%s was not rolled back: %s" % (step.shown, reason), to_text(item.get("error_kind") or "io"))
        return [to_text(p) for p in done.get("removed") or []], []


def _profile_of(folder: str, roots) -> str:
    """The profile (or install folder) a Start-menu folder belongs to: links there may lead only within it."""
    for root in roots:
        if ntpath.normcase(folder).startswith(ntpath.normcase(root.start_menu)):
            return root.root if root.local is not None else folder
    return folder


def _powershell_error(result: dict) -> str:
    if result.get("module_stderr") or result.get("module_stdout"):
        return to_text(result.get("module_stderr") or result.get("module_stdout")).strip() or "no output"
    errors = result.get("error") or []
    if errors:
        first = errors[0]
        return to_text(first.get("exception", {}).get("message") if isinstance(first.get("exception"), dict)
                       else first.get("output") or first)
    return to_text(result.get("msg") or "win_powershell failed")
