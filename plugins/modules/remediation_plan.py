#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: remediation_plan
short_description: Decide which drifted desks the remediation loop may put right now, under guardrails
version_added: 0.1.0
author:
  - ioconnect.fleet maintainers (@ioconnect)
description:
  - The first step of closed-loop remediation (C(playbooks/remediate.yml), run by the rulebook
    C(ioconnect.fleet.remediate_drift) for each C(drifted_desks) event of the C(ioconnect.fleet.drift_events)
    event source). Runs on the controller only (an action plugin); no desk is contacted.
  - "Applies the guardrails to each desk an event names, in this order: a desk not in the inventory is skipped; a
    drift scan already acted on (the same event delivered again, for example after a restart) is skipped, and so is
    a desk put right after the scan; a desk opted out (O(opt_out), or its O(opt_out_var) host variable) is left
    alone; a desk whose last remediation failed is C(blocked) until a person clears it
    (M(ioconnect.fleet.remediation_clear)); a desk whose remediation is still running is skipped; outside every
    O(change_windows) all desks are C(deferred); beyond O(throttle_max) desks attempted in the last
    O(throttle_window) minutes the rest is C(deferred), the oldest drift served first. When at least
    O(canary_threshold) desks remain (an upgrade wave), the first O(canary_count) of them (members of
    O(canary_group) first) are the canary, and the rest is configured only if every canary succeeds."
  - Deferred and blocked desks are raised again by the next drift scan (a C(still_drifted) desk), so nothing is lost
    and nothing is queued outside the history.
  - Every decision is written, with its reason, who acts (O(actor)) and when, to the table C(eda_remediations) of
    the drift history's database (created on demand), in one transaction with the reading of the ledger, so two
    rulebooks or AWX/AAP jobs sharing a history never configure a desk twice or exceed the throttle together.
  - The result's RV(hosts), RV(canary) and RV(rollout) are the desks to configure, as C(playbooks/remediate.yml)
    does with the C(ioconnect.fleet.desktop) role; M(ioconnect.fleet.remediation_record) then records each desk's
    outcome.
options:
  events:
    description:
      - The events to act on, as ansible-rulebook passes them (C(ansible_eda.event), or the C(ansible_eda.events)
        mapping of a multi-event rule), with or without the C(ioconnect_drift) key around them.
      - A C(drifted_desks) event contributes its desks; a C(newly_drifted) or C(still_drifted) desk event its desk.
        Other events (back to compliant, scan failed) are ignored.
    type: list
    elements: raw
    required: true
  throttle_max:
    description:
      - At most this many desks are configured in any O(throttle_window) (canaries included, counted across runs
        from the ledger). V(0) stops every remediation (every desk is deferred).
    type: int
    default: 10
  throttle_window:
    description:
      - The throttle's sliding window, in minutes.
    type: float
    default: 60.0
  change_windows:
    description:
      - "When desks may be changed. Each item is C({start: 'HH:MM', end: 'HH:MM', days: [mon, ..., sun]}) in
        O(timezone); C(days) (the day the window opens) defaults to every day; an C(end) before C(start) runs past
        midnight."
      - Empty (the default) means always.
    type: list
    elements: dict
    default: []
  timezone:
    description:
      - The time zone of O(change_windows), an IANA name such as V(Europe/London).
    type: str
    default: UTC
  canary_threshold:
    description:
      - A run that may configure at least this many desks configures a canary first.
    type: int
    default: 5
  canary_count:
    description:
      - How many desks the canary is.
    type: int
    default: 1
  canary_group:
    description:
      - Inventory group whose members are chosen as canaries first (then desks by name).
    type: str
    default: canary
  opt_out:
    description:
      - Desk or inventory group names the loop never touches.
    type: list
    elements: str
    default: []
  opt_out_var:
    description:
      - Host variable that, when true for a desk (set per desk or in a group's variables), opts it out.
    type: str
    default: ioconnect_remediation_opt_out
  in_progress_timeout:
    description:
      - Minutes after which a remediation still recorded as pending (its run was killed) no longer holds the desk.
    type: float
    default: 60.0
  actor:
    description:
      - "Who acts, for the ledger. Default, built from the run, for example
        C(ansible-rulebook ruleset 'X' rule 'Y', root@controller), or the AWX/AAP job id and user."
    type: str
extends_documentation_fragment:
  # First the collection's own fragments: ansible-core merges each fragment under what is already there.
  - ioconnect.fleet.history
  - ioconnect.fleet.attributes
  - ioconnect.fleet.attributes.controller
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: none
seealso:
  - module: ioconnect.fleet.remediation_record
  - module: ioconnect.fleet.remediation_clear
  - plugin: ioconnect.fleet.drift_report
    plugin_type: callback
"""

EXAMPLES = r"""
- name: Decide which drifted desks to put right now
  ioconnect.fleet.remediation_plan:
    events: "{{ [ansible_eda.event] }}"
    throttle_max: 20
    throttle_window: 60
    change_windows:
      - {start: "06:00", end: "07:30", days: [mon, tue, wed, thu, fri]}
    timezone: Europe/London
    opt_out: [trading_floor_vip]
  register: remediation_plan
"""

RETURN = r"""
error_kind:
  description: On failure, the class of problem (docs/reliability.md, section 12); V(history) for a drift history that cannot be used now.
  returned: failed
  type: str
  choices: [request, preflight, schema, parse, root, encoding, duplicate, missing, conflict, access, unsafe_link, io, history, module]
wave_id:
  description: The id of this run's decisions in the ledger (C(eda_remediations.wave_id)).
  returned: always
  type: str
  sample: wave-3f9a8b7c6d5e4f30
hosts:
  description: Every desk to configure, the canary first.
  returned: always
  type: list
  elements: str
  sample: [lon-prod-01, lon-uat-01]
canary:
  description: The desks to configure first; the rest only if each of them succeeds.
  returned: always
  type: list
  elements: str
rollout:
  description: The other desks to configure.
  returned: always
  type: list
  elements: str
left:
  description: The desks left alone, each with C(decision) (C(deferred), C(blocked), C(opted_out), C(skipped)) and
    C(reason).
  returned: always
  type: list
  elements: dict
  sample: [{desk: nyc-uat-03, decision: deferred, reason: "outside the change window (next opens 2026-12-07T06:00:00+00:00)"}]
counts:
  description: How many desks were left alone, per decision.
  returned: always
  type: dict
actor:
  description: Who acted, as recorded.
  returned: always
  type: str
history:
  description: Where the ledger is (the SQLite file, or the PostgreSQL DSN with its password masked).
  returned: always
  type: str
"""
