# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible.windows.slurp, after ansible.windows 3.3.0 plugins/modules/slurp.ps1 (Ansible.ModuleUtils.Legacy).

- ``src`` (alias ``path``) is of type path: its environment variables are expanded for the connecting account.
- ``Test-Path -LiteralPath $src -PathType Leaf`` then ``[System.IO.File]::ReadAllBytes``: the raw bytes, BOM
  included, as base64. A folder: "Path <src> is a directory". Anything else, a file below a folder the account
  cannot read included (Test-Path is false there): "Path <src> is not found".
- A file the account can see but not read: ReadAllBytes throws, and the Legacy wrapper fails with its message.
"""

from __future__ import annotations

import base64

from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.basic import legacy_fail, legacy_param
from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.desk_fs import DotNetError


def run(ctx):
    src = legacy_param(ctx, "src", "path", required=True, aliases=("path",))
    fs = ctx.fs
    if fs.test_path(src, "Leaf"):
        try:
            data = fs.read_bytes(src)
        except DotNetError as exc:
            legacy_fail('Exception calling "ReadAllBytes" with "1" argument(s): "%s"' % exc.message)
        fs.after_read(src)
        return {"changed": False, "content": base64.b64encode(data).decode("ascii"), "encoding": "base64"}
    if fs.test_path(src, "Container"):
        legacy_fail("Path %s is a directory" % src)
    legacy_fail("Path %s is not found" % src)
