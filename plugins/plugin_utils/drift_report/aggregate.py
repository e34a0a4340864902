# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn drift check results into the desks of one run, and desks into a report grouped by region and environment.

Two result shapes are understood: ``ioconnect.fleet.system_json`` (one file per result, or a loop of them) and
``ioconnect.fleet.desk_system_json`` (one desk per result, one item of ``files`` per file it handled).
Pure Python (no Ansible imports), shared by the ``ioconnect.fleet.drift_report`` callback and the
``ioconnect.fleet.drift_summary`` filter. The report's shape is docs/drift-report.schema.json.
"""

from __future__ import annotations

import datetime
import json
import typing as t

from ansible_collections.ioconnect.fleet.plugins.module_utils.common import status as st
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import DEFAULT_POLICY
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.pointer import pointer_tokens

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.display import profile_of
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.fleet import run_trend, run_view
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.redact import (
    redact_text,
    redact_value,
)

SCHEMA_VERSION = 2
UNKNOWN = "unknown"

# The status words (module_utils/common/status.py, documented in docs/drift-detection.md), worst first.
DESK_STATUSES = st.DESK_STATUSES
PROBLEM_STATUSES = st.PROBLEM_STATUSES
OPS = ("add", "replace", "remove")
# Error kinds of a check that stopped before it read a file: the desk was not observed (the request was refused on
# the controller, or its io.Manager did not answer the preflight).
NOT_READ_KINDS = ("request", "preflight")
# Why a desk the run targeted has no scan in it (see Desk.not_reached): the desk keeps its last observed state.
NOT_REACHED_KINDS = ("unreachable", "refused", "preflight", "failed", "validated", "skipped", "stopped")
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
        tokens = pointer_tokens(pointer) if isinstance(pointer, str) else []
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


def is_desk_result(result) -> bool:
    """Whether a result is a desk_system_json result (one desk, a ``files`` list) rather than one file's."""
    return isinstance(result, t.Mapping) and isinstance(result.get("files"), list) and (
        "status" in result or "installs" in result or "desk" in result)


def files_read(item: t.Mapping) -> bool:
    """Whether a check result says the desk's files were actually read (a scan), rather than a check that stopped
    first (unreachable, skipped, refused on the controller, a failed preflight, validate_only) or a rollback."""
    if not isinstance(item, t.Mapping) or item.get("unreachable") or item.get("skipped"):
        return False
    if "rolled_back" in item:
        return False
    if is_desk_result(item) and item["files"]:
        return True
    if (item.get("failed") or item.get("status") == "failed") and item.get("error_kind") in NOT_READ_KINDS:
        return False
    if is_desk_result(item):
        return item.get("status") in ("not_installed", "failed")
    return any(key in item for key in ("path", "drift", "exists"))


def _optional_text(value, limit: int = 500):
    return _text(value, limit) if isinstance(value, str) and value else None


def classify_install(result: t.Mapping, task_name: str = "", check_mode=None, policy=None) -> dict:
    """One file's result (a system_json result or loop item, or an item of desk_system_json's ``files``) -> a
    file record of the report.

    ``check_mode``: whether the task ran in check mode. A file that changed outside check mode is ``changed``
    (written, compliant since); in check mode, or when unknown, it is ``drifted``.
    """
    drift = _drift_entries(result.get("drift"), policy)
    hidden = "censored" in result and "drift" not in result
    would_change = bool(drift) or bool(result.get("changed"))
    if result.get("unreachable"):
        status = "unreachable"
    elif result.get("failed"):
        status = "failed"
    elif result.get("skipped"):
        status = "skipped"
    elif would_change:
        # Changed without a drift list (no_log, or an older module): the file would be rewritten, so not compliant.
        status = "changed" if check_mode is False else "drifted"
    elif result.get("exists") is False:
        status = "not_installed"
    else:
        status = "compliant"
    label = result.get("path") or result.get("_ansible_item_label") or result.get("item") or ""
    if not isinstance(label, str):
        label = _compact(redact_value(label, policy=policy))
    path = _text(label, 500)
    profile, root = _optional_text(result.get("profile"), 200), _optional_text(result.get("root"), 500)
    if profile is None and root is None:
        profile, root = profile_of(path)
    record = {
        "path": path,
        "profile": profile,
        "root": root,
        "product": _optional_text(result.get("product"), 100),
        "kind": _optional_text(result.get("kind"), 20),
        "pair": _optional_text(result.get("pair"), 200),
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
        self.errors: list = []  # failures/unreachable outside the checks of its files
        self.seen = False  # a drift play ran for this desk
        self.skipped_checks = 0
        self.no_install = False  # a desk-level check found no install at all
        self.checked = False  # at least one check result that was not skipped
        self.scanned_at = None  # when its last check result came (UTC, RFC 3339)
        self.observed = False  # its files were read in this run: the run's desk is a scan of the history
        self.validated = False  # a validate_only check passed (nothing read)
        self.attempts: list = []  # checks that stopped before reading: {"kind", "msg", "task"}
        self.events: list = []  # rollbacks that touched it: {"kind", "at", "detail"}

    @property
    def status(self) -> str:
        statuses = [i["status"] for i in self.installs]
        statuses += [e["kind"] for e in self.errors]
        if self.no_install:
            statuses.append(st.NOT_INSTALLED)
        return st.worst(statuses)

    def not_reached(self, stop_reason: str = "") -> dict | None:
        """Why this desk has no scan in the run (None when its files were read): kind and reason."""
        if self.observed:
            return None
        stopped = stop_reason or "the run ended before any check read its files"
        for error in self.errors + self.attempts:
            if error["kind"] == "unreachable":
                return {"kind": "unreachable", "reason": error["msg"] or "unreachable"}
        for error in self.attempts:
            if error["kind"] in ("refused", "preflight"):
                return {"kind": error["kind"], "reason": error["msg"]}
        for error in self.errors:
            return {"kind": "failed", "reason": "%s (task %s)" % (error["msg"], error["task"]) if error["task"]
                    else error["msg"]}
        if self.validated:
            return {"kind": "validated", "reason": "validated, but its files were not read: %s" % stopped}
        if self.skipped_checks:
            return {"kind": "skipped", "reason": "every drift check was skipped for this desk"}
        return {"kind": "stopped", "reason": "no check reached this desk: %s" % stopped}

    def to_dict(self, stop_reason: str = "") -> dict:
        drift = [dict(entry, path=install["path"], profile=install["profile"], root=install["root"])
                 for install in self.installs for entry in install["drift"]]
        status = self.status
        reason = ""
        if status == "not_installed":
            reason = "no io.Connect Desktop install found on this desk (no system.json in the profiles looked at)"
        elif status == "not_checked":
            missed = self.not_reached(stop_reason)
            reason = missed["reason"] if missed else "no drift check ran for this desk"
        return {
            "name": self.name,
            "region": self.region,
            "environment": self.environment,
            "status": status,
            "reason": reason,
            "profiles": sorted({i["profile"] for i in self.installs if i["profile"]}),
            "drift_count": len(drift),
            "drift": drift,
            "installs": self.installs,
            "errors": self.errors,
            "scanned_at": self.scanned_at,
            "observed": self.observed,
            "not_reached": self.not_reached(stop_reason),
            "events": list(self.events),
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
        desk = self.desk(name, region, environment)
        desk.seen = True
        desk.scanned_at = desk.scanned_at or utc_now(precise=True)

    def add_result(self, name: str, result: t.Mapping, region=None, environment=None, task_name: str = "",
                   outcome: str | None = None, check_mode=None, scanned_at: str | None = None, policy=None) -> list:
        """Record one check result: system_json (plain or loop) or desk_system_json. Returns the file records added.

        ``outcome``: the callback event the result came with, see ``iter_task_results``. ``check_mode``: whether
        the task ran in check mode (None: unknown; a desk_system_json result says so itself).
        Returns an empty list when the result checked nothing (skipped).
        ``policy``: the masking.MaskingPolicy to mask with (the task's and the callback's secret_keys).
        """
        desk = self.desk(name, region, environment)
        desk.seen = True
        added = []
        checked = False
        for item in iter_task_results(result, outcome):
            read = files_read(item)
            desk.observed = desk.observed or read
            if item.get("unreachable"):
                desk.attempts.append({"kind": "unreachable", "task": _text(task_name, 300),
                                      "msg": _text(item.get("msg") or "unreachable", policy=policy)})
            if isinstance(item, t.Mapping) and "rolled_back" in item and not item.get("unreachable"):
                self._add_rollback(desk, item, task_name, check_mode)
                checked = True
                continue
            if not read and not item.get("unreachable") and not item.get("skipped") and not item.get("failed") \
                    and not is_desk_result(item) and item.get("status") != "failed":
                desk.validated = True  # validate_only: nothing read, nothing to count
                continue
            if not read and item.get("error_kind") in NOT_READ_KINDS:
                kind = "preflight" if item.get("error_kind") == "preflight" else "refused"
                msg = item.get("error") or item.get("msg") or "the check was refused"
                desk.attempts.append({"kind": kind, "task": _text(task_name, 300), "msg": _text(msg, policy=policy)})
            if is_desk_result(item) and not item.get("unreachable"):
                added.extend(self._add_desk_result(desk, item, task_name, check_mode, policy))
                checked = True
                continue
            record = classify_install(item, task_name, check_mode, policy)
            if record["status"] == "skipped":
                # A skipped variant (the Windows task on a POSIX desk, a `when` that was false) checked nothing.
                desk.skipped_checks += 1
            else:
                added.append(record)
                checked = True
        desk.installs.extend(added)
        if checked:
            desk.checked = True
            desk.scanned_at = scanned_at or utc_now(precise=True)
        return added

    @staticmethod
    def _add_rollback(desk: Desk, result: t.Mapping, task_name: str, check_mode) -> None:
        """A rollback is an event of the desk's story, not a scan: what it restored says nothing of compliance."""
        mode = result.get("check_mode") if isinstance(result.get("check_mode"), bool) else check_mode
        if mode:
            return  # a rollback in check mode touched nothing
        files = [f for f in result.get("files") or [] if isinstance(f, t.Mapping)]
        acted = [_text(f.get("path") or "", 500) for f in files if f.get("action") in ("restore", "delete")]
        desk.events.append({
            "kind": "rollback", "at": utc_now(precise=True), "task": _text(task_name, 300),
            "failed": bool(result.get("failed")), "files": acted,
            "detail": _text(result.get("msg") or "", 1000),
            "runs": [_text(r, 100) for r in result.get("rolled_back") or [] if isinstance(r, str)],
        })

    def _add_desk_result(self, desk: Desk, result: t.Mapping, task_name: str, check_mode, policy=None) -> list:
        """A desk_system_json result: one file record per item of ``files``; a desk-level failure (discovery, an
        unreadable profile) that no file carries becomes an error of the desk."""
        mode = result.get("check_mode") if isinstance(result.get("check_mode"), bool) else check_mode
        records = [classify_install(item, task_name, mode, policy) for item in result["files"]
                   if isinstance(item, t.Mapping)]
        records = [r for r in records if r["status"] != "skipped"]
        failed = bool(result.get("failed")) or result.get("status") == "failed"
        if failed and not any(r["status"] == "failed" for r in records):
            msg = result.get("error") or result.get("msg") or "the desk check failed"
            desk.errors.append({"kind": "failed", "task": _text(task_name, 300), "msg": _text(msg, policy=policy)})
        if result.get("status") == "not_installed" and not records:
            desk.no_install = True
        return records

    def add_error(self, name: str, kind: str, msg="", task_name: str = "", region=None, environment=None) -> None:
        """A desk that failed ('failed') or could not be reached ('unreachable') outside a system_json check."""
        if kind not in ("failed", "unreachable"):
            raise ValueError("kind must be 'failed' or 'unreachable', not %r" % (kind,))
        desk = self.desk(name, region, environment)
        desk.seen = True
        desk.scanned_at = desk.scanned_at or utc_now(precise=True)
        desk.errors.append({"kind": kind, "task": _text(task_name, 300), "msg": _text(msg)})

    def mark_not_reached(self, name: str, region=None, environment=None) -> None:
        """A desk a drift play targeted that got no result at all (the run stopped before its batch)."""
        desk = self.desk(name, region, environment)
        desk.seen = True

    def desks(self) -> list:
        return sorted(self._desks.values(), key=lambda d: (d.region, d.environment, d.name))

    def status_counts(self) -> dict:
        counts = dict.fromkeys(DESK_STATUSES, 0)
        for desk in self._desks.values():
            counts[desk.status] += 1
        return counts

    def run_desks(self, stop_reason: str = "") -> list:
        """The desk records of this run (region, environment, name order); ``stop_reason``: why the run stopped
        early, for the desks it never read."""
        return [d.to_dict(stop_reason) for d in self.desks()]

    def report(self, run: t.Mapping | None = None) -> dict:
        """The report of this run alone, without history (see docs/drift-report.schema.json)."""
        desks = self.run_desks()
        return run_report(desks, dict(run or {}, desks=[d["name"] for d in desks]))


def _counts(desks: list) -> dict:
    """Desks per status, and drifted pointers counted with the status of their desk, so that a region's
    ``drifted_pointers`` belong to its ``drifted`` desks; pointers found on a failed or unreachable desk are
    ``pointers_on_failed_desks``, those a run wrote ``changed_pointers``."""
    counts = {"desks": len(desks)}
    counts.update(dict.fromkeys(DESK_STATUSES, 0))
    counts.update(drifted_pointers=0, changed_pointers=0, pointers_on_failed_desks=0, not_reached=0)
    for desk in desks:
        counts[desk["status"]] += 1
        counts["not_reached"] += bool(desk.get("not_reached"))
        if desk["status"] in PROBLEM_STATUSES:
            counts["pointers_on_failed_desks"] += desk["drift_count"]
        elif desk["status"] == "changed":
            counts["changed_pointers"] += desk["drift_count"]
        else:
            counts["drifted_pointers"] += desk["drift_count"]
    return counts


def _group(desks: list, key) -> dict:
    groups: dict = {}
    for desk in desks:
        groups.setdefault(key(desk), []).append(desk)
    return groups


def build_report(desks: list, run: t.Mapping, history: t.Mapping | None = None,
                 trend: t.Mapping | None = None) -> dict:
    """Summary, per-region / per-environment counts and status lists around the desk records.

    ``desks``: the fleet view (every desk the history knows, or the run's desks without history); ``run``: what
    this run was (``desks``: the names it scanned); ``history``: the state of the history store; ``trend``: drifted
    desks per scan round (fleet.trend).
    """
    by_region = {k: _counts(v) for k, v in sorted(_group(desks, lambda d: d["region"]).items())}
    by_env = {k: _counts(v) for k, v in sorted(_group(desks, lambda d: d["environment"]).items())}
    by_pair = [
        dict(region=k[0], environment=k[1], **_counts(v))
        for k, v in sorted(_group(desks, lambda d: (d["region"], d["environment"])).items())
    ]
    by_status = {status: [d["name"] for d in desks if d["status"] == status] for status in DESK_STATUSES}
    scanned = set(run.get("desks") or ())
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": "ioconnect.fleet.drift_report",
        "generated_at": utc_now(),
        "run": {
            "run_id": run.get("run_id"),
            "group": run.get("group"),
            "check_mode": run.get("check_mode"),
            "playbooks": [_text(p, 500) for p in run.get("playbooks", [])],
            "started_at": run.get("started_at"),
            "finished_at": run.get("finished_at"),
            "duration_seconds": run.get("duration_seconds"),
            "outcome": run.get("outcome") or "complete",
            "stop_reason": _text(run.get("stop_reason") or "", 2000),
            "targeted": int(run.get("targeted") or len(scanned)),
            "summary": _counts([d for d in desks if d["name"] in scanned and d.get("in_this_run", True)
                                and d.get("observed", True)]),
        },
        "history": dict(history or {"status": "disabled", "backend": None, "location": None, "message": "",
                                    "problem": None, "desks_known": len(desks), "rounds": 1 if desks else 0}),
        "summary": _counts(desks),
        "by_region": by_region,
        "by_environment": by_env,
        "by_region_environment": by_pair,
        "desks_by_status": by_status,
        "trend": dict(trend or {"window": 0, "rounds": [], "by_region": {}, "by_environment": {}}),
        "desks": desks,
    }


def run_report(run_desks: list, run: t.Mapping, history: t.Mapping | None = None, rounds: int = 20) -> dict:
    """The report of a run alone, without the fleet the history knows: the run's desks, each its own one-scan
    history, one trend point per region and environment. ``history``: the state of the history store (None: the
    history is disabled)."""
    return build_report(run_view(run_desks, run), run, history, run_trend(run_desks, run, rounds))


def utc_now(precise: bool = False) -> str:
    """UTC now as RFC 3339 text; ``precise``: with microseconds (history ordering), else whole seconds."""
    now = datetime.datetime.now(datetime.timezone.utc)
    if precise:
        return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return now.replace(microsecond=0).isoformat().replace("+00:00", "Z")
