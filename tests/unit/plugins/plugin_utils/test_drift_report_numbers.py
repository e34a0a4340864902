# -*- coding: utf-8 -*-
"""Numbers that agree: every count, tooltip, trend point and time of a report built from a history (SQLite) of
seeded random runs, checked against each other: summary = sum of regions = sum of environments = status lists;
"times drifted" cell = its tooltip, never more than the scans that found drift; "drifted since" only on drifted
desks and never before the last compliant scan; every trend row has a point per round, its last point the
region's count; times to the second with the zone. And a desk's story (HistoryStore.desk_timeline)."""

from __future__ import annotations

import random
import re

import pytest

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.aggregate import DESK_STATUSES, DriftCollector
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.fleet_report import (
    HistorySettings,
    build_fleet_report,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history import open_store
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.render_html import render_html
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.render_markdown import render_markdown

from ansible_collections.ioconnect.fleet.tests.unit.plugins.plugin_utils.drift_fixtures import validate

DESKS = {"d%02d" % i: (("EMEA", "AMER", "APAC")[i % 3], ("PROD", "UAT")[i % 2]) for i in range(12)}
PATH = "/home/kim/.config/io.Connect Desktop/config/system.json"


def one_run(rng, names, check_mode=True):
    collector = DriftCollector()
    for name in names:
        region, env = DESKS[name]
        roll = rng.random()
        if roll < 0.3:
            collector.add_result(name, {"changed": True, "path": PATH, "exists": True, "drift": [
                {"pointer": "/server/url", "op": "replace", "before": "a", "after": "b"}]}, region, env,
                check_mode=check_mode)
        elif roll < 0.8:
            collector.add_result(name, {"changed": False, "path": PATH, "exists": True, "drift": []}, region, env)
        elif roll < 0.9:
            collector.add_result(name, {"failed": True, "path": PATH, "msg": "bad", "error_kind": "parse"}, region,
                                 env)
        else:
            collector.add_result(name, {"unreachable": True, "msg": "no route"}, region, env)
    return collector.run_desks()


@pytest.mark.parametrize("seed", range(6))
def test_numbers_agree(tmp_path, seed):
    rng = random.Random(seed)
    settings = HistorySettings(enabled=True, path=str(tmp_path / "h.sqlite"), window=5, rounds=50,
                               pending_dir=str(tmp_path / "pending"))
    report = None
    for index in range(rng.randint(4, 9)):
        names = sorted(DESKS) if index == 0 or rng.random() < 0.5 else rng.sample(sorted(DESKS), rng.randint(1, 11))
        check_mode = rng.random() < 0.8
        run = {"run_id": "r%d" % index, "check_mode": check_mode, "playbooks": ["drift.yml"],
               "outcome": "complete"}
        report, warning = build_fleet_report(one_run(rng, names, check_mode), run, settings)
        assert warning == ""
    validate(report)
    desks = report["desks"]
    summary = report["summary"]
    for status in DESK_STATUSES + ("drifted_pointers", "not_reached"):
        total = summary[status]
        assert total == sum(g[status] for g in report["by_region"].values())
        assert total == sum(g[status] for g in report["by_environment"].values())
        assert total == sum(g[status] for g in report["by_region_environment"])
        if status in DESK_STATUSES:
            assert total == len(report["desks_by_status"][status]) == sum(1 for d in desks if d["status"] == status)
    assert summary["desks"] == len(desks) == report["history"]["desks_known"]
    for desk in desks:
        history = desk["history"]
        assert history["times_drifted"] <= history["drifted_scans"] <= history["window"] <= max(history["scans"], 1)
        assert (history["drifted_since"] is not None) == (desk["status"] == "drifted"), desk["name"]
        if history["drifted_since"]:
            assert history["drifted_since"] <= desk["scanned_at"]
            if history["last_compliant_at"]:
                assert history["last_compliant_at"] < history["drifted_since"]
        if desk["not_reached"]:  # an unreachable run does not make a scan: the desk keeps its last one
            assert desk["not_reached"]["at"] >= (desk["scanned_at"] or "")
    rounds = report["trend"]["rounds"]
    for key, groups in (("by_region", report["by_region"]), ("by_environment", report["by_environment"])):
        for name, points in report["trend"][key].items():
            assert len(points) == len(rounds), (key, name)
            assert points[-1]["drifted"] == groups[name]["drifted"], (key, name)
            assert points[-1]["desks"] == sum(1 for d in desks if d["observed"] and name in (
                d["region"], d["environment"]))
    page = render_html(report)
    cells = re.findall(r'<td class="num flaps" title="(\d+) separate drift\(s\) in its last (\d+) scan\(s\); (\d+) of '
                       r'those scans found it drifted[^"]*" data-times="(\d+)" data-found="(\d+)"\s+data-window="(\d+)">'
                       r'(\d+)<span class="note"> in (\d+)</span>', page)
    assert len(cells) == len(desks)
    for t_times, t_window, t_found, times, found, window, cell, cell_window in cells:
        assert t_times == times == cell and t_window == window == cell_window and t_found == found
    for text in re.findall(r"<time [^>]*>([^<]*)</time>", page):
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", text), text
    markdown = render_markdown(report)
    assert not re.search(r"\d\d:\d\d UTC", re.sub(r"\d\d:\d\d:\d\d UTC", "", markdown))  # never to the minute


def test_a_desk_story_from_the_history(tmp_path):
    settings = HistorySettings(enabled=True, path=str(tmp_path / "h.sqlite"), window=10, rounds=20,
                               pending_dir=str(tmp_path / "pending"))
    rng = random.Random(7)
    statuses = []
    for index in range(5):
        desks = one_run(rng, ["d01"], check_mode=index != 2)
        statuses.append(desks[0]["status"])
        build_fleet_report(desks, {"run_id": "r%d" % index, "check_mode": index != 2, "playbooks": ["x.yml"]},
                           settings)
    with open_store(settings.path) as store:
        story = store.desk_timeline("d01")
    scans = [e for e in story["entries"] if e["kind"] in ("scan", "configure")]
    missed = [e for e in story["entries"] if e["kind"] == "not_reached"]
    assert len(scans) + len(missed) == 5 and story["scans"] == len(scans)
    assert [e["at"] for e in story["entries"]] == sorted((e["at"] for e in story["entries"]), reverse=True)
    assert [e["status"] for e in reversed(scans)] == [s for s in statuses if s != "unreachable"]
    for entry in scans:
        assert entry["kind"] == ("configure" if entry["run_id"] == "r2" else "scan")
        if entry["status"] in ("drifted", "changed"):
            assert [d["pointer"] for d in entry["drift"]] == ["/server/url"]


def test_configured_then_drifted_is_one_drift_since_the_last_scan():
    """The demo's lon-prod-01: configure wrote it (changed), an upgrade reset it (drifted). It drifted once, since
    its latest scan; the cell and its tooltip say so (not "2 in 2", not "drifted in 0 of ...")."""
    from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report import numbers
    from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.fleet import desk_history

    history = desk_history(["drifted", "changed"], ["2026-01-02T06:00:00Z", "2026-01-01T06:00:00Z"], 10)
    assert history["drifted_since"] == "2026-01-02T06:00:00Z" and history["last_compliant_at"] == "2026-01-01T06:00:00Z"
    flap = numbers.flapping(history)
    assert flap["cell"] == "1 in 2"
    assert flap["tooltip"].startswith("1 separate drift(s) in its last 2 scan(s); 1 of those scans found it drifted")
    # drifted, failed, drifted: one drift (a failed scan does not end it); compliant in between: two.
    assert desk_history(["drifted", "failed", "drifted"], ["3", "2", "1"], 10)["times_drifted"] == 1
    assert desk_history(["drifted", "compliant", "drifted"], ["3", "2", "1"], 10)["times_drifted"] == 2
