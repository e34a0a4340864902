# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A drift summary from registered system_json results, for set_stats (AWX/AAP artifacts) and fail-on-drift.

This is the play-side twin of the callback: the same aggregation, fed from ``hostvars`` instead of callback
events, so a playbook gets the numbers whether or not the callback is enabled. Pure Python.
"""

from __future__ import annotations

import typing as t

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.aggregate import DESK_STATUSES, DriftCollector


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
    out["by_region"] = {k: {"desks": v["desks"], "drifted": v["drifted"], "failed": v["failed"],
                            "unreachable": v["unreachable"]} for k, v in report["by_region"].items()}
    out["by_environment"] = {k: {"desks": v["desks"], "drifted": v["drifted"], "failed": v["failed"],
                                 "unreachable": v["unreachable"]} for k, v in report["by_environment"].items()}
    for status in ("drifted", "failed", "unreachable"):
        names = report["desks_by_status"][status]
        out["%s_desks" % status] = names[:max_names]
        if len(names) > max_names:
            out["%s_desks_truncated" % status] = len(names) - max_names
    return out
