# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values that become part of a path on a desk are names, never paths, and folders the desk is searched in are
absolute paths of the desk's platform: checked on the controller before any desk is contacted, with the error naming
the variable.

- an environment or a region goes into ``system-<ENV>-<REGION>.json`` and a shortcut's name: letters, digits,
  ``-`` and ``_`` only;
- a profile name (``users``, the connecting account) and the Start-menu folder name are one folder's name: no
  separator, not ``.`` or ``..``, no control character, nothing Windows forbids in a name.
Pure Python."""

from __future__ import annotations

import ntpath
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


def windows_absolute(path: str) -> bool:
    """A Windows path the desk can take as it is: a drive-rooted or UNC path without environment variables."""
    return bool(re.match(r"^([A-Za-z]:\\|\\\\[^\\]+\\)", path or "")) and "%" not in path


def check_desk_paths(desk: str, params: dict, windows: bool, names) -> None:
    """FleetError naming the options when the profiles to look at or the folders to search cannot be what the
    desk's platform (windows: its shell is PowerShell) takes."""
    if params.get("profiles") == "named" and not params.get("users"):
        raise FleetError("%s: %s=named needs %s, the profile names to look at. No desk was touched."
                         % (desk, names("profiles"), names("users")))
    roots = list(params.get("install_roots") or [])
    profile_root = params.get("profile_root") or ""
    if windows:
        bad = [root for root in roots if not windows_absolute(root)]
        if profile_root and not windows_absolute(profile_root):
            bad.insert(0, profile_root)
        if bad:
            raise FleetError(
                "%s: %s must be absolute Windows paths without environment variables (ansible.windows.win_find "
                "does not expand them: %%ProgramFiles%% would be searched as a relative folder and silently "
                "skipped); got %s. For example C:\\Program Files\\interop.io. No desk was touched."
                % (desk, "/".join((names("profile_root"), names("install_roots"))), ", ".join(bad)))
        return
    if not profile_root:
        raise FleetError(
            "%s: %s is not set. On POSIX (simulated) desks it is the folder holding the user profiles, e.g. "
            "/srv/desks/%s/Users (docs/simulated-desks.md). No desk was touched."
            % (desk, names("profile_root"), desk))
    bad = [p for p in [profile_root] + roots if not p.startswith("/")]
    if bad:
        looks_windows = [p for p in bad if ntpath.splitdrive(p)[0] or "\\" in p]
        hint = (" They look like Windows paths, but this desk is reached with a POSIX shell: set "
                "ansible_shell_type=powershell (and the connection) for Windows desks.") if looks_windows else ""
        raise FleetError("%s: %s and %s must be absolute paths on a POSIX desk; got %s.%s No desk was touched."
                         % (desk, names("profile_root"), names("install_roots"), ", ".join(bad), hint))
