# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The status words of a desk and of one of its files, defined once.

Every place that says what became of a desk uses these words and no others: the ``status`` of a
``desk_system_json`` result, the rows and counts of the ``fleet_summary``/``drift_summary`` filters, the
``drift_report`` callback's report (JSON, HTML, Markdown, JUnit), the drift history's rows, and
docs/drift-detection.md ("What is a desk, and its status"), which documents them for users.
tests/unit/plugins/module_utils/test_status.py checks that the code says no other word. Pure Python, no Ansible
imports: modules, filters, the callback and the report code import it alike.
"""

from __future__ import annotations

CHANGED = "changed"
DRIFTED = "drifted"
COMPLIANT = "compliant"
NOT_INSTALLED = "not_installed"
FAILED = "failed"
UNREACHABLE = "unreachable"
NOT_CHECKED = "not_checked"

# One line each: what the word means (docs/drift-detection.md says the same, at more length).
MEANINGS = {
    UNREACHABLE: "the desk could not be reached",
    FAILED: "the check or the write failed on the desk, or the run stopped it before its check (validation, preflight)",
    DRIFTED: "a file differs from the requested settings (check mode: nothing was written)",
    CHANGED: "a run that was not in check mode wrote the settings; the desk is compliant since",
    COMPLIANT: "every file looked at holds the requested settings",
    NOT_INSTALLED: "the desk was looked at and holds no io.Connect Desktop install",
    NOT_CHECKED: "no check read the desk's files (every check skipped, or the run stopped before its turn)",
}

# What a reader calls each status: the report's column titles and the summary's lists.
TITLES = {
    UNREACHABLE: "Unreachable",
    FAILED: "Failed",
    DRIFTED: "Drifted",
    CHANGED: "Changed",
    COMPLIANT: "Compliant",
    NOT_INSTALLED: "No install found",
    NOT_CHECKED: "Not checked",
}

# A desk's status, worst first: a desk takes the worst status of its files.
DESK_STATUSES = (UNREACHABLE, FAILED, DRIFTED, CHANGED, COMPLIANT, NOT_INSTALLED, NOT_CHECKED)
# The status of one file (a system_json result, or one item of a desk_system_json result's ``files``).
FILE_STATUSES = DESK_STATUSES[:-1]
# What the desk module itself says in its result's ``status`` (reaching the desk and skipping are Ansible's).
RESULT_STATUSES = (CHANGED, DRIFTED, COMPLIANT, NOT_INSTALLED, FAILED)
# Statuses after which a desk holds what it should (or nothing to hold it): they end a drift.
CLEAN_STATUSES = (COMPLIANT, CHANGED, NOT_INSTALLED)
# Statuses after which the desk holds the requested settings.
COMPLIANT_STATUSES = (COMPLIANT, CHANGED)
# Desk statuses whose drifted pointers are counted apart (the desk is not counted as drifted).
PROBLEM_STATUSES = (FAILED, UNREACHABLE)


def worst(statuses) -> str:
    """The worst of some file or desk statuses (``not_checked`` when there is none)."""
    present = set(statuses)
    return next((s for s in DESK_STATUSES if s in present), NOT_CHECKED)
