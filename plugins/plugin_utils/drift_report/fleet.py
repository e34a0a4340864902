# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet view: every desk the history knows, each with its latest scan, its drift history and the trend of
drifted desks per region and environment. Pure Python over the rows history.HistoryStore.fleet_rows() returns.

Per desk:
- ``drifted_since``: the first scan of the current drift (the first drifted scan after the last clean one; a
  failed or unreachable scan in between does not end a drift, since nothing says it was fixed);
- ``times_drifted``: how many separate drifts the desk had in its last ``window`` scans (flapping: a desk that
  is put right and drifts back counts each time);
- ``last_compliant_at``: the last scan that found it compliant (or made it so, ``changed``);
- ``remediation``: when the closed loop (docs/remediation.md) acted on its latest drift, that canary or remediate
  row of its ledger (``eda_remediations``), else None (numbers.remediation words it).

A scan round is a run, or the runs of one group (the slices of one sliced job): one point of a trend. A point
counts, for a region or an environment, the desks whose latest scan at the end of that round was drifted,
carrying forward the desks the round did not scan, so a ``--limit`` or sliced run never makes a trend dip.
"""

from __future__ import annotations

import json
import typing as t

from ansible_collections.ioconnect.fleet.plugins.module_utils.common import status as st
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report import numbers

CLEAN = st.CLEAN_STATUSES
COMPLIANT_AFTER = st.COMPLIANT_STATUSES


def desk_history(statuses: t.Sequence, times: t.Sequence, window: int, drifted_since=None, last_compliant=None,
                 scans_total: int | None = None) -> dict:
    """History fields of one desk from its last scans, newest first (``statuses`` and their ``times``)."""
    statuses = list(statuses)[:window] if window else list(statuses)
    times = list(times)[: len(statuses)]
    episodes = 0
    in_drift = False
    for status in reversed(statuses):  # oldest first
        # A drift is a run of drifted scans; a clean scan (compliant, changed: a configure run wrote it, not
        # installed) ends it, a failed or unreachable one does not. A configure run's change is not a drift found
        # (the first rollout to a desk changes it too), so "drifted since" and "times drifted" tell the same story.
        if status == "drifted":
            if not in_drift:
                episodes += 1
            in_drift = True
        elif status in CLEAN:
            in_drift = False
    if drifted_since is None and statuses and statuses[0] == "drifted":
        # From the scans at hand: the oldest of the current streak of drifted (or failed) scans.
        for status, when in zip(statuses, times):
            if status in CLEAN:
                break
            if status == "drifted":
                drifted_since = when
    if last_compliant is None:
        last_compliant = next((when for status, when in zip(statuses, times) if status in COMPLIANT_AFTER), None)
    return {
        "scans": scans_total if scans_total is not None else len(statuses),
        "window": len(statuses),
        "times_drifted": episodes,
        "drifted_scans": sum(1 for s in statuses if s == "drifted"),
        "drifted_since": drifted_since if statuses and statuses[0] == "drifted" else None,
        "last_compliant_at": last_compliant,
    }


MISSED_STATUS = {"unreachable": "unreachable", "refused": "failed", "preflight": "failed", "failed": "failed"}


def run_view(desks: list, run: t.Mapping) -> list:
    """The fleet view without a history: the run's own desks, each its own one-scan history (none when the run
    did not read its files)."""
    out = []
    for desk in desks:
        when = desk.get("scanned_at") or run.get("finished_at")
        observed = desk.get("observed", True)
        entry = {"at": when, "kind": "scan" if run.get("check_mode") is not False else "configure",
                 "status": desk["status"], "run_id": run.get("run_id"), "drift_count": desk.get("drift_count", 0),
                 "pointers": [e["pointer"] for e in desk.get("drift") or []]} if observed else \
            {"at": when, "kind": "not_reached", "status": None, "run_id": run.get("run_id"),
             "detail": (desk.get("not_reached") or {}).get("reason", "")}
        missed = dict(desk["not_reached"], at=when, run_id=run.get("run_id")) if desk.get("not_reached") else None
        out.append(dict(desk, scanned_at=when, run_id=run.get("run_id"), in_this_run=True,
                        not_reached=missed, observed=bool(observed), timeline=[entry],
                        history=desk_history([desk["status"]] if observed else [], [when] if observed else [], 1)))
    return out


def run_trend(desks: list, run: t.Mapping, window: int = 20) -> dict:
    """The trend of a run alone: one point per region and environment."""
    at = run.get("finished_at")
    rounds = [{"group": run.get("group") or run.get("run_id"), "at": at, "desks": len(desks)}] if desks else []
    by_region: dict = {}
    by_env: dict = {}
    for desk in desks:
        for index, key in ((by_region, desk["region"]), (by_env, desk["environment"])):
            point = index.setdefault(key, [{"round": 0, "at": at, "desks": 0, "drifted": 0}])[0]
            point["desks"] += 1
            point["drifted"] += desk["status"] == "drifted"
    return {"window": window, "rounds": rounds, "by_region": _sorted(by_region), "by_environment": _sorted(by_env)}


def remediation_entry(row: t.Mapping) -> dict:
    """A row of the loop's ledger as an entry of a desk's story (kind ``remediation``, at its decision)."""
    return {"at": row["decided_at"], "kind": "remediation", "status": None, "run_id": row["wave_id"],
            "decision": row["decision"], "outcome": row["outcome"], "actor": row["actor"], "reason": row["reason"],
            "decided_at": row["decided_at"], "finished_at": row["finished_at"] or None,
            "drifted_since": row["drifted_since"] or row["scanned_at"] or None,
            "scan_run_id": row["scan_run_id"] or None, "msg": row["msg"]}


def _timelines(rows: t.Mapping) -> dict:
    """Each desk's story over its window, newest first: its scans (with the pointers that differed) and events."""
    pointers: dict = {}
    for desk, run_id, pointer in rows.get("story_pointers", ()):
        pointers.setdefault((desk, run_id), []).append(pointer)
    out: dict = {}
    for desk, when, status, run_id, drift_count, check_mode in rows["recent"]:
        out.setdefault(desk, []).append({
            "at": when, "kind": "configure" if check_mode == 0 else "scan", "status": status, "run_id": run_id,
            "drift_count": int(drift_count or 0), "pointers": pointers.get((desk, run_id), [])})
    for desk, when, kind, detail, run_id in rows.get("story_events", ()):
        detail = loads_or_text(detail) or {}
        if not isinstance(detail, dict):
            detail = {"reason": str(detail)}
        out.setdefault(desk, []).append({
            "at": when, "kind": "rollback" if kind == "rollback" else "not_reached", "status": None,
            "run_id": run_id, "detail": detail.get("reason") or detail.get("detail") or kind})
    for row in rows.get("story_remediations", ()):
        entry = remediation_entry(row)
        entry["detail"] = numbers.remediation_detail(entry)
        out.setdefault(row["desk"], []).append(entry)
    for entries in out.values():
        entries.sort(key=lambda e: (e["at"], e["run_id"] or ""), reverse=True)
    return out


def fleet_view(rows: t.Mapping, run_desks: list, run: t.Mapping, window: int) -> list:
    """Every desk of the history, latest scan first-class; this run's desks as the run saw them. A desk this run
    (or the latest run that targeted it) did not read keeps its latest scan, with ``not_reached`` saying why."""
    mine = {d["name"]: d for d in run_desks}
    missed = {}
    for desk, when, kind, region, environment, detail, run_id in rows.get("missed", ()):
        detail = loads_or_text(detail) or {}
        missed[desk] = {"kind": kind, "reason": (detail.get("reason") if isinstance(detail, dict) else "") or kind,
                        "at": when, "run_id": run_id, "region": region, "environment": environment}
    stories = _timelines(rows)
    files: dict = {}
    for row in rows["files"]:
        (run_id, desk, file_no, path, profile, root, product, kind, pair, task, status, changed, exists, error_kind,
         msg, backup_file) = row
        files.setdefault((run_id, desk), {})[file_no] = {
            "path": path, "profile": profile, "root": root, "product": product, "kind": kind, "pair": pair,
            "task": task, "status": status, "changed": bool(changed), "exists": None if exists is None else bool(exists),
            "drift": [], "msg": msg, "error_kind": error_kind, "backup_file": backup_file,
        }
    for run_id, desk, file_no, _pointer_no, pointer, op, before, after in rows["pointers"]:
        record = files.get((run_id, desk), {}).get(file_no)
        if record is not None:
            record["drift"].append({"pointer": pointer, "op": op, "before": loads_or_text(before), "after": loads_or_text(after)})
    recent: dict = {}
    for desk, when, status, *_rest in rows["recent"]:
        recent.setdefault(desk, []).append((status, when))
    out = []
    for run_id, name, _group, scanned_at, region, environment, status, reason, drift_count, errors in rows["latest"]:
        history = recent.get(name, [])
        fields = desk_history([s for s, _w in history], [w for _s, w in history], window,
                              drifted_since=rows["drifted_since"].get(name),
                              last_compliant=rows["last_compliant"].get(name),
                              scans_total=rows["scan_counts"].get(name))
        fields["remediation"] = _latest_remediation(rows.get("remediations", {}).get(name),
                                                    history, window)
        if run_id == run.get("run_id") and name in mine:
            desk = dict(mine[name], scanned_at=scanned_at)
        else:
            installs = [files[(run_id, name)][k] for k in sorted(files.get((run_id, name), {}))]
            drift = [dict(entry, path=i["path"], profile=i["profile"], root=i["root"])
                     for i in installs for entry in i["drift"]]
            desk = {
                "name": name, "region": region, "environment": environment, "status": status, "reason": reason,
                "profiles": sorted({i["profile"] for i in installs if i["profile"]}),
                "drift_count": len(drift), "drift": drift, "installs": installs, "errors": loads_or_text(errors) or [],
                "scanned_at": scanned_at,
            }
            if drift_count != len(drift):  # pointers of an older schema or a partial row: say what was stored
                desk["drift_count"] = int(drift_count)
        desk.update(run_id=run_id, in_this_run=run_id == run.get("run_id"), history=fields, observed=True,
                    timeline=stories.get(name, []), events=desk.get("events") or [])
        note = None
        here = mine.get(name)
        if here is not None and here.get("observed") is False and here.get("not_reached"):
            note = dict(here["not_reached"], at=here.get("scanned_at") or run.get("finished_at"),
                        run_id=run.get("run_id"))
        elif name in missed and missed[name]["at"] > scanned_at:
            note = {k: missed[name][k] for k in ("kind", "reason", "at", "run_id")}
        desk["not_reached"] = note
        out.append(desk)
    # Desks no scan ever read: this run's (or an earlier run's) attempts, with the status that run met.
    known = {d["name"] for d in out}
    for desk in run_view([d for d in run_desks if d["name"] not in known], run):
        desk["timeline"] = stories.get(desk["name"]) or desk["timeline"]
        out.append(desk)
    known = {d["name"] for d in out}
    for name, note in missed.items():
        if name in known:
            continue
        out.append({
            "name": name, "region": note["region"], "environment": note["environment"],
            "status": MISSED_STATUS.get(note["kind"], "not_checked"), "reason": note["reason"], "profiles": [],
            "drift_count": 0, "drift": [], "installs": [], "errors": [], "scanned_at": None, "run_id": None,
            "in_this_run": False, "observed": False, "events": [], "timeline": stories.get(name, []),
            "not_reached": {k: note[k] for k in ("kind", "reason", "at", "run_id")},
            "history": desk_history([], [], 1),
        })
    return sorted(out, key=lambda d: (d["region"], d["environment"], d["name"]))


def remediation_applies(rem: t.Mapping, scans: t.Sequence, window: int = 0) -> bool:
    """Whether the loop's canary or remediate decision ``rem`` (a ledger row or a story entry) belongs to the desk's
    latest drift: no drift began after it (a desk put right: no drifted scan after it; otherwise no drifted scan
    after a clean one), and, with a ``window``, it is not older than a full window of later scans.
    ``scans``: (status, time) newest first."""
    after = rem.get("finished_at") or rem["decided_at"]
    for index, (status, when) in enumerate(scans):
        if status != "drifted" or when <= after:
            continue
        older = scans[index + 1][0] if index + 1 < len(scans) else None
        if rem.get("outcome") == "succeeded" or older in CLEAN:
            return False
    return not (window and scans and len(scans) >= window and rem["decided_at"] < scans[-1][1])


def _latest_remediation(row, scans: list, window: int):
    """The history's ``remediation`` field: the latest canary or remediate row, when it applies, else None."""
    if not row or not remediation_applies(row, scans, max(1, window)):
        return None
    entry = remediation_entry(row)
    return {k: entry[k] for k in ("decision", "outcome", "actor", "reason", "decided_at", "finished_at",
                                  "drifted_since", "scan_run_id", "msg")}


def trend(rows: t.Mapping, window: int) -> dict:
    """Drifted desks per region and per environment at the end of each of the last scan rounds."""
    state = {desk: (region, env, status) for desk, region, env, status in rows["baseline"]}
    by_group: dict = {}
    for desk, group, when, region, env, status in rows["round_scans"]:
        by_group.setdefault(group, []).append((when, desk, region, env, status))
    rounds = []
    by_region: dict = {}
    by_env: dict = {}
    keys = ({v[0] for v in state.values()} | {s[3] for s in rows["round_scans"]},
            {v[1] for v in state.values()} | {s[4] for s in rows["round_scans"]})
    for index, (group, _first, last) in enumerate(rows["rounds"]):
        scans = sorted(by_group.get(group, []))
        for _when, desk, region, env, status in scans:
            state[desk] = (region, env, status)
        rounds.append({"group": group, "at": last, "desks": len({s[1] for s in scans})})
        for position, index_map in ((0, by_region), (1, by_env)):
            # Every region and environment gets a point in every round (a round that did not scan it carries its
            # desks forward; before its first desk, a point of 0 desks), so all trend rows have one point per round.
            for key in sorted(keys[position]):
                members = [v for v in state.values() if v[position] == key]
                index_map.setdefault(key, []).append({
                    "round": index, "at": last, "desks": len(members),
                    "drifted": sum(1 for v in members if v[2] == "drifted"),
                })
    return {"window": window, "rounds": rounds, "by_region": _sorted(by_region), "by_environment": _sorted(by_env)}


def _sorted(index: dict) -> dict:
    return {k: index[k] for k in sorted(index)}


def loads_or_text(text):
    """A JSON column's value: parsed, or the text itself when it is not JSON (None stays None)."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text
