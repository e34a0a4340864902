# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Closed-loop remediation's view of the drift history, and its own two tables beside it. Pure Python.

The drift history (SQLite file or PostgreSQL, written by the ``drift_report`` callback) is only *read* here, and
only through the queries of ``HistoryReader``, which use the columns every history has had since its schema 2:
``runs(run_id, finished_at, recorded_at)``, ``desk_scans(run_id, desk, run_group, scanned_at, region, environment,
status, reason, drift_count, errors)``, ``file_scans(run_id, desk, file_no, path)`` and ``drifted_pointers(run_id,
desk, file_no, pointer_no, pointer, op, before_value, after_value)``. When the history changes shape, this class is
the one place to adapt.

What the loop itself writes goes to two tables of its own in the same database, created on demand (``CREATE TABLE
IF NOT EXISTS``, the same SQL on both backends), never to the history's tables:

- ``eda_cursor``: which history runs an event consumer has turned into events (its durable cursor);
- ``eda_remediations``: every decision and action of the loop, who/what/when (the ledger, see ledger.py).
"""

from __future__ import annotations

import json
import os
import typing as t

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history_backends import (
    UNREACHABLE,
    HistoryError,
    PostgreSQLBackend,
    in_transaction,
    SQLiteBackend,
)

# The loop's own tables. Version 1; a later change adds columns with ALTER TABLE guarded by column checks.
TABLES = (
    """CREATE TABLE IF NOT EXISTS eda_cursor (
        consumer TEXT NOT NULL,
        run_id TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        PRIMARY KEY (consumer, run_id))""",
    """CREATE TABLE IF NOT EXISTS eda_remediations (
        action_id TEXT NOT NULL PRIMARY KEY,
        wave_id TEXT NOT NULL,
        desk TEXT NOT NULL,
        region TEXT NOT NULL,
        environment TEXT NOT NULL,
        scan_run_id TEXT NOT NULL,
        scanned_at TEXT NOT NULL,
        drifted_since TEXT NOT NULL,
        decision TEXT NOT NULL,
        reason TEXT NOT NULL,
        outcome TEXT NOT NULL,
        actor TEXT NOT NULL,
        decided_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        msg TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS eda_remediations_by_desk ON eda_remediations (desk, decided_at)",
    "CREATE INDEX IF NOT EXISTS eda_remediations_by_scan ON eda_remediations (scan_run_id, desk)",
    # Retention of the drift history prunes the ledger by time (history.HistoryStore._retain_remediations).
    "CREATE INDEX IF NOT EXISTS eda_remediations_by_time ON eda_remediations (decided_at)",
)

HISTORY_TABLES = ("runs", "desk_scans")
SCAN_COLUMNS = "run_id, desk, run_group, scanned_at, region, environment, status, reason, drift_count, errors"


def history_location(path: str | None = None, dsn: str | None = None, output_dir: str | None = None) -> dict:
    """Where the history is, with the drift_report callback's options and environment variables as defaults.

    ``dsn`` wins; then ``path``; then ``<output_dir>/drift-history.sqlite`` (output_dir: the callback's
    ``IOCONNECT_DRIFT_REPORT_DIR``, default ``drift-report``).
    """
    dsn = dsn if dsn is not None else os.environ.get("IOCONNECT_DRIFT_REPORT_HISTORY_DSN", "")
    path = path or os.environ.get("IOCONNECT_DRIFT_REPORT_HISTORY_PATH", "")
    if not path:
        folder = output_dir or os.environ.get("IOCONNECT_DRIFT_REPORT_DIR", "") or "drift-report"
        path = os.path.join(os.path.abspath(os.path.expanduser(folder)), "drift-history.sqlite")
    return {"path": os.path.abspath(os.path.expanduser(path)), "dsn": dsn or ""}


class RemediationStore:
    """One connection to the history's database: the history read, the loop's own tables written."""

    def __init__(self, path: str | None = None, dsn: str | None = None, timeout: float = 30.0,
                 create: bool = True) -> None:
        self.backend = PostgreSQLBackend(dsn, timeout) if dsn else SQLiteBackend(path, timeout)
        self.create = create

    @property
    def location(self) -> str:
        return self.backend.location

    def open(self) -> "RemediationStore":
        if self.backend.name == "sqlite" and not os.path.exists(self.backend.path):
            # Never create an empty history: the drift scans create it. The caller waits and tries again.
            raise HistoryError(UNREACHABLE, "no drift history at %s yet (the first drift scan with the "
                                            "ioconnect.fleet.drift_report callback creates it)" % self.backend.path)
        self.backend.connect()
        try:
            self.run(self._ensure_tables, write=True)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        self.backend.close()

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()

    def _ensure_tables(self) -> None:
        for statement in TABLES:
            self.x(statement)

    # -- plumbing ---------------------------------------------------------------------------------------------------
    def run(self, func: t.Callable, *args, write: bool = False):
        """func(*args) in one transaction (a write transaction excludes every other writer of the database)."""
        return in_transaction(self.backend, func, *args, write=write)

    def x(self, query: str, params: t.Sequence = ()):
        return self.backend.conn.execute(self.backend.sql(query), tuple(params))

    def rows(self, query: str, params: t.Sequence = ()) -> list:
        return list(self.x(query, params).fetchall())

    def many(self, query: str, rows: list) -> None:
        if rows:
            self.backend.conn.cursor().executemany(self.backend.sql(query), rows)

    def history_ready(self) -> bool:
        return all(self.backend.table_exists(name) for name in HISTORY_TABLES)


def _in(values: t.Sequence) -> str:
    return ", ".join("?" * len(values))


class HistoryReader:
    """The queries the event source makes of the drift history; call inside ``RemediationStore.run``."""

    def __init__(self, store: RemediationStore) -> None:
        self.store = store

    def run_ids(self) -> list:
        """Every finished run in the history, oldest first (by the time it finished, then its id).

        A history that records a run when it starts (a ``runs.outcome`` column holding ``running`` until the run
        records its scans) shows that run only once it is over: its scans are not all there before.
        """
        if "outcome" in self.columns("runs"):
            query = "SELECT run_id FROM runs WHERE outcome <> 'running' ORDER BY finished_at, run_id"
        else:
            query = "SELECT run_id FROM runs ORDER BY finished_at, run_id"
        return [r[0] for r in self.store.rows(query)]

    def columns(self, table: str) -> set:
        """The column names of a history table (the same query on SQLite and PostgreSQL)."""
        cursor = self.store.x("SELECT * FROM %s WHERE 1 = 0" % table)
        return {column[0] for column in cursor.description or ()}

    def scans_of_runs(self, run_ids: t.Sequence) -> list:
        """The desk scans of these runs, as dicts, oldest first."""
        out = []
        for chunk in _chunks(list(run_ids), 200):
            out += [_scan(row) for row in self.store.rows(
                "SELECT %s FROM desk_scans WHERE run_id IN (%s)" % (SCAN_COLUMNS, _in(chunk)), chunk)]
        return sorted(out, key=lambda s: (s["scanned_at"], s["run_id"], s["desk"]))

    def latest_scans(self) -> dict:
        """desk -> its latest scan (ties on time: the later run id)."""
        rows = self.store.rows(
            "SELECT %s FROM (SELECT %s, ROW_NUMBER() OVER (PARTITION BY desk ORDER BY scanned_at DESC, run_id DESC) "
            "AS rn FROM desk_scans) ranked WHERE rn = 1" % (SCAN_COLUMNS, SCAN_COLUMNS))
        return {row[1]: _scan(row) for row in rows}

    def previous_scan(self, scan: t.Mapping) -> dict | None:
        """The desk's scan just before this one, or None."""
        rows = self.store.rows(
            "SELECT %s FROM desk_scans WHERE desk = ? AND (scanned_at < ? OR (scanned_at = ? AND run_id < ?)) "
            "ORDER BY scanned_at DESC, run_id DESC LIMIT 1" % SCAN_COLUMNS,
            (scan["desk"], scan["scanned_at"], scan["scanned_at"], scan["run_id"]))
        return _scan(rows[0]) if rows else None

    def drifted_since(self, scan: t.Mapping) -> str:
        """The first drifted scan of the drift this scan belongs to (a failed scan in between does not end it)."""
        row = self.store.rows(
            "SELECT MIN(scanned_at) FROM desk_scans WHERE desk = ? AND status = 'drifted' AND scanned_at <= ? AND "
            "scanned_at > COALESCE((SELECT MAX(c.scanned_at) FROM desk_scans c WHERE c.desk = ? AND c.scanned_at <= ? "
            "AND c.status IN ('compliant', 'changed', 'not_installed')), '')",
            (scan["desk"], scan["scanned_at"], scan["desk"], scan["scanned_at"]))
        return (row[0][0] if row and row[0][0] else scan["scanned_at"])

    def changes(self, scan: t.Mapping, limit: int = 50) -> list:
        """The drifted JSON pointers of one desk scan (values as the history keeps them: masked), with the file."""
        rows = self.store.rows(
            "SELECT p.file_no, f.path, p.pointer, p.op, p.before_value, p.after_value FROM drifted_pointers p "
            "LEFT JOIN file_scans f ON f.run_id = p.run_id AND f.desk = p.desk AND f.file_no = p.file_no "
            "WHERE p.run_id = ? AND p.desk = ? ORDER BY p.file_no, p.pointer_no LIMIT ?",
            (scan["run_id"], scan["desk"], int(limit)))
        return [{"file": row[1] or "", "pointer": row[2], "op": row[3], "before": _json(row[4]),
                 "after": _json(row[5])} for row in rows]


def _scan(row) -> dict:
    try:
        errors = json.loads(row[9] or "[]")
    except ValueError:
        errors = []
    return {"run_id": row[0], "desk": row[1], "run_group": row[2], "scanned_at": row[3], "region": row[4],
            "environment": row[5], "status": row[6], "reason": row[7], "drift_count": int(row[8] or 0),
            "errors": errors}


def _json(text):
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]
