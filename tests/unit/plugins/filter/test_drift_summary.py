# -*- coding: utf-8 -*-
"""The drift_summary filter as the playbooks use it: the one line, the drift gate's message and desk, the rows."""

from __future__ import annotations

from ansible_collections.ioconnect.fleet.plugins.filter.drift_summary import drift_summary
from ansible_collections.ioconnect.fleet.tests.unit.plugins.plugin_utils import drift_fixtures as fx


def hostvars():
    return {
        "d1": {"desktop_report": fx.drifted(), "ioconnect_region": "EMEA", "ioconnect_env": "PROD"},
        "d2": {"desktop_report": fx.drifted(pointers=("/server/url", "/appStores"))},
        "ok": {"desktop_report": fx.compliant()},
        "gone": {},
    }


def test_the_gate_fails_on_the_first_drifted_desk_still_running():
    out = drift_summary(hostvars(), ["d1", "d2", "ok", "gone"], active_hosts=["d2", "ok"])
    assert out["drifted_desks"] == ["d1", "d2"]  # report order: region, environment, name ("unknown" after EMEA)
    assert out["gate_host"] == "d2"  # d1 dropped out of the play: the gate cannot run there
    out = drift_summary(hostvars(), ["d1", "d2", "ok", "gone"], active_hosts=["d1", "d2", "ok"])
    assert out["gate_host"] == "d1"
    assert out["gate_message"] == (
        "Drift found on 2 desk(s): d1, d2. Run playbooks/configure.yml on them to put them back, or set "
        "ioconnect_drift_fail_on_drift=false to only report. (The drift gate fails the run once, here; the scan "
        "itself did not fail.)")
    assert out["message"] == ("4 desk(s): 2 drifted (3 JSON pointer(s)), 1 compliant, 1 failed. Drifted: d1, d2. "
                              "Failed: gone.")
    assert "rows" not in out  # the job artifact carries numbers and names, not a row per desk


def test_no_drift_no_gate_and_rows_on_request():
    values = {"ok": {"desktop_report": fx.compliant()}, "none": {"ioconnect_env": "UAT"}}
    out = drift_summary(values, ["ok", "none"], rows=True)
    assert (out["gate_host"], out["gate_message"], out["drifted"]) == (None, "", 0)
    assert [(r["desk"], r["status"]) for r in out["rows"]] == [("ok", "compliant"), ("none", "not_checked")]
    assert out["rows"][0]["path"] == fx.compliant()["path"]  # the registered result itself
    assert out["rows"][1]["env_region"] == ["UAT-?"]
    assert out["message"] == "2 desk(s): 1 compliant, 1 not_checked. Not checked: none."


def test_names_are_capped_in_the_lists_and_the_line():
    values = {"d%03d" % i: {"desktop_report": fx.drifted()} for i in range(5)}
    out = drift_summary(values, sorted(values), max_names=2)
    assert out["drifted_desks"] == ["d000", "d001"] and out["drifted_desks_truncated"] == 3
    assert out["message"].endswith("Drifted: d000, d001 ... (3 more).")
    assert out["gate_message"].startswith("Drift found on 5 desk(s): d000, d001 ... (3 more). Run ")
