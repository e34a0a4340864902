# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one user-facing exception type and its one list of error kinds.

Every problem a user is told about is a ``FleetError`` (or a subclass a caller catches apart, such as the writer's
``WriteError`` or the drift history's ``HistoryError``), and its ``kind`` is one of ``KINDS``: the value tasks
return as ``error_kind``. docs/reliability.md ("Error kinds") lists them for users, the modules' RETURN docs list
them as choices, and tests/unit/plugins/module_utils/test_error_kinds.py holds the three to this list and scans the
sources (the Windows desk's PowerShell too) for kinds that are not in it.
"""

from __future__ import annotations

# kind -> what it means, in one line (the docs' table says the same).
KINDS = {
    "request": "the task's options or requested settings are invalid; no desk was touched",
    "preflight": "an io.Manager the desk's settings point at did not answer the preflight; no desk was touched",
    "schema": "the result would not satisfy the schema it is checked against (validate_with, the manager object); "
              "nothing was written",
    "parse": "the file (or a rollback ledger entry) is not strict JSON; it was left unchanged",
    "root": "the file's root is not a JSON object; it was left unchanged",
    "encoding": "the file is not UTF-8 (UTF-16, UTF-32, Windows-1252, a double BOM); it was left unchanged",
    "duplicate": "the file has a key twice in one object; it was left unchanged",
    "missing": "a file or folder that must exist does not (when_missing=fail, a profile folder, a backup to restore)",
    "conflict": "the file changed after it was read (another writer); nothing was written or restored",
    "access": "the connecting account cannot read a profile, a folder or a file",
    "unsafe_link": "a link, hard link or special file the link rule does not follow; nothing was read or written "
                   "through it",
    "io": "any other failure to read, write, back up or restore a file or the rollback ledger",
    "history": "the drift history cannot be used now; the message names the problem (unreachable, locked, "
               "corrupt, ...)",
    "module": "a task failed with no error_kind of its own (a module crash); only the drift report says this",
}


def check_kind(kind: str) -> str:
    """kind itself, when it is one of KINDS; a ValueError otherwise (a programming error, not a user's)."""
    if kind not in KINDS:
        raise ValueError("unknown error kind %r: use one of %s (module_utils/common/errors.py)"
                         % (kind, ", ".join(KINDS)))
    return kind


class FleetError(Exception):
    """A user-facing problem with a desk's file, a request or a setting: the message is for the user, as is.

    ``kind`` (one of KINDS) lets callers and playbooks tell classes of problem apart without parsing messages.
    """

    def __init__(self, message: str, kind: str = "request"):
        super().__init__(message)
        self.kind = check_kind(kind)


def fail_module(module, message: str, kind: str, **result) -> None:
    """End a module's task with a failure: ``msg``, ``error_kind`` (one of KINDS), ``changed: false`` unless
    given, and the other result keys. AnsibleModule.fail_json does not return."""
    result.setdefault("changed", False)
    module.fail_json(msg=message, error_kind=check_kind(kind), **result)
