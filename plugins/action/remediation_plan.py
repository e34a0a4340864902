# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ioconnect.fleet.remediation_plan: the guardrails decide, the ledger records (controller only)."""

from __future__ import annotations

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.action_base import action_failure
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history_backends import HistoryError
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation import ledger
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.action_base import RemediationAction
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.actions import (
    PLAN_SPEC,
    actor,
    drifted_desks,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.guardrails import Candidate, parse_policy


class ActionModule(RemediationAction):
    SPEC = PLAN_SPEC
    _supports_check_mode = False

    def _act(self, args, task_vars):
        result = {}
        try:
            policy = parse_policy(args["throttle_max"], args["throttle_window"], args["change_windows"],
                                  args["timezone"], args["canary_threshold"], args["canary_count"], args["opt_out"],
                                  args["in_progress_timeout"])
        except ValueError as exc:
            raise action_failure("ioconnect.fleet.remediation_plan: %s" % exc, "request")
        candidates = self._candidates(drifted_desks(args["events"]), task_vars, args)
        who = actor(task_vars, args["actor"])
        try:
            with self._store(args) as store:
                wave_id, plan = ledger.plan_wave(store, candidates, policy, who)
                location = store.location
        except HistoryError as exc:
            raise action_failure(
                "ioconnect.fleet.remediation_plan: the drift history cannot be used (%s: %s); no desk was planned. "
                "Check history_path/history_dsn (the drift_report callback's history) and try again."
                % (exc.problem, exc.detail), exc.kind)
        left = [{"desk": c.desk, "decision": decision, "reason": reason} for c, decision, reason in plan.left]
        result.update({
            "changed": bool(plan.desks),
            "wave_id": wave_id,
            "canary": [c.desk for c in plan.canary],
            "rollout": [c.desk for c in plan.rollout],
            "hosts": plan.desks,
            "left": left,
            "counts": {kind: sum(1 for item in left if item["decision"] == kind)
                       for kind in ("deferred", "blocked", "opted_out", "skipped")},
            "actor": who,
            "history": location,
            "msg": "%d desk(s) to put right (%d canary), %d left alone" % (
                len(plan.desks), len(plan.canary), len(left)),
        })
        return result

    def _candidates(self, desks, task_vars, args) -> list:
        groups = task_vars.get("groups") or {}
        everyone = set(groups.get("all") or [])
        hostvars = task_vars.get("hostvars") or {}
        canary = set(groups.get(args["canary_group"]) or [])
        out = []
        for item in desks:
            name = str(item.get("desk"))
            member_of = tuple(sorted(g for g, hosts in groups.items()
                                     if g not in ("all", "ungrouped") and name in (hosts or [])))
            opted = False
            if name in everyone:
                try:
                    opted = boolean(hostvars[name].get(args["opt_out_var"], False), strict=False)
                except Exception:
                    opted = False
            out.append(Candidate(
                desk=name, scan_run_id=str(item.get("run_id") or ""), scanned_at=str(item.get("scanned_at") or ""),
                drifted_since=str(item.get("drifted_since") or ""), region=str(item.get("region") or ""),
                environment=str(item.get("environment") or ""), groups=member_of, in_inventory=name in everyone,
                opted_out=opted, canary_group=name in canary))
        return out
