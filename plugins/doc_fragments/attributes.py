# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    """Attribute support shared by the collection's modules.

    Only ``support`` and ``details``: the descriptions come from ansible-core's action_common_attributes fragments.
    List this fragment BEFORE those: ansible-core merges each fragment's attribute under what the plugin already
    has, so a later fragment's ``support: N/A`` (platform) would otherwise win.
    """

    # Every module of the collection has an action plugin; none runs under async or bypasses the host loop.
    DOCUMENTATION = r"""
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
"""

    # Modules that run on the controller only (the remediation loop's), against the drift history.
    CONTROLLER = r"""
attributes:
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
    details: Runs on the controller; target C(localhost).
"""
