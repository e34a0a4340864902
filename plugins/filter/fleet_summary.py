# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: fleet_summary
short_description: Deprecated - the fleet summary as one row per desk; use P(ioconnect.fleet.drift_summary#filter)
version_added: 0.1.0
author:
  - ioconnect.fleet maintainers (@ioconnect)
description:
  - B(Deprecated), to be removed in 2.0.0. Use P(ioconnect.fleet.drift_summary#filter) with C(rows=true), whose
    RV(ioconnect.fleet.drift_summary#filter:_value.rows) are this filter's RV(_value.desks) and which returns
    C(counts), C(message) and C(check_mode) as well. This filter is that one, kept under its old name and shape.
  - Reads, for every desk of O(hosts), the result the role registered (O(result_var), the role's C(desktop_report))
    and returns one row per desk with the counts of each status, and a one-line message.
  - "A desk without a result is C(not_checked) (earlier development versions said C(not_run)): the validation, the
    io.Manager preflight or a stopped batch stopped the run before the desk's task. A desk whose result says it
    could not be reached is C(unreachable)."
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
# Deprecated: prefer ioconnect.fleet.drift_summary(hosts=ansible_play_hosts_all, rows=true), whose rows are these desks.
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
      description: One row per desk, in the order of O(hosts) (the registered result, or a C(not_checked) row).
      type: list
      elements: dict
    counts:
      description: >-
        Desks per status (C(changed), C(drifted), C(compliant), C(not_installed), C(failed), C(unreachable),
        C(not_checked)).
      type: dict
    message:
      description: "One line for the run's output, for example C(36 desk(s): 30 changed, 3 compliant, 1 failed. Failed: a.)."
      type: str
"""

from ansible_collections.ioconnect.fleet.plugins.filter.drift_summary import drift_summary


def fleet_summary(hostvars, hosts, result_var="desktop_report", check_mode=False):
    """See DOCUMENTATION: drift_summary(rows=True), in this filter's old shape."""
    summary = drift_summary(hostvars, hosts, result_vars=[result_var], check_mode=bool(check_mode), rows=True,
                            region_var="desktop_region", environment_var="desktop_env")
    return {"check_mode": summary["check_mode"], "desks": summary["rows"], "counts": summary["counts"],
            "message": summary["message"]}


class FilterModule:
    """ioconnect.fleet fleet summary filter (deprecated name of drift_summary with rows)."""

    def filters(self):
        return {"fleet_summary": fleet_summary}
