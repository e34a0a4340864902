#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: remediation_record
short_description: Record the outcome of each desk of a remediation wave in the ledger
version_added: 0.1.0
author:
  - ioconnect.fleet maintainers (@ioconnect)
description:
  - The last step of closed-loop remediation (C(playbooks/remediate.yml)). Runs on the controller only (an action
    plugin) and reads each desk's registered result of the C(ioconnect.fleet.desktop) role (O(result_var)).
  - "Outcomes: C(succeeded) (the desk is changed, already compliant, or has no install to fix); C(failed) (the desk
    was reached and its configure run failed: a write refused, a file that is not JSON, its io.Manager not
    answering) - the desk is then blocked for M(ioconnect.fleet.remediation_plan) until a person clears it with
    M(ioconnect.fleet.remediation_clear); C(not_run) (a canary failed, the desk was unreachable, or its validation
    refused it) - not blocked, the next drift scan raises it again."
  - Updates the rows of the wave still C(pending) in the table C(eda_remediations) with the outcome, the time and
    the message (masked).
options:
  wave_id:
    description:
      - The RV(ioconnect.fleet.remediation_plan#module:wave_id) of the plan.
    type: str
    required: true
  desks:
    description:
      - The desks of the wave (the plan's RV(ioconnect.fleet.remediation_plan#module:hosts)).
    type: list
    elements: str
    required: true
  canary:
    description:
      - The plan's canary desks; when one did not succeed, the other desks are C(not_run) because of it.
    type: list
    elements: str
    default: []
  result_var:
    description:
      - The host variable holding each desk's M(ioconnect.fleet.desk_system_json) result.
    type: str
    default: desktop_report
  validation_var:
    description:
      - The host variable holding each desk's validation result.
    type: str
    default: desktop_validation
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
  - module: ioconnect.fleet.remediation_plan
  - module: ioconnect.fleet.remediation_clear
"""

EXAMPLES = r"""
- name: Write each desk's outcome to the remediation ledger
  ioconnect.fleet.remediation_record:
    wave_id: "{{ remediation_plan.wave_id }}"
    desks: "{{ remediation_plan.hosts }}"
    canary: "{{ remediation_plan.canary }}"
"""

RETURN = r"""
error_kind:
  description: On failure, the class of problem (docs/reliability.md, section 12); V(history) for a drift history that cannot be used now.
  returned: failed
  type: str
  choices: [request, preflight, schema, parse, root, encoding, duplicate, missing, conflict, access, unsafe_link, io, history, module]
outcomes:
  description: Each desk's outcome and message.
  returned: always
  type: dict
  sample: {lon-prod-01: {outcome: succeeded, msg: "changed (1 file(s) written)"}}
counts:
  description: How many desks per outcome.
  returned: always
  type: dict
  sample: {succeeded: 7, failed: 1}
wave_id:
  description: The wave recorded.
  returned: always
  type: str
"""
