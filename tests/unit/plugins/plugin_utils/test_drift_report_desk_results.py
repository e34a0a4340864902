# -*- coding: utf-8 -*-
"""Results of ioconnect.fleet.desk_system_json (one desk per result, one item of `files` per file) in the report,
the filter's summary and every format; and what the report shows of paths, profiles and values."""

from __future__ import annotations

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.aggregate import DriftCollector
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.display import (
    profile_of,
    relative_path,
    value_text,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.fleet import desk_history
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.render_html import render_html
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.render_junit import render_junit
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.render_markdown import render_markdown
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.summary import (
    collect_registered,
    stats_summary,
)

from ansible_collections.ioconnect.fleet.tests.unit.plugins.plugin_utils import drift_fixtures as fx

validate = fx.validate


def fleet():
    collector = DriftCollector()
    machine = fx.MACHINE_ROOT + "\\config\\system.json"
    collector.add_result("lon-prod-01", fx.desk_result("lon-prod-01", [
        fx.desk_file(drift=[fx.URL_DRIFT, fx.PATH_DRIFT]),
        fx.desk_file(path=machine, profile="(all users)", root=fx.MACHINE_ROOT, product="io.Connect Desktop 10")]),
        "EMEA", "PROD")
    collector.add_result("lon-prod-02", fx.desk_result("lon-prod-02", [fx.desk_file()]), "EMEA", "PROD")
    collector.add_result("lon-prod-03", fx.desk_result("lon-prod-03", []), "EMEA", "PROD")
    collector.add_result("lon-prod-04", fx.desk_result("lon-prod-04", [
        fx.desk_file(failed=True), fx.desk_file(path=machine, profile="(all users)", root=fx.MACHINE_ROOT,
                                                drift=[fx.URL_DRIFT])]), "EMEA", "PROD", outcome="failed")
    # Discovery failed (an unreadable profile): no file failed, the desk did.
    collector.add_result("lon-prod-05", fx.desk_result("lon-prod-05", [fx.desk_file()], status="failed",
                                                       error="C:\\Users\\ann: access denied"), "EMEA", "PROD",
                         outcome="failed")
    collector.add_result("lon-uat-01", fx.desk_result("lon-uat-01", [fx.desk_file(drift=[fx.URL_DRIFT])],
                                                      check_mode=False), "EMEA", "UAT")
    return collector


def test_desk_results_become_desks_with_one_record_per_file():
    report = fleet().report(run={"check_mode": True})
    validate(report)
    desks = {d["name"]: d for d in report["desks"]}
    assert {n: d["status"] for n, d in desks.items()} == {
        "lon-prod-01": "drifted", "lon-prod-02": "compliant", "lon-prod-03": "not_installed",
        "lon-prod-04": "failed", "lon-prod-05": "failed", "lon-uat-01": "changed"}
    first = desks["lon-prod-01"]
    assert [(i["profile"], i["root"], i["product"]) for i in first["installs"]] == [
        ("kim", fx.KIM, "io.Connect Desktop 9"), ("(all users)", fx.MACHINE_ROOT, "io.Connect Desktop 10")]
    assert first["profiles"] == ["(all users)", "kim"]
    assert first["drift_count"] == 2 and first["drift"][0]["profile"] == "kim"
    assert desks["lon-prod-03"]["reason"].startswith("no io.Connect Desktop install found")
    assert desks["lon-prod-05"]["errors"][0]["msg"] == "C:\\Users\\ann: access denied"
    # Consistent counts: the failed desk's pointer is counted apart, never as drift of a drifted desk.
    summary = report["summary"]
    assert (summary["drifted"], summary["drifted_pointers"], summary["pointers_on_failed_desks"],
            summary["changed"], summary["changed_pointers"]) == (1, 2, 1, 1, 1)
    prod = report["by_environment"]["PROD"]
    assert prod["drifted"] == 1 and prod["drifted_pointers"] == 2 and prod["pointers_on_failed_desks"] == 1


def test_the_filter_reads_desk_results_and_ignores_a_role_summary_fact():
    role_summary = {"desk": "x", "status": "drifted", "installs": [], "changed_files": [], "error": ""}
    results = {
        "a": [fx.desk_result("a", [fx.desk_file(drift=[fx.URL_DRIFT])]), role_summary],
        "b": [fx.desk_result("b", [fx.desk_file()])],
        "c": [fx.desk_result("c", [])],
        "d": [role_summary],
    }
    collector = collect_registered(list(results), list(results), results, {h: ("EMEA", "PROD") for h in results})
    summary = stats_summary(collector.report())
    assert (summary["drifted"], summary["compliant"], summary["not_installed"], summary["not_checked"]) == (1, 1, 1, 1)
    assert summary["drifted_desks"] == ["a"] and summary["desks_checked"] == 2


def test_paths_relative_to_their_root_values_as_the_desk_holds_them():
    report = fleet().report(run={"check_mode": True})
    page = render_html(report).replace("<wbr>", "")  # wrap points after separators, not text
    # relative to the profile, the full path on hover
    assert ('title="%s">AppData\\Local\\interop.io\\io.Connect Desktop\\Desktop\\config\\system.json</code>'
            % fx.KIM_SYSTEM_JSON) in page
    assert ">config\\system.json</code>" in page
    # a backslash is a backslash: C:\kim\apps, never C:\\kim\\apps
    assert "C:\\kim\\apps" in page and "C:\\\\kim\\\\apps" not in page
    text = render_markdown(report)
    assert "`C:\\kim\\apps`" in text and "C:\\\\kim" not in text
    assert "| kim | `AppData\\Local\\interop.io" in text
    junit = render_junit(report)
    assert "C:\\kim\\apps -&gt; \\\\share\\apps" in junit or "C:\\kim\\apps -> \\\\share\\apps" in junit
    assert 'message="no install found' in junit


def test_display_helpers():
    assert profile_of("C:\\Users\\kim\\AppData\\Local\\x\\system.json") == ("kim", "C:\\Users\\kim")
    assert profile_of("/srv/desks/d1/Users/ann/AppData/Local/x/system.json") == ("ann", "/srv/desks/d1/Users/ann")
    assert profile_of("/home/bob/.config/system.json") == ("bob", "/home/bob")
    assert profile_of("C:\\Program Files\\interop.io\\config\\system.json") == (None, None)
    assert relative_path("C:\\Users\\kim\\a\\b.json", "c:\\users\\KIM") == "a\\b.json"
    assert relative_path("C:\\Users\\kimberly\\a.json", "C:\\Users\\kim") == "C:\\Users\\kimberly\\a.json"
    assert value_text("C:\\kim\\apps") == "C:\\kim\\apps"
    assert value_text({"type": "path", "details": {"path": "C:\\kim"}}) == '{"type": "path", "details": {"path": "C:\\kim"}}'
    assert value_text(None) == "null" and value_text(None, missing=True) == "absent"
    assert value_text("") == '""' and value_text(30) == "30" and value_text(False) == "false"


def test_desk_history_fields():
    # newest first
    fields = desk_history(["drifted", "failed", "drifted", "compliant", "drifted", "drifted", "compliant"],
                          ["t7", "t6", "t5", "t4", "t3", "t2", "t1"], window=10)
    assert fields["times_drifted"] == 2 and fields["drifted_scans"] == 4
    assert fields["drifted_since"] == "t5"  # the failed scan in between does not end the drift
    assert fields["last_compliant_at"] == "t4"
    assert desk_history(["changed", "drifted"], ["t2", "t1"], 10)["times_drifted"] == 1  # fixed by that run
    assert desk_history(["compliant"], ["t1"], 10)["drifted_since"] is None
    windowed = desk_history(["drifted", "compliant", "drifted", "compliant", "drifted"], list("54321"), window=3)
    assert windowed["window"] == 3 and windowed["times_drifted"] == 2
