# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediation ledger: every decision of the loop and its outcome, who/what/when, in ``eda_remediations``.

One row per desk per decision. ``decision`` is ``canary`` or ``remediate`` (the desk is configured; ``outcome``
goes from ``pending`` to ``succeeded``, ``failed`` or ``not_run``), ``deferred``, ``blocked``, ``opted_out`` (left
alone, ``outcome`` ``none``), or ``cleared`` (a person lifted the block a failed remediation set). Times are UTC
RFC 3339 with microseconds, as in the drift history, so they sort as text.

Planning is one write transaction: the ledger is read, the guardrails decide, the decisions are written, so two
rulebooks (or an AWX job and a rulebook) sharing the database never configure the same desk twice or exceed the
throttle together.
"""

from __future__ import annotations

import datetime
import typing as t
import uuid

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.redact import redact_text
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.guardrails import (
    LedgerState,
    Plan,
    Policy,
    decide,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.store import RemediationStore

ACTING = ("canary", "remediate")
COLUMNS = ("action_id, wave_id, desk, region, environment, scan_run_id, scanned_at, drifted_since, decision, reason, "
           "outcome, actor, decided_at, finished_at, msg")


def stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def read_state(store: RemediationStore, desks: t.Sequence, policy: Policy, now: datetime.datetime) -> LedgerState:
    """What the guardrails need to know, for these desks (call inside a transaction)."""
    state = LedgerState()
    since = stamp(now - policy.throttle_window)
    state.attempted = {r[0] for r in store.rows(
        "SELECT DISTINCT desk FROM eda_remediations WHERE decision IN ('canary', 'remediate') AND decided_at >= ?",
        (since,))}
    stale = stamp(now - policy.in_progress_timeout)
    for chunk in [list(desks)[i:i + 200] for i in range(0, len(desks), 200)]:
        marks = ", ".join("?" * len(chunk))
        rows = store.rows(
            "SELECT desk, decision, outcome, decided_at, finished_at, msg, scan_run_id FROM eda_remediations "
            "WHERE desk IN (%s) AND decision IN ('canary', 'remediate', 'cleared') "
            "ORDER BY desk, decided_at, action_id" % marks, chunk)
        last: dict = {}
        for desk, decision, outcome, decided_at, finished_at, msg, scan_run_id in rows:
            last[desk] = (decision, outcome, decided_at, finished_at, msg)
            if decision in ACTING:
                state.handled.add((desk, scan_run_id))
                if outcome == "succeeded":
                    state.put_right_at[desk] = finished_at
        for desk, (decision, outcome, decided_at, finished_at, msg) in last.items():
            if decision in ACTING and outcome == "failed":
                state.blocked[desk] = "%s: %s" % (finished_at, (msg or "failed")[:300])
            elif decision in ACTING and outcome == "pending" and decided_at >= stale:
                state.in_progress.add(desk)
    return state


def plan_wave(store: RemediationStore, candidates: list, policy: Policy, actor: str,
              now: datetime.datetime | None = None) -> tuple:
    """Decide and record, in one write transaction; returns (wave_id, Plan)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    wave_id = "wave-" + uuid.uuid4().hex[:16]

    def step() -> Plan:
        state = read_state(store, sorted({c.desk for c in candidates}), policy, now)
        plan = decide(candidates, policy, state, now)
        rows = [_row(wave_id, c, "canary", "canary of a wave of %d desk(s)" % (len(plan.canary) + len(plan.rollout)),
                     "pending", actor, now) for c in plan.canary]
        rows += [_row(wave_id, c, "remediate", "drifted since %s" % (c.drifted_since or c.scanned_at), "pending",
                      actor, now) for c in plan.rollout]
        # A desk skipped as already handled gets no row: the ledger stays one row per decision that mattered.
        rows += [_row(wave_id, c, decision, reason, "none", actor, now) for c, decision, reason in plan.left
                 if decision != "skipped"]
        store.many("INSERT INTO eda_remediations (%s) VALUES (%s)" % (COLUMNS, ", ".join("?" * 15)), rows)
        return plan

    return wave_id, store.run(step, write=True)


def record_outcomes(store: RemediationStore, wave_id: str, outcomes: t.Mapping,
                    now: datetime.datetime | None = None) -> int:
    """outcomes: desk -> (outcome, msg) for the desks of the wave still pending; returns the rows updated."""
    now = stamp(now or datetime.datetime.now(datetime.timezone.utc))

    def step() -> int:
        count = 0
        for desk, (outcome, msg) in sorted(outcomes.items()):
            cursor = store.x("UPDATE eda_remediations SET outcome = ?, finished_at = ?, msg = ? WHERE wave_id = ? "
                             "AND desk = ? AND outcome = 'pending'",
                             (outcome, now, redact_text(msg or "", 2000), wave_id, desk))
            count += max(0, cursor.rowcount or 0)
        return count

    return store.run(step, write=True)


def clear(store: RemediationStore, desks: t.Sequence, actor: str, reason: str,
          now: datetime.datetime | None = None) -> list:
    """A person lifts the block of each desk whose last remediation failed; returns the desks that were blocked."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    wave_id = "clear-" + uuid.uuid4().hex[:16]

    def step() -> list:
        blocked = read_state(store, list(desks), Policy(), now).blocked
        rows = []
        for desk in desks:
            rows.append((uuid.uuid4().hex, wave_id, desk, "", "", "", "", "", "cleared",
                         redact_text(reason or "cleared by a person", 1000), "none", redact_text(actor, 300),
                         stamp(now), stamp(now),
                         "was blocked: %s" % blocked[desk] if desk in blocked else "was not blocked"))
        store.many("INSERT INTO eda_remediations (%s) VALUES (%s)" % (COLUMNS, ", ".join("?" * 15)), rows)
        return [d for d in desks if d in blocked]

    return store.run(step, write=True)


def actions(store: RemediationStore, desk: str | None = None, limit: int = 200) -> list:
    """The ledger's rows, newest first, as dicts (one desk, or all); for reports and tests."""
    def step():
        where, params = ("WHERE desk = ?", [desk]) if desk else ("", [])
        rows = store.rows("SELECT %s FROM eda_remediations %s ORDER BY decided_at DESC, action_id LIMIT ?"
                          % (COLUMNS, where), params + [int(limit)])
        names = [c.strip() for c in COLUMNS.split(",")]
        return [dict(zip(names, row)) for row in rows]

    return store.run(step)


def _row(wave_id, cand, decision, reason, outcome, actor, now) -> tuple:
    return (uuid.uuid4().hex, wave_id, redact_text(cand.desk, 200), redact_text(cand.region, 200),
            redact_text(cand.environment, 200), cand.scan_run_id, cand.scanned_at, cand.drifted_since or "",
            decision, redact_text(reason, 1000), outcome, redact_text(actor, 300), stamp(now),
            "" if outcome == "pending" else stamp(now), "")
