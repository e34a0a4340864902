# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: fleet_summary
short_description: The fleet as the desktop role left it, one row per desk, counted once in Python
version_added: 0.1.0
author:
  - ioconnect.fleet maintainers (@ioconnect)
description:
  - Reads, for every desk of O(hosts), the result the role registered (O(result_var), the role's C(desktop_report))
    and returns one row per desk with the counts of each status, and a one-line message. The collection's
    C(playbooks/tasks/fleet_summary.yml) uses it once per run (C(run_once)); it replaces a Jinja loop over every
    desk, which costs seconds per thousand desks.
  - "A desk without a result is C(not_run): the validation, the io.Manager preflight or a stopped batch stopped the
    run before the desk's task. A desk whose result says it could not be reached is C(unreachable)."
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: The desks, usually C(ansible_play_hosts_all).
    type: list
    elements: str
    required: true
  result_var:
    description: The host variable holding each desk's registered result.
    type: str
    default: desktop_report
  check_mode:
    description: Whether the play runs in check mode (C(ansible_check_mode)); a desk's own C(check_mode) also counts.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Summarise the fleet
  ansible.builtin.set_fact:
    desktop_fleet_summary: "{{ hostvars | ioconnect.fleet.fleet_summary(hosts=ansible_play_hosts_all, check_mode=ansible_check_mode) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: The summary.
  type: dict
  contains:
    check_mode:
      description: Whether the run (or any desk's check) was in check mode.
      type: bool
    desks:
      description: One row per desk, in the order of O(hosts) (the registered result, or a C(not_run) row).
      type: list
      elements: dict
    counts:
      description: >-
        Desks per status (C(changed), C(drifted), C(compliant), C(not_installed), C(failed), C(unreachable),
        C(not_run)).
      type: dict
    message:
      description: "One line for the run's output, for example C(36 desk(s): 30 changed, 3 compliant, 1 failed.)."
      type: str
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

STATUSES = ("changed", "drifted", "compliant", "not_installed", "failed", "unreachable", "not_run")


def _var(hostvars, host, name):
    try:
        values = hostvars[host]
        value = values.get(name) if hasattr(values, "get") else None
    except Exception:
        return None
    return None if value is None or type(value).__name__.endswith("Undefined") else value


def fleet_summary(hostvars, hosts, result_var="desktop_report", check_mode=False):
    """See DOCUMENTATION."""
    if not isinstance(hostvars, Mapping) and not hasattr(hostvars, "__getitem__"):
        raise AnsibleFilterError("fleet_summary expects hostvars as input, got %s" % type(hostvars).__name__)
    rows = []
    counts = {status: 0 for status in STATUSES}
    any_check = bool(check_mode)
    for host in [str(h) for h in hosts or []]:
        report = _var(hostvars, host, result_var)
        if not isinstance(report, Mapping):
            env, region = _var(hostvars, host, "desktop_env"), _var(hostvars, host, "desktop_region")
            report = {"desk": host, "status": "not_run", "installs": [], "changed_files": [],
                      "env_region": ["%s-%s" % (env if env is not None else "?", region if region is not None else "?")]}
        elif report.get("unreachable"):
            report = dict(report, desk=report.get("desk") or host, status="unreachable")
        elif "status" not in report:
            report = dict(report, desk=report.get("desk") or host,
                          status="failed" if report.get("failed") else "not_run")
        status = report["status"] if report["status"] in counts else "failed"
        counts[status] += 1
        any_check = any_check or report.get("check_mode") is True
        rows.append(dict(report))
    parts = ["%d %s" % (n, s) for s, n in counts.items() if n]
    message = "%d desk(s): %s." % (len(rows), ", ".join(parts) or "none")
    for status, title in (("failed", "Failed"), ("unreachable", "Unreachable"), ("not_run", "Not run")):
        if counts[status]:
            message += " %s: %s." % (title, ", ".join(r.get("desk") or "?" for r in rows if r["status"] == status))
    return {"check_mode": any_check, "desks": rows, "counts": counts, "message": message}


class FilterModule:
    """ioconnect.fleet fleet summary filter."""

    def filters(self):
        return {"fleet_summary": fleet_summary}
