# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The numbers and times every renderer shows, worded in one place so that a cell, its tooltip, a chart and the
Markdown say the same thing. Pure Python.

- Times: RFC 3339 UTC in the data; shown to the second with the zone (``2026-01-05 06:00:12 UTC``).
- "Times drifted" of a desk: ``times_drifted`` separate drifts in its last ``window`` scans (a desk put right that
  drifts back counts again; a configure run that wrote it is not a drift found); ``drifted_scans`` of those scans
  found it drifted. So ``times_drifted <= drifted_scans <= window``, always, and a desk drifted since its latest
  scan shows one drift more than it had before.
"""

from __future__ import annotations


def when(iso) -> str:
    """An RFC 3339 UTC time to the second, with its zone; '' for none."""
    if not iso:
        return ""
    text = str(iso).replace("T", " ").rstrip("Z").split(".", 1)[0].split("+", 1)[0]
    return text + " UTC"


def when_short(iso) -> str:
    """For a chart's axis: the day and the time to the second, without the zone (the axis title says UTC)."""
    return when(iso)[:-4] if iso else ""


def flapping(history: dict) -> dict:
    """The "times drifted" cell and its tooltip, from the same three numbers."""
    times = int(history.get("times_drifted") or 0)
    found = int(history.get("drifted_scans") or 0)
    window = int(history.get("window") or 0)
    return {
        "cell": "%d in %d" % (times, window),
        "times": times, "found": found, "window": window,
        "tooltip": "%d separate drift(s) in its last %d scan(s); %d of those scans found it drifted%s" % (
            times, window, found, " (a desk put right that drifts again counts again)" if times > 1 else ""),
    }


def since(history: dict, status: str) -> str:
    """What "drifted since" means for this desk, in words (tooltip)."""
    if status != "drifted" or not history.get("drifted_since"):
        return ""
    return "first drifted scan after its last clean one (%s); a failed or unreachable scan in between does not end " \
           "a drift" % (when(history.get("last_compliant_at")) or "never compliant")
