# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/module_utils/desk/discovery.py: the one place that turns profiles and install folders into folders to
search, and search hits into installs; the same code for Windows (ntpath) and POSIX (posixpath) desks."""

from __future__ import annotations

import ntpath
import posixpath

import pytest

from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import discovery

FLAVOURS = {
    "windows": (ntpath, "C:\\Users", "C:\\Program Files\\interop.io", "C:\\ProgramData\\Start"),
    "posix": (posixpath, "/srv/desk/Users", "/srv/desk/Program Files/interop.io", "/srv/desk/ProgramData/Start"),
}


@pytest.fixture(params=sorted(FLAVOURS))
def flavour(request):
    return FLAVOURS[request.param]


def entries(flavour_module, *paths, links=None):
    links = links or {}
    return [discovery.Entry(flavour_module.join(*p) if isinstance(p, tuple) else p,
                            links.get(p if not isinstance(p, tuple) else flavour_module.join(*p))) for p in paths]


def setup(flavour, names=("kim", "ann")):
    f, root, install_root, menu = flavour
    profiles = discovery.profiles(f, root, names)
    roots = discovery.search_roots(f, profiles, [install_root], menu)
    return f, root, install_root, profiles, roots


def test_profiles_skip_names_case_insensitively_and_sort(flavour):
    f, root, _i, _m = flavour
    names = [p.name for p in discovery.profiles(f, root, ["public", "kim", "Ann", "DEFAULT"], ["Public", "Default"])]
    assert names == ["Ann", "kim"]
    kim = discovery.profiles(f, root, ["kim"])[0]
    assert kim.local == f.join(root, "kim", "AppData", "Local")
    assert kim.start_menu.endswith(f.join("Start Menu", "Programs"))


def test_search_roots_are_each_readable_profiles_two_folders_then_install_roots(flavour):
    f, root, install_root, profiles, roots = setup(flavour)
    profiles[0].readable = False
    roots = discovery.search_roots(f, profiles, [install_root], "menu")
    assert [r.path for r in roots] == [f.join(root, "kim", "AppData", "Local", "interop.io"),
                                       f.join(root, "kim", "AppData", "Local", "Tick42"), install_root]
    assert roots[-1].profile == discovery.ALL_USERS and roots[-1].start_menu == "menu"
    assert roots[0].root == f.join(root, "kim")


def test_known_places_and_10x_installs_each_file_once(flavour):
    f, root, install_root, _profiles, roots = setup(flavour)
    kim9 = (root, "kim", "AppData", "Local", "interop.io", "io.Connect Desktop", "Desktop")
    ann_glue = (root, "ann", "AppData", "Local", "Tick42", "GlueDesktop")
    kim10 = (root, "kim", "AppData", "Local", "interop.io", "io.Connect Desktop 10")
    machine = (install_root, "io.Connect Desktop")
    found = entries(f, kim9 + ("io-connect-desktop.exe",), kim9 + ("config", "system.json"),
                    kim9 + ("config", "system-PROD-EMEA.json"),
                    ann_glue + ("config", "system.json"),
                    kim10 + ("io-connect-desktop.exe",), kim10 + ("config", "system.json"),
                    machine + ("io-connect-desktop.exe",), machine + ("config", "system.json"))
    installs = discovery.classify(f, found, roots, 3)
    got = [(i.profile, i.product, i.system_json) for i in installs]
    assert got == [
        ("ann", discovery.PRODUCT_GLUE, f.join(*ann_glue + ("config", "system.json"))),
        ("kim", discovery.PRODUCT_9, f.join(*kim9 + ("config", "system.json"))),
        ("kim", discovery.PRODUCT_10, f.join(*kim10 + ("config", "system.json"))),
        (discovery.ALL_USERS, discovery.PRODUCT_10, f.join(*machine + ("config", "system.json"))),
    ]
    assert list(installs[1].overrides) == ["system-prod-emea.json"]
    assert installs[1].exe == f.join(*kim9 + ("io-connect-desktop.exe",))


def test_an_executable_without_config_or_too_deep_is_not_an_install(flavour):
    f, root, install_root, _profiles, roots = setup(flavour)
    deep = (install_root, "a", "b", "c", "d")
    found = entries(f, (install_root, "x", "io-connect-desktop.exe"), deep + ("io-connect-desktop.exe",),
                    deep + ("config", "system.json"))
    # the executable is 5 levels below the install root (a/b/c/d/io-connect-desktop.exe)
    assert discovery.classify(f, found, roots, 4) == []
    assert len(discovery.classify(f, found, roots, 5)) == 1


def test_links_to_the_same_file_are_one_install(flavour):
    f, root, _install_root, _profiles, roots = setup(flavour)
    target = f.join(root, "shared", "system.json")
    kim = f.join(root, "kim", "AppData", "Local", "interop.io", "io.Connect Desktop", "Desktop", "config",
                 "system.json")
    ann = f.join(root, "ann", "AppData", "Local", "interop.io", "io.Connect Desktop", "Desktop", "config",
                 "system.json")
    found = [discovery.Entry(kim, target), discovery.Entry(ann, target)]
    installs = discovery.classify(f, found, roots, 3)
    assert len(installs) == 1 and installs[0].target == target and installs[0].system_json == ann


def test_windows_paths_match_ignoring_case():
    profiles = discovery.profiles(ntpath, "C:\\Users", ["kim"])
    roots = discovery.search_roots(ntpath, profiles, [], "m")
    found = [discovery.Entry("c:\\users\\KIM\\appdata\\local\\INTEROP.IO\\io.connect desktop\\desktop\\CONFIG\\"
                             "System.JSON")]
    installs = discovery.classify(ntpath, found, roots, 3)
    assert [i.product for i in installs] == [discovery.PRODUCT_9]
    # POSIX names are case-sensitive
    p_profiles = discovery.profiles(posixpath, "/u", ["kim"])
    p_roots = discovery.search_roots(posixpath, p_profiles, [], "m")
    assert discovery.classify(posixpath, [discovery.Entry("/u/kim/appdata/local/interop.io/io.Connect Desktop/"
                                                          "Desktop/config/system.json")], p_roots, 3) == []


def test_search_depth_reaches_every_known_place():
    assert discovery.search_depth(3) == 5 and discovery.search_depth(1) == 4
    assert all(discovery.wanted(n) for n in ("system.json", "SYSTEM-prod-emea.json", "io-connect-desktop.exe"))
    assert not discovery.wanted("systems.json") and not discovery.wanted("system.json.bak")
