# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""End of a run: append its scans to the history, read the fleet view back, build the report.

A history that cannot be used (unreachable, locked, corrupt, of a newer schema, no driver) never costs the run its
report: the report then shows the run's own desks, says why in ``history.message`` (and the caller warns), and the
run's scans wait in a pending folder until a later run can add them.
"""

from __future__ import annotations

import datetime
import json
import os
import typing as t

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report import history_pending
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.aggregate import (
    build_report,
    run_report,
    utc_now,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.fleet import fleet_view, trend
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history import make_batch, open_store
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history_backends import (
    CORRUPT,
    LOCKED,
    MISSING_DRIVER,
    NEWER,
    REFUSED,
    UNREACHABLE,
    HistoryError,
    mask_dsn,
)


class HistorySettings(t.NamedTuple):
    enabled: bool = True
    path: str = ""  # SQLite file
    dsn: str = ""  # PostgreSQL; wins over path
    timeout: float = 30.0
    retention_days: int = 0
    max_scans_per_desk: int = 0
    window: int = 10  # scans per desk for times_drifted
    rounds: int = 20  # points of a trend
    pending_dir: str = ""


def build_fleet_report(run_desks: list, run: t.Mapping, settings: HistorySettings) -> tuple:
    """(report, warning or ''). ``run_desks``: DriftCollector.run_desks(); ``run``: run_id, group, times, ..."""
    run = dict(run, desks=[d["name"] for d in run_desks])
    if not settings.enabled:
        return run_report(run_desks, run, None, settings.rounds), ""  # build_report says the history is disabled
    backend = "postgresql" if settings.dsn else "sqlite"
    location = mask_dsn(settings.dsn) if settings.dsn else os.path.abspath(os.path.expanduser(settings.path))
    batch = make_batch(run, run_desks, utc_now(precise=True))
    info = {"status": "recorded", "backend": backend, "location": location, "message": "", "problem": None,
            "window": settings.window, "retention_days": settings.retention_days,
            "max_scans_per_desk": settings.max_scans_per_desk, "pending_imported": 0}
    try:
        store = open_store(settings.path, settings.dsn or None, settings.timeout)
    except HistoryError as exc:
        return _without_history(run_desks, run, settings, info, batch, exc)
    try:
        cutoff = _cutoff(settings.retention_days)
        for path, waiting in history_pending.pending(settings.pending_dir) if settings.pending_dir else []:
            if waiting["run"]["run_id"] != batch["run"]["run_id"]:
                store.record(waiting, cutoff, settings.max_scans_per_desk)
                info["pending_imported"] += 1
            history_pending.done(path)
        if run_desks or run.get("recorded_start"):
            store.record(batch, cutoff, settings.max_scans_per_desk)
        if not batch["desks"]:
            info["status"] = "read"  # nothing scanned: the report is the fleet as the history knows it
        rows = store.fleet_rows(settings.window, settings.rounds)
        desks = fleet_view(rows, run_desks, run, settings.window)
        info.update(schema_version=store.version, desks_known=len(desks), rounds=rows["total_rounds"],
                    incomplete_runs=[_incomplete(row) for row in rows["incomplete_runs"]])
        return build_report(desks, run, info, trend(rows, settings.rounds)), ""
    except HistoryError as exc:
        return _without_history(run_desks, run, settings, info, batch, exc)
    finally:
        store.close()


def _incomplete(row) -> dict:
    run_id, outcome, reason, started, finished, playbooks, controller = row
    try:
        names = [str(p) for p in json.loads(playbooks or "[]")]
    except ValueError:
        names = []
    return {"run_id": run_id, "outcome": outcome, "reason": reason, "started_at": started,
            "finished_at": finished or None, "playbooks": names, "controller": controller or ""}


def record_start(run: t.Mapping, settings: HistorySettings) -> bool:
    """Note in the history that a run started, so a run killed before its end is still there (never fails)."""
    if not settings.enabled:
        return False
    try:
        # A short wait: a history that is not there now is waited for (history_timeout) at the end of the run.
        store = open_store(settings.path, settings.dsn or None, min(settings.timeout, 5.0))
    except HistoryError:
        return False
    try:
        batch = make_batch(run, [], utc_now(precise=True))
        return store.record_start(batch["run"], batch["run"]["recorded_at"])
    except HistoryError:
        return False
    finally:
        store.close()


def _without_history(run_desks, run, settings, info, batch, exc: HistoryError) -> tuple:
    kept = ""
    if run_desks and settings.pending_dir:
        try:
            kept = history_pending.save(settings.pending_dir, batch)
        except OSError as err:
            kept = "!" + str(err)
    message = problem_message(exc, info["location"], info["backend"], len(run_desks), kept, settings.timeout)
    info.update(status="unavailable", problem=exc.problem, message=message, desks_known=len(run_desks),
                rounds=1 if run_desks else 0)
    return run_report(run_desks, run, info, settings.rounds), message


ADVICE = {
    UNREACHABLE: "check that the server is up and history_dsn is right, or that the folder of history_path exists "
                 "and is writable",
    LOCKED: "another run held it for longer than history_timeout (%ss): if runs often finish together, raise "
            "history_timeout",
    CORRUPT: "move the file aside (for example to %s.corrupt) so that the next run starts a new history, or "
             "restore it from a backup",
    NEWER: "it was written by a newer ioconnect.fleet: upgrade the collection on this controller, or point "
           "history_path or history_dsn at another history",
    REFUSED: "check the user, its password and its rights (CREATE on the schema for the first run, then SELECT, "
             "INSERT and DELETE on the history's tables)",
    MISSING_DRIVER: "install it on the controller (pip install 'psycopg[binary]', see requirements/runtime.txt), or "
                    "unset history_dsn to use the SQLite history",
}
TITLES = {
    UNREACHABLE: "cannot be reached", LOCKED: "is locked", CORRUPT: "is corrupt", NEWER: "has a newer schema",
    REFUSED: "refused access", MISSING_DRIVER: "needs psycopg",
}


def problem_message(exc: HistoryError, location: str, backend: str, scanned: int, kept: str, timeout: float) -> str:
    advice = ADVICE.get(exc.problem, "see the message above")
    if exc.problem == LOCKED:
        advice = advice % (("%g" % timeout),)
    elif exc.problem == CORRUPT:
        advice = advice % (location,)
    if not scanned:
        fate = "this run scanned no desk"
    elif kept and not kept.startswith("!"):
        fate = "this run's %d scan(s) are kept in %s and join the history on the next run that can write to it" % (
            scanned, kept)
    elif kept:
        fate = "this run's %d scan(s) could not be kept for later either (%s)" % (scanned, kept[1:])
    else:
        fate = "this run's %d scan(s) are in this report only" % scanned
    return ("drift history (%s, %s) %s: %s. This report shows only the desks this run scanned; %s. To fix: %s." % (
        backend, location, TITLES.get(exc.problem, "failed"), exc.detail, fate, advice))


def _cutoff(days: int):
    if not days or days <= 0:
        return None
    when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
