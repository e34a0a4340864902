# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A hostile desk user against ioconnect.fleet.desk_system_json on an emulated Windows desk (reparse points with
owners, tests/windesk), and every documented ReplaceFile/MoveFileEx failure and a process killed between steps of
COMMIT (desk.json faults / kill_at). Each attack asserts that nothing outside the profile changed, that nothing of it
was printed, and that the refusal names the link; each fault that the file ends with its old or its new bytes and
that the result says which."""

from __future__ import annotations

import hashlib
import json

import pytest

URL = "https://iomanager-emea.example.com"
ARGS = {"topology": {"PROD": {"EMEA": {"url": URL}}}, "env": "PROD", "region": "EMEA", "preflight": False}
V9 = "C:\\Users\\kim\\AppData\\Local\\interop.io\\io.Connect Desktop\\Desktop"
SYSTEM = V9 + "\\config\\system.json"
SECRET = b'{"region": "EMEA", "env": "PROD", "gw": {}, "server": {"url": "TOP-SECRET-SYSTEM-FILE"}}'


def builder():
    from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils import builder as module
    return module


def outside(desk) -> dict:
    """Every file of the desk outside kim's profile, with its bytes' digest."""
    return {p: hashlib.sha1(b).hexdigest() for p, b in desk.files().items()
            if not p.lower().startswith("c:\\users\\kim") and "\\ioconnect.fleet\\runs\\" not in p.lower()}


def kim(desk) -> str:
    b = builder()
    return desk.v9("kim", b.render(b.vendor_document()))


def victim(desk) -> str:
    """A system-owned JSON file the user wants read or overwritten."""
    desk.write("C:\\Windows\\System32\\config\\system.json", SECRET)
    return "C:\\Windows\\System32\\config"


# -- links the rule refuses ------------------------------------------------------------------------------------------
def test_a_junction_at_the_install_folder_to_system32_fails_the_profile_alone(windows_desk, on_windows):
    victim(windows_desk)
    b = builder()
    windows_desk.v9("ann", b.render(b.vendor_document()))
    windows_desk.profile("kim")
    windows_desk.junction("C:\\Users\\kim\\AppData\\Local\\interop.io\\io.Connect Desktop",
                          "C:\\Windows\\System32")
    windows_desk.write("C:\\Windows\\System32\\Desktop\\config\\system.json", SECRET)
    before = outside(windows_desk)
    result = on_windows("ioconnect.fleet.desk_system_json", ARGS, diff=True)
    assert result["status"] == "failed" and result["error_kind"] == "unsafe_link"
    assert ("C:\\Users\\kim\\AppData\\Local\\interop.io\\io.Connect Desktop is a link owned by DESK\\kim to "
            "C:\\Windows\\System32, outside the profile C:\\Users\\kim; ioconnect.fleet does not follow it") in result["msg"]
    ann = [f for f in result["files"] if f["profile"] == "ann"]
    assert ann and ann[0]["changed"] is True, "the other profile is written"
    after = outside(windows_desk)
    changed = {p for p in after if before.get(p) != after[p]}
    assert all(p.lower().startswith("c:\\users\\ann") or "\\ioconnect.fleet\\runs\\" in p.lower() for p in changed)
    assert windows_desk.read("C:\\Windows\\System32\\Desktop\\config\\system.json") == SECRET
    assert "TOP-SECRET" not in json.dumps(result)


def test_a_symlink_at_system_json_to_a_system_file_fails_that_file_and_is_never_read(windows_desk, on_windows):
    folder = victim(windows_desk)
    kim(windows_desk)
    windows_desk.forget_operations()
    host = windows_desk.host(SYSTEM)
    import os
    os.unlink(host)
    windows_desk.link(SYSTEM, folder + "\\system.json")
    before = outside(windows_desk)
    for check_mode in (True, False):
        result = on_windows("ioconnect.fleet.desk_system_json", ARGS, check_mode=check_mode, diff=True)
        item = result["files"][0] if result["files"] else None
        assert result["status"] == "failed", result["msg"]
        assert "is a link owned by DESK\\kim to C:\\Windows\\System32\\config\\system.json" in result["msg"]
        assert item is None or item["error_kind"] == "unsafe_link"
        assert "TOP-SECRET" not in json.dumps(result)
    assert outside(windows_desk) == before
    assert os.path.islink(host), "the link is left alone"


def test_an_administrators_link_is_followed(windows_desk, on_windows):
    b = builder()
    real = windows_desk.write("D:\\Redirected\\kim\\system.json", b.render(b.vendor_document()))
    windows_desk.profile("kim")
    windows_desk.junction(V9 + "\\config", "D:\\Redirected\\kim", owner="BUILTIN\\Administrators")
    windows_desk.write(V9 + "\\io-connect-desktop.exe", b"MZ")
    result = on_windows("ioconnect.fleet.desk_system_json", ARGS)
    assert result["status"] == "changed", result["msg"]
    assert json.loads(windows_desk.read(real).decode("utf-8-sig"))["server"]["url"] == URL + "/api"


def test_a_link_staying_inside_the_profile_is_followed(windows_desk, on_windows):
    b = builder()
    real = windows_desk.write("C:\\Users\\kim\\Documents\\io\\system.json", b.render(b.vendor_document()))
    windows_desk.write(V9 + "\\io-connect-desktop.exe", b"MZ")
    windows_desk.junction(V9 + "\\config", "C:\\Users\\kim\\Documents\\io")
    result = on_windows("ioconnect.fleet.desk_system_json", ARGS)
    assert result["status"] == "changed", result["msg"]
    assert json.loads(windows_desk.read(real).decode("utf-8-sig"))["server"]["url"] == URL + "/api"


def test_a_junction_planted_between_scan_and_commit_is_refused_on_the_handle(windows_desk, on_windows):
    """The user swaps the config folder for a junction to another user's config right after the scan read it."""
    b = builder()
    kim(windows_desk)
    other = windows_desk.v9("ann", b.render(b.vendor_document(env="UAT")))
    ann_before = windows_desk.read(other)
    windows_desk.config["after_scan"] = [{"junction": V9 + "\\config",
                                          "target": "C:\\Users\\ann\\AppData\\Local\\interop.io\\io.Connect Desktop"
                                                    "\\Desktop\\config"}]
    windows_desk.save()
    result = on_windows("ioconnect.fleet.desk_system_json", dict(ARGS, profiles="named", users=["kim"]))
    assert result["status"] == "failed"
    item = result["files"][0]
    assert item["error_kind"] == "unsafe_link" and "is a link owned by DESK\\kim" in item["msg"], item
    assert windows_desk.read(other) == ann_before, "nothing written through the junction"
    assert not [p for p in windows_desk.files() if p.lower().startswith("c:\\users\\ann") and p.endswith(".bak")]


def test_a_name_planted_at_the_backup_cannot_be_guessed_and_would_not_be_followed(windows_desk, on_windows):
    kim(windows_desk)
    victim(windows_desk)
    before = outside(windows_desk)
    result = on_windows("ioconnect.fleet.desk_system_json", ARGS)
    backup = result["files"][0]["backup_file"]
    assert backup.startswith(SYSTEM + ".") and len(backup.rsplit(".", 2)[-2]) == 16, backup
    # The same desk, reverted, with a link planted at the very name COMMIT is about to create: CREATE_NEW refuses.
    from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.desk_fs import DeskFS
    from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.safe_io import SafeIo
    windows_desk.link(SYSTEM + ".planted.bak", "C:\\Windows\\System32\\config\\system.json")
    io = SafeIo(DeskFS(windows_desk.root))
    with pytest.raises(Exception, match="The file exists"):
        io.create_exclusive(SYSTEM + ".planted.bak", "C:\\Users\\kim", b"x")
    assert outside(windows_desk) == before


def test_a_folder_swap_during_commit_is_stopped_by_the_pins(windows_desk, on_windows):
    """While COMMIT holds the folders of the path open without FILE_SHARE_DELETE, they cannot be moved aside."""
    kim(windows_desk)
    victim(windows_desk)
    windows_desk.config["swap_during_commit"] = [{"junction": V9 + "\\config", "target": "C:\\Windows\\System32\\config"}]
    windows_desk.save()
    before = outside(windows_desk)
    result = on_windows("ioconnect.fleet.desk_system_json", ARGS)
    assert result["status"] == "changed", result["msg"]
    events = [op for op in windows_desk.operations() if op["op"] == "event"]
    assert events and events[0]["refused"].startswith("sharing violation")
    assert outside(windows_desk) == before


def test_a_start_menu_junction_to_the_machine_start_menu_gets_no_shortcut(windows_desk, on_windows):
    kim(windows_desk)
    common = "C:\\ProgramData\\Microsoft\\Windows\\Start Menu\\Programs"
    windows_desk.write(common + "\\keep.txt", b"machine")
    windows_desk.junction("C:\\Users\\kim\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs", common)
    before = outside(windows_desk)
    result = on_windows("ioconnect.fleet.desk_system_json", dict(ARGS, layout="overrides"))
    assert result["status"] == "failed"
    assert "is a link owned by DESK\\kim to %s" % common in result["msg"], result["msg"]
    assert "win_shortcut" not in windows_desk.modules()
    assert outside(windows_desk) == before and not windows_desk.exists(common + "\\io.Connect Desktop")


def test_rollback_refuses_a_backup_swapped_for_a_link(windows_desk, on_windows):
    kim(windows_desk)
    victim(windows_desk)
    done = on_windows("ioconnect.fleet.desk_system_json", ARGS)
    written = windows_desk.read(SYSTEM)
    backup = done["files"][0]["backup_file"]
    import os
    os.unlink(windows_desk.host(backup))
    windows_desk.link(backup, "C:\\Windows\\System32\\config\\system.json")
    result = on_windows("ioconnect.fleet.desk_system_json", {"state": "rolled_back"})
    assert result["failed"] is True
    assert "is a link owned by DESK\\kim" in result["msg"]
    assert windows_desk.read(SYSTEM) == written, "nothing restored from the link"
    assert "TOP-SECRET" not in json.dumps(result)


def test_rollback_refuses_a_backup_whose_bytes_changed(windows_desk, on_windows):
    kim(windows_desk)
    done = on_windows("ioconnect.fleet.desk_system_json", ARGS)
    written = windows_desk.read(SYSTEM)
    windows_desk.write(done["files"][0]["backup_file"], b'{"region": "EMEA", "env": "PROD", "gw": {"evil": 1}}')
    result = on_windows("ioconnect.fleet.desk_system_json", {"state": "rolled_back"})
    assert result["failed"] is True and "does not hold what the ledger recorded" in result["msg"]
    assert windows_desk.read(SYSTEM) == written


# -- every documented failure, and a process killed between steps ------------------------------------------------------
@pytest.mark.parametrize("call, error, holds", [
    ("ReplaceFile", 1175, "old"),  # ERROR_UNABLE_TO_REMOVE_REPLACED: both keep their names
    ("ReplaceFile", 1176, "old"),  # ERROR_UNABLE_TO_MOVE_REPLACEMENT, a backup name given: both keep their names
    ("ReplaceFile", 1177, "old"),  # ERROR_UNABLE_TO_MOVE_REPLACEMENT_2: the old file has the backup name; moved back
    ("ReplaceFile", 5, "old"),  # any other error: both keep their names
])
def test_each_replacefile_failure_keeps_a_whole_file(windows_desk, on_windows, call, error, holds):
    original = windows_desk.read(kim(windows_desk))
    windows_desk.config["faults"] = [{"call": call, "path": SYSTEM, "error": error}]
    windows_desk.save()
    result = on_windows("ioconnect.fleet.desk_system_json", ARGS)
    item = result["files"][0]
    assert result["status"] == "failed" and item["error_kind"] == "io"
    assert "Win32 error %d" % error in item["msg"] and "still holds its old settings" in item["msg"], item["msg"]
    assert windows_desk.read(SYSTEM) == original
    assert not [p for p in windows_desk.files() if p.endswith((".tmp", ".old", ".bak"))], "nothing left behind"
    assert "ledger" not in result, "no ledger entry for a file not written"


@pytest.mark.parametrize("suffix", [".bak", ".tmp"])
def test_a_backup_or_temporary_file_that_cannot_be_created_leaves_the_file_as_it_was(windows_desk, on_windows,
                                                                                     suffix):
    original = windows_desk.read(kim(windows_desk))
    windows_desk.config["faults"] = [{"call": "CreateFile", "suffix": suffix, "error": 112}]  # ERROR_DISK_FULL
    windows_desk.save()
    result = on_windows("ioconnect.fleet.desk_system_json", ARGS)
    item = result["files"][0]
    assert item["error_kind"] == "io" and "not enough space" in item["msg"] and "old settings" in item["msg"]
    assert windows_desk.read(SYSTEM) == original
    assert not [p for p in windows_desk.files() if p.endswith((".tmp", ".old", ".bak"))]


def test_1177_with_the_move_back_failing_too_keeps_both_copies_and_says_where(windows_desk, on_windows):
    original = windows_desk.read(kim(windows_desk))
    windows_desk.config["faults"] = [{"call": "ReplaceFile", "path": SYSTEM, "error": 1177},
                                     {"call": "MoveFileEx", "path": SYSTEM, "error": 5},
                                     {"call": "MoveFileEx", "path": SYSTEM, "error": 5}]
    windows_desk.save()
    result = on_windows("ioconnect.fleet.desk_system_json", ARGS)
    item = result["files"][0]
    assert "is missing; nothing was deleted; kept for you:" in item["msg"], item["msg"]
    kept = windows_desk.files()
    assert original in kept.values(), "the old bytes are kept under the backup name"
    assert any(p.endswith(".tmp") for p in kept), "the new bytes are kept under the temporary name"


def test_a_first_move_failure_leaves_no_file_created(windows_desk, on_windows):
    b = builder()
    windows_desk.v9("kim", b.render(b.vendor_document()))
    override = V9 + "\\config\\system-PROD-EMEA.json"
    # The move fails, and so does the second try COMMIT makes when nothing is under the name.
    windows_desk.config["faults"] = [{"call": "MoveFileEx", "path": override, "error": 5}] * 2
    windows_desk.save()
    result = on_windows("ioconnect.fleet.desk_system_json", dict(ARGS, layout="overrides", shortcuts=False))
    item = [f for f in result["files"] if f["path"] == override][0]
    assert item["error_kind"] == "io" and "MoveFileEx failed (Win32 error 5" in item["msg"]
    assert not windows_desk.exists(override)
    assert not [p for p in windows_desk.files() if p.endswith(".tmp")]


@pytest.mark.parametrize("step", ["temp", "backup", "replace"])
def test_a_process_killed_after_each_step_leaves_old_or_new_and_says_which(windows_desk, on_windows, step):
    original = windows_desk.read(kim(windows_desk))
    windows_desk.config["kill_at"] = {"step": step, "path": SYSTEM}
    windows_desk.save()
    result = on_windows("ioconnect.fleet.desk_system_json", ARGS)
    now = windows_desk.read(SYSTEM)
    item = result["files"][0]
    if step == "replace":
        assert now != original and item["changed"] is True and not item["failed"], "the desk holds the new bytes"
    else:
        assert now == original and item["failed"] is True and "still holds its old settings" in item["msg"], \
            item["msg"]
    assert not [p for p in windows_desk.files() if p.endswith((".tmp", ".old"))], "the second run removed the spares"


def test_killed_after_a_replacefile_that_left_no_file_the_old_one_is_put_back(windows_desk, on_windows):
    """ERROR_UNABLE_TO_MOVE_REPLACEMENT_2 leaves nothing under the name, and the process dies before it settles:
    the next run (settle) moves the replaced file back from the backup name ReplaceFile gave it."""
    original = windows_desk.read(kim(windows_desk))
    windows_desk.config["faults"] = [{"call": "ReplaceFile", "path": SYSTEM, "error": 1177}]
    windows_desk.config["kill_at"] = {"step": "replace", "path": SYSTEM}
    windows_desk.save()
    result = on_windows("ioconnect.fleet.desk_system_json", ARGS)
    item = result["files"][0]
    assert windows_desk.read(SYSTEM) == original
    assert item["failed"] is True and "still holds its old settings" in item["msg"], item["msg"]
    assert not [p for p in windows_desk.files() if p.endswith((".tmp", ".old", ".bak"))]
    assert windows_desk.modules() == ["win_powershell"] * 3
