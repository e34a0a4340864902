# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Start-menu shortcuts of the overrides layout: one per install and pair, starting io.Connect Desktop with
that pair's override file (io-connect-desktop.exe -- config=config/system.json configOverrides
config0=config/system-<ENV>-<REGION>.json, the vendor's documented way). Pure Python."""

from __future__ import annotations

import json

from ansible_collections.ioconnect.fleet.plugins.module_utils.desk.topology import override_name


class Shortcut:
    def __init__(self, exe, folder, directory, path, arguments, description):
        self.exe = exe
        self.folder = folder
        self.directory = directory
        self.path = path
        self.arguments = arguments
        self.description = description

    def descriptor(self) -> bytes:
        """What a POSIX simulated desk stores instead of a .lnk: the same fields, as JSON, in <path>.json."""
        return (json.dumps({"target": self.exe, "arguments": self.arguments, "workingDirectory": self.directory,
                            "description": self.description}, indent=2) + "\n").encode("utf-8")


def shortcuts(flavour, installs, instances, folder_name: str) -> list:
    out = []
    for install in installs:
        folder = flavour.join(install.start_menu, folder_name)
        for instance in instances:
            out.append(Shortcut(
                exe=install.exe, folder=folder, directory=install.install_dir,
                path=flavour.join(folder, "%s %s.lnk" % (install.product, instance.name)),
                arguments="-- config=config/system.json configOverrides config0=config/%s" % override_name(instance),
                description="%s on io.Manager %s (%s)" % (install.product, instance.name, instance.url)))
    return out
