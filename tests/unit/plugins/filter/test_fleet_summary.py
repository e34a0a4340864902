# -*- coding: utf-8 -*-
"""The fleet_summary filter, the old name and shape of drift_summary(rows=true): the same one summary."""

from __future__ import annotations

from ansible_collections.ioconnect.fleet.plugins.filter.fleet_summary import fleet_summary


class Undefined:  # what hostvars hold for a variable a desk never registered
    pass


def desk(name, status, check_mode=False, **extra):
    """A desk_system_json result as the module returns it (one file)."""
    changed = status in ("changed", "drifted")
    files = [] if status in ("failed", "not_installed") else [{
        "path": "/home/kim/.config/system.json", "changed": changed, "exists": True, "failed": False,
        "drift": [{"pointer": "/server/url", "op": "replace", "before": "a", "after": "b"}] if changed else []}]
    return dict({"desk": name, "status": status, "changed": changed and not check_mode, "check_mode": check_mode,
                 "failed": status == "failed", "files": files, "installs": []}, **extra)


def test_rows_counts_and_message():
    hostvars = {
        "a": {"desktop_report": desk("a", "changed")},
        "b": {"desktop_report": desk("b", "failed", error="not valid JSON")},
        "c": {"desktop_report": {"unreachable": True, "msg": "ssh: timed out"}},
        "d": {"desktop_env": "PROD", "desktop_region": "EMEA", "desktop_report": Undefined()},
        "e": {},
    }
    out = fleet_summary(hostvars, ["a", "b", "c", "d", "e"], check_mode=False)
    assert [r["status"] for r in out["desks"]] == ["changed", "failed", "unreachable", "not_checked", "not_checked"]
    assert [r["desk"] for r in out["desks"]] == ["a", "b", "c", "d", "e"]
    assert out["desks"][1]["error"] == "not valid JSON"
    assert out["desks"][3]["env_region"] == ["PROD-EMEA"] and out["desks"][4]["env_region"] == ["?-?"]
    assert out["counts"] == {"changed": 1, "drifted": 0, "compliant": 0, "not_installed": 0, "failed": 1,
                             "unreachable": 1, "not_checked": 2}
    assert out["check_mode"] is False
    assert out["message"] == ("5 desk(s): 1 changed, 1 failed, 1 unreachable, 2 not_checked. Failed: b. "
                              "Unreachable: c. Not checked: d, e.")


def test_check_mode_from_a_desk_and_five_thousand_desks():
    hostvars = {"desk-%04d" % i: {"desktop_report": desk("desk-%04d" % i, "drifted" if i % 50 else "compliant",
                                                         check_mode=True)} for i in range(5000)}
    out = fleet_summary(hostvars, sorted(hostvars))
    assert out["check_mode"] is True and len(out["desks"]) == 5000
    assert out["counts"]["drifted"] == 4900 and out["counts"]["compliant"] == 100
    assert out["message"].startswith("5000 desk(s): 4900 drifted (4900 JSON pointer(s)), 100 compliant. Drifted: ")
    assert out["message"].endswith(" ... (4800 more).")
