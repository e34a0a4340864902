# -*- coding: utf-8 -*-
"""The fleet_summary filter: the run-once summary of playbooks/tasks/fleet_summary.yml, in Python."""

from __future__ import annotations

from ansible_collections.ioconnect.fleet.plugins.filter.fleet_summary import fleet_summary


class Undefined:  # what hostvars hold for a variable a desk never registered
    pass


def test_rows_counts_and_message():
    hostvars = {
        "a": {"desktop_report": {"desk": "a", "status": "changed", "check_mode": False}},
        "b": {"desktop_report": {"desk": "b", "status": "failed", "error": "not valid JSON"}},
        "c": {"desktop_report": {"unreachable": True, "msg": "ssh: timed out"}},
        "d": {"desktop_env": "PROD", "desktop_region": "EMEA", "desktop_report": Undefined()},
        "e": {},
    }
    out = fleet_summary(hostvars, ["a", "b", "c", "d", "e"], check_mode=False)
    assert [r["status"] for r in out["desks"]] == ["changed", "failed", "unreachable", "not_run", "not_run"]
    assert out["desks"][3]["env_region"] == ["PROD-EMEA"] and out["desks"][4]["env_region"] == ["?-?"]
    assert out["counts"] == {"changed": 1, "drifted": 0, "compliant": 0, "not_installed": 0, "failed": 1,
                             "unreachable": 1, "not_run": 2}
    assert out["check_mode"] is False
    assert out["message"] == ("5 desk(s): 1 changed, 1 failed, 1 unreachable, 2 not_run. Failed: b. Unreachable: c. "
                              "Not run: d, e.")


def test_check_mode_from_a_desk_and_five_thousand_desks():
    hostvars = {"desk-%04d" % i: {"desktop_report": {"desk": "desk-%04d" % i, "status": "drifted" if i % 50 else
                                                     "compliant", "check_mode": True}} for i in range(5000)}
    out = fleet_summary(hostvars, sorted(hostvars))
    assert out["check_mode"] is True and len(out["desks"]) == 5000
    assert out["counts"]["drifted"] == 4900 and out["counts"]["compliant"] == 100
