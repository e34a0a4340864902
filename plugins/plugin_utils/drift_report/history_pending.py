# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scans that could not reach the history wait in a folder beside the report, and join it on the next run that
can write to it, so an unreachable, locked or broken history loses nothing. Pure Python.

One JSON file per run (the batch history.make_batch built, already masked), written atomically; a batch is
idempotent (keyed by its run id), so one imported twice is still recorded once.
"""

from __future__ import annotations

import json
import os
import tempfile

FOLDER = "drift-history-pending"


def save(folder: str, batch: dict) -> str:
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "%s.json" % batch["run"]["run_id"])
    fd, tmp = tempfile.mkstemp(prefix=".pending-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(batch, handle, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def pending(folder: str) -> list:
    """[(path, batch)] oldest first; unreadable files are left where they are for a person to look at."""
    if not os.path.isdir(folder):
        return []
    found = []
    for name in os.listdir(folder):
        if not name.endswith(".json") or name.startswith("."):
            continue
        path = os.path.join(folder, name)
        try:
            with open(path, encoding="utf-8") as handle:
                batch = json.load(handle)
            if batch.get("format") == 1 and batch.get("run", {}).get("run_id"):
                found.append((batch["run"].get("recorded_at") or "", path, batch))
        except (OSError, ValueError, AttributeError):
            continue
    return [(path, batch) for _when, path, batch in sorted(found, key=lambda f: (f[0], f[1]))]


def done(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
