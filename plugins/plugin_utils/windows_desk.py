# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Windows desk as the desk workflow (module_utils/desk/workflow.py) sees it: WindowsDesk, the workflow's Desk,
run by desk_system_json's action plugin on the controller over the remote operations of windows_remote.py.

- scan: one SCAN run reads the whole desk (and one more lists the Start-menu folders when shortcuts may be created);
- read: answered from what SCAN read;
- commit: one COMMIT run writes every changed file, its backup and the ledger entry (settled when it gives no
  answer), then win_shortcut for each missing shortcut;
- ledger, checksums: win_find and slurp of the admin-owned ledger folder and of the files to roll back;
- undo: one COMMIT run restores, deletes, removes the shortcuts and rewrites the ledger entries.
"""

from __future__ import annotations

import ntpath

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.checksum import checksum
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import discovery, ledger
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk.workflow import Committed, Desk, Scan, ledger_record
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.windows_remote import (
    COMMON_START_MENU,
    PROFILE_ROOT,
    WindowsRemote,
    backup_name,
    root_of,
)


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
