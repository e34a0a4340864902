# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulated Windows desk (tests/windesk) against the real modules' sources, one test per divergence it used to
have (issue 18): each module is run the way an action plugin runs it, through ansible-core's PowerShell shell and
the real payload, and the answer is what ansible.windows 3.3.0's .ps1 (or ansible-core's module wrapper) would give.

Sources (the versions the venv pins):
- ansible_collections/ansible/windows/plugins/modules/win_find.ps1 lines 229-253, 258, 327, 462
- ansible_collections/ansible/windows/plugins/modules/slurp.ps1 lines 8-24
- ansible_collections/ansible/windows/plugins/modules/win_powershell.ps1 lines 55-63, 842-852, 894-935
- ansible/module_utils/powershell/Ansible.ModuleUtils.Legacy.psm1 lines 220-236 (Get-AnsibleParam -type path)
- ansible/executor/powershell/module_wrapper.ps1 line 86 (2.19); exec_wrapper.ps1 Write-AnsibleError (2.16-2.18)
"""

from __future__ import annotations

import pytest

from ansible.playbook.task import Task
from ansible.plugins import loader as plugin_loader_module
from ansible.plugins.loader import action_loader
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.template import Templar

IOCD = r"C:\Users\kim\AppData\Local\interop.io\io.Connect Desktop"
ROOT = r"C:\Users\kim\AppData\Local\interop.io"


def run_module(on_windows, module: str, args: dict, check_mode: bool = False) -> dict:
    """Run one module on the emulated desk as ansible-core's normal action does (the real payload)."""
    task = Task()
    task.action = module
    task.args = dict(args)
    task.check_mode = check_mode
    loader = DataLoader()
    action = action_loader.get("ansible.builtin.normal", task=task, connection=on_windows.connection,
                               play_context=PlayContext(), loader=loader, templar=Templar(loader=loader),
                               shared_loader_obj=plugin_loader_module)
    return action.run(task_vars=dict(on_windows.task_vars))


def _iocd_desk(windows_desk):
    """io.Connect Desktop 9 as it is after a first start: Cache, Crashpad, Desktop, UserData side by side."""
    windows_desk.write(IOCD + r"\Cache\Cache_Data\index", b"x")
    windows_desk.write(IOCD + r"\Crashpad\settings.dat", b"x")
    windows_desk.write(IOCD + r"\Desktop\io-connect-desktop.exe", b"MZ")
    windows_desk.write(IOCD + r"\Desktop\config\system.json", b"{}")
    windows_desk.write(IOCD + r"\UserData\PROD-EMEA\a\b\c\d\e\system.json", b"{}")


# -- win_find ---------------------------------------------------------------------------------------------------------
def test_win_find_depth_bug_misses_system_json_and_walks_userdata_without_limit(windows_desk, on_windows):
    """win_find.ps1 line 252 lowers the shared $PSBoundParameters['Depth'] once per child folder (issue #839): below
    io.Connect Desktop (depth 4 with depth 5 at interop.io), Cache gets 3, Crashpad 2, Desktop 1 (its own entries
    only: config\\system.json is missed) and UserData 0 (no limit: a file 7 levels down is found)."""
    _iocd_desk(windows_desk)
    found = run_module(on_windows, "ansible.windows.win_find", {
        "paths": [ROOT], "patterns": ["system*.json"], "recurse": True, "depth": 5, "hidden": True,
        "get_checksum": False})
    paths = [f["path"] for f in found["files"]]
    assert IOCD + r"\Desktop\config\system.json" not in paths
    assert paths == [IOCD + r"\UserData\PROD-EMEA\a\b\c\d\e\system.json"]


def test_win_find_without_depth_finds_every_level(windows_desk, on_windows):
    _iocd_desk(windows_desk)
    found = run_module(on_windows, "ansible.windows.win_find", {
        "paths": [ROOT], "patterns": ["system*.json"], "recurse": True, "hidden": True, "get_checksum": False})
    assert [f["path"] for f in found["files"]] == [
        IOCD + r"\Desktop\config\system.json", IOCD + r"\UserData\PROD-EMEA\a\b\c\d\e\system.json"]


def test_desk_scan_does_not_rely_on_win_find_depth(windows_desk, on_windows):
    """The collection's search finds the install that win_find's depth handling would hide."""
    _iocd_desk(windows_desk)
    windows_desk.config["logged_on"] = ["kim"]
    windows_desk.save()
    result = on_windows("ioconnect.fleet.desk_system_json", {
        "env": "PROD", "region": "EMEA", "profiles": "all", "preflight": False,
        "topology": {"PROD": {"EMEA": {"url": "https://iomanager-emea.example.com"}}}}, check_mode=True)
    assert not result.get("failed"), result
    assert [f["path"] for f in result["files"]] == [IOCD + r"\Desktop\config\system.json"]


def test_win_find_queries_win32_share_per_matched_folder(windows_desk, on_windows):
    """win_find.ps1 line 327: Get-CimInstance Win32_Share for every folder that passes the filters, logged."""
    _iocd_desk(windows_desk)
    windows_desk.forget_operations()
    found = run_module(on_windows, "ansible.windows.win_find", {"paths": [IOCD], "file_type": "directory",
                                                                "get_checksum": False})
    assert found["matched"] == 4
    queries = [op for op in windows_desk.operations() if op["op"] == "wmi_query"]
    assert [q["class"] for q in queries] == ["Win32_Share"] * 4
    assert queries[2]["filter"] == "Path='%s'" % (IOCD + r"\Desktop").replace("\\", "\\\\")


def test_win_find_fails_whole_search_on_a_root_it_cannot_look_at(windows_desk, on_windows):
    """.NET Framework's FileSystemInfo.Attributes throws on access denied (only not-found gives -1), and
    win_find.ps1 line 230 does not catch it: the whole module fails, the other paths are not searched."""
    _iocd_desk(windows_desk)
    windows_desk.write(r"C:\Users\ann\AppData\Local\interop.io\io.Connect Desktop\Desktop\config\system.json", b"{}")
    windows_desk.deny(r"C:\Users\kim\AppData")
    found = run_module(on_windows, "ansible.windows.win_find", {
        "paths": [r"C:\Users\ann\AppData\Local\interop.io", ROOT, r"C:\Users\kim\AppData\Local\Tick42"],
        "patterns": ["system*.json"], "recurse": True, "get_checksum": False})
    assert found["failed"] is True
    assert found["msg"] == ("Unhandled exception while executing module: Exception getting \"Attributes\": \"Access "
                            "to the path '%s' is denied.\"" % ROOT)
    assert "files" not in found


def test_win_find_missing_root_below_a_denied_folder_is_only_a_warning(windows_desk, on_windows):
    windows_desk.profile("kim")
    windows_desk.deny(r"C:\Users\kim\AppData")
    found = run_module(on_windows, "ansible.windows.win_find", {"paths": [r"C:\Users\kim\AppData\Local\Tick42"],
                                                                "recurse": True, "get_checksum": False})
    assert not found.get("failed") and found["files"] == []
    assert found["warnings"] == ["Argument path 'C:\\Users\\kim\\AppData\\Local\\Tick42' does not exist or is not "
                                 "accessible, skipping"]


def test_names_starting_with_a_dot_are_not_hidden(windows_desk, on_windows):
    """Windows hides by attribute only; the emulator used to hide ".name" as POSIX does."""
    windows_desk.write(r"C:\Users\kim\cfg\.system.json.bak", b"x")
    found = run_module(on_windows, "ansible.windows.win_find", {"paths": [r"C:\Users\kim\cfg"],
                                                                "get_checksum": False})
    assert [(f["filename"], f["ishidden"]) for f in found["files"]] == [(".system.json.bak", False)]


def test_listing_order_is_ntfs_order(windows_desk, on_windows):
    """NTFS lists a folder in upper-cased ordinal order; the depth bug depends on it: with depth 3, the second
    folder listed ("b") gets depth 1, the third ("C") 0 (no limit); in byte order "C" would come first."""
    for name in ("a", "b", "C"):
        windows_desk.write(r"C:\t\%s\x\hit.txt" % name, b"x")
    found = run_module(on_windows, "ansible.windows.win_find", {"paths": [r"C:\t"], "recurse": True, "depth": 3,
                                                                "get_checksum": False})
    assert [f["path"] for f in found["files"]] == [r"C:\t\a\x\hit.txt", r"C:\t\C\x\hit.txt"]


# -- slurp ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("src", ["C:\\Users\\kim\\<system>.json", "C:\\Users\\kim\\sys|tem.json",
                                 "C:\\Users\\kim:\\system.json"])
def test_slurp_rejects_an_invalid_path_before_reading(windows_desk, on_windows, src):
    """Get-AnsibleParam -type path runs Test-Path -IsValid (Ansible.ModuleUtils.Legacy.psm1 line 224). (Quotes
    around the whole path never reach it: ActionBase._configure_module unquotes slurp's src.)"""
    windows_desk.profile("kim")
    result = run_module(on_windows, "ansible.windows.slurp", {"src": src})
    assert result["failed"] is True
    assert result["msg"] == "Get-AnsibleParam: Parameter 'src' has an invalid path '%s' specified." % src


def test_slurp_unreadable_file_is_an_unhandled_exception(windows_desk, on_windows, monkeypatch):
    """slurp.ps1 line 15 does not catch ReadAllBytes: the module wrapper's "Unhandled exception" answers."""
    from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils import desk_fs

    path = windows_desk.write(r"C:\Users\kim\locked.json", b"{}")

    def read_bytes(self, p):
        raise desk_fs.DotNetError("System.IO.IOException", "The process cannot access the file '%s' because it is "
                                  "being used by another process." % p)

    monkeypatch.setattr(desk_fs.DeskFS, "read_bytes", read_bytes)
    result = run_module(on_windows, "ansible.windows.slurp", {"src": path})
    assert result["failed"] is True
    assert result["msg"].startswith("Unhandled exception while executing module: Exception calling \"ReadAllBytes\" "
                                    "with \"1\" argument(s): \"The process cannot access the file")


# -- win_powershell: a failing script -----------------------------------------------------------------------------------
def test_win_powershell_script_error_contract(windows_desk, on_windows, monkeypatch):
    """win_powershell.ps1 lines 842-852: a terminating error in the script is caught, failed is set and the record
    added to error[] (Format-Exception, lines 422-460); $Ansible.Changed keeps its default $true (lines 662, 894); no
    msg; result as the script left it. Never the module wrapper's {msg, exception}."""
    from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils import desk_fs
    from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.modules import win_powershell

    def boom(ctx, params):
        raise desk_fs.DotNetError("System.UnauthorizedAccessException", 'Exception calling "Replace" with "3" '
                                  "argument(s): \"Access to the path 'C:\\x' is denied.\"")

    monkeypatch.setitem(win_powershell.SCRIPTS, win_powershell.SCAN, boom)
    from ansible_collections.ioconnect.fleet.plugins.plugin_utils import windows_scripts
    result = run_module(on_windows, "ansible.windows.win_powershell", {"script": windows_scripts.SCAN})
    assert result["failed"] is True and result["changed"] is True and "msg" not in result
    error = result["error"][0]
    assert error["exception"]["type"] == "System.Management.Automation.MethodInvocationException"
    assert error["exception"]["inner_exception"]["type"] == "System.UnauthorizedAccessException"
    assert error["exception"]["message"].startswith('Exception calling "Replace"')
    assert error["category_info"]["category"] == "NotSpecified"
    assert result["result"] == {} and result["output"] == []


# -- win_stat, win_shortcut -------------------------------------------------------------------------------------------
def test_win_stat_folder_queries_win32_share_and_size_is_zero_when_a_subfolder_is_denied(windows_desk, on_windows):
    """win_stat.ps1 line 134 (Win32_Share per folder) and lines 140-150 (EnumerateFiles throws: size 0)."""
    windows_desk.write(IOCD + r"\Desktop\config\system.json", b"{}")
    windows_desk.write(IOCD + r"\UserData\secret.txt", b"12345")
    windows_desk.forget_operations()
    result = run_module(on_windows, "ansible.windows.win_stat", {"path": IOCD})
    assert result["stat"]["isdir"] is True and result["stat"]["size"] == 7
    assert [op["op"] for op in windows_desk.operations()] == ["module", "wmi_query"]
    windows_desk.deny(IOCD + r"\UserData")
    assert run_module(on_windows, "ansible.windows.win_stat", {"path": IOCD})["stat"]["size"] == 0


def test_win_shortcut_compares_ignoring_case_and_reports_windowstyle(windows_desk, on_windows):
    """community.windows win_shortcut.ps1 compares each property with -ne (case-insensitive) and reports
    windowstyle by name ($windowstyleids)."""
    dest = r"C:\Users\kim\Start Menu\io.lnk"
    windows_desk.profile("kim")
    windows_desk.write(r"C:\Users\kim\Start Menu\keep", b"")
    first = run_module(on_windows, "community.windows.win_shortcut", {"src": r"C:\io\io.exe", "dest": dest,
                                                                      "arguments": "config=A.json"})
    assert first["changed"] is True and first["windowstyle"] == "normal"
    again = run_module(on_windows, "community.windows.win_shortcut", {"src": r"C:\IO\IO.EXE", "dest": dest,
                                                                      "arguments": "CONFIG=a.json"})
    assert again["changed"] is False and again["args"] == "config=A.json"


def test_win_shortcut_save_failure_wording(windows_desk, on_windows):
    windows_desk.profile("kim")
    dest = r"C:\Users\kim\No Such Folder\io.lnk"
    result = run_module(on_windows, "community.windows.win_shortcut", {"src": r"C:\io\io.exe", "dest": dest})
    assert result["failed"] is True
    assert result["msg"] == ("Failed to create shortcut '%s'. (Exception calling \"Save\" with \"0\" argument(s): "
                             "\"Unable to save shortcut \"%s\".\")" % (dest, dest))


# -- the shell's expand_user on every ansible-core ----------------------------------------------------------------------
def test_current_profile_needs_no_private_shell_api(windows_desk, on_windows, monkeypatch):
    """ansible-core 2.16-2.18 have no ShellModule._expand_user2: the connecting account's profile is worked out on
    the desk by the SCAN script (its first and only operation), so no private shell API is needed."""
    from ansible.plugins.shell.powershell import ShellModule

    if hasattr(ShellModule, "_expand_user2"):
        monkeypatch.delattr(ShellModule, "_expand_user2")
    result = on_windows("ioconnect.fleet.desk_system_json", {
        "env": "PROD", "region": "EMEA", "profiles": "current", "preflight": False,
        "topology": {"PROD": {"EMEA": {"url": "https://iomanager-emea.example.com"}}}}, check_mode=True)
    assert not result.get("failed"), result
    assert [p["path"] for p in result["profiles"]] == ["C:\\Users\\svc_fleet"]
    assert [op["op"] for op in windows_desk.operations()][0] == "module"
