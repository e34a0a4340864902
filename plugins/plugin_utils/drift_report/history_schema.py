# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift history's schema, as numbered migrations. The same SQL runs on SQLite and PostgreSQL.

Rules that keep one schema for both: no server-generated keys (keys are the run id, the desk name and positions),
TEXT for strings and times, INTEGER for counts and flags (0/1), JSON as TEXT. Times are UTC RFC 3339 with
microseconds (``2026-01-05T06:00:12.123456Z``), so they sort as text.

A migration is applied once, in the transaction that records its number in ``history_meta``; opening a history of
an older version applies the missing ones in order. Never edit a released migration: add the next one.
"""

from __future__ import annotations

# (version, what it does, statements)
MIGRATIONS = (
    (1, "runs, desk scans, file scans and drifted pointers", (
        """CREATE TABLE history_meta (
            meta_key TEXT NOT NULL PRIMARY KEY,
            meta_value TEXT NOT NULL)""",
        """CREATE TABLE runs (
            run_id TEXT NOT NULL PRIMARY KEY,
            started_at TEXT,
            finished_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            check_mode INTEGER,
            playbooks TEXT NOT NULL,
            controller TEXT NOT NULL,
            desks INTEGER NOT NULL)""",
        """CREATE TABLE desk_scans (
            run_id TEXT NOT NULL,
            desk TEXT NOT NULL,
            scanned_at TEXT NOT NULL,
            region TEXT NOT NULL,
            environment TEXT NOT NULL,
            status TEXT NOT NULL,
            reason TEXT NOT NULL,
            drift_count INTEGER NOT NULL,
            errors TEXT NOT NULL,
            PRIMARY KEY (run_id, desk))""",
        "CREATE INDEX desk_scans_by_desk ON desk_scans (desk, scanned_at)",
        """CREATE TABLE file_scans (
            run_id TEXT NOT NULL,
            desk TEXT NOT NULL,
            file_no INTEGER NOT NULL,
            path TEXT NOT NULL,
            profile TEXT,
            root TEXT,
            product TEXT,
            kind TEXT,
            pair TEXT,
            task TEXT NOT NULL,
            status TEXT NOT NULL,
            changed INTEGER NOT NULL,
            file_exists INTEGER,
            error_kind TEXT,
            msg TEXT NOT NULL,
            backup_file TEXT,
            PRIMARY KEY (run_id, desk, file_no))""",
        """CREATE TABLE drifted_pointers (
            run_id TEXT NOT NULL,
            desk TEXT NOT NULL,
            file_no INTEGER NOT NULL,
            pointer_no INTEGER NOT NULL,
            pointer TEXT NOT NULL,
            op TEXT NOT NULL,
            before_value TEXT NOT NULL,
            after_value TEXT NOT NULL,
            PRIMARY KEY (run_id, desk, file_no, pointer_no))""",
    )),
    (2, "scan rounds: runs of one sliced job (or one workflow) share a group, counted as one point of a trend", (
        "ALTER TABLE runs ADD COLUMN run_group TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE desk_scans ADD COLUMN run_group TEXT NOT NULL DEFAULT ''",
        # Runs recorded before groups existed are rounds of their own.
        "UPDATE runs SET run_group = run_id WHERE run_group = ''",
        "UPDATE desk_scans SET run_group = run_id WHERE run_group = ''",
        "CREATE INDEX desk_scans_by_group ON desk_scans (run_group)",
        "CREATE INDEX desk_scans_by_time ON desk_scans (scanned_at)",
    )),
    (3, "what a run did not see: run outcomes (complete, incomplete, running) and desk events", (
        # outcome: running from the run's start until it records its scans; a row still running after its
        # controller is gone is a run that was killed (made incomplete by the next run of that controller).
        "ALTER TABLE runs ADD COLUMN outcome TEXT NOT NULL DEFAULT 'complete'",
        "ALTER TABLE runs ADD COLUMN stop_reason TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE runs ADD COLUMN run_limit TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE runs ADD COLUMN desks_targeted INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE runs ADD COLUMN controller_pid INTEGER",
        # Not scans: a desk a run targeted but did not read (kind unreachable, refused, preflight, failed,
        # validated, skipped, stopped), and rollbacks (kind rollback). detail is JSON: reason, files, runs.
        """CREATE TABLE desk_events (
            run_id TEXT NOT NULL,
            desk TEXT NOT NULL,
            event_no INTEGER NOT NULL,
            event_at TEXT NOT NULL,
            kind TEXT NOT NULL,
            region TEXT NOT NULL,
            environment TEXT NOT NULL,
            detail TEXT NOT NULL,
            PRIMARY KEY (run_id, desk, event_no))""",
        "CREATE INDEX desk_events_by_desk ON desk_events (desk, event_at)",
        "CREATE INDEX runs_by_outcome ON runs (outcome)",
        # A desk's last compliant (or clean) scan and the start of its drift, without reading its other scans.
        "CREATE INDEX desk_scans_by_desk_status ON desk_scans (desk, status, scanned_at)",
    )),
)

SCHEMA_VERSION = MIGRATIONS[-1][0]
