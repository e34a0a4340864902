# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One desk's story from the drift history, for the command line (playbooks/drift_report.yml -e desk=NAME): every
scan (time, status, the JSON pointers that differed with masked values), every configure run that wrote it, every
run that targeted it and did not read it, every rollback. Written as JSON and Markdown beside the fleet report.
"""

from __future__ import annotations

import json
import os
import re

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.atomic_write import write_file
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report import numbers
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.aggregate import utc_now
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.display import side_missing, value_text
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.fleet import remediation_applies
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history import open_store

WHAT = {"scan": "drift scan", "configure": "configure run", "rollback": "rollback", "not_reached": "not read",
        "remediation": "remediation"}


def desk_story(settings, desk: str, limit: int = 0) -> dict:
    """The desk's timeline from the history ``settings`` (fleet_report.HistorySettings) point at."""
    with open_store(settings.path, settings.dsn or None, settings.timeout) as store:
        story = store.desk_timeline(desk, limit)
    story["generated_at"] = utc_now()
    return story


def render_story_markdown(story: dict) -> str:
    entries = story["entries"]
    out = ["# Story of desk %s" % story["desk"], ""]
    if not entries:
        out += ["The drift history holds nothing about this desk (check the name, and that history_path or "
                "history_dsn are the ones the scans used).", ""]
        return "\n".join(out)
    scans = [e for e in entries if e["kind"] in ("scan", "configure")]
    acted = next((e for e in entries if e["kind"] == "remediation" and e["decision"] in ("canary", "remediate")),
                 None)
    if acted and remediation_applies(acted, [(e["status"], e["at"]) for e in scans]):
        out += ["Latest drift: %s." % numbers.remediation({"remediation": acted})["cell"], ""]
    out += ["%d scan(s) and %d other event(s), newest first (remediation: a decision of the closed loop, "
            "docs/remediation.md). Times are UTC." % (len(scans), len(entries) - len(scans)),
            "", "| when | what | status | JSON pointers that differed (masked) / why | run |", "|---|---|---|---|---|"]
    for entry in entries:
        if entry["kind"] in ("scan", "configure"):
            detail = "; ".join("`%s` %s: %s → %s" % (
                d["pointer"], d["op"], value_text(d["before"], 80, side_missing(d, "before")),
                value_text(d["after"], 80, side_missing(d, "after"))) for d in entry.get("drift") or [])
            status = entry["status"]
        elif entry["kind"] == "remediation":
            detail = numbers.remediation_detail(entry)
            status = entry["decision"]
            if entry["outcome"] not in ("none", ""):
                status += ", " + entry["outcome"]
        else:
            detail = entry.get("reason") or ""
            status = entry.get("why") or ""
        out.append("| %s | %s | %s | %s | `%s` |" % (
            numbers.when(entry["at"]), WHAT.get(entry["kind"], entry["kind"]), status, detail.replace("|", "\\|"),
            entry.get("run_id") or ""))
    out.append("")
    return "\n".join(out)


def write_story(story: dict, directory: str, basename: str) -> dict:
    """<basename>-desk-<desk>.json and .md in ``directory``; returns {format: path}."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", story["desk"]) or "desk"
    directory = os.path.abspath(os.path.expanduser(directory))
    os.makedirs(directory, exist_ok=True)
    written = {}
    for name, suffix, text in (("json", ".json", json.dumps(story, indent=2, ensure_ascii=False) + "\n"),
                               ("markdown", ".md", render_story_markdown(story))):
        path = os.path.join(directory, "%s-desk-%s%s" % (basename, safe, suffix))
        write_file(None, path, text.encode("utf-8"))
        written[name] = path
    return written
