# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollback ledger a desk keeps: one entry per configure run that changed something, and the guarded rollback.

Each entry is its own file, ``<state_dir>/runs/<run id>.json``, so a run only ever adds a file (no read-modify-write,
no lost update between two runs) and a torn write spoils one entry at most. An entry lists every file the run wrote
with its sha1 before and after, its backup, and the shortcuts it created. Rollback restores a file only while it
still holds what the run wrote (its sha1 is the recorded one): a file edited after the run is left alone and
reported, so the edit is never lost.

Pure Python: the desk module applies it on POSIX desks, the action plugin on Windows desks.
"""

from __future__ import annotations

import datetime
import json
import random

WINDOWS_STATE_DIR = "C:\\ProgramData\\ioconnect.fleet"
POSIX_STATE_DIR = "/var/lib/ioconnect-fleet"
RUNS_FOLDER = "runs"
FORMAT = 1


def state_dir(windows: bool, given: str = "") -> str:
    """Where a desk's ledger lives: the one answer for writing it and for rolling back, for every connection and
    shell (windows: the connection's shell is PowerShell)."""
    if given:
        return given
    return WINDOWS_STATE_DIR if windows else POSIX_STATE_DIR


def runs_dir(flavour, folder: str) -> str:
    return flavour.join(folder, RUNS_FOLDER)


def new_run_id(now: datetime.datetime = None) -> str:
    """A run id that sorts in time order: 20261201T205905Z-4f2a9c."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return "%s-%06x" % (now.strftime("%Y%m%dT%H%M%SZ"), random.getrandbits(24))


def entry_name(run_id: str) -> str:
    return "%s.json" % run_id


def new_entry(run_id: str, env_region, files, shortcuts) -> dict:
    """files: [{path, shown, existed, backup_file, sha1_before, sha1_after, profile, product, kind}]."""
    return {"format": FORMAT, "run": run_id,
            "time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "env_region": list(env_region), "files": list(files), "shortcuts": list(shortcuts)}


SEPARATOR = b",\n    "


def frame(entry: dict):
    """(head, tail) of an entry's text: the entry is head + its file records joined by SEPARATOR + tail.

    Windows desks assemble the entry on the desk from these pieces, keeping only the records of the files that
    were written (the COMMIT script), so both platforms write the same text."""
    fields = {k: v for k, v in entry.items() if k != "files" and not k.startswith("_")}
    head = json.dumps(fields, indent=2, ensure_ascii=False)[:-2] + ',\n  "files": [\n    '
    return head.encode("utf-8"), b"\n  ]\n}\n"


def record_text(record: dict) -> bytes:
    return json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")


def dumps(entry: dict) -> bytes:
    head, tail = frame(entry)
    return head + SEPARATOR.join(record_text(r) for r in entry["files"]) + tail


def loads(name: str, raw: bytes):
    """An entry read back, or None when the file is not one (a torn write, a stray file)."""
    try:
        entry = json.loads(raw.decode("utf-8"))
    except ValueError:
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("files"), list) or "run" not in entry:
        return None
    entry.setdefault("shortcuts", [])
    entry["_name"] = name
    return entry


def latest(names, count: int) -> list:
    """The names of the last count entries (run ids sort in time order), newest first."""
    entries = sorted((n for n in names if n.endswith(".json")), reverse=True)
    return entries[:max(0, int(count))]


class Step:
    """One thing rollback does to one file: restore (copy backup over it), delete (the run created it), or nothing.

    expected: the sha1 the file must still have for the step to run (what the run wrote)."""

    def __init__(self, action, record, expected=None, problem=None, kind="conflict"):
        self.action = action  # restore | delete | none | fail
        self.path = record["path"]
        self.shown = record.get("shown") or record["path"]
        self.backup_file = record.get("backup_file")
        self.expected = expected
        self.problem = problem
        self.kind = kind if problem else None
        self.record = record

    def fail(self, problem: str, kind: str) -> None:
        """The step could not be done: the file was left as it was, for the reason given."""
        self.action, self.problem, self.kind = "fail", problem, kind

    def as_result(self) -> dict:
        out = {"path": self.shown, "target": self.path, "action": self.action, "backup_file": self.backup_file,
               "profile": self.record.get("profile"), "product": self.record.get("product")}
        if self.problem:
            out["failed"] = True
            out["msg"] = self.problem
            out["error_kind"] = self.kind
        return out


def plan_rollback(entries, current) -> list:
    """The steps that undo entries (newest first), given current: path -> sha1 now ('absent' for no file).

    A file is restored or deleted only while it holds what the run wrote; otherwise its step fails with what
    changed and what to do, and the other files go on. Undoing several runs chains: after the newest is undone a
    file holds what the older run wrote."""
    now = dict(current)
    steps = []
    for entry in entries:
        for record in entry["files"]:
            path = record["path"]
            have = now.get(path, "absent")
            after, before = record.get("sha1_after"), record.get("sha1_before", "absent")
            if have == before and have != after:
                steps.append(Step("none", record))  # already as it was before the run
                continue
            if after is None or have != after:
                steps.append(Step("fail", record, problem=_changed_since(record, have, entry)))
                continue
            if not record.get("existed"):
                steps.append(Step("delete", record, expected=after))
                now[path] = "absent"
            elif record.get("backup_file"):
                steps.append(Step("restore", record, expected=after))
                now[path] = before
            else:
                steps.append(Step("fail", record, problem=(
                    "%s: no backup was kept when run %s changed it (backups were off), so it cannot be restored. "
                    "Put the settings back with a configure run of the pair you want."
                    % (record.get("shown") or path, entry["run"])), kind="missing"))
    return steps


def _changed_since(record, have, entry) -> str:
    shown = record.get("shown") or record["path"]
    if have == "absent":
        what = "it has been deleted since"
    else:
        what = "it was edited after the run (sha1 now %s, the run wrote %s)" % (have, record.get("sha1_after"))
    advice = ("Compare it with the backup %s (the file as it was before the run) and restore by hand what you "
              "want, or run configure again." % record["backup_file"]) if record.get("backup_file") else \
        "Fix it by hand, or run configure again."
    return "%s was not rolled back: %s, and rolling back would lose that. %s The ledger keeps this entry (%s)." % (
        shown, what, advice, entry.get("_name", entry["run"]))


def remaining(entry: dict, steps) -> dict:
    """The entry after rollback: only the files whose step failed (None when nothing is left to undo)."""
    failed = {id(step.record) for step in steps if step.action == "fail"}
    files = [record for record in entry["files"] if id(record) in failed]
    if not files:
        return None
    kept = {k: v for k, v in entry.items() if not k.startswith("_")}
    kept["files"] = files
    kept["shortcuts"] = []
    return kept
