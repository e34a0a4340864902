# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ioconnect.fleet.remediation_clear: a person lifts the block of desks whose remediation failed."""

from __future__ import annotations

import datetime

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.action_base import action_failure
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history_backends import HistoryError
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation import ledger
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.action_base import RemediationAction
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.actions import CLEAR_SPEC, actor
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.guardrails import Policy


class ActionModule(RemediationAction):
    SPEC = CLEAR_SPEC
    _supports_check_mode = True

    def _act(self, args, task_vars):
        result = {}
        desks = [d.strip() for d in args["desks"] if d and d.strip()]
        if not desks or not args["reason"].strip():
            raise action_failure("ioconnect.fleet.remediation_clear: name the desks to clear (desks) and say why "
                                 "(reason), for the ledger", "request")
        who = actor(task_vars, args["actor"])
        try:
            with self._store(args) as store:
                if self._task.check_mode:
                    now = datetime.datetime.now(datetime.timezone.utc)
                    blocked = store.run(lambda: ledger.read_state(store, desks, Policy(), now).blocked)
                    was = [d for d in desks if d in blocked]
                else:
                    was = ledger.clear(store, desks, who, args["reason"])
        except HistoryError as exc:
            raise action_failure("ioconnect.fleet.remediation_clear: the drift history cannot be used (%s: %s); "
                                 "nothing was cleared" % (exc.problem, exc.detail), exc.kind)
        result.update({
            "changed": bool(was),
            "cleared": was,
            "not_blocked": [d for d in desks if d not in was],
            "actor": who,
            "msg": "%s %d blocked desk(s): %s" % (
                "would clear" if self._task.check_mode else "cleared", len(was),
                ", ".join(was) or "none (none of them was blocked)"),
        })
        return result
