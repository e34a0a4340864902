# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values that become part of a path on a desk are names, never paths: checked on the controller before any desk is
contacted (and again on the desk), with the error naming the variable.

- an environment or a region goes into ``system-<ENV>-<REGION>.json`` and a shortcut's name: letters, digits,
  ``-`` and ``_`` only;
- a profile name (``users``, the connecting account) and the Start-menu folder name are one folder's name: no
  separator, not ``.`` or ``..``, no control character, nothing Windows forbids in a name.
Pure Python."""

from __future__ import annotations

import re

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError

_PAIR_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def pair_name_problem(value) -> str:
    """Why value cannot be an environment or region name ('' when it can)."""
    if not isinstance(value, str) or not _PAIR_NAME.match(value):
        return "%r is not a name: use letters, digits, - and _ only (it becomes part of file names such as " \
               "system-<ENV>-<REGION>.json)" % (value,)
    return ""


def folder_name_problem(value) -> str:
    """Why value cannot be one folder's name ('' when it can)."""
    if not isinstance(value, str) or not value.strip():
        return "%r is not a folder name" % (value,)
    if _FORBIDDEN.search(value) or value.strip(". ") == "" or value != value.strip() or value.endswith("."):
        return "%r is not a single folder name: no / \\ : * ? \" < > |, control characters, leading or trailing " \
               "spaces, trailing dots, or . and .. (it would change the folder)" % (value,)
    return ""


def check_options(desk: str, params: dict, names) -> None:
    """FleetError naming the option (names: topology.Names) whose value would change a folder on the desk."""
    checks = [("users", user) for user in params.get("users") or []]
    if params.get("profiles") == "current" and params.get("current_user"):
        checks.append(("current_user", params["current_user"]))
    if params.get("shortcut_folder_name") is not None:
        checks.append(("shortcut_folder_name", params["shortcut_folder_name"]))
    for option, value in checks:
        problem = folder_name_problem(value)
        if problem:
            raise FleetError("%s: %s: %s. No desk was touched." % (desk, names(option), problem))
