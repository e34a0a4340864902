# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: drift_summary
short_description: The fleet summary of a play, from the desks' registered results, in one Python pass
version_added: 0.1.0
author:
  - ioconnect.fleet maintainers (@ioconnect)
description:
  - Reads, for every desk of the play, the variables named in O(result_vars) (results registered from
    M(ioconnect.fleet.desk_system_json), one per desk with one item of C(files) per file, or from
    M(ioconnect.fleet.system_json), plain or loop results with C(results), or lists of either) and returns the
    numbers of desks checked, drifted, changed, compliant, failed, unreachable and without an install, per region
    and per environment, the names of the drifted, failed and unreachable desks, a one-line message, the drift
    gate's message and, with O(rows=true), one row per desk.
  - The collection's one summary. C(playbooks/tasks/fleet_summary.yml) prints it (and writes it with
    C(-e desktop_summary_file=PATH)), C(tasks/drift_record.yml) publishes it as C(ansible.builtin.set_stats) job
    artifacts for AWX/AAP, and C(tasks/drift_gate.yml) fails a run on drift with its message. The status words are
    the collection's one vocabulary, documented in C(docs/drift-detection.md) under "What is a desk, and its status".
  - A variable of that name that holds no task result (for example a role's summary fact) is ignored.
  - Counts desks the same way as the P(ioconnect.fleet.drift_report#callback) callback (the same Python code), which
    writes the full report files; either works without the other.
  - A desk of O(hosts) that is missing from O(active_hosts) and has no result counts as failed (it failed or was
    unreachable before it was checked).
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: The desks to summarise, usually C(ansible_play_hosts_all).
    type: list
    elements: str
    required: true
  active_hosts:
    description: The desks still running, usually C(ansible_play_hosts). Omit to count no desk as dropped out.
    type: list
    elements: str
  result_vars:
    description:
      - Names of the host variables holding registered M(ioconnect.fleet.desk_system_json) or
        M(ioconnect.fleet.system_json) results. C(desktop_report) is what the C(ioconnect.fleet.desktop) role
        registers.
    type: list
    elements: str
    default: [ioconnect_drift_results, desktop_report]
  region_var:
    description: Host variable holding a desk's region.
    type: str
    default: ioconnect_region
  environment_var:
    description: Host variable holding a desk's environment.
    type: str
    default: ioconnect_env
  max_names:
    description: At most this many desk names per list (drifted, failed, unreachable, and in the message); the rest
      is counted.
    type: int
    default: 100
  rows:
    description: Also return RV(_value.rows), one row per desk (for the summary file).
    type: bool
    default: false
  check_mode:
    description:
      - Whether the checks ran in check mode. A file that changed in a run that was not in check mode counts as
        C(changed) (written, compliant since) rather than C(drifted). Unset, changed files count as drifted;
        desk_system_json results say it themselves.
    type: bool
"""

EXAMPLES = r"""
- name: Summarise drift
  ansible.builtin.set_fact:
    drift: >-
      {{ hostvars | ioconnect.fleet.drift_summary(hosts=ansible_play_hosts_all, active_hosts=ansible_play_hosts,
                                                  result_vars=['desktop_system_json']) }}
  run_once: true

- name: Print it (one line, from the filter)
  ansible.builtin.debug:
    msg: "{{ drift.message }}"
  run_once: true

- name: One row per desk as well, for a file
  ansible.builtin.set_fact:
    fleet: "{{ hostvars | ioconnect.fleet.drift_summary(hosts=ansible_play_hosts_all, rows=true) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: The summary.
  type: dict
  contains:
    desks:
      description: Desks summarised.
      type: int
    desks_checked:
      description: Desks whose files were checked (compliant, drifted and changed).
      type: int
    drifted:
      description: Desks with at least one drifted JSON pointer.
      type: int
    changed:
      description: Desks whose files a run that was not in check mode wrote (compliant since).
      type: int
    compliant:
      description: Desks whose every checked file holds the requested settings.
      type: int
    failed:
      description: Desks whose check failed, or that failed before it.
      type: int
    unreachable:
      description: Desks that could not be reached.
      type: int
    not_installed:
      description: Desks with no io.Connect Desktop install found.
      type: int
    not_checked:
      description: Desks with no check (every check skipped).
      type: int
    drifted_pointers:
      description: Drifted JSON pointers of the drifted desks.
      type: int
    changed_pointers:
      description: JSON pointers written on the changed desks.
      type: int
    pointers_on_failed_desks:
      description: Drifted JSON pointers found on other files of failed or unreachable desks (not counted as drift).
      type: int
    by_region:
      description: Per region, C(desks), C(drifted), C(failed) and C(unreachable).
      type: dict
    by_environment:
      description: Per environment, C(desks), C(drifted), C(failed) and C(unreachable).
      type: dict
    drifted_desks:
      description: Names of the drifted desks (at most O(max_names)).
      type: list
      elements: str
    failed_desks:
      description: Names of the failed desks (at most O(max_names)).
      type: list
      elements: str
    unreachable_desks:
      description: Names of the unreachable desks (at most O(max_names)).
      type: list
      elements: str
    counts:
      description: Desks per status, every status of the vocabulary (C(unreachable), C(failed), C(drifted),
        C(changed), C(compliant), C(not_installed), C(not_checked)).
      type: dict
    check_mode:
      description: Whether O(check_mode) was set or any desk's result says it ran in check mode.
      type: bool
    message:
      description: >-
        One line for the run's output, for example C(36 desk(s): 2 drifted (3 JSON pointer(s)), 30 compliant,
        1 failed, 3 not_installed. Drifted: a, b. Failed: c.).
      type: str
    gate_message:
      description: >-
        The drift gate's message (empty when no desk drifted); C(playbooks/tasks/drift_gate.yml) fails the run
        with it.
      type: str
    gate_host:
      description: >-
        The first drifted desk still running (O(active_hosts)), where the gate fails a run once; null when no desk
        drifted.
      type: str
    rows:
      description:
        - With O(rows=true) only. One row per desk of O(hosts), in that order - its registered desk result with
          C(desk) and C(status) (from the vocabulary) set, or, for a desk without one,
          C(desk), C(status), C(env_region) (C(ENV-REGION) from O(environment_var) and O(region_var)) and empty
          C(installs) and C(changed_files).
      type: list
      elements: dict
"""

from collections.abc import Mapping

from jinja2.exceptions import UndefinedError

from ansible.errors import AnsibleError, AnsibleFilterError

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.summary import summarise

RESULT_VARS = ["ioconnect_drift_results", "desktop_report"]


def _get(hostvars, host, var):
    try:
        values = hostvars[host]
        value = values.get(var) if hasattr(values, "get") else None
    except (KeyError, UndefinedError, AnsibleError):
        # A desk hostvars does not know (KeyError, or an undefined value whose .get fails), or a variable whose
        # template fails: the desk has no result to count, which the summary says (not_checked or failed).
        return None
    # Undefined (a variable that was never registered on this desk) reads as absent.
    return None if value is None or type(value).__name__.endswith("Undefined") else value


def drift_summary(hostvars, hosts, active_hosts=None, result_vars=None, region_var="ioconnect_region",
                  environment_var="ioconnect_env", max_names=100, check_mode=None, rows=False):
    """See DOCUMENTATION."""
    if not isinstance(hostvars, Mapping) and not hasattr(hostvars, "__getitem__"):
        raise AnsibleFilterError("drift_summary expects hostvars as input, got %s" % type(hostvars).__name__)
    if isinstance(result_vars, str):
        result_vars = [result_vars]
    result_vars = list(result_vars or RESULT_VARS)
    hosts = [str(h) for h in (hosts or [])]
    results = {}
    labels = {}
    for host in hosts:
        results[host] = [v for v in (_get(hostvars, host, var) for var in result_vars) if v is not None]
        labels[host] = (_get(hostvars, host, region_var), _get(hostvars, host, environment_var))
    mode = None if check_mode is None else bool(check_mode)
    return summarise(hosts, active_hosts, results, labels, check_mode=mode, max_names=int(max_names), rows=bool(rows))


class FilterModule:
    """ioconnect.fleet drift filters."""

    def filters(self):
        return {"drift_summary": drift_summary}
