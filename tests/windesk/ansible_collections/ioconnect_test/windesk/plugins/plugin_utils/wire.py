# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ansible-core 2.16 to 2.19 sends to a Windows host, decoded.

ansible-core 2.19:

Every command is ``PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand <base64
of UTF-16-LE script>`` (plugins/shell/powershell.py _encode_script). Modules, and the shell's mkdtemp and
expand_user, are the bootstrap wrapper (executor/powershell/bootstrap_wrapper.ps1) fed on stdin with
``<exec_wrapper manifest JSON>\\n\\0\\0\\0\\0\\n<actions JSON>`` (module_manifest.py _get_bootstrap_input): the
actions name the script to run (module_wrapper.ps1 with the module's script and its complex_args,
powershell_mkdtemp.ps1, powershell_expand_user.ps1) with their parameters. The shell's remove() is a plain encoded
``Remove-Item '<path>' -Force [-Recurse];``.

ansible-core 2.16, 2.17 and 2.18 (executor/powershell/module_manifest.py _create_powershell_wrapper, the same in the
three): the command is the same encoded bootstrap wrapper (bootstrap_wrapper.ps1: ``$input | Out-String`` split on
``\0\0\0\0``), fed with ``<exec_wrapper.ps1>\0\0\0\0<manifest JSON>``; the manifest holds ``module_entry`` (base64 of
the module's .ps1), ``module_args`` (with ``_ansible_module_name``, the name the action asked for: the stat, file, copy
and ping of ActionBase's internal calls run win_stat, win_file, win_copy and win_ping) and ``actions``
(``module_powershell_wrapper``, with ``async_wrapper``/``become_wrapper`` before it for async and become). The shell's
mkdtemp and expand_user are plain encoded scripts (plugins/shell/powershell.py: ``New-Item -Type Directory -Path
$tmp_path -Name '<name>'`` after ``ExpandEnvironmentVariables('<dir>')``; ``Write-Output (Get-Location).Path``), which
2.19 still builds for its public ``expand_user`` and ``mkdtemp``.
"""

from __future__ import annotations

import base64
import json
import re

SEPARATOR = b"\n\0\0\0\0\n"
LEGACY_SEPARATOR = b"\0\0\0\0"
# ActionBase._configure_module (2.16-2.18): on a PowerShell host these internal names run the win_ module.
_INTERNAL = {"stat": "win_stat", "file": "win_file", "copy": "win_copy", "ping": "win_ping"}


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


def _unescape(value: str) -> str:
    return value.replace("''", "'")


def _legacy(script: str, in_data: bytes):
    """ansible-core 2.16-2.18: the exec manifest after exec_wrapper.ps1, or the shell's plain scripts."""
    if in_data and LEGACY_SEPARATOR in in_data and "$exec_wrapper_str" in script:
        manifest = json.loads(in_data.split(LEGACY_SEPARATOR, 1)[1].decode("utf-8"))
        actions = manifest.get("actions") or []
        if "become_wrapper" in actions or "async_wrapper" in actions:
            return Command("unknown", detail="become/async are not emulated (%s)" % ", ".join(actions))
        args = manifest.get("module_args") or {}
        name = (args.get("_ansible_module_name") or "").rsplit(".", 1)[-1]
        name = _INTERNAL.get(name, name)
        source = base64.b64decode(manifest.get("module_entry") or "").decode("utf-8", "replace")
        return Command("module", name=name, script="ansible_collections.legacy.plugins.modules.%s.ps1" % name,
                       args=args, source=source)
    match = re.search(r"\$tmp_path = \[System\.Environment\]::ExpandEnvironmentVariables\('((?:[^']|'')*)'\)\s*"
                      r"\$tmp = New-Item -Type Directory -Path \$tmp_path -Name '((?:[^']|'')*)'", script)
    if match:
        return Command("mkdtemp", directory=_unescape(match.group(1)), name=_unescape(match.group(2)))
    if re.search(r"(^|[\s;])Write-Output \(Get-Location\)\.Path(\s|$)", script):
        return Command("expand_user", path="~")
    match = re.search(r"Write-Output \(\(Get-Location\)\.Path \+ '((?:[^']|'')*)'\)", script)
    if match:
        return Command("expand_user", path="~" + _unescape(match.group(1)))
    return None


def decode(cmd: str, in_data: bytes) -> Command:
    script = encoded_script(cmd)
    legacy = _legacy(script, in_data)
    if legacy is not None:
        return legacy
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
