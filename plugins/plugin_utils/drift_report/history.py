# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift history: every scan of every desk, appended run by run, and the queries the fleet view reads.

One store, two backends (history_backends.py): an SQLite file (default) or PostgreSQL. Opening a store applies
the missing migrations (history_schema.py); a history of a newer schema than this collection knows is refused,
never written. Everything stored is masked again first (redact.py, masking.py), whatever the caller passed.
Problems come out as ``HistoryError`` with a kind (unreachable, locked, corrupt, newer_schema, ...), so the caller
can warn and still write its report.
"""

from __future__ import annotations

import json
import socket
import typing as t

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import pointer_is_secret
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.pointer import pointer_tokens
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history_backends import (
    NEWER,
    HistoryError,
    PostgreSQLBackend,
    SQLiteBackend,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history_schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.redact import redact_text, redact_value

CLEAN = ("compliant", "changed", "not_installed")
COMPLIANT_AFTER = ("compliant", "changed")

# The latest scan of every desk (ties on time: the later run id, so the choice is stable).
_RANKED = """SELECT run_id, desk, run_group, scanned_at, region, environment, status, reason, drift_count, errors,
       ROW_NUMBER() OVER (PARTITION BY desk ORDER BY scanned_at DESC, run_id DESC) AS rn
  FROM desk_scans"""
LATEST = "SELECT run_id, desk, run_group, scanned_at, region, environment, status, reason, drift_count, errors " \
         "FROM (" + _RANKED + ") ranked WHERE rn = 1"


def open_store(path: str | None = None, dsn: str | None = None, timeout: float = 30.0) -> "HistoryStore":
    """A migrated store: PostgreSQL when ``dsn`` is given, else the SQLite file ``path``. Raises HistoryError."""
    backend = PostgreSQLBackend(dsn, timeout) if dsn else SQLiteBackend(path, timeout)
    store = HistoryStore(backend)
    store.open()
    return store


class HistoryStore:
    def __init__(self, backend) -> None:
        self.backend = backend
        self.version = None

    # -- connection and schema ------------------------------------------------------------------------------------
    @property
    def location(self) -> str:
        return self.backend.location

    @property
    def kind(self) -> str:
        return self.backend.name

    def open(self, target: int = SCHEMA_VERSION) -> None:
        self.backend.connect()
        try:
            self.version = self.migrate(target)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self.backend.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _run(self, func, *args, write: bool = False):
        """func(*args) in one transaction; a driver error becomes a HistoryError, and the transaction is undone."""
        try:
            if write:
                self.backend.begin_write()
            else:
                self.backend.begin_read()
            result = func(*args)
            self._x("COMMIT")
            return result
        except BaseException as exc:
            try:
                self._x("ROLLBACK")
            except Exception:
                pass
            if isinstance(exc, HistoryError):
                raise
            if isinstance(exc, self.backend.errors()):
                raise self.backend.translate(exc) from exc
            raise

    def _x(self, query: str, params: t.Sequence = ()):
        return self.backend.conn.execute(self.backend.sql(query), tuple(params))

    def _many(self, query: str, rows: list) -> None:
        if rows:
            self.backend.conn.cursor().executemany(self.backend.sql(query), rows)

    def _rows(self, query: str, params: t.Sequence = ()) -> list:
        return list(self._x(query, params).fetchall())

    def stored_version(self) -> int:
        if not self.backend.table_exists("history_meta"):
            return 0
        row = self._x("SELECT meta_value FROM history_meta WHERE meta_key = 'schema_version'").fetchone()
        try:
            return int(row[0]) if row else 0
        except ValueError:
            return 0

    def migrate(self, target: int = SCHEMA_VERSION) -> int:
        """Bring the schema to ``target`` (the newest by default); returns the version now stored."""
        def step():
            version = self.stored_version()
            if version > SCHEMA_VERSION:
                raise HistoryError(NEWER, "the history has schema version %d; this ioconnect.fleet knows up to %d"
                                   % (version, SCHEMA_VERSION))
            for number, _what, statements in MIGRATIONS:
                if version < number <= target:
                    for statement in statements:
                        self._x(statement)
                    self._x("DELETE FROM history_meta WHERE meta_key = 'schema_version'")
                    self._x("INSERT INTO history_meta (meta_key, meta_value) VALUES ('schema_version', ?)",
                            (str(number),))
                    version = number
            return version
        return self._run(step, write=True)

    # -- writing ----------------------------------------------------------------------------------------------------
    def record(self, batch: t.Mapping, retention_cutoff: str | None = None, max_scans_per_desk: int = 0) -> bool:
        """Append one run (see ``make_batch``) and apply retention, in one transaction.

        Returns False when the run was already recorded (importing a pending batch twice adds nothing).
        """
        return self._run(self._record, batch, retention_cutoff, max_scans_per_desk, write=True)

    def _record(self, batch, retention_cutoff, max_scans_per_desk) -> bool:
        run = batch["run"]
        if self._x("SELECT count(*) FROM runs WHERE run_id = ?", (run["run_id"],)).fetchone()[0]:
            return False
        self._x("INSERT INTO runs (run_id, run_group, started_at, finished_at, recorded_at, check_mode, playbooks, "
                "controller, desks) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (
                    run["run_id"], run["group"], run.get("started_at"), run["finished_at"], run["recorded_at"],
                    None if run.get("check_mode") is None else int(bool(run["check_mode"])),
                    json.dumps(run.get("playbooks") or []), run.get("controller") or "", len(batch["desks"])))
        desks, files, pointers = [], [], []
        for desk in batch["desks"]:
            key = (run["run_id"], desk["name"])
            desks.append(key + (run["group"], desk["scanned_at"], desk["region"], desk["environment"],
                                desk["status"], desk["reason"], desk["drift_count"], json.dumps(desk["errors"])))
            for file_no, item in enumerate(desk["installs"]):
                files.append(key + (file_no, item["path"], item.get("profile"), item.get("root"),
                                    item.get("product"), item.get("kind"), item.get("pair"), item.get("task") or "",
                                    item["status"], int(bool(item.get("changed"))),
                                    None if item.get("exists") is None else int(bool(item["exists"])),
                                    item.get("error_kind"), item.get("msg") or "", item.get("backup_file")))
                for pointer_no, entry in enumerate(item.get("drift") or []):
                    pointers.append(key + (file_no, pointer_no, entry["pointer"], entry["op"],
                                           json.dumps(entry.get("before"), ensure_ascii=False),
                                           json.dumps(entry.get("after"), ensure_ascii=False)))
        self._many("INSERT INTO desk_scans (run_id, desk, run_group, scanned_at, region, environment, status, reason, "
                   "drift_count, errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", desks)
        self._many("INSERT INTO file_scans (run_id, desk, file_no, path, profile, root, product, kind, pair, task, "
                   "status, changed, file_exists, error_kind, msg, backup_file) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", files)
        self._many("INSERT INTO drifted_pointers (run_id, desk, file_no, pointer_no, pointer, op, before_value, "
                   "after_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", pointers)
        self._retain(retention_cutoff, max_scans_per_desk, [d["name"] for d in batch["desks"]])
        return True

    def _retain(self, cutoff, max_scans: int, desks: list) -> None:
        """Drop scans older than ``cutoff``, and beyond the ``max_scans`` newest of each desk just scanned."""
        if cutoff:
            self._x("DELETE FROM desk_scans WHERE scanned_at < ?", (cutoff,))
        if max_scans and max_scans > 0:
            self._many("DELETE FROM desk_scans WHERE desk = ? AND scanned_at < ("
                       "SELECT scanned_at FROM desk_scans WHERE desk = ? "
                       "ORDER BY scanned_at DESC, run_id DESC LIMIT 1 OFFSET ?)",
                       [(name, name, max_scans - 1) for name in desks])
        if cutoff or max_scans:
            for table in ("file_scans", "drifted_pointers"):
                self._x("DELETE FROM %s WHERE NOT EXISTS (SELECT 1 FROM desk_scans d "
                        "WHERE d.run_id = %s.run_id AND d.desk = %s.desk)" % (table, table, table))
            self._x("DELETE FROM runs WHERE NOT EXISTS (SELECT 1 FROM desk_scans d WHERE d.run_id = runs.run_id)")

    # -- reading ----------------------------------------------------------------------------------------------------
    def fleet_rows(self, window: int, rounds: int) -> dict:
        """What the fleet view needs, read in one consistent snapshot (see fleet.py)."""
        return self._run(self._fleet_rows, window, rounds)

    def _fleet_rows(self, window: int, rounds: int) -> dict:
        latest = self._rows(LATEST)
        files = self._rows(
            "SELECT f.run_id, f.desk, f.file_no, f.path, f.profile, f.root, f.product, f.kind, f.pair, f.task, "
            "f.status, f.changed, f.file_exists, f.error_kind, f.msg, f.backup_file "
            "FROM file_scans f JOIN (" + LATEST + ") l ON f.run_id = l.run_id AND f.desk = l.desk "
            "ORDER BY f.desk, f.file_no")
        pointers = self._rows(
            "SELECT p.run_id, p.desk, p.file_no, p.pointer_no, p.pointer, p.op, p.before_value, p.after_value "
            "FROM drifted_pointers p JOIN (" + LATEST + ") l ON p.run_id = l.run_id AND p.desk = l.desk "
            "ORDER BY p.desk, p.file_no, p.pointer_no")
        recent = self._rows(
            "SELECT desk, scanned_at, status FROM (" + _RANKED + ") ranked WHERE rn <= ? ORDER BY desk, rn",
            (max(1, window),))
        # First drifted scan after the last clean one: the start of the current drift, however long ago.
        drifted_since = self._rows(
            "SELECT d.desk, MIN(d.scanned_at) FROM desk_scans d WHERE d.status = 'drifted' AND d.scanned_at > "
            "COALESCE((SELECT MAX(c.scanned_at) FROM desk_scans c WHERE c.desk = d.desk "
            "AND c.status IN ('compliant', 'changed', 'not_installed')), '') GROUP BY d.desk")
        last_compliant = self._rows(
            "SELECT desk, MAX(scanned_at) FROM desk_scans WHERE status IN ('compliant', 'changed') GROUP BY desk")
        counts = self._rows("SELECT desk, count(*) FROM desk_scans GROUP BY desk")
        round_rows = self._rows(
            "SELECT run_group, MIN(scanned_at), MAX(scanned_at) FROM desk_scans GROUP BY run_group "
            "ORDER BY MAX(scanned_at) DESC, run_group DESC LIMIT ?", (max(1, rounds),))
        round_scans, baseline = [], []
        if round_rows:
            groups = [r[0] for r in round_rows]
            round_scans = self._rows(
                "SELECT desk, run_group, scanned_at, region, environment, status FROM desk_scans "
                "WHERE run_group IN (%s) ORDER BY scanned_at" % ", ".join("?" * len(groups)), groups)
            start = min(r[1] for r in round_rows)
            baseline = self._rows(
                "SELECT desk, region, environment, status FROM (SELECT desk, region, environment, status, "
                "ROW_NUMBER() OVER (PARTITION BY desk ORDER BY scanned_at DESC, run_id DESC) AS rn "
                "FROM desk_scans WHERE scanned_at < ? AND run_group NOT IN (%s)) ranked WHERE rn = 1"
                % ", ".join("?" * len(groups)), [start] + groups)
        total_rounds = self._x("SELECT count(DISTINCT run_group) FROM desk_scans").fetchone()[0]
        return {
            "latest": latest, "files": files, "pointers": pointers, "recent": recent,
            "drifted_since": dict(drifted_since), "last_compliant": dict(last_compliant),
            "scan_counts": dict(counts), "rounds": list(reversed(round_rows)), "round_scans": round_scans,
            "baseline": baseline, "total_rounds": total_rounds,
        }

    def count(self, table: str) -> int:
        if table not in ("runs", "desk_scans", "file_scans", "drifted_pointers"):
            raise ValueError(table)
        return self._run(lambda: self._x("SELECT count(*) FROM %s" % table).fetchone()[0])


def make_batch(run: t.Mapping, desks: t.Iterable[t.Mapping], recorded_at: str) -> dict:
    """The rows of one run, masked again (values, messages, paths, names), ready for ``record``.

    ``run``: run_id, group, started_at, finished_at, check_mode, playbooks; ``desks``: desk dicts of the report.
    """
    out = []
    for desk in desks:
        installs = []
        for item in desk.get("installs") or []:
            drift = []
            for entry in item.get("drift") or []:
                pointer = redact_text(entry.get("pointer") or "", 1000)
                secret = pointer_is_secret(pointer_tokens(pointer))
                drift.append({"pointer": pointer, "op": entry.get("op") or "replace",
                              "before": redact_value(entry.get("before"), secret and entry.get("before") is not None),
                              "after": redact_value(entry.get("after"), secret and entry.get("after") is not None)})
            installs.append({
                "path": redact_text(item.get("path") or "", 500),
                "profile": _opt(item.get("profile")), "root": _opt(item.get("root")),
                "product": _opt(item.get("product")), "kind": _opt(item.get("kind")), "pair": _opt(item.get("pair")),
                "task": redact_text(item.get("task") or "", 300), "status": item["status"],
                "changed": bool(item.get("changed")), "exists": item.get("exists"),
                "error_kind": _opt(item.get("error_kind")), "msg": redact_text(item.get("msg") or "", 2000),
                "backup_file": _opt(item.get("backup_file")), "drift": drift,
            })
        out.append({
            "name": redact_text(desk["name"], 200), "region": redact_text(desk["region"], 200),
            "environment": redact_text(desk["environment"], 200), "status": desk["status"],
            "reason": redact_text(desk.get("reason") or "", 2000), "drift_count": int(desk.get("drift_count") or 0),
            "scanned_at": desk.get("scanned_at") or recorded_at,
            "errors": [{"kind": e.get("kind"), "task": redact_text(e.get("task") or "", 300),
                        "msg": redact_text(e.get("msg") or "", 2000)} for e in desk.get("errors") or []],
            "installs": installs,
        })
    return {
        "format": 1,
        "run": {
            "run_id": run["run_id"], "group": run.get("group") or run["run_id"],
            "started_at": run.get("started_at"), "finished_at": run.get("finished_at") or recorded_at,
            "recorded_at": recorded_at, "check_mode": run.get("check_mode"),
            "playbooks": [redact_text(p, 500) for p in run.get("playbooks") or []],
            "controller": redact_text(_hostname(), 200),
        },
        "desks": out,
    }


def _opt(value):
    return redact_text(value, 500) if isinstance(value, str) and value else None


def _hostname() -> str:
    try:
        return socket.gethostname()
    except OSError:
        return ""
