# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet summary of a play, from its registered results: the one summary behind the playbooks.

The play-side twin of the callback: the same aggregation (aggregate.DriftCollector), fed from ``hostvars`` instead
of callback events, so a playbook gets the numbers whether or not the callback is enabled. ``summarise`` gives the
numbers for set_stats (AWX/AAP artifacts), the one line the playbooks print, the drift gate's message and desk, and
on request one row per desk for the summary file. The ``drift_summary`` filter (and its old name
``fleet_summary``) is this function over ``hostvars``; ``playbooks/tasks/fleet_summary.yml`` and
``tasks/drift_gate.yml`` use it. Status words: module_utils/common/status.py. Pure Python.
"""

from __future__ import annotations

import typing as t

from ansible_collections.ioconnect.fleet.plugins.module_utils.common import status as st
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.aggregate import (
    DESK_STATUSES,
    DriftCollector,
    is_desk_result,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.display import COLUMNS

# The drift gate's message, written once (playbooks/tasks/drift_gate.yml prints it wherever the gate runs).
GATE_ADVICE = ("Run playbooks/configure.yml on them to put them back, or set ioconnect_drift_fail_on_drift=false to "
               "only report. (The drift gate fails the run once, here; the scan itself did not fail.)")


def _as_results(value) -> list:
    """A registered variable holds one task result, a loop result, or (set_fact-collected) a list of them."""
    if isinstance(value, t.Mapping):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, t.Mapping)]
    return []


def collect_registered(
    hosts: t.Iterable[str],
    active_hosts: t.Iterable[str] | None,
    host_results: t.Mapping[str, t.Iterable],
    labels: t.Mapping[str, tuple] | None = None,
    check_mode=None,
) -> DriftCollector:
    """A collector filled from registered results.

    hosts: the desks of the play (``ansible_play_hosts_all``); active_hosts: those still running
    (``ansible_play_hosts``), so a desk that dropped out without a result counts as failed; host_results:
    desk -> registered values; labels: desk -> (region, environment); check_mode: whether the checks ran in check
    mode (None: unknown, changed files count as drifted; a desk_system_json result says so itself).
    """
    labels = labels or {}
    active = set(active_hosts) if active_hosts is not None else None
    collector = DriftCollector()
    for host in hosts:
        region, env = labels.get(host, (None, None))
        results = [r for value in host_results.get(host, ()) for r in _as_results(value)]
        for result in results:
            if result.get("skipped") and not isinstance(result.get("results"), list):
                continue
            if not looks_like_result(result):
                continue
            collector.add_result(host, result, region, env, check_mode=check_mode)
        checked = host in collector and collector.desk(host).checked
        if not checked:
            if any(r.get("unreachable") for r in results):
                collector.add_error(host, "unreachable", "the desk could not be reached", "", region, env)
            elif active is not None and host not in active:
                collector.add_error(host, "failed", "the desk failed or was unreachable before it was checked", "",
                                    region, env)
            else:
                collector.mark_seen(host, region, env)
    return collector


# Keys every task result carries one of (ansible-core adds `changed`; failures, skips and no_log keep theirs).
_RESULT_KEYS = ("changed", "failed", "skipped", "unreachable", "msg", "results", "censored", "path", "drift", "files")


def looks_like_result(value: t.Mapping) -> bool:
    """A registered task result, not some other fact that happens to share the variable (a role's summary)."""
    return any(key in value for key in _RESULT_KEYS)


def stats_summary(report: dict, max_names: int = 100) -> dict:
    """The few numbers and names worth a job artifact (the full report is the callback's JSON file)."""
    summary = report["summary"]
    out = {
        "desks_checked": summary["compliant"] + summary["drifted"] + summary["changed"],
        "desks": summary["desks"],
    }
    out.update({status: summary[status] for status in DESK_STATUSES})
    for key in ("drifted_pointers", "changed_pointers", "pointers_on_failed_desks"):
        out[key] = summary[key]
    for group in ("by_region", "by_environment"):
        out[group] = {k: {key: v[key] for key in ("desks", st.DRIFTED, st.FAILED, st.UNREACHABLE)}
                      for k, v in report[group].items()}
    for status in ("drifted", "failed", "unreachable"):
        names = report["desks_by_status"][status]
        out["%s_desks" % status] = names[:max_names]
        if len(names) > max_names:
            out["%s_desks_truncated" % status] = len(names) - max_names
    return out


def summarise(
    hosts: t.Sequence[str],
    active_hosts: t.Iterable[str] | None,
    host_results: t.Mapping[str, t.Sequence],
    labels: t.Mapping[str, tuple] | None = None,
    check_mode=None,
    max_names: int = 100,
    rows: bool = False,
) -> dict:
    """The summary of the desks of a play (see the RETURN of the drift_summary filter).

    hosts, active_hosts, host_results, labels and check_mode: as collect_registered. max_names: at most this many
    desk names per list, in the lists and in the message. rows: also one row per desk of ``hosts`` (its registered
    desk result, or a row saying why it has none), with the desk's status from the vocabulary.
    """
    hosts = list(hosts)
    collector = collect_registered(hosts, active_hosts, host_results, labels, check_mode=check_mode)
    report = collector.report()
    out = stats_summary(report, max_names)
    counts = {status: report["summary"][status] for status in DESK_STATUSES}
    names = report["desks_by_status"]
    results = {host: [r for value in host_results.get(host, ()) for r in _as_results(value)] for host in hosts}
    out["counts"] = counts
    out["check_mode"] = bool(check_mode) or any(r.get("check_mode") is True for rs in results.values() for r in rs)
    out["message"] = _message(report["summary"], names, max_names)
    active = set(active_hosts) if active_hosts is not None else None
    out["gate_host"] = next((n for n in names[st.DRIFTED] if active is None or n in active), None)
    out["gate_message"] = "Drift found on %d desk(s): %s. %s" % (
        counts[st.DRIFTED], _names(names[st.DRIFTED], max_names), GATE_ADVICE) if counts[st.DRIFTED] else ""
    if rows:
        statuses = {d["name"]: d["status"] for d in report["desks"]}
        out["rows"] = [_row(host, results[host], statuses.get(host, st.NOT_CHECKED), (labels or {}).get(host))
                       for host in hosts]
    return out


def _names(names: t.Sequence[str], max_names: int) -> str:
    shown = ", ".join(names[:max_names])
    return shown + (" ... (%d more)" % (len(names) - max_names) if len(names) > max_names else "")


def _message(summary: t.Mapping, names: t.Mapping, max_names: int) -> str:
    """One line for the run's output: desks per status, then the names of the desks that need a look."""
    parts = []
    for status in COLUMNS:
        if summary[status]:
            parts.append("%d %s" % (summary[status], status))
            if status == st.DRIFTED:
                parts[-1] += " (%d JSON pointer(s))" % summary["drifted_pointers"]
    text = "%d desk(s): %s." % (summary["desks"], ", ".join(parts) or "none")
    for status in (st.DRIFTED, st.FAILED, st.UNREACHABLE, st.NOT_CHECKED):
        if names[status]:
            text += " %s: %s." % (st.TITLES[status], _names(names[status], max_names))
    return text


def _row(host: str, results: list, status: str, label) -> dict:
    """A desk's row of the summary file: its registered desk result (or the one result it has) with its status."""
    mine = [r for r in results if looks_like_result(r)]
    found = next((r for r in mine if is_desk_result(r)), mine[0] if mine else None)
    if found is None:
        region, env = label or (None, None)
        return {"desk": host, "status": status, "installs": [], "changed_files": [],
                "env_region": ["%s-%s" % (env if env is not None else "?", region if region is not None else "?")]}
    return dict(found, desk=found.get("desk") or host, status=status)
