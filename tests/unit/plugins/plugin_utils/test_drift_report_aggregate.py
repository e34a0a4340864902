# -*- coding: utf-8 -*-
"""Aggregation of system_json results into the drift report: statuses, loops, groups, big fleets, masking."""

from __future__ import annotations

import json

import pytest

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.aggregate import (
    DESK_STATUSES,
    DriftCollector,
    classify_install,
    iter_task_results,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.summary import (
    collect_registered,
    stats_summary,
)

from ansible_collections.ioconnect.fleet.tests.unit.plugins.plugin_utils import drift_fixtures as fx

validate = fx.validate


def desk_of(report, name):
    return next(d for d in report["desks"] if d["name"] == name)


@pytest.mark.parametrize("result, outcome, status", [
    (fx.compliant(), "ok", "compliant"),
    (fx.drifted(), "ok", "drifted"),
    (fx.not_installed(), "ok", "not_installed"),
    # 2.19 callbacks get failures without the `failed` key: the event says it.
    ({k: v for k, v in fx.failed().items() if k != "failed"}, "failed", "failed"),
    (fx.failed(), None, "failed"),
    ({"msg": "Failed to connect to the host via ssh", "unreachable": True, "changed": False}, "unreachable",
     "unreachable"),
    ({"changed": True, "censored": "hidden by no_log"}, "ok", "drifted"),
    ({"changed": False, "censored": "hidden by no_log"}, "ok", "compliant"),
])
def test_install_status(result, outcome, status):
    records = [classify_install(r) for r in iter_task_results(result, outcome)]
    assert [r["status"] for r in records] == [status]


def test_compliant_desk_never_listed_as_drifted():
    collector = DriftCollector()
    collector.add_result("a", fx.compliant(), "emea", "prod")
    collector.add_result("a", fx.not_installed("/other/system.json"), "emea", "prod")
    collector.add_result("b", fx.drifted(), "emea", "prod")
    report = collector.report()
    assert report["desks_by_status"]["drifted"] == ["b"]
    assert desk_of(report, "a")["status"] == "compliant"
    assert desk_of(report, "a")["drift"] == []
    validate(report)


def test_loop_results_one_install_per_item():
    collector = DriftCollector()
    result = fx.loop(fx.compliant("/u1/system.json"), fx.drifted("/u2/system.json", ("/server/url", "/env")),
                     fx.not_installed("/u3/system.json"))
    added = collector.add_result("shared-desk", result, "emea", "prod", task_name="desktop : check")
    assert [i["status"] for i in added] == ["compliant", "drifted", "not_installed"]
    desk = desk_of(collector.report(), "shared-desk")
    assert desk["status"] == "drifted"
    assert desk["drift_count"] == 2
    assert {(e["path"], e["pointer"]) for e in desk["drift"]} == {
        ("/u2/system.json", "/server/url"), ("/u2/system.json", "/env")}


def test_loop_with_a_failed_item_keeps_drift_of_the_others():
    collector = DriftCollector()
    result = fx.loop(fx.drifted("/u1/system.json"), fx.failed("/u2/system.json"))
    result.pop("changed")
    collector.add_result("desk", result, outcome="failed")
    desk = desk_of(collector.report(), "desk")
    assert desk["status"] == "failed"
    assert desk["drift_count"] == 1  # still reported, never dropped


def test_skipped_checks_add_nothing():
    collector = DriftCollector()
    collector.add_result("win", {"changed": False, "skip_reason": "Conditional result was False"}, outcome="skipped")
    collector.add_result("win", fx.compliant())
    collector.add_result("posix", {"changed": False, "skip_reason": "Conditional result was False"},
                         outcome="skipped")
    report = collector.report()
    assert desk_of(report, "win")["status"] == "compliant"
    assert desk_of(report, "win")["installs"][0]["status"] == "compliant"
    assert desk_of(report, "posix")["status"] == "not_checked"
    assert "skipped" in desk_of(report, "posix")["reason"]


def test_errors_outside_checks_and_unknown_labels():
    collector = DriftCollector()
    collector.add_error("gone", "unreachable", "ssh: connect to host 127.0.0.1 port 1: Connection refused", "Gather")
    collector.add_error("broken", "failed", "assert failed", "desktop : preflight", "amer", "uat")
    report = collector.report()
    assert desk_of(report, "gone")["region"] == "unknown"
    assert desk_of(report, "gone")["environment"] == "unknown"
    assert report["desks_by_status"] == {"unreachable": ["gone"], "failed": ["broken"], "drifted": [],
                                         "changed": [], "compliant": [], "not_installed": [], "not_checked": []}
    with pytest.raises(ValueError):
        collector.add_error("x", "drifted")
    validate(report)


def test_groups_by_region_and_environment():
    collector = DriftCollector()
    collector.add_result("e1", fx.drifted(), "emea", "prod")
    collector.add_result("e2", fx.compliant(), "emea", "uat")
    collector.add_result("a1", fx.failed(), "amer", "prod", outcome="failed")
    report = collector.report()
    assert report["by_region"]["emea"]["desks"] == 2
    assert report["by_region"]["emea"]["drifted"] == 1
    assert report["by_region"]["amer"]["failed"] == 1
    assert report["by_environment"]["prod"]["desks"] == 2
    assert [(p["region"], p["environment"], p["desks"]) for p in report["by_region_environment"]] == [
        ("amer", "prod", 1), ("emea", "prod", 1), ("emea", "uat", 1)]


def feed_fleet(collector, size):
    """Feed a mixed fleet; returns the expected status per desk."""
    expected = {}
    for name, region, env, kind in fx.fleet(size):
        if kind == "compliant":
            collector.add_result(name, fx.compliant(), region, env)
        elif kind == "drifted":
            collector.add_result(name, fx.drifted(pointers=("/server/url", "/crashReporter/output/serverUrl")),
                                 region, env)
        elif kind == "failed":
            collector.add_result(name, {k: v for k, v in fx.failed().items() if k != "failed"}, region, env,
                                 outcome="failed")
        elif kind == "unreachable":
            collector.add_error(name, "unreachable", "Connection refused", "Gathering Facts", region, env)
        elif kind == "not_installed":
            collector.add_result(name, fx.not_installed(), region, env)
        else:
            collector.add_result(name, fx.loop(fx.compliant("/a"), fx.drifted("/b")), region, env)
            kind = "drifted"
        expected[name] = kind
    return expected


@pytest.mark.parametrize("size", [1, 250, 1200])
def test_hundreds_of_desks(size):
    collector = DriftCollector()
    expected = feed_fleet(collector, size)
    report = collector.report()
    assert report["summary"]["desks"] == size
    for status in DESK_STATUSES:
        names = sorted(n for n, k in expected.items() if k == status)
        assert sorted(report["desks_by_status"][status]) == names
        assert report["summary"][status] == len(names)
        assert sum(g[status] for g in report["by_region"].values()) == len(names)
        assert sum(g[status] for g in report["by_environment"].values()) == len(names)
        assert sum(g[status] for g in report["by_region_environment"]) == len(names)
    for desk in report["desks"]:
        assert (desk["drift_count"] > 0) == (desk["status"] == "drifted")
    validate(report)


def test_secrets_are_masked_again():
    collector = DriftCollector()
    collector.add_result("leaky", fx.leaky(), "emea", "prod")
    text = json.dumps(collector.report())
    for secret in fx.SECRETS:
        assert secret not in text
    desk = desk_of(collector.report(), "leaky")
    by_pointer = {e["pointer"]: e for e in desk["drift"]}
    assert by_pointer["/server/token"]["before"] == "********"
    assert by_pointer["/server"]["after"]["url"] == "https://********@mgr.example/api"
    assert by_pointer["/server"]["after"]["clientSecret"] == "********"
    assert by_pointer["/appStores"]["after"][0]["details"]["headers"][0]["value"] == "********"
    assert by_pointer["/server/token"]["op"] == "replace"


def test_untrusted_text_is_cleaned():
    collector = DriftCollector()
    collector.add_result("bad\x00name\x1b[31m", dict(fx.drifted(), msg="x" * 10000), "", None)
    desk = collector.report()["desks"][0]
    assert "\x00" not in desk["name"] and "\x1b" not in desk["name"]
    assert desk["region"] == "unknown" and desk["environment"] == "unknown"
    assert len(desk["installs"][0]["msg"]) <= 2000


def test_region_learnt_later():
    collector = DriftCollector()
    collector.mark_seen("d")
    collector.add_result("d", fx.compliant(), "apac", "dev")
    desk = collector.report()["desks"][0]
    assert (desk["region"], desk["environment"], desk["status"]) == ("apac", "dev", "compliant")


def test_registered_results_summary():
    results = {
        "ok": [fx.compliant()],
        "drift": [fx.loop(fx.drifted("/a"), fx.compliant("/b"))],
        "bad": [fx.failed()],
        "away": [{"unreachable": True, "changed": False, "msg": "Connection refused"}],
        "dropped": [],
        "noinstall": [fx.not_installed(), {"skipped": True, "changed": False}],
    }
    hosts = list(results)
    labels = {h: ("emea", "prod") for h in hosts}
    collector = collect_registered(hosts, [h for h in hosts if h not in ("dropped", "away", "bad")], results, labels)
    summary = stats_summary(collector.report())
    assert summary["desks"] == 6
    assert summary["desks_checked"] == 2
    assert (summary["drifted"], summary["compliant"], summary["failed"], summary["unreachable"],
            summary["not_installed"], summary["not_checked"]) == (1, 1, 2, 1, 1, 0)
    assert summary["drifted_desks"] == ["drift"]
    assert sorted(summary["failed_desks"]) == ["bad", "dropped"]
    assert summary["unreachable_desks"] == ["away"]
    assert summary["by_region"]["emea"]["drifted"] == 1


def test_stats_summary_caps_names():
    collector = DriftCollector()
    for i in range(150):
        collector.add_result("d%03d" % i, fx.drifted())
    summary = stats_summary(collector.report(), max_names=100)
    assert len(summary["drifted_desks"]) == 100
    assert summary["drifted_desks_truncated"] == 50


def test_long_values_are_cut_quickly():
    import time

    collector = DriftCollector()
    huge = "y" * 200000
    started = time.monotonic()
    collector.add_result("d", dict(fx.drifted(), msg=huge, drift=[
        {"pointer": "/big", "op": "replace", "before": huge, "after": "password=" + huge}]))
    assert time.monotonic() - started < 2
    entry = collector.report()["desks"][0]["drift"][0]
    assert len(entry["before"]) < 4100


def test_only_what_was_read_is_a_scan():
    """validate_only, a refused request, a failed preflight, an unreachable desk, a rollback: none read the desk's
    files, so none is a scan; each says why (not_reached) and the desk's run status is what the run met."""
    collector = DriftCollector()
    collector.add_result("validated", {"changed": False, "desk": "validated", "env_region": ["PROD-EMEA"],
                                       "instances": [], "msg": "validated; nothing was touched"}, "emea", "prod")
    collector.add_result("refused", {"changed": False, "status": "failed", "files": [], "error_kind": "request",
                                     "error": "UTA is not an environment of desktop_topology"}, "emea", "prod",
                         outcome="failed")
    collector.add_result("preflight", {"changed": False, "status": "failed", "desk": "preflight", "files": [],
                                       "error_kind": "preflight", "error": "io.Manager PROD-EMEA did not answer; "
                                       "-e desktop_preflight=false skips this check"}, "emea", "prod", outcome="failed")
    collector.add_result("gone", {"msg": "ssh: connect to host: timed out"}, "emea", "prod", outcome="unreachable")
    collector.add_result("rolled", {"changed": True, "desk": "rolled", "rolled_back": ["r1"], "check_mode": False,
                                    "files": [{"path": "/u/system.json", "action": "restore"}],
                                    "msg": "rolled back 1 run(s)"}, "emea", "prod")
    corrupt = {"path": "/u/system.json", "failed": True, "error_kind": "parse", "msg": "not valid JSON"}
    collector.add_result("corrupt", {"changed": False, "status": "failed", "desk": "corrupt", "files": [corrupt]},
                         "emea", "prod", outcome="failed")
    collector.add_result("absent", {"changed": False, "status": "not_installed", "desk": "absent", "files": []},
                         "emea", "prod")
    desks = {d["name"]: d for d in collector.run_desks("the play 'Configure the canary desks first' stopped the run")}
    assert {n for n, d in desks.items() if d["observed"]} == {"corrupt", "absent"}
    kinds = {n: (d["not_reached"] or {}).get("kind") for n, d in desks.items()}
    assert kinds == {"validated": "validated", "refused": "refused", "preflight": "preflight", "gone": "unreachable",
                     "rolled": "stopped", "corrupt": None, "absent": None}
    assert desks["validated"]["status"] == "not_checked"  # never "compliant": its files were not read
    assert "canary desks first" in desks["validated"]["not_reached"]["reason"]
    assert "desktop_preflight=false" in desks["preflight"]["not_reached"]["reason"]
    assert desks["rolled"]["events"][0]["kind"] == "rollback" and desks["rolled"]["events"][0]["files"] == [
        "/u/system.json"]
    assert desks["corrupt"]["status"] == "failed" and desks["absent"]["status"] == "not_installed"
