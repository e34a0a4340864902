# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible.windows.slurp, after ansible.windows 3.3.0 plugins/modules/slurp.ps1 (Ansible.ModuleUtils.Legacy).

- ``src`` (alias ``path``) is of type path (line 8): its environment variables are expanded for the connecting
  account, then Get-AnsibleParam checks it with ``Test-Path -IsValid`` (basic.legacy_param): a path with ``"``, ``<``,
  ``>``, ``|`` or a misplaced colon fails with "Get-AnsibleParam: Parameter 'src' has an invalid path '<src>'
  specified." before anything is read.
- ``Test-Path -LiteralPath $src -PathType Leaf`` (line 14) then ``[System.IO.File]::ReadAllBytes`` (line 15): the raw
  bytes, BOM included, as base64. A folder: "Path <src> is a directory" (line 21). Anything else, a file below a
  folder the account cannot read included (Test-Path is false there): "Path <src> is not found" (line 24).
- A file the account can see but not read: ReadAllBytes throws, nothing in slurp.ps1 catches it, and ansible-core's
  module wrapper answers "Unhandled exception while executing module: Exception calling "ReadAllBytes" with "1"
  argument(s): ..." (basic.unhandled).
"""

from __future__ import annotations

import base64

from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.basic import (
    ModuleExit,
    legacy_fail,
    legacy_param,
    unhandled,
)
from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.desk_fs import DotNetError


def run(ctx):
    src = legacy_param(ctx, "src", "path", required=True, aliases=("path",))
    fs = ctx.fs
    if fs.test_path(src, "Leaf"):
        try:
            data = fs.read_bytes(src)
        except DotNetError as exc:
            raise ModuleExit(unhandled('Exception calling "ReadAllBytes" with "1" argument(s): "%s"' % exc.message))
        fs.after_read(src)
        return {"changed": False, "content": base64.b64encode(data).decode("ascii"), "encoding": "base64"}
    if fs.test_path(src, "Container"):
        legacy_fail("Path %s is a directory" % src)
    legacy_fail("Path %s is not found" % src)
