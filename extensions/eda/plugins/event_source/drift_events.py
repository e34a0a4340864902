# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ioconnect.fleet.drift_events: the drift history as Event-Driven Ansible events.

Polls the drift history the ``ioconnect.fleet.drift_report`` callback keeps (SQLite file or PostgreSQL, the same
options) and emits, for each new desk scan:

    {"ioconnect_drift": {"type": "newly_drifted" | "still_drifted" | "back_to_compliant" | "scan_failed",
                         "desk": ..., "environment": ..., "region": ..., "status": ..., "scanned_at": ...,
                         "run_id": ..., "run_group": ..., "drifted_since": ..., "drift_count": N,
                         "pointers": ["/server/url", ...], "changes": [{"file", "pointer", "op", "before",
                         "after"}, ...] (values masked), "reason": ..., "errors": [...], "latest": bool,
                         "redelivered": bool}}

then, when some desk's latest scan is drifted, one event for the remediation to act on:

    {"ioconnect_drift": {"type": "drifted_desks", "count": N, "desks": [{"desk", "environment", "region", "type",
                         "scanned_at", "run_id", "drifted_since", "drift_count", "pointers", "redelivered"}],
                         "redelivered": bool, "emitted_at": ...}}

It remembers what it emitted in the table ``eda_cursor`` of the same database (per ``consumer``), so a restart
neither floods nor misses (docs/remediation.md). Arguments:

    history_path:    SQLite file of the history (default: the callback's IOCONNECT_DRIFT_REPORT_HISTORY_PATH, else
                     <IOCONNECT_DRIFT_REPORT_DIR or drift-report>/drift-history.sqlite)
    history_dsn:     PostgreSQL connection string (default IOCONNECT_DRIFT_REPORT_HISTORY_DSN); wins over the path
    history_timeout: seconds to wait for the database (default 30)
    poll_interval:   seconds between two reads of the history (default: IOCONNECT_DRIFT_EVENTS_POLL_INTERVAL, else 30)
    consumer:        name of this cursor (default "ioconnect.fleet.drift_events"); two rulebooks that must each see
                     every event use two names
    initial:         first start of a consumer: "latest" (each desk's latest scan, default), "none", "all"
    redeliver:       on a restart, emit again drifted desks that were emitted and never acted on (default true)
    max_pointers:    JSON pointers listed per desk event (default 50)

Example rulebook source:

    sources:
      - ioconnect.fleet.drift_events:
          history_path: /var/lib/ioconnect/drift/drift-history.sqlite
          poll_interval: 60
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import typing as t

logger = logging.getLogger(__name__)


def _import_feed():
    """The collection's own code (plugins/plugin_utils/remediation), also when ansible-rulebook loaded this file by
    path: the collection is then found above this file (an installed collection) or on ANSIBLE_COLLECTIONS_PATH."""
    try:
        from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation import events, store
        return events, store
    except ImportError:
        pass
    here = os.path.abspath(globals().get("__file__") or "")
    # <path>/ansible_collections/ioconnect/fleet/extensions/eda/plugins/event_source/drift_events.py
    parts = [here]
    for _level in range(8):
        parts.append(os.path.dirname(parts[-1]))
    candidates = []
    if [os.path.basename(parts[i]) for i in (5, 6, 7)] == ["fleet", "ioconnect", "ansible_collections"]:
        candidates.append(parts[8])
    candidates += [p for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if p]
    for path in candidates:
        if os.path.isdir(os.path.join(path, "ansible_collections", "ioconnect", "fleet")) and path not in sys.path:
            sys.path.insert(0, path)
    from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation import events, store
    return events, store


def _settings(args: t.Mapping) -> dict:
    events, store = _import_feed()
    where = store.history_location(args.get("history_path") or None,
                                   args.get("history_dsn") if args.get("history_dsn") is not None else None)
    interval = float(args.get("poll_interval") or os.environ.get("IOCONNECT_DRIFT_EVENTS_POLL_INTERVAL") or 30)
    if interval <= 0:
        raise ValueError("poll_interval must be a number of seconds above 0, got %r" % args.get("poll_interval"))
    initial = str(args.get("initial", "latest"))
    if initial not in events.INITIAL:
        raise ValueError("initial must be one of %s, got %r" % (", ".join(events.INITIAL), initial))
    return {"path": where["path"], "dsn": where["dsn"], "timeout": float(args.get("history_timeout", 30)),
            "interval": interval, "consumer": str(args.get("consumer") or "ioconnect.fleet.drift_events"),
            "initial": initial, "redeliver": bool(args.get("redeliver", True)),
            "max_pointers": int(args.get("max_pointers", 50))}


class _Poller:
    """One feed for the life of the source; each call opens its own connection (they run in worker threads)."""

    def __init__(self, settings: dict) -> None:
        self.events, self.store = _import_feed()
        self.settings = settings
        self.feed = None

    def _open(self):
        s = self.settings
        opened = self.store.RemediationStore(path=s["path"], dsn=s["dsn"], timeout=s["timeout"]).open()
        if self.feed is None:
            self.feed = self.events.DriftEventFeed(opened, consumer=s["consumer"], initial=s["initial"],
                                                   redeliver=s["redeliver"], max_pointers=s["max_pointers"])
        self.feed.store = opened
        self.feed.reader.store = opened
        return opened

    def poll(self) -> tuple:
        opened = self._open()
        try:
            return self.feed.poll()
        finally:
            opened.close()

    def commit(self, marks) -> None:
        opened = self._open()
        try:
            self.feed.commit(marks)
        finally:
            opened.close()


async def main(queue: asyncio.Queue, args: t.Mapping) -> None:
    settings = _settings(args)
    poller = _Poller(settings)
    from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history_backends import HistoryError

    where = "(PostgreSQL)" if settings["dsn"] else settings["path"]
    logger.info("ioconnect.fleet.drift_events: polling the drift history every %ss (consumer %s)",
                settings["interval"], settings["consumer"])
    last_problem = None
    while True:
        try:
            found, marks = await asyncio.to_thread(poller.poll)
            for event in found:
                await queue.put(event)
            # Marked only once handed over: a source stopped before this line emits the same runs again.
            await asyncio.to_thread(poller.commit, marks)
            if found:
                logger.info("ioconnect.fleet.drift_events: %d event(s) from %d new run(s) of the history",
                            len(found), len([m for m in marks if m]))
            last_problem = None
        except HistoryError as exc:
            problem = "%s: %s" % (exc.problem, exc.detail)
            if problem != last_problem:  # say it once, not every poll
                logger.warning("ioconnect.fleet.drift_events: cannot read the drift history %s (%s); "
                               "trying again every %ss", where,
                               problem, settings["interval"])
            last_problem = problem
        await asyncio.sleep(settings["interval"])


if __name__ == "__main__":
    # Print the events of one poll, without marking them: python drift_events.py [HISTORY_PATH]

    class _Print:
        async def put(self, event):
            print(event)

    async def _once(path):
        poller = _Poller(_settings({"history_path": path} if path else {}))
        found, _marks = await asyncio.to_thread(poller.poll)
        for event in found:
            await _Print().put(event)

    asyncio.run(_once(sys.argv[1] if len(sys.argv) > 1 else None))
