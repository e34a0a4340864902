# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ioconnect.fleet.remediation_record: the outcome of each desk of a wave, into the ledger."""

from __future__ import annotations


from ansible_collections.ioconnect.fleet.plugins.plugin_utils.action_base import action_failure
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history_backends import HistoryError
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation import ledger
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.action_base import RemediationAction
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.actions import RECORD_SPEC
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.outcome import outcome_of


class ActionModule(RemediationAction):
    SPEC = RECORD_SPEC
    _supports_check_mode = False

    def _act(self, args, task_vars):
        result = {}
        hostvars = task_vars.get("hostvars") or {}
        canary_failed = []
        outcomes = {}
        for desk in args["canary"] + [d for d in args["desks"] if d not in args["canary"]]:
            try:
                desk_vars = hostvars[desk]
                report = desk_vars.get(args["result_var"])
                validation = desk_vars.get(args["validation_var"])
            except Exception:
                report, validation = None, None
            outcome, msg = outcome_of(report, validation, canary_failed)
            if desk in args["canary"] and outcome != "succeeded":
                canary_failed.append(desk)
            outcomes[desk] = (outcome, msg)
        try:
            with self._store(args) as store:
                updated = ledger.record_outcomes(store, args["wave_id"], outcomes)
        except HistoryError as exc:
            raise action_failure(
                "ioconnect.fleet.remediation_record: the outcomes of wave %s could not be written to the history "
                "(%s: %s); the desks stay 'pending' in the ledger until the in-progress timeout. Outcomes: %s"
                % (args["wave_id"], exc.problem, exc.detail, {d: o for d, (o, _m) in outcomes.items()}), exc.kind)
        counts = {}
        for outcome, _msg in outcomes.values():
            counts[outcome] = counts.get(outcome, 0) + 1
        result.update({
            "changed": bool(updated),
            "wave_id": args["wave_id"],
            "outcomes": {desk: {"outcome": o, "msg": m} for desk, (o, m) in outcomes.items()},
            "counts": counts,
            "msg": ", ".join("%d %s" % (n, o) for o, n in sorted(counts.items())) or "no desk in this wave",
        })
        return result
