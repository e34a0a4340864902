#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: remediation_clear
short_description: Let the remediation loop touch again desks whose last remediation failed
version_added: 0.1.0
author:
  - ioconnect.fleet maintainers (@ioconnect)
description:
  - The closed-loop remediation never retries a desk whose last remediation failed
    (M(ioconnect.fleet.remediation_plan) marks it C(blocked)). Once a person has looked at the desk and fixed the
    cause, this module records a C(cleared) row for it in the ledger (table C(eda_remediations)), with who and why;
    the next drift scan that finds the desk drifted lets the loop remediate it again.
  - C(playbooks/remediation_clear.yml) wraps it for the command line.
  - Runs on the controller only (an action plugin).
options:
  desks:
    description:
      - The desks to clear. A desk that is not blocked is recorded as cleared too, and reported in
        RV(not_blocked).
    type: list
    elements: str
    required: true
  reason:
    description:
      - Why the desks can be remediated again (a ticket, what was fixed); kept in the ledger.
    type: str
    required: true
  actor:
    description:
      - Who clears them. Default, the account and host running the task.
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
    support: full
    details: Lists the desks that are blocked, clears nothing.
seealso:
  - module: ioconnect.fleet.remediation_plan
"""

EXAMPLES = r"""
- name: Clear two desks after fixing their folders
  ioconnect.fleet.remediation_clear:
    desks: [lon-prod-01, nyc-uat-02]
    reason: "folder permissions fixed, INC0012345"
    actor: jdoe
"""

RETURN = r"""
error_kind:
  description: On failure, the class of problem (docs/reliability.md, section 12); V(history) for a drift history that cannot be used now.
  returned: failed
  type: str
  choices: [request, preflight, schema, parse, root, encoding, duplicate, missing, conflict, access, unsafe_link, io, history, module]
cleared:
  description: The desks that were blocked and are now cleared.
  returned: always
  type: list
  elements: str
not_blocked:
  description: The desks named that were not blocked.
  returned: always
  type: list
  elements: str
actor:
  description: Who cleared them, as recorded.
  returned: always
  type: str
"""
