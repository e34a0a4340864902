# -*- coding: utf-8 -*-
"""What the closed loop did, in the drift history's story: a desk's timeline, the fleet report's "drifted since"
cell ("drifted 07:04:00 UTC, put right by the rulebook 07:04:31 UTC"), the Markdown report and the command-line
story, and retention of the loop's ledger. Real SQLite histories written by the callback's store, and the loop's
own ledger (test_remediation.History, ledger.plan_wave / record_outcomes)."""

from __future__ import annotations

import datetime
import re

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.fleet_report import (
    HistorySettings,
    build_fleet_report,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history import open_store
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.render_html import render_html
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.render_markdown import render_markdown
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.timeline import render_story_markdown
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation import ledger
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.guardrails import parse_policy
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.store import RemediationStore

from ansible_collections.ioconnect.fleet.tests.unit.plugins.plugin_utils.drift_fixtures import validate
from ansible_collections.ioconnect.fleet.tests.unit.plugins.plugin_utils.test_remediation import UTC, History, cand

ACTOR = "ansible-rulebook ruleset 'Put drifted io.Connect Desktop desks right' rule 'Remediate', eda@ctl"
DECIDED = datetime.datetime(2026, 12, 5, 7, 4, 10, tzinfo=UTC)
DONE = datetime.datetime(2026, 12, 5, 7, 4, 31, tzinfo=UTC)
PUT_RIGHT = "drifted 2026-12-05 07:04:00 UTC, put right by the rulebook 2026-12-05 07:04:31 UTC"
FAILED = "drifted 2026-12-05 07:04:00 UTC, the rulebook failed to put it right 2026-12-05 07:04:31 UTC"


def report_of(h) -> dict:
    """The fleet report from the history alone (a run that scanned nothing), checked against its schema."""
    settings = HistorySettings(enabled=True, path=h.path, window=10, rounds=20)
    report, warning = build_fleet_report([], {"run_id": "read", "check_mode": True, "playbooks": ["x.yml"]},
                                         settings)
    assert warning == ""
    validate(report)
    return report


def remediated(h):
    """a and b drift at 07:04:00; the rulebook decides at 07:04:10; a is put right, b's write fails, at 07:04:31."""
    h.scan(a="compliant", b="compliant", c="compliant")
    wave = h.scan(a="drifted", b="drifted", c="compliant")
    since = "2026-12-05T07:04:00.000000Z"
    with RemediationStore(h.path) as store:
        wave_id, plan = ledger.plan_wave(store, [cand("a", since=since, run=wave), cand("b", since=since, run=wave)],
                                         parse_policy(canary_threshold=99), ACTOR, now=DECIDED)
        assert plan.desks == ["a", "b"]
        ledger.record_outcomes(store, wave_id, {"a": ("succeeded", "changed 1 file"),
                                                "b": ("failed", "write refused: folder is read-only")}, now=DONE)
    h.scan(a="changed", b="drifted", c="compliant")  # the configure run (a), the next scan (b)
    return wave


def test_the_report_says_drifted_then_put_right_by_the_rulebook(tmp_path):
    h = History(tmp_path / "h.sqlite")
    wave = remediated(h)
    report = report_of(h)
    desks = {d["name"]: d for d in report["desks"]}
    rem = desks["a"]["history"]["remediation"]
    assert (rem["decision"], rem["outcome"], rem["actor"]) == ("remediate", "succeeded", ACTOR)
    assert (rem["decided_at"], rem["finished_at"], rem["drifted_since"], rem["scan_run_id"]) == (
        "2026-12-05T07:04:10.000000Z", "2026-12-05T07:04:31.000000Z", "2026-12-05T07:04:00.000000Z", wave)
    assert desks["a"]["status"] == "changed" and desks["a"]["history"]["drifted_since"] is None
    assert desks["b"]["status"] == "drifted" and desks["b"]["history"]["remediation"]["outcome"] == "failed"
    assert desks["c"]["history"]["remediation"] is None
    # The story in the report: the decision between the scan that found the drift and the configure run.
    story = desks["a"]["timeline"]
    assert [(e["kind"], e["status"]) for e in story] == [
        ("scan", "changed"), ("remediation", None), ("scan", "drifted"), ("scan", "compliant")]
    assert story[1]["outcome"] == "succeeded" and story[1]["decision"] == "remediate"
    assert "succeeded 2026-12-05 07:04:31 UTC (changed 1 file); by " + ACTOR in story[1]["detail"]

    page = render_html(report)
    row = re.search(r'<tr class="desk" data-name="a".*?</tr>', page, re.S).group(0)
    assert '<td class="fix" title="remediate: drifted since 2026-12-05T07:04:00.000000Z; succeeded' in row
    assert ">%s</td>" % PUT_RIGHT in row
    row_b = re.search(r'<tr class="desk" data-name="b".*?</tr>', page, re.S).group(0)
    assert ">%s</td>" % FAILED in row_b
    row_c = re.search(r'<tr class="desk" data-name="c".*?</tr>', page, re.S).group(0)
    assert "put right by" not in row_c and 'class="fix"' not in row_c
    details = re.search(r'<details class="timeline" id="timeline-a".*?</details>', page, re.S).group(0)
    assert '<tr data-kind="remediation">' in details and "remediation (remediate)" in details
    assert "<td>succeeded</td>" in details

    markdown = render_markdown(report)
    assert "| b | EMEA | PROD |  | 2 | 2026-12-05 07:06:00 UTC | %s |" % FAILED in markdown
    assert "## Acted on by the remediation loop (1)" in markdown
    assert "| a | EMEA | PROD | changed | %s |" % PUT_RIGHT in markdown


def test_the_desk_story_from_the_command_line_shows_every_decision(tmp_path):
    h = History(tmp_path / "h.sqlite")
    remediated(h)
    with RemediationStore(h.path) as store:  # b stays drifted: blocked at the next scan, then a person clears it
        ledger.plan_wave(store, [cand("b", since="2026-12-05T07:04:00.000000Z", run="run003")], parse_policy(),
                         ACTOR, now=DONE + datetime.timedelta(minutes=2))
        ledger.clear(store, ["b"], "jdoe", "ACL fixed (INC42)", now=DONE + datetime.timedelta(minutes=3))
    with open_store(h.path) as store:
        story_a = store.desk_timeline("a")
        story_b = store.desk_timeline("b")
        assert len(store.desk_timeline("b", limit=1)["entries"]) == 1 + 1  # one scan, one decision
    [entry] = [e for e in story_a["entries"] if e["kind"] == "remediation"]
    assert {k: entry[k] for k in ("decision", "outcome", "actor", "reason", "decided_at", "finished_at")} == {
        "decision": "remediate", "outcome": "succeeded", "actor": ACTOR,
        "reason": "drifted since 2026-12-05T07:04:00.000000Z", "decided_at": "2026-12-05T07:04:10.000000Z",
        "finished_at": "2026-12-05T07:04:31.000000Z"}
    text = render_story_markdown(dict(story_a, generated_at="x"))
    assert "Latest drift: %s." % PUT_RIGHT in text
    assert "| 2026-12-05 07:04:10 UTC | remediation | remediate, succeeded | remediate: drifted since" in text
    decisions = [(e["decision"], e["outcome"]) for e in story_b["entries"] if e["kind"] == "remediation"]
    assert decisions == [("cleared", "none"), ("blocked", "none"), ("remediate", "failed")]
    text_b = render_story_markdown(dict(story_b, generated_at="x"))
    assert "Latest drift: %s." % FAILED in text_b
    assert "| cleared | cleared: ACL fixed (INC42) (was blocked: 2026-12-05T07:04:31.000000Z: write refused: folder " \
           "is read-only); by jdoe |" in text_b


def test_a_drift_after_the_remediation_is_a_new_drift(tmp_path):
    h = History(tmp_path / "h.sqlite")
    remediated(h)
    h.scan(a="drifted", b="drifted", c="compliant")  # 07:08: a drifts again
    desks = {d["name"]: d for d in report_of(h)["desks"]}
    assert desks["a"]["history"]["remediation"] is None
    assert desks["a"]["history"]["drifted_since"] == "2026-12-05T07:08:00.000000Z"
    page = render_html(report_of(h))
    row = re.search(r'<tr class="desk" data-name="a".*?</tr>', page, re.S).group(0)
    assert "put right by" not in row and 'class="fix"' not in row and "2026-12-05 07:08:00 UTC" in row
    with open_store(h.path) as store:
        text = render_story_markdown(dict(store.desk_timeline("a"), generated_at="x"))
    assert "Latest drift" not in text and "remediate, succeeded" in text  # still in the story


def test_a_history_the_loop_never_ran_on_has_no_ledger_and_no_error(tmp_path):
    h = History(tmp_path / "h.sqlite")
    h.scan(a="drifted")
    report = report_of(h)
    assert report["desks"][0]["history"]["remediation"] is None
    with open_store(h.path) as store:
        assert store.count("eda_remediations") == 0
        assert [e["kind"] for e in store.desk_timeline("a")["entries"]] == ["scan"]
        store.record(store_batch("later", "2026-12-05T08:00:00.000000Z"), retention_cutoff="2026-12-05T07:30:00Z")
        assert not store.backend.table_exists("eda_remediations"), "retention never creates the loop's table"


def store_batch(run_id, at):
    from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history import make_batch

    desk = {"name": "z", "region": "EMEA", "environment": "PROD", "status": "compliant", "reason": "",
            "drift_count": 0, "scanned_at": at, "errors": [], "installs": []}
    return make_batch({"run_id": run_id, "finished_at": at}, [desk], at)


def test_retention_prunes_the_ledger_with_the_history_but_keeps_what_guards_a_desk(tmp_path):
    h = History(tmp_path / "h.sqlite")
    remediated(h)  # a: remediate succeeded; b: remediate failed (b stays blocked until cleared)
    with RemediationStore(h.path) as store:  # later, deferred decisions on b and c (not guards)
        ledger.plan_wave(store, [cand("b", run="run003")], parse_policy(throttle_max=0), ACTOR,
                         now=DONE + datetime.timedelta(minutes=1))
        ledger.plan_wave(store, [cand("c", run="run003")], parse_policy(throttle_max=0), ACTOR,
                         now=DONE + datetime.timedelta(hours=2))
    with open_store(h.path) as store:
        assert store.count("eda_remediations") == 4
        store.record(store_batch("year-later", "2027-12-05T08:00:00.000000Z"),
                     retention_cutoff="2026-12-05T08:00:00.000000Z")
        kept = sorted((r["desk"], r["decision"]) for r in store._run(store._remediations))
    assert kept == [("b", "remediate"), ("c", "deferred")], "a's succeeded and b's deferred rows went with 2026"
    with RemediationStore(h.path) as store:
        state = ledger.read_state(store, ["a", "b"], parse_policy(), DONE + datetime.timedelta(days=400))
    assert "b" in state.blocked, "a failed remediation still blocks its desk after retention"
    # max_scans_per_desk: b's rows decided before the oldest of its 2 kept scans go, except the failed guard.
    with RemediationStore(h.path) as store:
        ledger.plan_wave(store, [cand("b", run="run003")], parse_policy(throttle_max=0), ACTOR,
                         now=DONE + datetime.timedelta(minutes=2))
    with open_store(h.path) as store:
        for index, at in enumerate(("2026-12-05T09:00:00.000000Z", "2026-12-05T10:00:00.000000Z")):
            batch = store_batch("m%d" % index, at)
            batch["desks"][0]["name"] = "b"
            store.record(batch, max_scans_per_desk=2)
        rows = [(r["desk"], r["decision"], r["outcome"])
                for r in store._run(store._remediations, "WHERE desk = ?", ("b",))]
        assert store.count("eda_remediations") == 2
    assert rows == [("b", "remediate", "failed")], "the deferred row before b's oldest kept scan went"
