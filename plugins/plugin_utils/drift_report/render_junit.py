# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift report as JUnit XML for CI dashboards: one testcase per desk, one testsuite per region/environment.

drifted = <failure>, failed or unreachable = <error>, no install found or not checked = <skipped>, compliant and
changed (written by an applied run) = a passing testcase. The suites hold every desk of the fleet view; desks whose
latest scan is from an earlier run say so in their system-out.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.display import side_missing, value_text


def _case_name_part(text: str) -> str:
    # classname is dotted by convention (package.class): keep dots out of the parts.
    return str(text).replace(".", "_")


def render_junit(report: dict) -> str:
    """JUnit XML text (UTF-8 declaration). ElementTree escapes; redact.py already removed XML-invalid characters."""
    summary = report["summary"]
    root = ET.Element("testsuites", {
        "name": "ioconnect.fleet drift",
        "tests": str(summary["desks"]),
        "failures": str(summary["drifted"]),
        "errors": str(summary["failed"] + summary["unreachable"]),
        "skipped": str(summary["not_checked"] + summary["not_installed"]),
        "time": "%.3f" % float(report.get("run", {}).get("duration_seconds") or 0),
        "timestamp": str(report.get("generated_at", "")),
    })
    groups: dict = {}
    for desk in report["desks"]:
        groups.setdefault((desk["region"], desk["environment"]), []).append(desk)
    for (region, env), desks in sorted(groups.items()):
        suite = ET.SubElement(root, "testsuite", {
            "name": "drift %s/%s" % (region, env),
            "tests": str(len(desks)),
            "failures": str(sum(d["status"] == "drifted" for d in desks)),
            "errors": str(sum(d["status"] in ("failed", "unreachable") for d in desks)),
            "skipped": str(sum(d["status"] in ("not_checked", "not_installed") for d in desks)),
            "timestamp": str(report.get("generated_at", "")),
        })
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", {"name": "region", "value": region})
        ET.SubElement(props, "property", {"name": "environment", "value": env})
        for desk in desks:
            _testcase(suite, desk, region, env)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _testcase(suite, desk: dict, region: str, env: str) -> None:
    case = ET.SubElement(suite, "testcase", {
        "classname": "drift.%s.%s" % (_case_name_part(region), _case_name_part(env)),
        "name": desk["name"],
        "time": "0",
    })
    status = desk["status"]
    if status == "drifted":
        node = ET.SubElement(case, "failure", {
            "type": "drift",
            "message": "%d drifted JSON pointer(s) on %s: %s" % (
                desk["drift_count"], desk["name"], ", ".join(e["pointer"] for e in desk["drift"][:10])
                + (", ..." if desk["drift_count"] > 10 else "")),
        })
        node.text = "\n".join(_drift_lines(desk)) or "The file would be rewritten; no drift details."
    elif status in ("failed", "unreachable"):
        problems = [i for i in desk["installs"] if i["status"] == status]
        problems += [e for e in desk["errors"] if e["kind"] == status]
        first = problems[0] if problems else {"msg": status}
        node = ET.SubElement(case, "error", {
            "type": (first.get("error_kind") or status) if status == "failed" else "unreachable",
            "message": first.get("msg") or status,
        })
        lines = ["%s%s%s" % (p.get("path") and p["path"] + ": " or "", p.get("task") and "[" + p["task"] + "] " or "",
                             p.get("msg", "")) for p in problems]
        lines += _drift_lines(desk)
        node.text = "\n".join(lines)
    elif status == "not_installed":
        ET.SubElement(case, "skipped", {"message": "no install found: " + (desk.get("reason") or "")})
    elif status == "not_checked":
        ET.SubElement(case, "skipped", {"message": desk.get("reason") or "not checked"})
    lines = []
    if desk.get("scanned_at"):
        lines.append("last scan %s%s" % (desk["scanned_at"], "" if desk.get("in_this_run", True) else
                                         " (an earlier run, run id %s)" % desk.get("run_id")))
    lines += ["%s%s: %s" % ("[%s] " % i["profile"] if i.get("profile") else "", i["path"] or "(file unknown)",
                            i["status"]) for i in desk["installs"]]
    if status == "changed":
        lines += _drift_lines(desk)
    if lines:
        out = ET.SubElement(case, "system-out")
        out.text = "\n".join(lines)


def _drift_lines(desk: dict) -> list:
    return ["%s %s %s: %s -> %s" % (e.get("path", ""), e["op"], e["pointer"],
                                    value_text(e["before"], missing=side_missing(e, "before")),
                                    value_text(e["after"], missing=side_missing(e, "after"))) for e in desk["drift"]]
