# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one link rule (module_utils/desk/links.py), on Windows and POSIX paths."""

from __future__ import annotations

import ntpath
import posixpath

import pytest

from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import links

PROFILE = "C:\\Users\\kim"
LINK = PROFILE + "\\AppData\\Local\\interop.io"


@pytest.mark.parametrize("target, admin, follow", [
    ("C:\\Windows\\System32\\config", False, False),  # a user's junction out of the profile
    ("C:\\Users\\kim\\Documents\\io", False, True),  # a user's own arrangement inside the profile
    ("C:\\USERS\\KIM\\docs", False, True),  # NTFS compares names ignoring case
    ("C:\\Users\\kim\\..\\ann\\secret", False, False),  # .. out of the profile
    ("C:\\Users\\kimberly\\x", False, False),  # a sibling whose name starts the same
    ("", False, False),  # a target that cannot be read
    ("D:\\Redirected\\kim", True, True),  # folder redirection planted by an administrator
])
def test_windows_rule(target, admin, follow):
    decision = links.decide(ntpath, LINK, "DESK\\kim", target, PROFILE, admin)
    assert bool(decision) is follow
    if not follow:
        assert decision.message == ("%s is a link owned by DESK\\kim to %s, outside the profile %s; ioconnect.fleet "
                                    "does not follow it" % (LINK, target or "an unknown target", PROFILE))


def test_posix_rule_is_the_same_and_case_sensitive():
    assert links.decide(posixpath, "/home/kim/x", "kim", "/home/kim/y", "/home/kim", False)
    assert not links.decide(posixpath, "/home/kim/x", "kim", "/HOME/kim/y", "/home/kim", False)
    assert not links.decide(posixpath, "/home/kim/x", "kim", "/etc/shadow", "/home/kim", False)
    assert links.decide(posixpath, "/home/kim/x", "root", "/etc/shadow", "/home/kim", True)


@pytest.mark.parametrize("owner, admin", [
    ("BUILTIN\\Administrators", True), ("nt authority\\system", True), ("S-1-5-18", True), ("S-1-5-32-544", True),
    ("NT SERVICE\\TrustedInstaller", True), ("DESK\\kim", False), ("S-1-5-21-1-2-3-1001", False), ("", False)])
def test_windows_admin_owners(owner, admin):
    assert links.windows_admin(owner) is admin


def test_relative_targets_are_relative_to_the_link_folder():
    assert links.absolute_target(ntpath, LINK + "\\a", "..\\..\\Roaming") == PROFILE + "\\AppData\\Roaming"
    assert links.absolute_target(posixpath, "/home/kim/a/b", "../../../etc") == "/etc"
