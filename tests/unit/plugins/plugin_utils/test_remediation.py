# -*- coding: utf-8 -*-
"""Closed-loop remediation without the engine: the guardrails, the drift history as events with its durable cursor,
and the remediation ledger, on real SQLite histories written by the drift_report callback's own store."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history import make_batch, open_store
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation import guardrails, ledger
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.actions import drifted_desks
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.events import DriftEventFeed
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.guardrails import (
    Candidate,
    LedgerState,
    decide,
    parse_policy,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.outcome import outcome_of
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.store import RemediationStore

UTC = datetime.timezone.utc
# A Saturday.
NOW = datetime.datetime(2026, 12, 5, 7, 4, tzinfo=UTC)


def cand(desk, since="2026-12-05T07:02:00.000000Z", **kw):
    return Candidate(desk=desk, scan_run_id=kw.pop("run", "r1"), scanned_at=kw.pop("at", since), drifted_since=since,
                     **kw)


# -- guardrails ---------------------------------------------------------------------------------------------------
def test_throttle_serves_the_oldest_drift_first_and_counts_the_window():
    desks = [cand("d%d" % i, since="2026-12-05T07:0%d:00.000000Z" % (9 - i)) for i in range(7)]
    plan = decide(desks, parse_policy(throttle_max=3, canary_threshold=99), LedgerState(attempted={"x"}), NOW)
    assert [c.desk for c in plan.rollout] == ["d5", "d6"]  # the two oldest drifts; 1 of 3 already used
    deferred = [(c.desk, d) for c, d, _r in plan.left]
    assert sorted(deferred) == [("d%d" % i, "deferred") for i in range(5)]
    assert all("throttle: at most 3 desk(s) per 1 h, 1 already" in r for _c, _d, r in plan.left)


def test_throttle_zero_stops_everything():
    plan = decide([cand("a")], parse_policy(throttle_max=0), LedgerState(), NOW)
    assert plan.desks == [] and plan.left[0][1] == "deferred"


def test_change_window_closed_defers_and_names_the_next_opening():
    policy = parse_policy(change_windows=[{"start": "18:00", "end": "20:00", "days": ["sat", "sun"]}])
    plan = decide([cand("a"), cand("b")], policy, LedgerState(), NOW)
    assert plan.desks == []
    assert {d for _c, d, _r in plan.left} == {"deferred"}
    assert "next opens 2026-12-05T18:00:00+00:00" in plan.left[0][2]
    later = decide([cand("a")], policy, LedgerState(), NOW.replace(hour=19))
    assert later.desks == ["a"]


def test_change_window_past_midnight_and_time_zone():
    window = {"start": "22:00", "end": "02:00", "days": ["fri"]}
    policy = parse_policy(change_windows=[window])
    assert guardrails.window_open(policy, datetime.datetime(2026, 12, 4, 23, 0, tzinfo=UTC))  # Fri 23:00
    assert guardrails.window_open(policy, datetime.datetime(2026, 12, 5, 1, 30, tzinfo=UTC))  # Sat 01:30
    assert not guardrails.window_open(policy, datetime.datetime(2026, 12, 5, 23, 0, tzinfo=UTC))  # Sat 23:00
    assert not guardrails.window_open(policy, datetime.datetime(2026, 12, 4, 21, 0, tzinfo=UTC))
    ny = parse_policy(change_windows=[{"start": "06:00", "end": "08:00"}], timezone="America/New_York")
    assert guardrails.window_open(ny, datetime.datetime(2026, 12, 5, 12, 0, tzinfo=UTC))  # 07:00 in New York
    assert not guardrails.window_open(ny, NOW)  # 02:04 in New York


@pytest.mark.parametrize("windows, text", [
    ([{"start": "6:00pm", "end": "20:00"}], 'change_windows[0].start must be a time "HH:MM"'),
    ([{"start": "06:00", "end": "08:00", "days": ["funday"]}], "change_windows[0].days: fun not a day"),
    ([{"start": "06:00", "end": "06:00"}], "start and end are equal"),
    ([{"start": "06:00", "end": "08:00", "when": "x"}], "unknown key(s) when"),
])
def test_bad_change_windows_say_what_to_write(windows, text):
    with pytest.raises(ValueError, match=None) as err:
        parse_policy(change_windows=windows)
    assert text in str(err.value)


def test_bad_time_zone_and_counts():
    with pytest.raises(ValueError, match="Mars/Olympus"):
        parse_policy(timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="canary_count"):
        parse_policy(canary_count=0)


def test_canary_first_for_a_wave_preferring_the_canary_group():
    wave = [cand("d%d" % i, canary_group=(i == 3)) for i in range(6)]
    plan = decide(wave, parse_policy(canary_threshold=5, canary_count=1), LedgerState(), NOW)
    assert [c.desk for c in plan.canary] == ["d3"]
    assert [c.desk for c in plan.rollout] == ["d0", "d1", "d2", "d4", "d5"]
    small = decide(wave[:4], parse_policy(canary_threshold=5), LedgerState(), NOW)
    assert small.canary == [] and len(small.rollout) == 4


def test_every_other_guardrail_with_its_reason():
    desks = [cand("gone", in_inventory=False), cand("done", run="r1"), cand("fixed", at="2026-12-05T07:00:00Z"),
             cand("me", groups=("trading",)), cand("optvar", opted_out=True), cand("named"), cand("broken"),
             cand("busy"), cand("ok")]
    state = LedgerState(handled={("done", "r1")}, put_right_at={"fixed": "2026-12-05T07:01:00.000000Z"},
                        blocked={"broken": "07:03: write refused"}, in_progress={"busy"})
    plan = decide(desks, parse_policy(opt_out=["trading", "named"], canary_threshold=99), state, NOW)
    assert plan.desks == ["ok"]
    why = {c.desk: (d, r) for c, d, r in plan.left}
    assert why["gone"][0] == "skipped" and "not in the inventory" in why["gone"][1]
    assert why["done"] == ("skipped", "already acted on for this scan")
    assert why["fixed"][0] == "skipped" and "put right at" in why["fixed"][1]
    assert why["me"] == ("opted_out", "opted out (trading)")
    assert why["named"] == ("opted_out", "opted out (named)")
    assert why["optvar"] == ("opted_out", "opted out (host variable)")
    assert why["broken"][0] == "blocked" and "a person must clear it" in why["broken"][1]
    assert why["busy"][0] == "skipped"


def test_one_candidate_per_desk_its_latest_scan():
    plan = decide([cand("a", run="r1", at="2026-12-05T07:00:00Z"), cand("a", run="r2", at="2026-12-05T07:01:00Z")],
                  parse_policy(), LedgerState(), NOW)
    assert [(c.desk, c.scan_run_id) for c in plan.rollout] == [("a", "r2")]


def test_events_as_the_rulebook_passes_them():
    batch = {"ioconnect_drift": {"type": "drifted_desks", "desks": [{"desk": "a"}, {"desk": "b"}]}}
    desk = {"type": "still_drifted", "desk": "c"}
    assert [d["desk"] for d in drifted_desks([batch, desk, {"type": "scan_failed", "desk": "x"}])] == ["a", "b", "c"]
    assert [d["desk"] for d in drifted_desks([{"m_0": batch, "m_1": {"ioconnect_drift": desk}}])] == ["a", "b", "c"]
    assert drifted_desks([None, "text", {}]) == []


@pytest.mark.parametrize("report, validation, canary, outcome", [
    ({"status": "changed", "changed_files": ["a"]}, None, [], "succeeded"),
    ({"status": "compliant"}, None, [], "succeeded"),
    ({"status": "failed", "failed": True, "error": "permission denied"}, None, [], "failed"),
    ({"unreachable": True, "msg": "ssh"}, None, [], "not_run"),
    (None, {"failed": True, "msg": "bad pair"}, [], "not_run"),
    (None, None, ["d1"], "not_run"),
    (None, None, [], "not_run"),
])
def test_outcome_of_a_configure_run(report, validation, canary, outcome):
    assert outcome_of(report, validation, canary)[0] == outcome


# -- a real history -----------------------------------------------------------------------------------------------
class History:
    """A drift history written as the callback writes it, one run at a time."""

    def __init__(self, path):
        self.path = str(path)
        self.clock = datetime.datetime(2026, 12, 5, 7, 0, tzinfo=UTC)
        self.runs = 0
        open_store(self.path).close()

    def scan(self, **statuses) -> str:
        self.runs += 1
        self.clock += datetime.timedelta(minutes=2)
        at = self.clock.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        run_id = "run%03d" % self.runs
        desks = []
        for name, status in sorted(statuses.items()):
            drift = [{"pointer": "/server/url", "op": "replace", "before": "https://old/api", "after": "https://new/api"},
                     {"pointer": "/server/token", "op": "replace", "before": "s3cret-value", "after": "other"}] \
                if status == "drifted" else []
            desks.append({"name": name.replace("_", "-"), "region": "EMEA", "environment": "PROD", "status": status,
                          "reason": "", "drift_count": len(drift), "scanned_at": at, "errors": [],
                          "installs": [{"path": "/d/%s/system.json" % name, "status": status, "drift": drift}]})
        with open_store(self.path) as store:
            store.record(make_batch({"run_id": run_id, "finished_at": at}, desks, at))
        return run_id

    def feed(self, **kw) -> DriftEventFeed:
        return DriftEventFeed(RemediationStore(self.path).open(), **kw)


def poll(feed, commit=True):
    events, marks = feed.poll()
    if commit:
        feed.commit(marks)
    return [e["ioconnect_drift"] for e in events]


def kinds(events):
    return [(e["type"], e.get("desk") or [d["desk"] for d in e["desks"]]) for e in events]


def test_scans_become_typed_events_and_a_failed_scan_does_not_end_a_drift(tmp_path):
    h = History(tmp_path / "h.sqlite")
    h.scan(a="compliant", b="compliant", c="compliant")
    feed = h.feed(initial="none")
    assert poll(feed) == []
    h.scan(a="drifted", b="compliant", c="failed")
    events = poll(feed)
    assert kinds(events) == [("newly_drifted", "a"), ("scan_failed", "c"), ("drifted_desks", ["a"])]
    first = events[0]
    assert first["pointers"] == ["/server/token", "/server/url"] and first["environment"] == "PROD"
    assert "s3cret-value" not in repr(events), "drift values come masked from the history"
    h.scan(a="failed")
    h.scan(a="drifted", b="drifted")
    events = poll(feed)
    assert kinds(events) == [("scan_failed", "a"), ("still_drifted", "a"), ("newly_drifted", "b"),
                             ("drifted_desks", ["a", "b"])]
    assert events[1]["drifted_since"] == first["scanned_at"]
    h.scan(a="changed", b="compliant", c="compliant")
    assert kinds(poll(feed)) == [("back_to_compliant", "a"), ("back_to_compliant", "b")]
    h.scan(a="compliant", b="not_installed")
    assert poll(feed) == []


def test_restart_neither_repeats_nor_loses(tmp_path):
    h = History(tmp_path / "h.sqlite")
    h.scan(a="drifted")
    feed = h.feed()
    assert kinds(poll(feed)) == [("newly_drifted", "a"), ("drifted_desks", ["a"])]
    store = feed.store
    ledger.plan_wave(store, [cand("a", run="run001", at="x")], parse_policy(), "test")  # the rulebook acted
    store.close()
    # Down while two scans land.
    h.scan(b="drifted")
    h.scan(c="failed")
    again = h.feed()
    events = poll(again)
    assert kinds(events) == [("newly_drifted", "b"), ("scan_failed", "c"), ("drifted_desks", ["b"])]
    assert poll(again) == []
    ledger.plan_wave(again.store, [cand("b", run="run002", at="x")], parse_policy(), "test")
    again.store.close()
    assert poll(h.feed()) == [], "a restart with nothing new and nothing unhandled emits nothing"


def test_a_source_stopped_before_its_commit_emits_again_and_the_ledger_skips_the_duplicate(tmp_path):
    h = History(tmp_path / "h.sqlite")
    h.scan(a="compliant")
    feed = h.feed()
    poll(feed)
    run = h.scan(a="drifted")
    assert kinds(poll(feed, commit=False)) == [("newly_drifted", "a"), ("drifted_desks", ["a"])]
    store = feed.store
    wave = [cand("a", run=run, at="2026-12-05T07:04:00.000000Z")]
    _wave_id, plan = ledger.plan_wave(store, wave, parse_policy(), "test")
    assert plan.desks == ["a"]
    events = poll(h.feed())
    assert kinds(events) == [("newly_drifted", "a"), ("drifted_desks", ["a"])]
    _wave_id, plan = ledger.plan_wave(store, [cand("a", run=run, at="2026-12-05T07:04:00.000000Z")],
                                      parse_policy(), "test")
    assert plan.desks == [] and plan.left[0][2] == "already acted on for this scan"


def test_an_event_emitted_but_never_acted_on_is_redelivered_once_on_restart(tmp_path):
    h = History(tmp_path / "h.sqlite")
    h.scan(a="drifted", b="drifted")
    feed = h.feed()
    poll(feed)
    ledger.plan_wave(feed.store, [cand("a", run="run001", at="x")], parse_policy(), "test")
    feed.store.close()
    restarted = h.feed()
    events = poll(restarted)
    assert kinds(events) == [("drifted_desks", ["b"])] and events[0]["redelivered"] is True
    assert poll(restarted) == []
    assert poll(h.feed(redeliver=False)) == []


def test_first_start_takes_each_desks_latest_scan_not_the_whole_history(tmp_path):
    h = History(tmp_path / "h.sqlite")
    for _round in range(5):
        h.scan(a="drifted", b="compliant")
    h.scan(a="drifted", b="drifted")
    assert kinds(poll(h.feed())) == [("still_drifted", "a"), ("newly_drifted", "b"), ("drifted_desks", ["a", "b"])]
    h2 = History(tmp_path / "h2.sqlite")
    h2.scan(a="drifted")
    h2.scan(a="drifted")
    assert len([e for e in poll(h2.feed(initial="all")) if e["type"] != "drifted_desks"]) == 2


def test_no_history_yet_is_an_error_to_wait_on_and_creates_nothing(tmp_path):
    from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history_backends import HistoryError

    with pytest.raises(HistoryError, match="no drift history"):
        RemediationStore(str(tmp_path / "none.sqlite")).open()
    assert not (tmp_path / "none.sqlite").exists()


# -- the ledger ---------------------------------------------------------------------------------------------------
def test_failed_remediation_blocks_until_a_person_clears_it(tmp_path):
    h = History(tmp_path / "h.sqlite")
    h.scan(a="drifted", b="drifted")
    store = RemediationStore(h.path).open()
    policy = parse_policy(canary_threshold=99)
    wave_id, plan = ledger.plan_wave(store, [cand("a", run="run001"), cand("b", run="run001")], policy, "rulebook",
                                     now=NOW)
    assert plan.desks == ["a", "b"]
    assert ledger.record_outcomes(store, wave_id, {"a": ("failed", "write refused"), "b": ("succeeded", "changed")},
                                  now=NOW) == 2
    later = NOW + datetime.timedelta(hours=2)
    _w, plan = ledger.plan_wave(store, [cand("a", run="run002", at="2026-12-05T09:00:00.000000Z")], policy,
                                "rulebook", now=later)
    assert plan.desks == [] and plan.left[0][1] == "blocked" and "write refused" in plan.left[0][2]
    assert ledger.clear(store, ["a", "b"], "jdoe", "ACL fixed (INC42)",
                        now=later + datetime.timedelta(minutes=1)) == ["a"]
    _w, plan = ledger.plan_wave(store, [cand("a", run="run003", at="2026-12-05T09:10:00.000000Z")], policy,
                                "rulebook", now=later + datetime.timedelta(minutes=2))
    assert plan.desks == ["a"]
    rows = ledger.actions(store, "a")
    assert [r["decision"] for r in rows] == ["remediate", "cleared", "blocked", "remediate"]
    assert rows[1]["actor"] == "jdoe" and rows[1]["reason"] == "ACL fixed (INC42)"
    first = rows[-1]
    assert (first["outcome"], first["actor"], first["scan_run_id"]) == ("failed", "rulebook", "run001")
    store.close()


def test_throttle_holds_across_waves_and_in_progress_desks_are_not_doubled(tmp_path):
    h = History(tmp_path / "h.sqlite")
    h.scan(a="drifted")
    store = RemediationStore(h.path).open()
    policy = parse_policy(throttle_max=2, throttle_window_minutes=30, canary_threshold=99)
    _w, p1 = ledger.plan_wave(store, [cand("a"), cand("b")], policy, "t", now=NOW)
    assert p1.desks == ["a", "b"]
    _w, p2 = ledger.plan_wave(store, [cand("a", run="r2"), cand("c")], policy, "t", now=NOW)
    assert p2.desks == [] and {c.desk: d for c, d, _r in p2.left} == {"a": "skipped", "c": "deferred"}
    _w, p3 = ledger.plan_wave(store, [cand("c")], policy, "t", now=NOW + datetime.timedelta(minutes=31))
    assert p3.desks == ["c"]
    store.close()


def test_a_desk_skipped_after_its_validation_failed_says_why():
    outcome, msg = outcome_of({"skipped": True}, {"failed": True, "msg": "no topology for PROD/EMEA"})
    assert outcome == "not_run" and msg == "validation refused the desk: no topology for PROD/EMEA"


def test_a_run_still_running_is_not_consumed_before_its_scans_land(tmp_path):
    """A history that records a run at its start (a runs.outcome column, 'running' until its scans are recorded):
    the run is read once it is over, so its scans are not lost to the cursor."""
    h = History(tmp_path / "h.sqlite")
    h.scan(a="compliant")
    feed = h.feed()
    poll(feed)
    columns = [row[1] for row in feed.store.x("PRAGMA table_info(runs)").fetchall()]
    if "outcome" not in columns:  # a history older than schema 3
        feed.store.x("ALTER TABLE runs ADD COLUMN outcome TEXT NOT NULL DEFAULT 'complete'")
    feed.store.x("INSERT INTO runs (run_id, run_group, started_at, finished_at, recorded_at, check_mode, playbooks, "
                 "controller, desks, outcome) VALUES ('zz-running', 'zz-running', '2026-12-05T08:00:00.000000Z', "
                 "'2026-12-05T08:00:00.000000Z', '2026-12-05T08:00:00.000000Z', 1, '[]', 'c', 0, 'running')")
    assert poll(feed) == []
    feed.store.x("INSERT INTO desk_scans (run_id, desk, run_group, scanned_at, region, environment, status, reason, "
                 "drift_count, errors) VALUES ('zz-running', 'a', 'zz-running', '2026-12-05T08:00:01.000000Z', 'EMEA', "
                 "'PROD', 'drifted', '', 1, '[]')")
    feed.store.x("UPDATE runs SET outcome = 'complete' WHERE run_id = 'zz-running'")
    assert kinds(poll(feed)) == [("newly_drifted", "a"), ("drifted_desks", ["a"])]


# -- the event source as ansible-rulebook loads it --------------------------------------------------------------------
def _source():
    import os
    import runpy

    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "..", "..", "..", "extensions", "eda", "plugins", "event_source", "drift_events.py")
    return runpy.run_path(os.path.abspath(path))  # as ansible-rulebook does (engine.start_source)


def test_the_event_source_waits_for_a_history_then_emits_and_remembers(tmp_path, caplog):
    import asyncio
    import logging

    source = _source()
    path = str(tmp_path / "drift-history.sqlite")

    async def scenario():
        queue: asyncio.Queue = asyncio.Queue()
        task = asyncio.create_task(source["main"](queue, {"history_path": path, "poll_interval": 0.05}))
        await asyncio.sleep(0.3)
        assert queue.empty()  # no history yet: waits, creates nothing
        h = History(path)
        h.scan(a="drifted", b="compliant")
        first = await asyncio.wait_for(queue.get(), 30)
        batch = await asyncio.wait_for(queue.get(), 30)
        # The cursor is committed once the events are handed over (the source's last step of a poll): wait for it
        # before stopping the source, or this test would race it.
        for _attempt in range(600):
            with RemediationStore(h.path) as store:
                if store.rows("SELECT run_id FROM eda_cursor WHERE consumer = 'ioconnect.fleet.drift_events'"):
                    break
            await asyncio.sleep(0.05)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        return h, first, batch

    with caplog.at_level(logging.WARNING):
        h, first, batch = asyncio.run(scenario())
    assert first["ioconnect_drift"]["type"] == "newly_drifted" and first["ioconnect_drift"]["desk"] == "a"
    assert batch["ioconnect_drift"]["type"] == "drifted_desks"
    warnings = [r.getMessage() for r in caplog.records if "cannot read the drift history" in r.getMessage()]
    assert len(warnings) == 1 and "no drift history at" in warnings[0], "said once, not every poll"
    # The cursor was committed: a new source on the same history starts where the first stopped.
    with RemediationStore(h.path) as store:
        seen = store.rows("SELECT run_id FROM eda_cursor WHERE consumer = 'ioconnect.fleet.drift_events'")
    assert sorted(r[0] for r in seen) == ["", "run001"]


def test_the_event_source_refuses_bad_arguments_clearly():
    source = _source()
    with pytest.raises(ValueError, match="poll_interval must be a number of seconds above 0"):
        source["_settings"]({"poll_interval": -1})
    with pytest.raises(ValueError, match="initial must be one of latest, none, all"):
        source["_settings"]({"initial": "everything"})
