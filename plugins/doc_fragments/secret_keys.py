# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    """The secret_keys option: a firm's own secret key names, added to the collection's one masking policy."""

    # The option of a task (system_json, desk_system_json, browser_manager_config).
    DOCUMENTATION = r"""
options:
  secret_keys:
    description:
      - Key names that hold secrets in this firm's files, in addition to the collection's built-in ones, for
        example V(sharedKey), V(deskPin) or a header V(X-Desk-Signature).
      - Compared as the built-in names are (case-insensitive, ignoring C(-), C(_), C(.) and spaces, matched at the
        end of a key's name), so V(deskPin) also hides C(desk_pin) and C(primaryDeskPin). Such a name is also a
        secret header name in header-style pairs.
      - Their values are masked wherever the task shows a value (its result, drift, diff, messages and the
        C(-vvv) invocation), and in the reports of the P(ioconnect.fleet.drift_report#callback) callback, which
        reads this option from each task it reports on.
      - An empty name, or one of only C(-), C(_), C(.) and spaces, is refused before anything is read, since it
        would make every key secret.
    type: list
    elements: str
    default: []
"""

    # The option of the drift_report callback: names every report hides, whatever the tasks said.
    CALLBACK = r"""
options:
  secret_keys:
    description:
      - Key names whose values are secrets in every report, in addition to the built-in masking rules; compared as
        the O(ioconnect.fleet.system_json#module:secret_keys) of a task are.
      - The O(ioconnect.fleet.system_json#module:secret_keys) of each reported task are honoured as well, read from
        the task's arguments; this option covers names a report must hide whatever the task said.
      - From the environment or C(ansible.cfg), a comma-separated list.
    type: list
    elements: str
    default: []
    env:
      - name: IOCONNECT_DRIFT_REPORT_SECRET_KEYS
    ini:
      - section: ioconnect_drift_report
        key: secret_keys
"""
