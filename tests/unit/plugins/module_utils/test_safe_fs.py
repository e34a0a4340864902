# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""File work in a zone a user controls (module_utils/desk/safe_fs.py) and doing it as the zone's owner
(module_utils/desk/as_owner.py), on real files. Links "planted by a user" are made here and given to another uid
with lchown (root only); tests/integration/test_hostile_user.py plays the same attacks with real accounts."""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import stat
import tempfile

import pytest

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import as_owner
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk.posix_desk import zone_of
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk.safe_fs import Zone, ZoneFiles, sha1

ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="giving a link to another account needs root (lchown)")
USER = 65534  # nobody: the "user" who owns the profile and plants links


@pytest.fixture
def tmp_path():
    """A folder every account can reach (pytest's own is root's 0700, which the owner's child could not enter)."""
    base = tempfile.mkdtemp(prefix="ioconnect-safe-fs-")
    os.chmod(base, 0o755)
    yield pathlib.Path(base)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def zone(tmp_path):
    """A profile folder (owned by USER when root runs the tests) and a secret outside it."""
    profile = tmp_path / "Users" / "kim"
    (profile / "config").mkdir(parents=True)
    (profile / "config" / "system.json").write_bytes(b'{"env": "DEV"}\n')
    secret = tmp_path / "secret.json"
    secret.write_bytes(b'{"token": "root-only"}\n')
    uid = USER if ROOT else os.geteuid()
    if ROOT:
        for path in (profile, profile / "config", profile / "config" / "system.json"):
            os.chown(path, USER, USER)
    return Zone(str(profile), uid, uid, "profile kim"), profile, secret


def plant(link, target, uid=USER):
    os.symlink(str(target), str(link))
    if ROOT:
        os.lchown(str(link), uid, uid)


@needs_root
def test_a_users_link_out_of_the_zone_is_refused_at_the_file(zone):
    z, profile, secret = zone
    link = profile / "config" / "other.json"
    plant(link, secret)
    files = ZoneFiles(z)
    with pytest.raises(FleetError) as caught:
        files.read(str(link))
    assert caught.value.kind == "unsafe_link"
    assert str(link) in str(caught.value) and str(secret) in str(caught.value) and "nobody" in str(caught.value)
    with pytest.raises(FleetError):
        files.resolve(str(link))


@needs_root
def test_a_users_link_out_of_the_zone_is_refused_at_a_folder_and_nothing_is_created_there(zone, tmp_path):
    z, profile, _secret = zone
    outside = tmp_path / "root-folder"
    outside.mkdir()
    plant(profile / "menu", outside)
    files = ZoneFiles(z)
    with pytest.raises(FleetError) as caught:
        files.replace(str(profile / "menu" / "x.json"), b"{}", "absent", create_folder=True)
    assert caught.value.kind == "unsafe_link"
    assert os.listdir(str(outside)) == []


def test_a_link_inside_the_zone_and_a_link_root_planted_are_followed(zone, tmp_path):
    z, profile, _secret = zone
    plant(profile / "mine.json", profile / "config" / "system.json")
    files = ZoneFiles(z)
    assert files.read(str(profile / "mine.json")) == b'{"env": "DEV"}\n'
    shared = tmp_path / "shared.json"
    shared.write_bytes(b"{}")
    os.symlink(str(shared), str(profile / "redirected.json"))  # root's (or the test account's own) link
    if ROOT:
        assert files.read(str(profile / "redirected.json")) == b"{}"
        assert files.resolve(str(profile / "redirected.json")) == str(shared)


@needs_root
def test_a_hard_link_to_another_accounts_file_fifo_and_folder_are_refused(zone):
    z, profile, secret = zone
    os.link(str(secret), str(profile / "hard.json"))
    os.mkfifo(str(profile / "fifo.json"))
    files = ZoneFiles(z)
    for name, kind in (("hard.json", "unsafe_link"), ("fifo.json", "unsafe_link"), ("config", "io")):
        with pytest.raises(FleetError) as caught:
            files.read(str(profile / name))
        assert caught.value.kind == kind, name


def test_replace_writes_in_one_rename_with_an_exclusive_unpredictable_backup(zone):
    z, profile, _secret = zone
    target = profile / "config" / "system.json"
    old = target.read_bytes()
    files = ZoneFiles(z)
    names = set()
    for round_ in range(3):
        now = target.read_bytes()
        done = files.replace(str(target), b'{"env": "PROD%d"}\n' % round_, sha1(now), backup=True)
        backup = done["backup_file"]
        assert re.match(r".*/system\.json\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d\.[0-9a-f]{12}~$", backup), backup
        assert os.path.dirname(backup) == str(profile / "config")
        with open(backup, "rb") as handle:
            assert handle.read() == (old if round_ == 0 else b'{"env": "PROD%d"}\n' % (round_ - 1))
        names.add(os.path.basename(backup))
    assert len(names) == 3  # the same second, still three different names
    leftovers = [n for n in os.listdir(str(profile / "config")) if n.endswith(".tmp")]
    assert leftovers == []


def test_replace_refuses_a_file_that_changed_and_leaves_it(zone):
    z, profile, _secret = zone
    target = profile / "config" / "system.json"
    with pytest.raises(FleetError) as caught:
        ZoneFiles(z).replace(str(target), b"{}", sha1(b"something else"), backup=True)
    assert caught.value.kind == "conflict"
    assert target.read_bytes() == b'{"env": "DEV"}\n'
    assert sorted(os.listdir(str(profile / "config"))) == ["system.json"]


@needs_root
def test_replace_never_writes_through_a_link_swapped_in_at_the_name(zone):
    z, profile, secret = zone
    target = profile / "config" / "system.json"
    target.unlink()
    plant(target, secret)
    before = secret.read_bytes()
    with pytest.raises(FleetError):
        ZoneFiles(z).replace(str(target), b"{}", None)
    assert secret.read_bytes() == before and os.path.islink(str(target))


@needs_root
def test_a_backup_is_restored_only_when_it_is_the_plain_file_that_was_made(zone):
    z, profile, secret = zone
    backup = profile / "config" / "system.json.bak~"
    backup.write_bytes(b'{"env": "OLD"}\n')
    os.chown(str(backup), USER, USER)
    files = ZoneFiles(z)
    assert files.verified_backup(str(backup), sha1(b'{"env": "OLD"}\n')) == b'{"env": "OLD"}\n'
    with pytest.raises(FleetError) as caught:
        files.verified_backup(str(backup), sha1(b"what the ledger says"))
    assert caught.value.kind == "conflict"
    backup.unlink()
    plant(backup, secret)
    with pytest.raises(FleetError) as caught:
        files.verified_backup(str(backup), sha1(secret.read_bytes()))
    assert caught.value.kind == "unsafe_link"
    backup.unlink()
    backup.write_bytes(b'{"env": "OLD"}\n')
    os.chown(str(backup), 4242, 4242)  # someone else's file under the name
    with pytest.raises(FleetError):
        files.verified_backup(str(backup), sha1(b'{"env": "OLD"}\n'))


@needs_root
def test_the_work_runs_as_the_owner_and_answers_in_json(zone):
    z, profile, secret = zone
    os.chmod(str(secret), 0o600)

    def who(_zone, path):
        with open(path, "rb") as handle:
            handle.read()
        return [os.geteuid(), os.getegid(), os.getgroups()]

    uid, gid, groups = as_owner.run(USER, USER, "kim", who, z.as_dict(), str(profile / "config" / "system.json"))
    assert (uid, gid) == (USER, USER) and 0 not in groups
    with pytest.raises(FleetError) as caught:  # the kernel refuses what the owner could not read
        as_owner.run(USER, USER, "kim", who, z.as_dict(), str(secret))
    assert "Permission denied" in str(caught.value)

    def fails(_zone):
        raise FleetError("no", kind="conflict")

    with pytest.raises(FleetError) as caught:
        as_owner.run(USER, USER, "kim", fails, z.as_dict())
    assert (str(caught.value), caught.value.kind) == ("no", "conflict")
    assert os.geteuid() == 0  # the parent is still root


@needs_root
def test_files_a_child_creates_belong_to_the_owner(zone):
    z, profile, _secret = zone

    def create(zone_, path):
        ZoneFiles(Zone.from_dict(zone_)).replace(path, b"{}", "absent", create_folder=True)

    path = str(profile / "AppData" / "Roaming" / "menu" / "x.json")
    as_owner.run(USER, USER, "kim", create, z.as_dict(), path)
    for item in (path, os.path.dirname(path), str(profile / "AppData")):
        info = os.lstat(item)
        assert (info.st_uid, info.st_gid) == (USER, USER), item


@needs_root
def test_the_zone_of_a_path_is_its_first_folder_another_account_owns(zone, tmp_path):
    z, profile, _secret = zone
    found = zone_of(str(profile / "config" / "system.json"))
    assert (found.top, found.uid) == (str(profile), USER)
    assert zone_of(str(tmp_path / "ProgramData" / "x")).uid == 0
    os.symlink(str(profile), str(tmp_path / "admin-link"))  # root's link: followed
    assert zone_of(str(tmp_path / "admin-link" / "config")).top == str(profile)
    assert stat.S_ISDIR(os.stat(found.top).st_mode)
