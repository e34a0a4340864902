# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift history: every scan of every desk, appended run by run, and the queries the fleet view reads.

One store, two backends (history_backends.py): an SQLite file (default) or PostgreSQL. Opening a store applies
the missing migrations (history_schema.py); a history of a newer schema than this collection knows is refused,
never written. Everything stored is masked again first (redact.py, masking.py), whatever the caller passed.
Problems come out as ``HistoryError`` with a problem (unreachable, locked, corrupt, newer_schema, ...), so the caller
can warn and still write its report.
"""

from __future__ import annotations

import json
import os
import socket
import typing as t

from ansible_collections.ioconnect.fleet.plugins.module_utils.common import status as st
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import pointer_is_secret
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.pointer import pointer_tokens
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.fleet import loads_or_text, remediation_entry
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history_backends import (
    NEWER,
    HistoryError,
    PostgreSQLBackend,
    SQLiteBackend,
    in_transaction,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history_schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.redact import redact_text, redact_value

CLEAN = st.CLEAN_STATUSES
COMPLIANT_AFTER = st.COMPLIANT_STATUSES

# The closed loop's ledger (plugin_utils/remediation/store.py), in the same database when the loop runs: read for a
# desk's story and the fleet view, pruned with the history. Its columns, as read here.
REMEDIATIONS = "eda_remediations"
REMEDIATION_COLUMNS = ("desk", "action_id", "wave_id", "decision", "outcome", "actor", "reason", "decided_at",
                       "finished_at", "drifted_since", "scanned_at", "scan_run_id", "msg")
# The decisions the guardrails read back (ledger.read_state): a desk whose latest one is a failed canary or
# remediate is blocked until a person clears it, so that row is never pruned (retention must not release it).
GUARD_DECISIONS = "('canary', 'remediate', 'cleared')"

# The latest scan of every desk (ties on time: the later run id, so the choice is stable).
_RANKED = """SELECT desk_scans.run_id AS run_id, desk, run_group, scanned_at, region, environment, status, reason, drift_count, errors,
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
        return in_transaction(self.backend, func, *args, write=write)

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
    def record_start(self, run: t.Mapping, recorded_at: str) -> bool:
        """Note that a run started (outcome ``running``), so a run whose controller is killed before its end is
        still in the history: no scan, and an outcome that says it never finished."""
        def step():
            if self._x("SELECT count(*) FROM runs WHERE run_id = ?", (run["run_id"],)).fetchone()[0]:
                return False
            self._insert_run(run, recorded_at, "running", "the run has not finished: still running, or its "
                             "controller stopped (killed) before the end", 0)
            return True
        return self._run(step, write=True)

    def _insert_run(self, run, recorded_at, outcome, reason, scanned) -> None:
        self._x("INSERT INTO runs (run_id, run_group, started_at, finished_at, recorded_at, check_mode, playbooks, "
                "controller, desks, outcome, stop_reason, run_limit, desks_targeted, controller_pid) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
                    run["run_id"], run.get("group") or run["run_id"], run.get("started_at"),
                    run.get("finished_at") or "" if outcome != "running" else "", recorded_at,
                    None if run.get("check_mode") is None else int(bool(run["check_mode"])),
                    json.dumps(run.get("playbooks") or []), run.get("controller") or _hostname(), scanned, outcome,
                    reason, run.get("limit") or "", int(run.get("targeted") or 0), run.get("pid") or os.getpid()))

    def record(self, batch: t.Mapping, retention_cutoff: str | None = None, max_scans_per_desk: int = 0) -> bool:
        """Append one run (see ``make_batch``) and apply retention, in one transaction.

        Returns False when the run was already recorded (importing a pending batch twice adds nothing).
        """
        return self._run(self._record, batch, retention_cutoff, max_scans_per_desk, write=True)

    def _reap(self, run) -> None:
        """Runs of this controller still ``running`` whose process is gone were killed: say so."""
        controller = run.get("controller") or _hostname()
        for run_id, pid in self._rows("SELECT run_id, controller_pid FROM runs WHERE outcome = 'running' AND "
                                      "controller = ? AND run_id <> ?", (controller, run["run_id"])):
            if pid and _alive(int(pid)):
                continue
            self._x("UPDATE runs SET outcome = 'incomplete', stop_reason = ? WHERE run_id = ?", (
                "the controller stopped before the run ended (process %s is gone: killed or crashed); no desk of "
                "this run was recorded, each keeps its last scan" % (pid or "?"), run_id))

    def _record(self, batch, retention_cutoff, max_scans_per_desk) -> bool:
        run = batch["run"]
        self._reap(run)
        found = self._x("SELECT outcome FROM runs WHERE run_id = ?", (run["run_id"],)).fetchone()
        if found and found[0] != "running":
            return False
        if found:
            self._x("DELETE FROM runs WHERE run_id = ?", (run["run_id"],))
        self._insert_run(run, run["recorded_at"], run.get("outcome") or "complete", run.get("stop_reason") or "",
                         len(batch["desks"]))
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
        events = []
        for event in batch.get("events") or []:
            events.append((run["run_id"], event["desk"], len([e for e in events if e[1] == event["desk"]]),
                           event["at"], event["kind"], event["region"], event["environment"],
                           json.dumps(event.get("detail") or {}, ensure_ascii=False)))
        self._many("INSERT INTO desk_scans (run_id, desk, run_group, scanned_at, region, environment, status, reason, "
                   "drift_count, errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", desks)
        self._many("INSERT INTO file_scans (run_id, desk, file_no, path, profile, root, product, kind, pair, task, "
                   "status, changed, file_exists, error_kind, msg, backup_file) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", files)
        self._many("INSERT INTO drifted_pointers (run_id, desk, file_no, pointer_no, pointer, op, before_value, "
                   "after_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", pointers)
        self._many("INSERT INTO desk_events (run_id, desk, event_no, event_at, kind, region, environment, detail) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", events)
        self._retain(retention_cutoff, max_scans_per_desk, [d["name"] for d in batch["desks"]])
        return True

    def _retain(self, cutoff, max_scans: int, desks: list) -> None:
        """Drop scans older than ``cutoff``, and beyond the ``max_scans`` newest of each desk just scanned, with
        their files and pointers. The scans to drop are found by index (time; each desk's own scans), then removed
        key by key: a run's retention costs what it removes, not the size of the history."""
        doomed = set()
        if cutoff:
            doomed.update(self._rows("SELECT run_id, desk FROM desk_scans WHERE scanned_at < ?", (cutoff,)))
            self._x("DELETE FROM desk_events WHERE event_at < ?", (cutoff,))
        if max_scans and max_scans > 0:
            for name in desks:
                doomed.update(self._rows(
                    "SELECT run_id, desk FROM desk_scans WHERE desk = ? AND scanned_at < (SELECT scanned_at FROM "
                    "desk_scans WHERE desk = ? ORDER BY scanned_at DESC, run_id DESC LIMIT 1 OFFSET ?)",
                    (name, name, max_scans - 1)))
        keys = sorted(doomed)
        for table in ("drifted_pointers", "file_scans", "desk_scans"):
            self._many("DELETE FROM %s WHERE run_id = ? AND desk = ?" % table, keys)
        if (cutoff or max_scans) and self.backend.table_exists(REMEDIATIONS):
            self._retain_remediations(cutoff, max_scans, desks)
        if cutoff or max_scans:
            # A complete run whose scans are all gone says nothing more; an incomplete or killed run (no scan, by
            # definition) is part of the audit and stays until the cutoff.
            self._x("DELETE FROM runs WHERE (outcome = 'complete' OR recorded_at < ?) AND NOT EXISTS (SELECT 1 FROM "
                    "desk_scans d WHERE d.run_id = runs.run_id) AND NOT EXISTS (SELECT 1 FROM desk_events e WHERE "
                    "e.run_id = runs.run_id)", (cutoff or "",))

    def _retain_remediations(self, cutoff, max_scans: int, desks: list) -> None:
        """The loop's ledger keeps what the history keeps: rows decided before ``cutoff``, and rows of a desk just
        scanned decided before the oldest of its ``max_scans`` kept scans, go. A failed canary or remediate row that
        is its desk's latest canary, remediate or cleared row stays whatever its age: it blocks the desk until a
        person clears it (ledger.read_state)."""
        latest_guard = (
            "outcome = 'failed' AND decision IN %s AND NOT EXISTS (SELECT 1 FROM %s n WHERE n.desk = %s.desk AND n.decision IN %s AND "
            "(n.decided_at > %s.decided_at OR (n.decided_at = %s.decided_at AND n.action_id > %s.action_id)))"
            % (GUARD_DECISIONS, REMEDIATIONS, REMEDIATIONS, GUARD_DECISIONS, REMEDIATIONS, REMEDIATIONS,
               REMEDIATIONS))
        if cutoff:
            self._x("DELETE FROM %s WHERE decided_at < ? AND NOT (%s)" % (REMEDIATIONS, latest_guard), (cutoff,))
        if max_scans and max_scans > 0:
            for name in desks:
                oldest = self._x("SELECT scanned_at FROM desk_scans WHERE desk = ? ORDER BY scanned_at DESC, "
                                 "run_id DESC LIMIT 1 OFFSET ?", (name, max_scans - 1)).fetchone()
                if oldest:
                    self._x("DELETE FROM %s WHERE desk = ? AND decided_at < ? AND NOT (%s)"
                            % (REMEDIATIONS, latest_guard), (name, oldest[0]))

    def _remediations(self, where: str = "", params: t.Sequence = (), per_desk: int = 0) -> list:
        """Rows of the loop's ledger as dicts (REMEDIATION_COLUMNS), newest first per desk, at most ``per_desk`` of
        each desk (0: all); none when the loop never ran on this database (no table)."""
        if not self.backend.table_exists(REMEDIATIONS):
            return []
        columns = ", ".join(REMEDIATION_COLUMNS)
        query = ("SELECT %s FROM (SELECT %s, ROW_NUMBER() OVER (PARTITION BY desk ORDER BY decided_at DESC, "
                 "action_id DESC) AS rn FROM %s %s) ranked" % (columns, columns, REMEDIATIONS, where))
        if per_desk and per_desk > 0:
            query += " WHERE rn <= %d" % int(per_desk)
        return [dict(zip(REMEDIATION_COLUMNS, row)) for row in self._rows(query + " ORDER BY desk, rn", params)]

    # -- reading ----------------------------------------------------------------------------------------------------
    def fleet_rows(self, window: int, rounds: int) -> dict:
        """What the fleet view needs, read in one consistent snapshot (see fleet.py)."""
        return self._run(self._fleet_rows, window, rounds)

    def _fleet_rows(self, window: int, rounds: int) -> dict:
        """Built for a year of a big fleet: every query walks an index per desk (its latest ``window`` scans) or
        the small tables (runs, desk_events); none ranks the whole history."""
        window = max(1, window)
        # Per desk: the time of its latest scan and of the oldest of its latest `window` scans (index seeks).
        cut = self._rows(
            "SELECT k.desk, (SELECT MAX(x.scanned_at) FROM desk_scans x WHERE x.desk = k.desk), (SELECT y.scanned_at "
            "FROM desk_scans y WHERE y.desk = k.desk ORDER BY y.scanned_at DESC LIMIT 1 OFFSET %d) FROM (SELECT "
            "DISTINCT desk FROM desk_scans) k" % (window - 1))
        # Then each desk's window, its latest files and the window's pointers, by batches of desks given as VALUES
        # (the same SQL on both backends; CROSS JOIN keeps SQLite's join order: the batch, then an index seek).
        recent_rows = self._batched(
            "SELECT d.desk, d.scanned_at, d.status, d.run_id, d.drift_count, r.check_mode, d.run_group, d.region, "
            "d.environment, d.reason, d.errors FROM %s c CROSS JOIN desk_scans d LEFT JOIN runs r ON "
            "r.run_id = d.run_id WHERE d.desk = c.column1 AND d.scanned_at >= c.column2",
            [(desk, since or "") for desk, _latest, since in cut])
        recent_rows.sort(key=lambda r: (r[0], r[1], r[3]), reverse=True)
        per_desk: dict = {}
        for row in recent_rows:
            rows_of = per_desk.setdefault(row[0], [])
            if len(rows_of) < window:
                rows_of.append(row)
        latest, recent = [], []
        for desk in sorted(per_desk):
            rows_of = per_desk[desk]
            (desk_, when, status, run_id, count, _mode, group, region, env, reason, errors) = rows_of[0]
            latest.append((run_id, desk, group, when, region, env, status, reason, count, errors))
            recent += [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows_of]
        files = self._batched(
            "SELECT f.run_id, f.desk, f.file_no, f.path, f.profile, f.root, f.product, f.kind, f.pair, f.task, "
            "f.status, f.changed, f.file_exists, f.error_kind, f.msg, f.backup_file FROM %s c CROSS JOIN "
            "file_scans f WHERE f.run_id = c.column1 AND f.desk = c.column2", [(r[0], r[1]) for r in latest])
        files.sort(key=lambda r: (r[1], r[2]))
        latest_keys = {(r[0], r[1]) for r in latest}
        window_pointers = self._batched(
            "SELECT p.run_id, p.desk, p.file_no, p.pointer_no, p.pointer, p.op, p.before_value, p.after_value "
            "FROM %s c CROSS JOIN drifted_pointers p WHERE p.run_id = c.column1 AND p.desk = c.column2",
            [(r[3], r[0]) for r in recent if r[4]])
        window_pointers.sort(key=lambda r: (r[1], r[0], r[2], r[3]))
        pointers = [r for r in window_pointers if (r[0], r[1]) in latest_keys]
        story_pointers = [(r[1], r[0], r[4]) for r in window_pointers]
        drifted_since, last_compliant = self._drift_bounds(per_desk, window)
        counts = self._rows("SELECT desk, count(*) FROM desk_scans GROUP BY desk")
        round_rows = self._rows(
            "SELECT run_group, MIN(COALESCE(started_at, recorded_at)), MAX(COALESCE(NULLIF(finished_at, ''), "
            "recorded_at)) FROM runs WHERE EXISTS (SELECT 1 FROM desk_scans d WHERE d.run_id = runs.run_id) "
            "GROUP BY run_group ORDER BY MAX(COALESCE(NULLIF(finished_at, ''), recorded_at)) DESC, run_group DESC "
            "LIMIT ?", (max(1, rounds),))
        round_scans, baseline = [], []
        if round_rows:
            groups = [r[0] for r in round_rows]
            round_scans = self._rows(
                "SELECT desk, run_group, scanned_at, region, environment, status FROM desk_scans "
                "WHERE run_group IN (%s) ORDER BY scanned_at" % ", ".join("?" * len(groups)), groups)
            start = min([r[2] for r in round_scans[:1]] + [r[1] or "" for r in round_rows])
            baseline = [r for r in self._rows(
                "SELECT d.desk, d.region, d.environment, d.status, d.run_group FROM desk_scans d JOIN (SELECT desk, "
                "MAX(scanned_at) AS at FROM desk_scans WHERE scanned_at < ? GROUP BY desk) b ON d.desk = b.desk AND "
                "d.scanned_at = b.at", (start,)) if r[4] not in groups]
            baseline = [r[:4] for r in baseline]
        total_rounds = self._x("SELECT count(DISTINCT run_group) FROM runs WHERE EXISTS (SELECT 1 FROM desk_scans d "
                               "WHERE d.run_id = runs.run_id)").fetchone()[0]
        # The latest event of each desk that was not a rollback: a run that targeted it and did not read it.
        missed = self._rows(
            "SELECT desk, event_at, kind, region, environment, detail, run_id FROM (SELECT desk, event_at, kind, "
            "region, environment, detail, run_id, ROW_NUMBER() OVER (PARTITION BY desk ORDER BY event_at DESC, "
            "run_id DESC) AS rn FROM desk_events WHERE kind <> 'rollback') ranked WHERE rn = 1")
        incomplete = self._rows(
            "SELECT run_id, outcome, stop_reason, started_at, finished_at, playbooks, controller FROM runs "
            "WHERE outcome <> 'complete' ORDER BY recorded_at DESC, run_id DESC LIMIT 10")
        story_events = self._rows(
            "SELECT desk, event_at, kind, detail, run_id FROM (SELECT desk, event_at, kind, detail, run_id, "
            "ROW_NUMBER() OVER (PARTITION BY desk ORDER BY event_at DESC, run_id DESC) AS rn FROM desk_events) "
            "ranked WHERE rn <= ? ORDER BY desk, event_at DESC", (window,))
        # The loop's decisions: each desk's latest ``window`` (its story) and its latest canary or remediate.
        story_remediations = self._remediations(per_desk=window)
        acted = self._remediations("WHERE decision IN ('canary', 'remediate')", per_desk=1)
        return {
            "missed": missed, "incomplete_runs": incomplete, "story_pointers": story_pointers,
            "story_events": story_events, "story_remediations": story_remediations,
            "remediations": {row["desk"]: row for row in acted},
            "latest": latest, "files": files, "pointers": pointers, "recent": recent,
            "drifted_since": drifted_since, "last_compliant": last_compliant,
            "scan_counts": dict(counts), "rounds": list(reversed(round_rows)), "round_scans": round_scans,
            "baseline": baseline, "total_rounds": total_rounds,
        }

    def _batched(self, query: str, pairs: list) -> list:
        """``query`` (with one %s for a VALUES list of pairs, columns column1 and column2) over ``pairs``.

        SQLite seeks its indexes pair by pair: small batches. PostgreSQL plans a batch as one hash join over the
        table: as few batches as its parameter limit (65,535) allows.
        """
        size = 20000 if self.backend.name == "postgresql" else 400
        out = []
        for chunk in _chunks(pairs, size):
            values = "(VALUES %s)" % ", ".join(["(?, ?)"] * len(chunk))
            out += self._rows(query % values, [v for pair in chunk for v in pair])
        return out

    def _drift_bounds(self, per_desk: dict, window: int) -> tuple:
        """({desk: drifted_since}, {desk: last_compliant_at}): from the window when it holds the answer, else one
        indexed query per batch of desks that need the older history."""
        since, compliant = {}, {}
        need_since, need_compliant = [], []
        for desk, rows_of in per_desk.items():
            statuses = [r[2] for r in rows_of]
            found = next((r[1] for r in rows_of if r[2] in COMPLIANT_AFTER), None)
            if found:
                compliant[desk] = found
            elif len(rows_of) >= window:
                need_compliant.append(desk)
            if statuses[0] != "drifted":
                continue
            clean_at = next((i for i, s in enumerate(statuses) if s in CLEAN), None)
            if clean_at is not None or len(rows_of) < window:
                drifted = [r[1] for r in rows_of[:clean_at] if r[2] == "drifted"]
                since[desk] = min(drifted)
            else:
                need_since.append(desk)
        for chunk in _chunks(need_compliant, 500):
            compliant.update(dict(self._rows(
                "SELECT desk, MAX(scanned_at) FROM desk_scans WHERE desk IN (%s) AND status IN ('compliant', "
                "'changed') GROUP BY desk" % ", ".join("?" * len(chunk)), chunk)))
        for chunk in _chunks(need_since, 500):
            since.update(dict(self._rows(
                "SELECT d.desk, MIN(d.scanned_at) FROM desk_scans d WHERE d.desk IN (%s) AND d.status = 'drifted' "
                "AND d.scanned_at > COALESCE((SELECT MAX(c.scanned_at) FROM desk_scans c WHERE c.desk = d.desk "
                "AND c.status IN ('compliant', 'changed', 'not_installed')), '') GROUP BY d.desk"
                % ", ".join("?" * len(chunk)), chunk)))
        return since, compliant

    def desk_timeline(self, desk: str, limit: int = 0) -> dict:
        """One desk's story, newest first: every scan (time, status, run, check mode, the pointers that differed)
        and every event (a run that did not reach it, a rollback), at most ``limit`` of each (0: all)."""
        return self._run(self._desk_timeline, desk, limit)

    def _desk_timeline(self, desk, limit):
        cap = " LIMIT %d" % int(limit) if limit and int(limit) > 0 else ""
        scans = self._rows(
            "SELECT d.run_id, d.scanned_at, d.status, d.reason, d.drift_count, d.region, d.environment, r.check_mode, "
            "r.playbooks FROM desk_scans d LEFT JOIN runs r ON r.run_id = d.run_id WHERE d.desk = ? "
            "ORDER BY d.scanned_at DESC, d.run_id DESC" + cap, (desk,))
        runs = [row[0] for row in scans]
        pointers: dict = {}
        if runs:
            for run_id, path, pointer, op, before, after in self._rows(
                    "SELECT p.run_id, f.path, p.pointer, p.op, p.before_value, p.after_value FROM drifted_pointers p "
                    "JOIN file_scans f ON f.run_id = p.run_id AND f.desk = p.desk AND f.file_no = p.file_no "
                    "WHERE p.desk = ? AND p.run_id IN (%s) ORDER BY p.file_no, p.pointer_no"
                    % ", ".join("?" * len(runs)), [desk] + runs):
                pointers.setdefault(run_id, []).append({"path": path, "pointer": pointer, "op": op,
                                                        "before": loads_or_text(before), "after": loads_or_text(after)})
        events = self._rows(
            "SELECT e.run_id, e.event_at, e.kind, e.detail, r.playbooks FROM desk_events e LEFT JOIN runs r "
            "ON r.run_id = e.run_id WHERE e.desk = ? ORDER BY e.event_at DESC, e.run_id DESC" + cap, (desk,))
        out = []
        for run_id, when, status, reason, count, region, env, check_mode, playbooks in scans:
            out.append({"at": when, "kind": "configure" if check_mode == 0 else "scan", "status": status,
                        "run_id": run_id, "drift_count": int(count), "reason": reason, "region": region,
                        "environment": env, "playbooks": loads_or_text(playbooks) or [],
                        "drift": pointers.get(run_id, [])})
        for run_id, when, kind, detail, playbooks in events:
            detail = loads_or_text(detail) or {}
            out.append({"at": when, "kind": "rollback" if kind == "rollback" else "not_reached", "status": None,
                        "run_id": run_id, "reason": detail.get("reason") or detail.get("detail") or "",
                        "why": kind, "files": detail.get("files") or [], "playbooks": loads_or_text(playbooks) or []})
        for row in self._remediations("WHERE desk = ?", (desk,), per_desk=int(limit or 0)):
            out.append(remediation_entry(row))
        out.sort(key=lambda e: (e["at"], e["run_id"] or ""), reverse=True)
        return {"desk": desk, "scans": len(scans), "entries": out}

    def count(self, table: str) -> int:
        if table not in ("runs", "desk_scans", "file_scans", "drifted_pointers", "desk_events", REMEDIATIONS):
            raise ValueError(table)
        if table == REMEDIATIONS and not self.backend.table_exists(REMEDIATIONS):
            return 0
        return self._run(lambda: self._x("SELECT count(*) FROM %s" % table).fetchone()[0])


def make_batch(run: t.Mapping, desks: t.Iterable[t.Mapping], recorded_at: str) -> dict:
    """The rows of one run, masked again (values, messages, paths, names), ready for ``record``.

    ``run``: run_id, group, started_at, finished_at, check_mode, playbooks; ``desks``: desk dicts of the report.
    """
    out, events = [], []
    for desk in desks:
        labels = {"desk": redact_text(desk["name"], 200), "region": redact_text(desk["region"], 200),
                  "environment": redact_text(desk["environment"], 200)}
        for event in desk.get("events") or []:
            events.append(dict(labels, at=event.get("at") or recorded_at, kind=event.get("kind") or "rollback",
                               detail={"detail": redact_text(event.get("detail") or "", 1000),
                                       "files": [redact_text(f, 500) for f in event.get("files") or []],
                                       "runs": [redact_text(r, 100) for r in event.get("runs") or []],
                                       "failed": bool(event.get("failed"))}))
        if desk.get("observed") is False:
            # Not a scan: the run targeted the desk but did not read its files. It keeps its last scan.
            missed = desk.get("not_reached") or {"kind": "stopped", "reason": desk.get("reason") or ""}
            events.append(dict(labels, at=desk.get("scanned_at") or recorded_at, kind=missed["kind"],
                               detail={"reason": redact_text(missed.get("reason") or "", 2000)}))
            continue
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
            "controller": redact_text(_hostname(), 200), "pid": os.getpid(),
            "outcome": run.get("outcome") or "complete", "stop_reason": redact_text(run.get("stop_reason") or "", 2000),
            "limit": redact_text(run.get("limit") or "", 500), "targeted": int(run.get("targeted") or 0),
        },
        "desks": out,
        "events": events,
    }


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _opt(value):
    return redact_text(value, 500) if isinstance(value, str) and value else None


def _hostname() -> str:
    try:
        return socket.gethostname()
    except OSError:
        return ""
