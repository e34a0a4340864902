# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift history -> events, with a durable cursor: what the ``drift_events`` event source emits. Pure Python.

Every desk scan the history receives becomes at most one desk event, typed against the desk's earlier scans:

- ``newly_drifted``: drifted, and the scan before it that read the desk was not (or there is none);
- ``still_drifted``: drifted, and already drifted before (a failed scan in between does not end a drift);
- ``back_to_compliant``: compliant (or changed: a configure run wrote it) after a drift;
- ``scan_failed``: the scan failed or the desk was unreachable.

Compliant after compliant, no install, not checked: no event. After the desk events of a poll comes one
``drifted_desks`` event listing the desks whose *latest* scan is drifted: the one a remediation acts on, so an
upgrade wave is one decision (throttle, canary), not hundreds.

The cursor (table ``eda_cursor``) holds the history runs a consumer has turned into events. A run is marked only
after its events were handed over (``commit``), so a source killed mid-poll emits that poll again; the ledger
makes a repeated event harmless (a scan already acted on is skipped). On the first start of a consumer, only the
latest scan of each desk is turned into events (``initial: latest``; ``none`` starts silent; ``all`` replays the
history). On every later start, desks whose latest scan is drifted, already emitted, and never acted on (no row
in the ledger for that scan: the rulebook stopped between the event and its action) are emitted again in a
``drifted_desks`` event marked ``redelivered``.
"""

from __future__ import annotations

import datetime
import typing as t

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.store import HistoryReader, RemediationStore

DRIFTED = "drifted"
CLEAN = ("compliant", "changed")
FAILED = ("failed", "unreachable")
OBSERVED = ("compliant", "changed", "drifted", "not_installed")  # scans that read the desk's files
START_MARK = ""  # the cursor row that says the consumer has started once
INITIAL = ("latest", "none", "all")
KEY = "ioconnect_drift"


def now_stamp() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class DriftEventFeed:
    def __init__(self, store: RemediationStore, consumer: str = "default", initial: str = "latest",
                 redeliver: bool = True, max_pointers: int = 50) -> None:
        if initial not in INITIAL:
            raise ValueError("initial must be one of %s, got %r" % (", ".join(INITIAL), initial))
        self.store = store
        self.reader = HistoryReader(store)
        self.consumer = consumer
        self.initial = initial
        self.redeliver = redeliver
        self.max_pointers = max_pointers
        self._started = False

    # -- one poll ---------------------------------------------------------------------------------------------------
    def poll(self) -> tuple:
        """(events, runs to mark) since the last commit; nothing is marked until ``commit``."""
        return self.store.run(self._poll)

    def _poll(self) -> tuple:
        if not self.store.history_ready():
            return [], []
        runs = self.reader.run_ids()
        seen = {r[0] for r in self.store.rows("SELECT run_id FROM eda_cursor WHERE consumer = ?", (self.consumer,))}
        first = START_MARK not in seen
        latest = self.reader.latest_scans()
        if first and self.initial == "latest":
            scans = sorted(latest.values(), key=lambda s: (s["scanned_at"], s["run_id"], s["desk"]))
        elif first and self.initial == "none":
            scans = []
        else:
            scans = self.reader.scans_of_runs([r for r in runs if r not in seen])
        events, wave = [], []
        for scan in scans:
            event = self._desk_event(scan, latest.get(scan["desk"]))
            if event is None:
                continue
            events.append({KEY: event})
            if event["latest"] and event["type"] in ("newly_drifted", "still_drifted"):
                wave.append(_wave_entry(event))
        redelivered = []
        if not first and not self._started and self.redeliver:
            redelivered = self._unhandled(latest, seen, {w["desk"] for w in wave})
        self._started = True
        if wave:
            events.append({KEY: _batch(wave, redelivered=False)})
        if redelivered:
            events.append({KEY: _batch(redelivered, redelivered=True)})
        marks = [r for r in runs if r not in seen] + ([START_MARK] if first else [])
        return events, marks

    def commit(self, marks: t.Sequence) -> None:
        """Mark runs as emitted; forget runs the history no longer holds (retention)."""
        if not marks:
            return

        def step():
            stamp = now_stamp()
            existing = {r[0] for r in self.store.rows("SELECT run_id FROM eda_cursor WHERE consumer = ?",
                                                      (self.consumer,))}
            self.store.many("INSERT INTO eda_cursor (consumer, run_id, seen_at) VALUES (?, ?, ?)",
                            [(self.consumer, run, stamp) for run in marks if run not in existing])
            self.store.x("DELETE FROM eda_cursor WHERE consumer = ? AND run_id <> ? AND run_id NOT IN "
                         "(SELECT run_id FROM runs)", (self.consumer, START_MARK))

        self.store.run(step, write=True)

    # -- events -----------------------------------------------------------------------------------------------------
    def _desk_event(self, scan: t.Mapping, latest: t.Mapping | None) -> dict | None:
        status = scan["status"]
        if status == DRIFTED:
            since = self.reader.drifted_since(scan)
            kind = "still_drifted" if since < scan["scanned_at"] else "newly_drifted"
        elif status in CLEAN:
            previous = self._previous_observed(scan)
            if previous is None or previous["status"] != DRIFTED:
                return None
            kind, since = "back_to_compliant", self.reader.drifted_since(previous)
        elif status in FAILED:
            kind, since = "scan_failed", ""
        else:
            return None
        changes = self.reader.changes(scan, self.max_pointers) if status == DRIFTED else []
        return {
            "type": kind,
            "desk": scan["desk"],
            "environment": scan["environment"],
            "region": scan["region"],
            "status": status,
            "scanned_at": scan["scanned_at"],
            "run_id": scan["run_id"],
            "run_group": scan["run_group"],
            "drifted_since": since,
            "drift_count": scan["drift_count"],
            "pointers": sorted({c["pointer"] for c in changes}),
            "changes": changes,
            "reason": scan["reason"],
            "errors": scan["errors"][:10],
            "latest": bool(latest and latest["run_id"] == scan["run_id"]),
            "redelivered": False,
        }

    def _previous_observed(self, scan: t.Mapping) -> dict | None:
        """The desk's scan before this one that read its files (failed scans are skipped)."""
        probe = scan
        for _step in range(50):
            previous = self.reader.previous_scan(probe)
            if previous is None or previous["status"] in OBSERVED:
                return previous
            probe = previous
        return None

    def _unhandled(self, latest: t.Mapping, seen: set, already: set) -> list:
        """Drifted desks whose latest scan was emitted before this start and never acted on."""
        out = []
        for desk, scan in sorted(latest.items()):
            if scan["status"] != DRIFTED or scan["run_id"] not in seen or desk in already:
                continue
            acted = self.store.rows("SELECT count(*) FROM eda_remediations WHERE desk = ? AND scan_run_id = ?",
                                    (desk, scan["run_id"]))[0][0]
            if not acted:
                event = self._desk_event(scan, scan)
                out.append(_wave_entry(dict(event, redelivered=True)))
        return out


def _wave_entry(event: t.Mapping) -> dict:
    return {k: event[k] for k in ("desk", "environment", "region", "type", "scanned_at", "run_id", "drifted_since",
                                  "drift_count", "pointers", "redelivered")}


def _batch(desks: list, redelivered: bool) -> dict:
    return {"type": "drifted_desks", "count": len(desks), "desks": desks, "redelivered": redelivered,
            "emitted_at": now_stamp()}
