# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn system_json task results into one drift report per run, grouped by region and environment.

Pure Python (no Ansible imports), shared by the ``ioconnect.fleet.drift_report`` callback and the
``ioconnect.fleet.drift_summary`` filter. The report's shape is docs/drift-report.schema.json.
"""

from __future__ import annotations

import datetime
import json
import typing as t

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import DEFAULT_POLICY

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.redact import (
    redact_text,
    redact_value,
)

SCHEMA_VERSION = 1
UNKNOWN = "unknown"

# Desk statuses, worst first: a desk takes the worst status of its installs.
DESK_STATUSES = ("unreachable", "failed", "drifted", "compliant", "not_checked")
# Statuses of one install (one system_json result).
INSTALL_STATUSES = ("unreachable", "failed", "drifted", "compliant", "not_installed")
_INSTALL_TO_DESK = {
    "unreachable": "unreachable",
    "failed": "failed",
    "drifted": "drifted",
    "compliant": "compliant",
    "not_installed": "not_checked",
}
OPS = ("add", "replace", "remove")
MAX_TEXT = 2000  # longest message kept; a module traceback is not what a desk-support lead needs


def _text(value, limit: int = MAX_TEXT, policy=None) -> str:
    text = redact_text(value, limit, policy)
    return text if len(text) <= limit else text[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"


def _label(value) -> str:
    """A region/environment/desk name as text; empty or missing becomes 'unknown'."""
    if value is None:
        return UNKNOWN
    text = _text(value, 200).strip()
    return text or UNKNOWN


def iter_task_results(result: t.Mapping, outcome: str | None = None) -> t.Iterator[t.Mapping]:
    """The per-install results inside one task result: the items of a loop, or the result itself.

    ``outcome`` is the callback event ('ok', 'failed', 'unreachable', 'skipped'): callbacks get results without
    their top-level ``failed``/``skipped`` keys (ansible-core 2.19 moved the status to the event), registered
    variables keep them, so both shapes are accepted.
    """
    if not isinstance(result, t.Mapping):
        return
    flag = outcome if outcome in ("failed", "unreachable", "skipped") else None
    items = result.get("results")
    if isinstance(items, list) and items and all(isinstance(i, t.Mapping) for i in items):
        yield from items
        if flag and not any(i.get(flag) for i in items):
            # The event says the task failed but no item says so (no_log hides item keys): keep the failure.
            yield {flag: True, "msg": result.get("msg") or "one or more items %s" % flag}
    elif flag and not result.get(flag):
        yield dict(result, **{flag: True})
    else:
        yield result


def _drift_entries(drift, policy=None) -> list:
    policy = policy or DEFAULT_POLICY
    entries = []
    for entry in drift if isinstance(drift, list) else []:
        if not isinstance(entry, t.Mapping):
            continue
        pointer = entry.get("pointer")
        tokens = _pointer_tokens(pointer) if isinstance(pointer, str) else []
        secret = policy.pointer_is_secret(tokens)
        op = entry.get("op") if entry.get("op") in OPS else "replace"
        entries.append({
            "pointer": _text(pointer if isinstance(pointer, str) else "", 1000),
            "op": op,
            # Masked again: a changed secret shows as masked whatever the module sent.
            "before": redact_value(entry.get("before"), secret and entry.get("before") is not None, policy),
            "after": redact_value(entry.get("after"), secret and entry.get("after") is not None, policy),
        })
    return entries


def _pointer_tokens(pointer: str) -> list:
    return [tok.replace("~1", "/").replace("~0", "~") for tok in pointer.split("/")[1:]]


def classify_install(result: t.Mapping, task_name: str = "", policy=None) -> dict:
    """One system_json result (a loop item or a plain result) -> an install record of the report.

    policy: the masking.MaskingPolicy of the task (its secret_keys); the built-in rules when None."""
    drift = _drift_entries(result.get("drift"), policy)
    hidden = "censored" in result and "drift" not in result
    if result.get("unreachable"):
        status = "unreachable"
    elif result.get("failed"):
        status = "failed"
    elif result.get("skipped"):
        status = "skipped"
    elif drift:
        status = "drifted"
    elif result.get("changed"):
        # Changed without a drift list (no_log, or an older module): the file would be rewritten, so not compliant.
        status = "drifted"
    elif result.get("exists") is False:
        status = "not_installed"
    else:
        status = "compliant"
    label = result.get("path") or result.get("_ansible_item_label") or result.get("item") or ""
    if not isinstance(label, str):
        label = _compact(redact_value(label, policy=policy))
    record = {
        "path": _text(label, 500),
        "task": _text(task_name, 300),
        "status": status,
        "changed": bool(result.get("changed")),
        "exists": result.get("exists") if isinstance(result.get("exists"), bool) else None,
        "drift": drift,
        "msg": _text(result.get("msg") or result.get("skip_reason") or "", policy=policy),
        "error_kind": _text(result["error_kind"], 50) if result.get("error_kind") else None,
        "backup_file": _text(result["backup_file"], 500) if result.get("backup_file") else None,
    }
    if hidden:
        record["msg"] = record["msg"] or "details hidden by no_log"
    if status == "failed" and not record["error_kind"] and (result.get("module_stderr") or result.get("exception")):
        record["error_kind"] = "module"
    return record


def _compact(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)


class Desk:
    """What the run learnt about one desk (inventory host)."""

    def __init__(self, name: str, region: str, environment: str) -> None:
        self.name = name
        self.region = region
        self.environment = environment
        self.installs: list = []
        self.errors: list = []  # failures/unreachable outside system_json tasks
        self.seen = False  # a drift play ran for this desk
        self.skipped_checks = 0

    @property
    def status(self) -> str:
        statuses = [_INSTALL_TO_DESK[i["status"]] for i in self.installs]
        statuses += [e["kind"] for e in self.errors]
        for status in DESK_STATUSES:
            if status in statuses:
                return status
        return "not_checked"

    def to_dict(self) -> dict:
        drift = [dict(entry, path=install["path"]) for install in self.installs for entry in install["drift"]]
        status = self.status
        reason = ""
        if status == "not_checked":
            if any(i["status"] == "not_installed" for i in self.installs):
                reason = "io.Connect Desktop is not installed there (no file found)"
            elif self.skipped_checks:
                reason = "every system_json check was skipped for this desk"
            else:
                reason = "no system_json check ran for this desk"
        return {
            "name": self.name,
            "region": self.region,
            "environment": self.environment,
            "status": status,
            "reason": reason,
            "drift_count": len(drift),
            "drift": drift,
            "installs": self.installs,
            "errors": self.errors,
        }


class DriftCollector:
    """Accumulates results during a run; ``report()`` builds the final report dict.

    Feed it with ``add_result`` (system_json results), ``add_error`` (a desk that failed or was unreachable in
    another task) and ``mark_seen`` (a desk the drift play targeted, so one with no check is still listed).
    """

    def __init__(self) -> None:
        self._desks: dict = {}

    def desk(self, name: str, region=None, environment=None) -> Desk:
        name = _label(name)
        desk = self._desks.get(name)
        if desk is None:
            desk = self._desks[name] = Desk(name, _label(region), _label(environment))
        else:
            # Region/environment may only be known from a later result (e.g. set by the role).
            if desk.region == UNKNOWN and region is not None:
                desk.region = _label(region)
            if desk.environment == UNKNOWN and environment is not None:
                desk.environment = _label(environment)
        return desk

    def __contains__(self, name) -> bool:
        return _label(name) in self._desks

    def __len__(self) -> int:
        return len(self._desks)

    def mark_seen(self, name: str, region=None, environment=None) -> None:
        self.desk(name, region, environment).seen = True

    def add_result(self, name: str, result: t.Mapping, region=None, environment=None, task_name: str = "",
                   outcome: str | None = None, policy=None) -> list:
        """Record one system_json task result (plain or loop). Returns the install records added.

        ``outcome``: the callback event the result came with, see ``iter_task_results``.
        ``policy``: the masking.MaskingPolicy to mask with (the task's and the callback's secret_keys).
        """
        desk = self.desk(name, region, environment)
        desk.seen = True
        added = []
        for item in iter_task_results(result, outcome):
            record = classify_install(item, task_name, policy)
            if record["status"] == "skipped":
                # A skipped variant (the Windows task on a POSIX desk, a `when` that was false) checked nothing.
                desk.skipped_checks += 1
            else:
                added.append(record)
        desk.installs.extend(added)
        return added

    def add_error(self, name: str, kind: str, msg="", task_name: str = "", region=None, environment=None) -> None:
        """A desk that failed ('failed') or could not be reached ('unreachable') outside a system_json check."""
        if kind not in ("failed", "unreachable"):
            raise ValueError("kind must be 'failed' or 'unreachable', not %r" % (kind,))
        desk = self.desk(name, region, environment)
        desk.seen = True
        desk.errors.append({"kind": kind, "task": _text(task_name, 300), "msg": _text(msg)})

    def desks(self) -> list:
        return sorted(self._desks.values(), key=lambda d: (d.region, d.environment, d.name))

    def status_counts(self) -> dict:
        counts = dict.fromkeys(DESK_STATUSES, 0)
        for desk in self._desks.values():
            counts[desk.status] += 1
        return counts

    def report(self, run: t.Mapping | None = None) -> dict:
        """The report dict (see docs/drift-report.schema.json)."""
        desks = [d.to_dict() for d in self.desks()]
        return build_report(desks, run or {})


def _counts(desks: list) -> dict:
    counts = {"desks": len(desks)}
    counts.update(dict.fromkeys(DESK_STATUSES, 0))
    counts["drifted_pointers"] = 0
    for desk in desks:
        counts[desk["status"]] += 1
        counts["drifted_pointers"] += desk["drift_count"]
    return counts


def _group(desks: list, key) -> dict:
    groups: dict = {}
    for desk in desks:
        groups.setdefault(key(desk), []).append(desk)
    return groups


def build_report(desks: list, run: t.Mapping) -> dict:
    """Summary, per-region / per-environment counts and status lists around the desk records."""
    by_region = {k: _counts(v) for k, v in sorted(_group(desks, lambda d: d["region"]).items())}
    by_env = {k: _counts(v) for k, v in sorted(_group(desks, lambda d: d["environment"]).items())}
    by_pair = [
        dict(region=k[0], environment=k[1], **_counts(v))
        for k, v in sorted(_group(desks, lambda d: (d["region"], d["environment"])).items())
    ]
    by_status = {status: [d["name"] for d in desks if d["status"] == status] for status in DESK_STATUSES}
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": "ioconnect.fleet.drift_report",
        "generated_at": utc_now(),
        "run": {
            "check_mode": run.get("check_mode"),
            "playbooks": [_text(p, 500) for p in run.get("playbooks", [])],
            "started_at": run.get("started_at"),
            "finished_at": run.get("finished_at"),
            "duration_seconds": run.get("duration_seconds"),
        },
        "summary": _counts(desks),
        "by_region": by_region,
        "by_environment": by_env,
        "by_region_environment": by_pair,
        "desks_by_status": by_status,
        "desks": desks,
    }


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
