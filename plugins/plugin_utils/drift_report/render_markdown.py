# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift report as a Markdown summary (for a pull request, a ticket or a CI job summary).

Desk names and values are untrusted: every one goes through ``md`` (no raw HTML, no links, no table breaks).
"""

from __future__ import annotations

import json
import re


# Enough to stop emphasis, code spans, links/images, table breaks and strikethrough; '<' and '>' become entities.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
STATUS_TITLES = {
    "unreachable": "Unreachable",
    "failed": "Failed",
    "drifted": "Drifted",
    "compliant": "Compliant",
    "not_checked": "Not checked",
}
VALUE_LIMIT = 200
COLUMNS = ("drifted", "compliant", "failed", "unreachable", "not_checked")


def md(text) -> str:
    """Untrusted text as inert Markdown: HTML entities, backslash-escaped punctuation, one line."""
    text = "" if text is None else str(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return re.sub(r"[\r\n\t]+", " ", text)


def value_text(value, limit: int = VALUE_LIMIT) -> str:
    """A JSON value as short one-line text ('absent' for None)."""
    if value is None:
        return "absent"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"


def _counts_table(title: str, groups: dict) -> list:
    lines = ["| %s | desks | %s | drifted pointers |" % (title, " | ".join(STATUS_TITLES[s].lower() for s in COLUMNS)),
             "|---|---:|" + "---:|" * len(COLUMNS) + "---:|"]
    for name, counts in groups.items():
        lines.append("| %s | %d | %s | %d |" % (
            md(name), counts["desks"], " | ".join(str(counts[s]) for s in COLUMNS), counts["drifted_pointers"]))
    return lines


def render_markdown(report: dict) -> str:
    """The whole summary as Markdown text."""
    summary = report["summary"]
    run = report.get("run", {})
    mode = {True: "check mode (no desk changed)", False: "applied"}.get(run.get("check_mode"), "mode unknown")
    out = [
        "# io.Connect fleet drift report",
        "",
        "Generated %s, %s. %d desk(s): **%d drifted**, %d compliant, %d failed, %d unreachable, %d not checked; "
        "%d drifted JSON pointer(s)." % (
            md(report.get("generated_at", "")), mode, summary["desks"], summary["drifted"], summary["compliant"],
            summary["failed"], summary["unreachable"], summary["not_checked"], summary["drifted_pointers"]),
        "",
        "## By region",
        "",
    ]
    out += _counts_table("region", report["by_region"])
    out += ["", "## By environment", ""]
    out += _counts_table("environment", report["by_environment"])

    desks = report["desks"]
    drifted = [d for d in desks if d["status"] == "drifted"]
    out += ["", "## Drifted desks (%d)" % len(drifted), ""]
    if not drifted:
        out.append("No drift found.")
    for desk in drifted:
        out += _desk_drift(desk)

    for status, title in (("failed", "Failed desks"), ("unreachable", "Unreachable desks")):
        listed = [d for d in desks if d["status"] == status]
        out += ["", "## %s (%d)" % (title, len(listed)), ""]
        if not listed:
            out.append("None.")
            continue
        out += ["| desk | region | environment | task | file | error | message |", "|---|---|---|---|---|---|---|"]
        for desk in listed:
            for problem in _problems(desk, status):
                out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                    md(desk["name"]), md(desk["region"]), md(desk["environment"]), md(problem.get("task")),
                    md(problem.get("path", "")), md(problem.get("error_kind") or ""), md(problem.get("msg"))))
        # Drift found on a failed desk's other installs is still drift: list it, never drop it.
        for desk in listed:
            if desk["drift"]:
                out += _desk_drift(desk)

    unchecked = [d for d in desks if d["status"] == "not_checked"]
    if unchecked:
        out += ["", "## Not checked (%d)" % len(unchecked), ""]
        out += ["- %s (%s / %s): %s" % (md(d["name"]), md(d["region"]), md(d["environment"]), md(d["reason"]))
                for d in unchecked]
    out.append("")
    return "\n".join(out)


def _desk_drift(desk: dict) -> list:
    lines = ["", "### %s (%s / %s): %d pointer(s)" % (
        md(desk["name"]), md(desk["region"]), md(desk["environment"]), desk["drift_count"]), ""]
    if not desk["drift"]:
        lines.append("The file would be rewritten; the module gave no drift details.")
        return lines
    lines += ["| file | pointer | op | before | after |", "|---|---|---|---|---|"]
    for entry in desk["drift"]:
        lines.append("| %s | %s | %s | %s | %s |" % (
            md(entry.get("path", "")), md(entry["pointer"]), entry["op"], md(value_text(entry["before"])),
            md(value_text(entry["after"]))))
    return lines


def _problems(desk: dict, status: str) -> list:
    found = [dict(i) for i in desk["installs"] if i["status"] == status]
    found += [dict(e) for e in desk["errors"] if e["kind"] == status]
    return found or [{"task": "", "msg": desk.get("reason", "")}]
