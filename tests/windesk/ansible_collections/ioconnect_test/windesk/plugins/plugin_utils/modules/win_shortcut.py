# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""community.windows.win_shortcut, after community.windows plugins/modules/win_shortcut.ps1 (Ansible.Basic).

- ``dest``, ``directory`` and ``icon`` are paths (expanded); ``src``, ``arguments`` and ``description`` are
  expanded by the module itself ([System.Environment]::ExpandEnvironmentVariables).
- state=present: WScript.Shell's CreateShortcut(dest) loads the shortcut (an empty one when there is none); each
  given property that differs (TargetPath, Arguments, WorkingDirectory, Hotkey, IconLocation, Description,
  WindowStyle; strings compared with -ne, ignoring case) is set and changed is true; the result reports each
  property, windowstyle by name; Save() writes it, and fails when dest's folder does not exist ("Failed
  to create shortcut '<dest>'. (...)"). Nothing is saved in check mode.
- state=absent removes dest when it exists.
A real .lnk is a binary Shell Link; the emulator keeps the same properties as JSON inside the .lnk file.
"""

from __future__ import annotations

import json
import ntpath

from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.basic import ModuleExit, basic_params, basic_result
from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.desk_fs import DotNetError

SPEC = {
    "src": {"type": "str"},
    "dest": {"type": "path", "required": True},
    "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
    "arguments": {"type": "str", "aliases": ("args",)},
    "directory": {"type": "path"},
    "hotkey": {"type": "str"},
    "icon": {"type": "path"},
    "description": {"type": "str"},
    "windowstyle": {"type": "str", "choices": ["maximized", "minimized", "normal"]},
    "run_as_admin": {"type": "bool", "default": False},
}
PROPERTIES = (("src", "TargetPath"), ("arguments", "Arguments"), ("directory", "WorkingDirectory"),
              ("hotkey", "Hotkey"), ("icon", "IconLocation"), ("description", "Description"))
WINDOW_STYLES = {"normal": 1, "maximized": 3, "minimized": 7}
WINDOW_STYLE_IDS = ("", "normal", "", "maximized", "", "", "", "minimized")


def read_shortcut(fs, dest) -> dict:
    try:
        return json.loads(fs.read_bytes(dest).decode("utf-8"))
    except (DotNetError, ValueError):
        return {}


def run(ctx):
    params = basic_params(ctx, "win_shortcut", SPEC)
    fs = ctx.fs
    for name in ("src", "arguments", "description"):
        if params[name] is not None:
            params[name] = fs.expand(params[name])
    dest = params["dest"]
    result = {"changed": False, "dest": dest, "state": params["state"]}
    if params["state"] == "absent":
        if fs.test_path(dest):
            if not ctx.check_mode:
                fs.delete(dest)
            result["changed"] = True
        return basic_result(ctx, result, params)
    link = {"TargetPath": "", "Arguments": "", "WorkingDirectory": "", "Hotkey": "", "IconLocation": ",0",
            "Description": "", "WindowStyle": 1}
    link.update(read_shortcut(fs, dest))
    for option, prop in PROPERTIES:
        # win_shortcut.ps1 compares with -ne, which ignores case for strings: a value that differs only in case is
        # left as it is (changed stays false)
        if params[option] is not None and str(link.get(prop)).lower() != params[option].lower():
            link[prop] = params[option]
            result["changed"] = True
    if params["windowstyle"] is not None and link["WindowStyle"] != WINDOW_STYLES[params["windowstyle"]]:
        link["WindowStyle"] = WINDOW_STYLES[params["windowstyle"]]
        result["changed"] = True
    result.update(src=link["TargetPath"], args=link["Arguments"], directory=link["WorkingDirectory"],
                  hotkey=link["Hotkey"], icon=link["IconLocation"], description=link["Description"],
                  windowstyle=WINDOW_STYLE_IDS[link["WindowStyle"]])
    if result["changed"] and not ctx.check_mode:
        # $ShortCut.Save() in try/catch: FailJson("Failed to create shortcut '$dest'. ($($_.Exception.Message))"),
        # the message of PowerShell's MethodInvocationException around the COM error
        if not fs.test_path(ntpath.dirname(fs.full(dest)), "Container"):
            raise ModuleExit({"failed": True, "msg": "Failed to create shortcut '%s'. (Exception calling \"Save\" with "
                              "\"0\" argument(s): \"Unable to save shortcut \"%s\".\")" % (dest, dest)})
        try:
            fs.write_bytes(dest, json.dumps(link, indent=2).encode("utf-8"))
        except DotNetError as exc:
            raise ModuleExit({"failed": True, "msg": "Failed to create shortcut '%s'. (Exception calling \"Save\" with "
                              "\"0\" argument(s): \"%s\")" % (dest, exc.message)})
    return basic_result(ctx, result, params)
