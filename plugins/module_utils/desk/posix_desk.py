# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading and writing a POSIX desk, from inside the desk module: the whole desk in one round trip.

A POSIX desk is laid out as a Windows desk is (docs/simulated-desks.md): a folder of profiles, each with
AppData/Local, and extra install folders. Links are followed; each file is handled once.
"""

from __future__ import annotations

import os
import posixpath

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.atomic_write import (
    ReadError,
    WriteError,
    checksum,
    file_checksum,
    read_file,
    write_file,
    write_with_backup,
)
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import discovery, ledger


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


class PosixDesk:
    flavour = posixpath

    def __init__(self, module):
        self.module = module

    # -- discovery -------------------------------------------------------------------------------------------
    def profiles(self, params) -> list:
        """The profiles to look at. FleetError when the profile folder itself cannot be listed."""
        root = params["profile_root"].rstrip("/") or "/"
        mode = params["profiles"]
        if mode == "all":
            try:
                names = [e.name for e in os.scandir(root) if e.is_dir()]
            except FileNotFoundError:
                raise FleetError("the profile folder %s does not exist (profile_root)" % root, kind="missing")
            except OSError as exc:
                raise FleetError("the profile folder %s cannot be listed: %s" % (root, _reason(exc)), kind="access")
        elif mode == "named":
            names = list(params["users"])
        elif mode == "logged_on":
            names = self._logged_on()
        else:
            names = [params["current_user"]]
        found = discovery.profiles(self.flavour, root, names, params["skip_profiles"] if mode == "all" else ())
        for profile in found:
            try:
                os.listdir(profile.path)
            except FileNotFoundError:
                profile.reason = "no such profile folder"
            except OSError as exc:
                profile.readable, profile.reason = False, _reason(exc)
        return found

    def _logged_on(self) -> list:
        """The users with a session on the desk (who), as profile names."""
        rc, out, err = self.module.run_command(["who"])
        if rc != 0:
            raise FleetError("cannot list the logged-on users (who: %s)" % (err.strip() or rc), kind="access")
        return sorted({line.split()[0] for line in out.splitlines() if line.strip()})

    def find(self, roots, depth: int):
        """(entries, problems): every file below the roots whose name a search wants, at most depth levels down,
        links followed (each real folder walked once); problems name the folders that could not be listed."""
        entries, problems, seen = [], [], set()
        for root in roots:
            if not os.path.isdir(root.path):
                continue
            base = root.path.rstrip("/").count("/")

            def onerror(exc, root=root):
                if not isinstance(exc, FileNotFoundError):
                    problems.append("%s cannot be listed: %s" % (exc.filename or root.path, _reason(exc)))

            for folder, dirs, files in os.walk(root.path, onerror=onerror, followlinks=True):
                real = os.path.realpath(folder)
                if real in seen:
                    dirs[:] = []
                    continue
                seen.add(real)
                level = folder.rstrip("/").count("/") - base
                if level + 1 >= depth:
                    dirs[:] = []
                for name in files:
                    if discovery.wanted(name):
                        path = os.path.join(folder, name)
                        target = os.path.realpath(path)
                        if os.path.isfile(target):
                            entries.append(discovery.Entry(path, target))
        return entries, problems

    # -- files -----------------------------------------------------------------------------------------------
    def read(self, path: str):
        """The file's bytes, None when it does not exist; FleetError when it cannot be read."""
        try:
            return read_file(path)
        except ReadError as exc:
            raise FleetError(str(exc), kind=exc.kind)

    def write(self, outcome, backup: bool, expected: str = None) -> None:
        """Write a planned outcome; on failure the outcome fails and the file is left as it was."""
        plan = outcome.plan
        try:
            backup_file = write_with_backup(self.module, outcome.target.path, plan.new_bytes,
                                            expected or plan.original_checksum, label=outcome.target.shown,
                                            backup=backup and plan.exists)
        except WriteError as exc:
            outcome.backup_file = exc.backup_file
            outcome.fail(FleetError(str(exc), kind=exc.kind))
            return
        outcome.backup_file = backup_file
        outcome.written_checksum = checksum(plan.new_bytes)

    def write_shortcut(self, shortcut) -> bool:
        """The POSIX stand-in for a .lnk: <path>.json holding what the shortcut would. True when written."""
        path = shortcut.path + ".json"
        data = shortcut.descriptor()
        try:
            if self.read(path) == data:
                return False
            write_file(self.module, path, data, create_folder=True)
        except (FleetError, WriteError) as exc:
            raise FleetError("cannot write the shortcut %s: %s" % (path, exc), kind="io")
        return True

    # -- ledger ----------------------------------------------------------------------------------------------
    def write_entry(self, folder: str, entry: dict) -> str:
        path = os.path.join(ledger.runs_dir(self.flavour, folder), ledger.entry_name(entry["run"]))
        try:
            write_file(self.module, path, ledger.dumps(entry), create_folder=True)
        except WriteError as exc:
            raise FleetError("the files were written, but the rollback ledger %s could not be: %s; rollback.yml "
                             "will not know this run" % (path, exc), kind="io")
        return path

    def entries(self, folder: str, count: int) -> list:
        runs = ledger.runs_dir(self.flavour, folder)
        try:
            names = os.listdir(runs)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise FleetError("the rollback ledger %s cannot be read: %s" % (runs, _reason(exc)), kind="access")
        out = []
        for name in ledger.latest(names, count):
            raw = self.read(os.path.join(runs, name))
            entry = ledger.loads(name, raw or b"")
            if entry is None:
                raise FleetError("the ledger entry %s is not one ioconnect.fleet wrote (damaged?); move it out of %s "
                                 "and run again" % (os.path.join(runs, name), runs), kind="parse")
            out.append(entry)
        return out

    def rollback(self, folder: str, count: int, check_mode: bool) -> dict:
        entries = self.entries(folder, count)
        current = {}
        for entry in entries:
            for record in entry["files"]:
                current.setdefault(record["path"], file_checksum(record["path"]))
        steps = ledger.plan_rollback(entries, current)
        results = []
        for step in steps:
            result = step.as_result()
            if step.action in ("restore", "delete") and not check_mode:
                problem = self._undo(step)
                if problem:
                    step.action, step.problem = "fail", problem
                    result = step.as_result()
            results.append(result)
        removed = []
        for entry in entries:
            for shortcut in entry["shortcuts"]:
                if os.path.lexists(shortcut):
                    removed.append(shortcut)
                    if not check_mode:
                        os.unlink(shortcut)
            if not check_mode:
                self._settle(folder, entry, steps)
        return {"entries": entries, "files": results, "shortcuts_removed": removed}

    def _undo(self, step):
        try:
            if step.action == "delete":
                if file_checksum(step.path) != step.expected:
                    return "%s changed while rolling back; it was left alone" % step.shown
                os.unlink(step.path)
                return None
            backup = self.read(step.backup_file)
            if backup is None:
                return ("%s was not rolled back: its backup %s is gone. Put the settings back with a configure run."
                        % (step.shown, step.backup_file))
            write_file(self.module, step.path, backup, step.expected, label=step.shown)
        except (FleetError, WriteError, OSError) as exc:
            return "%s was not rolled back: %s" % (step.shown, exc)
        return None

    def _settle(self, folder, entry, steps) -> None:
        """Drop an undone entry from the ledger, or keep only its files that could not be rolled back."""
        path = os.path.join(ledger.runs_dir(self.flavour, folder), entry["_name"])
        mine = [s for s in steps if any(s.record is r for r in entry["files"])]
        kept = ledger.remaining(entry, mine)
        try:
            if kept is None:
                os.unlink(path)
            else:
                write_file(self.module, path, ledger.dumps(kept))
        except (OSError, WriteError) as exc:
            raise FleetError("rolled back, but the ledger entry %s could not be updated: %s; delete it by hand"
                             % (path, exc), kind="io")
