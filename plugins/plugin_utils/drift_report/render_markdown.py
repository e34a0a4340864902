# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift report as a Markdown summary (for a pull request, a ticket or a CI job summary).

Desk names and values are untrusted. Names and messages go through ``md`` (HTML entities, escaped punctuation, one
line); paths, JSON pointers and values go into code spans (``code``), which show them exactly as the desk holds
them (``C:\\kim\\apps``) and in which no markup is interpreted.
"""

from __future__ import annotations

import re

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report import numbers
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.display import (
    COLUMNS,
    STATUS_TITLES,
    relative_path,
    side_missing,
    value_text as _display_value,
)

# Enough to stop emphasis, code spans, links/images, table breaks and strikethrough; '<' and '>' become entities.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
VALUE_LIMIT = 200


def md(text) -> str:
    """Untrusted text as inert Markdown: HTML entities, backslash-escaped punctuation, one line."""
    text = "" if text is None else str(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return re.sub(r"[\r\n\t]+", " ", text)


def code(text) -> str:
    """Untrusted text as a code span: shown verbatim, never interpreted. Safe inside a table cell."""
    text = re.sub(r"[\r\n\t]+", " ", "" if text is None else str(text))
    if not text:
        return ""
    # A pipe ends a table cell even inside a code span (GFM): escaped, the table parser drops the backslash.
    text = text.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or text.startswith(" ") else ""
    return "%s%s%s%s%s" % (fence, pad, text, pad, fence)


def value_text(value, limit: int = VALUE_LIMIT, missing: bool = False) -> str:
    """A value as the desk holds it, one line ('absent' when the key is not there)."""
    return _display_value(value, limit, missing)


def when(iso) -> str:
    return numbers.when(iso)


def _counts_table(title: str, groups: dict) -> list:
    lines = ["| %s | desks | %s | drifted pointers | pointers on failed desks |" % (
        title, " | ".join(STATUS_TITLES[s].lower() for s in COLUMNS)),
        "|---|---:|" + "---:|" * len(COLUMNS) + "---:|---:|"]
    for name, counts in groups.items():
        lines.append("| %s | %d | %s | %d | %d |" % (
            md(name), counts["desks"], " | ".join(str(counts[s]) for s in COLUMNS), counts["drifted_pointers"],
            counts["pointers_on_failed_desks"]))
    return lines


def _history_lines(report: dict) -> list:
    history = report.get("history", {})
    if history.get("status") == "unavailable":
        return ["> **History not used.** %s" % md(history.get("message")), ""]
    if history.get("status") == "disabled":
        return ["History is off: the fleet view is this run's desks only.", ""]
    return ["Fleet view from the drift history (%s, %s): %d desk(s) known, %d scan round(s)." % (
        md(history.get("backend")), code(history.get("location")), history.get("desks_known", 0),
        history.get("rounds", 0)), ""]


def _trend_lines(report: dict) -> list:
    trend = report.get("trend", {})
    out = []
    for title, key in (("region", "by_region"), ("environment", "by_environment")):
        groups = trend.get(key) or {}
        if not groups:
            continue
        out += ["| %s | drifted desks / desks, per scan round, oldest to latest |" % title, "|---|---|"]
        for name, points in groups.items():
            out.append("| %s | %s |" % (md(name), " → ".join("%d/%d" % (p["drifted"], p["desks"]) for p in points)))
        out.append("")
    rounds = trend.get("rounds") or []
    if out and rounds:
        out += ["Scan rounds (end of each, oldest first): %s." % ", ".join(when(r.get("at")) for r in rounds), ""]
    return out


def _run_lines(report: dict) -> list:
    run = report.get("run", {})
    out = []
    if run.get("outcome") == "incomplete":
        out += ["> **This run did not read every desk it targeted:** %s. Those desks keep their last scan." % md(
            run.get("stop_reason")), ""]
    earlier = [r for r in (report.get("history") or {}).get("incomplete_runs") or [] if r["run_id"] != run.get("run_id")]
    if earlier:
        out += ["Earlier runs that did not finish or did not read every desk:", ""]
        out += ["- %s `%s` (%s): %s" % (when(r.get("started_at")), md(r["run_id"]), md(r["outcome"]), md(r["reason"]))
                for r in earlier[:5]]
        out.append("")
    return out


def _not_reached_lines(desks: list) -> list:
    missed = [d for d in desks if d.get("not_reached")]
    if not missed:
        return []
    out = ["", "## Not read by their latest run (%d)" % len(missed), "",
           "Each keeps the status of its last scan; the run that targeted it did not read its files.", "",
           "| desk | region | environment | status kept | last scan | not read at | why |", "|---|---|---|---|---|---|---|"]
    for desk in missed:
        note = desk["not_reached"]
        out.append("| %s | %s | %s | %s | %s | %s | %s: %s |" % (
            md(desk["name"]), md(desk["region"]), md(desk["environment"]), desk["status"], when(desk.get("scanned_at")),
            when(note.get("at")), md(note.get("kind")), md(note.get("reason"))))
    return out


def render_markdown(report: dict) -> str:
    """The whole summary as Markdown text."""
    summary = report["summary"]
    run = report.get("run", {})
    this = run.get("summary") or {}
    mode = {True: "check mode (no desk changed)", False: "applied"}.get(run.get("check_mode"), "mode unknown")
    out = [
        "# io.Connect fleet drift report",
        "",
        "Generated %s, %s. Fleet: %d desk(s): **%d drifted**, %d changed, %d compliant, %d failed, %d unreachable, "
        "%d without io.Connect Desktop, %d not checked; %d drifted JSON pointer(s)%s." % (
            md(when(report.get("generated_at", ""))), mode, summary["desks"], summary["drifted"], summary["changed"],
            summary["compliant"], summary["failed"], summary["unreachable"], summary["not_installed"],
            summary["not_checked"], summary["drifted_pointers"],
            ", %d more on failed desks" % summary["pointers_on_failed_desks"] if summary["pointers_on_failed_desks"]
            else ""),
        "",
        "This run scanned %d desk(s): %d drifted, %d changed, %d compliant, %d failed, %d unreachable, %d without "
        "io.Connect Desktop." % (this.get("desks", 0), this.get("drifted", 0), this.get("changed", 0),
                                 this.get("compliant", 0), this.get("failed", 0), this.get("unreachable", 0),
                                 this.get("not_installed", 0)),
        "",
    ]
    out += _history_lines(report)
    out += _run_lines(report)
    out += ["## By region", ""]
    out += _counts_table("region", report["by_region"])
    out += ["", "## By environment", ""]
    out += _counts_table("environment", report["by_environment"])
    trend = _trend_lines(report)
    if trend:
        out += ["", "## Trend", ""] + trend

    desks = report["desks"]
    drifted = [d for d in desks if d["status"] == "drifted"]
    out += ["", "## Drifted desks (%d)" % len(drifted), ""]
    if not drifted:
        out.append("No drift found.")
    else:
        out += ["| desk | region | environment | profile | pointers | last scan | drifted since | times drifted | "
                "last compliant |", "|---|---|---|---|---:|---|---|---:|---|"]
        for desk in drifted:
            history = desk.get("history") or {}
            out.append("| %s | %s | %s | %s | %d | %s | %s | %s | %s |" % (
                md(desk["name"]), md(desk["region"]), md(desk["environment"]), md(", ".join(desk.get("profiles", []))),
                desk["drift_count"], when(desk.get("scanned_at")),
                md(numbers.remediation(history)["cell"] or when(history.get("drifted_since"))),
                numbers.flapping(history)["cell"] + " scan(s)",
                when(history.get("last_compliant_at")) or "never seen"))
    for desk in drifted:
        out += _desk_drift(desk)

    fixed = [(d, numbers.remediation(d.get("history") or {})) for d in desks if d["status"] != "drifted"]
    fixed = [(d, fix) for d, fix in fixed if fix["cell"]]
    if fixed:
        out += ["", "## Acted on by the remediation loop (%d)" % len(fixed), "",
                "| desk | region | environment | status | drifted since | decision |", "|---|---|---|---|---|---|"]
        for desk, fix in fixed:
            out.append("| %s | %s | %s | %s | %s | %s |" % (
                md(desk["name"]), md(desk["region"]), md(desk["environment"]), md(desk["status"]), md(fix["cell"]),
                md(fix["tooltip"])))

    changed = [d for d in desks if d["status"] == "changed"]
    if changed:
        out += ["", "## Changed desks (%d)" % len(changed), ""]
        for desk in changed:
            out += _desk_drift(desk)

    for status, title in (("failed", "Failed desks"), ("unreachable", "Unreachable desks")):
        listed = [d for d in desks if d["status"] == status]
        out += ["", "## %s (%d)" % (title, len(listed)), ""]
        if not listed:
            out.append("None.")
            continue
        out += ["| desk | region | environment | profile | task | file | error | message |",
                "|---|---|---|---|---|---|---|---|"]
        for desk in listed:
            for problem in _problems(desk, status):
                out.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    md(desk["name"]), md(desk["region"]), md(desk["environment"]), md(problem.get("profile") or ""),
                    md(problem.get("task")), code(relative_path(problem.get("path", ""), problem.get("root"))),
                    md(problem.get("error_kind") or ""), md(problem.get("msg"))))
        # Drift found on a failed desk's other files is still drift: list it (counted apart), never drop it.
        for desk in listed:
            if desk["drift"]:
                out += _desk_drift(desk, note=" (on a %s desk, counted under pointers on failed desks)" % status)

    out += _not_reached_lines(desks)
    for status, title in (("not_installed", "No install found"), ("not_checked", "Not checked")):
        listed = [d for d in desks if d["status"] == status]
        if listed:
            out += ["", "## %s (%d)" % (title, len(listed)), ""]
            out += ["- %s (%s / %s): %s" % (md(d["name"]), md(d["region"]), md(d["environment"]), md(d["reason"]))
                    for d in listed]
    out.append("")
    return "\n".join(out)


def _desk_drift(desk: dict, note: str = "") -> list:
    lines = ["", "### %s (%s / %s): %d pointer(s)%s" % (
        md(desk["name"]), md(desk["region"]), md(desk["environment"]), desk["drift_count"], note), ""]
    if not desk["drift"]:
        lines.append("The file would be rewritten; the module gave no drift details.")
        return lines
    lines += ["| profile | file | pointer | op | before | after |", "|---|---|---|---|---|---|"]
    for entry in desk["drift"]:
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            md(entry.get("profile") or ""), code(relative_path(entry.get("path", ""), entry.get("root"))),
            code(entry["pointer"]), entry["op"], _cell_value(entry, "before"), _cell_value(entry, "after")))
    return lines


def _cell_value(entry: dict, side: str) -> str:
    if side_missing(entry, side):
        return "*absent*"
    return code(value_text(entry[side])) or '`""`'


def _problems(desk: dict, status: str) -> list:
    found = [dict(i) for i in desk["installs"] if i["status"] == status]
    found += [dict(e) for e in desk["errors"] if e["kind"] == status]
    return found or [{"task": "", "msg": desk.get("reason", "")}]
