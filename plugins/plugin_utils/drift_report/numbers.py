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
- What the closed loop did about a drift (its ledger, ``eda_remediations``): "drifted <time>, put right by the
  rulebook <time>" in the desk's row, and one line per decision in its story.
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


# How each outcome of a canary or remediate decision reads after "drifted <time>, ".
_DONE = {
    "succeeded": "put right by %s %s",
    "failed": "%s failed to put it right %s",
    "not_run": "%s decided to put it right but the configure run did not run it %s",
    "pending": "%s is putting it right (decided %s)",
}


def _loop(actor) -> str:
    """Who the loop was, in running text: the rulebook when ansible-rulebook acted."""
    return "the rulebook" if "ansible-rulebook" in str(actor or "") else "the remediation loop"


def remediation(history: dict) -> dict:
    """The desk row's "drifted since" cell when the loop acted on the desk's latest drift (``history['remediation']``,
    fleet.py): {"cell", "tooltip"}, both '' when it did not."""
    rem = history.get("remediation") or None
    if not rem or rem.get("outcome") not in _DONE:
        return {"cell": "", "tooltip": ""}
    at = rem.get("finished_at") if rem["outcome"] != "pending" else rem.get("decided_at")
    done = _DONE[rem["outcome"]] % (_loop(rem.get("actor")), when(at))
    cell = "drifted %s, %s" % (when(rem.get("drifted_since")), done)
    return {"cell": cell, "tooltip": remediation_detail(rem)}


def remediation_detail(entry: dict) -> str:
    """One decision of the loop in words, for a desk's story: what, why, the outcome and when, who, the message."""
    decision = entry.get("decision") or ""
    text = "%s: %s" % (decision.replace("_", " "), entry.get("reason") or "")
    outcome = entry.get("outcome") or ""
    if outcome and outcome != "none":
        text += "; %s%s" % (outcome.replace("_", " "), " " + when(entry["finished_at"]) if entry.get("finished_at")
                            else "")
    if entry.get("msg"):
        text += " (%s)" % entry["msg"]
    return "%s; by %s" % (text, entry.get("actor") or "unknown")
