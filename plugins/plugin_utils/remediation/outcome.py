# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one desk's configure run means for the ledger. Pure Python.

``succeeded``: the desk task ran and left the desk compliant (changed, compliant, or no install to fix);
``failed``: the desk task reached the desk and failed (a write refused, a file that is not JSON, its io.Manager not
answering): the desk is blocked until a person clears it; ``not_run``: the desk was never configured (a canary of
its wave failed, it was unreachable, or the validation refused it): not blocked, the next scan raises it again.
"""

from __future__ import annotations

import typing as t

SUCCESS = ("changed", "compliant", "not_installed")


def outcome_of(report: t.Any, validation: t.Any = None, canary_failed: t.Sequence = ()) -> tuple:
    """(outcome, message) from the desk's registered desk_system_json result and its validation result."""
    ran = isinstance(report, t.Mapping) and bool(report) and not report.get("skipped")
    if ran and report.get("unreachable"):
        return "not_run", "unreachable: %s" % str(report.get("msg") or "")[:500]
    if ran:
        status = report.get("status")
        if status in SUCCESS and not report.get("failed"):
            return "succeeded", "%s (%d file(s) written)" % (status, len(report.get("changed_files") or []))
        return "failed", str(report.get("error") or report.get("msg") or "status %s" % status)[:2000]
    if isinstance(validation, t.Mapping) and validation.get("unreachable"):
        return "not_run", "unreachable: %s" % str(validation.get("msg") or "")[:500]
    if isinstance(validation, t.Mapping) and validation.get("failed"):
        return "not_run", "validation refused the desk: %s" % str(validation.get("msg") or "")[:1000]
    if canary_failed:
        return "not_run", "not configured: the canary %s did not succeed" % ", ".join(canary_failed)
    return "not_run", "not configured (unreachable or stopped before its turn)"
