# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift report as one self-contained HTML page, rendered from a Jinja2 template (html_template.py) with
autoescape on and StrictUndefined: no hand escaping, and a missing value is an error, not an empty cell.

Inline CSS, script and SVG trend charts, no network fetch, readable without the script. The page carries a
Content-Security-Policy that allows nothing but its own inline style and script (by hash), so no injected script
could run even if some text slipped through.
"""

from __future__ import annotations

import html

from jinja2 import DictLoader, Environment, StrictUndefined
from markupsafe import Markup

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report import numbers
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.aggregate import DESK_STATUSES
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.display import (
    COLUMNS,
    STATUS_TITLES,
    relative_path,
    side_missing,
    value_text,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.html_assets import CSP, CSS, JS
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.html_template import TEMPLATE

# Desks needing attention first in the desk table (the JSON keeps region/environment/name order).
ATTENTION = ("drifted", "failed", "unreachable", "changed", "not_checked", "not_installed", "compliant")

# The page writes statuses in running text ('on a drifted desk'), so in lower case.
_LOWER_TITLES = {status: title.lower() for status, title in STATUS_TITLES.items()}

_ENV = Environment(loader=DictLoader({"report.html": TEMPLATE}), autoescape=True, undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def clock(iso) -> dict:
    """An RFC 3339 UTC time as text, to the second with the zone ('2026-01-05 06:00:12 UTC'): three events of one
    minute must not read the same."""
    text = numbers.when(iso)
    return {"full": text, "short": text}


def _wrap_points(text: str) -> str:
    """Escaped text with <wbr> after each / and \\ (html.escape leaves both alone)."""
    return html.escape(text, quote=True).replace("/", "/<wbr>").replace("\\", "\\<wbr>")


def breakable(text) -> Markup:
    """A path or JSON pointer that may wrap only after a separator (never inside a name): escaped, <wbr> after
    each / or \\."""
    return Markup(_wrap_points(str(text or "")))


def story_html(desk: dict) -> Markup:
    """The rows of the desk's story table, newest first, built here rather than in the template: a fleet of
    thousands of desks has tens of thousands of them, and a Jinja macro call per row costs seconds."""
    rows = []
    for entry in desk.get("timeline") or []:
        kind = entry["kind"]
        if kind in ("scan", "configure"):
            what = "configure run" if kind == "configure" else "drift scan"
            detail = ", ".join(entry.get("pointers") or []) or (
                "%d pointer(s)" % entry["drift_count"] if entry.get("drift_count") else "")
        elif kind == "rollback":
            what, detail = "rollback", entry.get("detail") or ""
        elif kind == "remediation":
            what = "remediation (%s)" % html.escape((entry.get("decision") or "").replace("_", " "))
            detail = entry.get("detail") or ""
        else:
            what, detail = "not read", entry.get("detail") or ""
        status = entry.get("status")
        badge = '<span class="badge %s">%s</span>' % (html.escape(status), html.escape(_LOWER_TITLES.get(
            status, status))) if status else html.escape((entry.get("outcome") or "").replace("none", "").replace(
                "_", " "))
        at = html.escape(numbers.when(entry["at"]))
        rows.append('<tr data-kind="%s"><td><time datetime="%s" title="%s">%s</time></td><td>%s</td><td>%s</td>'
                    '<td><code class="ptr">%s</code></td><td><code>%s</code></td></tr>' % (
                        html.escape(kind), html.escape(entry["at"]), at, at, what, badge, _wrap_points(detail),
                        html.escape((entry.get("run_id") or "")[:12])))
    if not rows:
        return Markup('<tr><td colspan="5" class="empty">no scan of this desk yet</td></tr>')
    return Markup("\n".join(rows))


def value(entry: dict, side: str) -> dict:
    return {"missing": side_missing(entry, side), "text": value_text(entry.get(side), 400, side_missing(entry, side))}


def _file_view(install: dict) -> dict:
    return dict(install, shown=relative_path(install["path"], install.get("root")) or "(file unknown)",
                drift=[dict(e, path=install["path"]) for e in install["drift"]])


def problems(desk: dict, status: str) -> list:
    found = [_file_view(i) for i in desk["installs"] if i["status"] == status]
    found += [dict(e, path="", shown="", profile=None, error_kind=None) for e in desk["errors"] if e["kind"] == status]
    return found or [{"msg": desk.get("reason", ""), "path": "", "shown": "", "profile": None, "task": "",
                      "error_kind": None}]


def _chart(name: str, points: list, width: int = 260, height: int = 104) -> dict:
    left, right, top, bottom = 22, width - 10, 6, height - 32
    top_value = max([p["drifted"] for p in points] + [1])  # the shape of the drift, not the size of the fleet
    step = (right - left) / max(1, len(points) - 1)
    out = []
    for index, point in enumerate(points):
        x = left + (step * index if len(points) > 1 else (right - left) / 2)
        y = bottom - (bottom - top) * point["drifted"] / top_value
        out.append({"x": "%.1f" % x, "y": "%.1f" % y,
                    "title": "%s: %d of %d drifted" % (numbers.when(point["at"]), point["drifted"], point["desks"])})
    drifted = [p["drifted"] for p in points]
    # The time axis: a tick per round, the first and the last round labelled (day, then time to the second).
    first, last = (numbers.when_short(points[0]["at"]), numbers.when_short(points[-1]["at"])) if points else ("", "")
    ticks = [{"x": p["x"]} for p in out]
    labels = []
    if points:
        labels.append({"x": out[0]["x"], "anchor": "start", "day": first[:10], "time": first[11:]})
        if len(points) > 1:
            labels.append({"x": out[-1]["x"], "anchor": "end", "day": last[:10], "time": last[11:]})
    return {
        "name": name, "width": width, "height": height, "left": left, "right": right, "top": top, "bottom": bottom,
        "max": top_value, "points": out, "polyline": " ".join("%s,%s" % (p["x"], p["y"]) for p in out),
        "drifted": drifted, "desks": [p["desks"] for p in points], "ticks": ticks, "labels": labels,
        "label": "%s: drifted desks over the last %d scan round(s), %s to %s UTC: %s" % (
            name, len(points), first, last, ", ".join(str(d) for d in drifted)),
    }


def _matrix(pairs: list) -> dict:
    regions = sorted({p["region"] for p in pairs})
    envs = sorted({p["environment"] for p in pairs})
    index = {(p["region"], p["environment"]): p for p in pairs}
    return {"envs": envs, "rows": [{"region": r, "cells": [index.get((r, e)) for e in envs]} for r in regions]}


def render_html(report: dict) -> str:
    """The whole page as text."""
    run = report.get("run", {})
    mode = {True: "check mode (no desk changed)", False: "applied run"}.get(run.get("check_mode"), "mode unknown")
    rank = {status: index for index, status in enumerate(ATTENTION)}
    desks = []
    for desk in sorted(report["desks"], key=lambda d: rank.get(d["status"], len(rank))):
        desks.append(dict(desk, files=[_file_view(i) for i in desk["installs"]], story=story_html(desk),
                          story_count=len(desk.get("timeline") or ()), flap=numbers.flapping(desk["history"]),
                          since_note=numbers.since(desk["history"], desk["status"]),
                          fix=numbers.remediation(desk["history"])))
    trend = report.get("trend", {})
    kinds = (("region", "region", "by_region"), ("environment", "environment", "by_environment"))
    trends = [(kind, title, [_chart(name, points) for name, points in trend.get(key, {}).items() if points])
              for kind, title, key in kinds]
    return _ENV.get_template("report.html").render(
        report=report, run=run, history=report.get("history", {}), summary=report["summary"], mode=mode,
        desks=desks, titles=_LOWER_TITLES, columns=COLUMNS, statuses=DESK_STATUSES, card_statuses=COLUMNS,
        regions=sorted({d["region"] for d in report["desks"]}), envs=sorted({d["environment"] for d in report["desks"]}),
        group_tables=[("by-region", "Region", report["by_region"]), ("by-environment", "Environment",
                                                                     report["by_environment"])],
        matrix=_matrix(report["by_region_environment"]), trends=trends,
        problem_sections=[("failed", "Failed desks"), ("unreachable", "Unreachable desks")],
        quiet_sections=[("not_installed", "No install found"), ("not_checked", "Not checked")],
        open_details=len(desks) <= 100, clock=clock, value=value, problems=problems, csp=CSP, css=Markup(CSS), js=Markup(JS),
        breakable=breakable,
    )
