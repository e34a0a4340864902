# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ansible-core 2.19 sends to a Windows host, decoded.

Every command is ``PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand <base64
of UTF-16-LE script>`` (plugins/shell/powershell.py _encode_script). Modules, and the shell's mkdtemp and
expand_user, are the bootstrap wrapper (executor/powershell/bootstrap_wrapper.ps1) fed on stdin with
``<exec_wrapper manifest JSON>\\n\\0\\0\\0\\0\\n<actions JSON>`` (module_manifest.py _get_bootstrap_input): the
actions name the script to run (module_wrapper.ps1 with the module's script and its complex_args,
powershell_mkdtemp.ps1, powershell_expand_user.ps1) with their parameters. The shell's remove() is a plain encoded
``Remove-Item '<path>' -Force [-Recurse];``.
"""

from __future__ import annotations

import base64
import json
import re

SEPARATOR = b"\n\0\0\0\0\n"


class Command:
    """kind: module | mkdtemp | expand_user | remove | unknown."""

    def __init__(self, kind, **fields):
        self.kind = kind
        self.__dict__.update(fields)


def encoded_script(cmd: str) -> str:
    match = re.search(r"-EncodedCommand\s+(\S+)", cmd or "")
    if not match:
        return ""
    return base64.b64decode(match.group(1)).decode("utf-16-le")


def decode(cmd: str, in_data: bytes) -> Command:
    script = encoded_script(cmd)
    if in_data and SEPARATOR in in_data and "$codeJson" in script:
        parts = in_data.split(SEPARATOR)
        manifest = json.loads(parts[1].decode("utf-8"))
        actions = manifest.get("actions") or []
        names = [a.get("name") for a in actions]
        if "become_wrapper.ps1" in names or "async_wrapper.ps1" in names:
            return Command("unknown", detail="become/async are not emulated (%s)" % ", ".join(names))
        action = actions[-1]
        if action["name"] == "module_wrapper.ps1":
            params = action["params"]
            variables = {v["Name"]: v["Value"] for v in params.get("Variables") or []}
            args = variables.get("complex_args") or {}
            script_name = params["Script"]
            source = base64.b64decode(manifest["scripts"][script_name]["script"]).decode("utf-8", "replace")
            return Command("module", name=args.get("_ansible_module_name") or script_name, script=script_name,
                           args=args, source=source)
        if action["name"] == "powershell_mkdtemp.ps1":
            return Command("mkdtemp", directory=action["params"]["Directory"], name=action["params"]["Name"])
        if action["name"] == "powershell_expand_user.ps1":
            return Command("expand_user", path=action["params"]["Path"])
        return Command("unknown", detail="exec wrapper action %s" % action["name"])
    match = re.search(r"Remove-Item '((?:[^']|'')*)' -Force( -Recurse)?;", script)
    if match:
        return Command("remove", path=match.group(1).replace("''", "'"), recurse=bool(match.group(2)))
    return Command("unknown", detail=(script or cmd or "")[:200])
