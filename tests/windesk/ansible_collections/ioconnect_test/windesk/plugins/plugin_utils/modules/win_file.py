# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible.windows.win_file, after ansible.windows 3.3.0 plugins/modules/win_file.ps1 (Ansible.ModuleUtils.Legacy).

``path`` (aliases dest, name) is a path (expanded). absent removes a file or a whole folder (a link itself, not its
target); directory creates every missing level (New-Item -ItemType Directory) and fails on a file; file only
checks (it "will not be created"); touch creates an empty file or updates its time. No state: a name with a leaf is
a file, otherwise a folder."""

from __future__ import annotations

import os
import shutil

from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.basic import legacy_fail, legacy_param
from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.desk_fs import DotNetError


def run(ctx):
    fs = ctx.fs
    path = legacy_param(ctx, "path", "path", required=True, aliases=("dest", "name"))
    state = legacy_param(ctx, "state", "str", choices=("absent", "directory", "file", "touch"))
    result = {"changed": False}
    try:
        if state == "touch":
            if not ctx.check_mode:
                if fs.test_path(path):
                    os.utime(fs.host(path))
                else:
                    fs.write_bytes(path, b"\r\n")
            result["changed"] = True
        if fs.test_path(path):
            is_dir = fs.test_path(path, "Container")
            if state == "absent":
                if not ctx.check_mode:
                    host = fs.host(path)
                    if is_dir and not os.path.islink(host):
                        shutil.rmtree(host)
                    else:
                        os.unlink(host)
                result["changed"] = True
            elif state == "directory" and not is_dir:
                legacy_fail("path %s is not a directory" % path, result)
            elif state == "file" and is_dir:
                legacy_fail("path %s is not a file" % path, result)
        else:
            if state is None:
                state = "file" if os.path.basename(path.replace("\\", "/")) else "directory"
            if state == "directory":
                if not ctx.check_mode:
                    fs.create_directory(path)
                result["changed"] = True
            elif state == "file":
                legacy_fail("path %s will not be created" % path, result)
    except DotNetError as exc:
        legacy_fail(exc.message, result)
    return result
