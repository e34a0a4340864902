# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the remediation action plugins share: the history options, who is acting, and reading events. Pure Python."""

from __future__ import annotations

import getpass
import socket
import typing as t

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.events import KEY

HISTORY_SPEC = {
    "history_path": {"type": "path"},
    "history_dsn": {"type": "str", "no_log": True},
    "history_timeout": {"type": "float", "default": 30.0},
}

PLAN_SPEC = dict(HISTORY_SPEC, **{
    "events": {"type": "list", "elements": "raw", "required": True},
    "throttle_max": {"type": "int", "default": 10},
    "throttle_window": {"type": "float", "default": 60.0},
    "change_windows": {"type": "list", "elements": "dict", "default": []},
    "timezone": {"type": "str", "default": "UTC"},
    "canary_threshold": {"type": "int", "default": 5},
    "canary_count": {"type": "int", "default": 1},
    "canary_group": {"type": "str", "default": "canary"},
    "opt_out": {"type": "list", "elements": "str", "default": []},
    "opt_out_var": {"type": "str", "default": "ioconnect_remediation_opt_out"},
    "in_progress_timeout": {"type": "float", "default": 60.0},
    "actor": {"type": "str"},
})

RECORD_SPEC = dict(HISTORY_SPEC, **{
    "wave_id": {"type": "str", "required": True},
    "desks": {"type": "list", "elements": "str", "required": True},
    "canary": {"type": "list", "elements": "str", "default": []},
    "result_var": {"type": "str", "default": "desktop_report"},
    "validation_var": {"type": "str", "default": "desktop_validation"},
})

CLEAR_SPEC = dict(HISTORY_SPEC, **{
    "desks": {"type": "list", "elements": "str", "required": True},
    "reason": {"type": "str", "required": True},
    "actor": {"type": "str"},
})

DRIFT_TYPES = ("newly_drifted", "still_drifted")


def actor(task_vars: t.Mapping, given: str | None = None) -> str:
    """Who acts: the given text, else the rulebook and rule (ansible-rulebook's ansible_eda variable), the AWX/AAP
    job and user, and always the controller host and account."""
    if given:
        return given
    parts = []
    eda = task_vars.get("ansible_eda") or {}
    if isinstance(eda, t.Mapping) and (eda.get("ruleset") or eda.get("rule")):
        parts.append("ansible-rulebook ruleset %r rule %r" % (eda.get("ruleset", ""), eda.get("rule", "")))
    job = task_vars.get("awx_job_id") or task_vars.get("tower_job_id")
    if job:
        parts.append("AWX/AAP job %s (%s)" % (job, task_vars.get("awx_user_name") or task_vars.get("tower_user_name")
                                              or "no user"))
    if not parts:
        parts.append("ansible-playbook")
    try:
        who = "%s@%s" % (getpass.getuser(), socket.gethostname())
    except Exception:
        who = "unknown"
    return "%s, %s" % (", ".join(parts), who)


def drifted_desks(events: t.Iterable) -> list:
    """The desks to consider, from events as the rulebook passes them: a ``drifted_desks`` event (its desks), a
    desk event (``newly_drifted``/``still_drifted``), with or without the ``ioconnect_drift`` key around it, or
    ansible-rulebook's ``ansible_eda.events`` mapping (m_0, m_1, ...). Other events are ignored."""
    out = []
    for event in events or []:
        if not isinstance(event, t.Mapping):
            continue
        body = event.get(KEY, event)
        if not isinstance(body, t.Mapping):
            continue
        if body.get("type") == "drifted_desks":
            out += [d for d in body.get("desks") or [] if isinstance(d, t.Mapping) and d.get("desk")]
        elif body.get("type") in DRIFT_TYPES and body.get("desk"):
            out.append(body)
        elif "type" not in body and all(isinstance(v, t.Mapping) for v in body.values()):
            out += drifted_desks(body.values())
    return out
