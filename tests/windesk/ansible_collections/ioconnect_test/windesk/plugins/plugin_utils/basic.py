# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How ansible.windows modules take their arguments and give their results, in the two styles they use.

- Ansible.Basic (module_utils/csharp/Ansible.Basic.cs; win_find, win_stat, win_shortcut, win_powershell): the spec
  is checked, an unknown option fails with "Unsupported parameters for (<name>) module: ...", options of type path
  are expanded with [Environment]::ExpandEnvironmentVariables, the result carries ``invocation.module_args`` and
  ``warnings``.
- Ansible.ModuleUtils.Legacy (slurp, win_copy, win_file): Get-AnsibleParam reads one option at a time (type path:
  Expand-Environment, then ``Test-Path -IsValid``), unknown options are ignored, Fail-Json gives
  ``{"failed": true, "msg": ..., "changed": false}``.
- An exception the module does not catch (a .NET method throwing under ``$ErrorActionPreference = 'Stop'``) ends in
  ansible-core's module wrapper: ``{"failed": true, "msg": "Unhandled exception while executing module: <message>",
  "exception": <text>}`` (2.19 executor/powershell/module_wrapper.ps1 Write-AnsibleErrorDetail, line 86: the message
  is "$ErrorRecord"; 2.16-2.18 module_wrapper.ps1 + exec_wrapper.ps1 Write-AnsibleError: the message and ": " and
  the exception's message: the same text).
"""

from __future__ import annotations


class ModuleExit(Exception):
    """The module ended: result is what it printed."""

    def __init__(self, result: dict):
        super().__init__(result.get("msg", ""))
        self.result = result


UNHANDLED = "Unhandled exception while executing module: "


def unhandled(exc) -> dict:
    """The module wrapper's answer to an exception the module let through (exc: a DotNetError, or text)."""
    message = getattr(exc, "message", None) or str(exc)
    short = getattr(exc, "type_name", "System.Management.Automation.RuntimeException").rsplit(".", 1)[-1]
    exception = "%s\r\n+ CategoryInfo          : NotSpecified: (:) [], %s\r\n+ FullyQualifiedErrorId : %s" % (
        message, short, short)
    return {"failed": True, "msg": UNHANDLED + message, "exception": exception}


class Context:
    """One module run: the desk, the check/diff flags, a process id, the warnings, and the operations the module
    makes besides its own execution (``events``: WMI queries, logged by the connection after the module)."""

    def __init__(self, fs, args: dict, pid: int):
        self.fs = fs
        self.args = args
        self.check_mode = bool(args.get("_ansible_check_mode"))
        self.diff = bool(args.get("_ansible_diff"))
        self.pid = pid
        self.warnings = []
        self.events = []  # what the hostile user planted meanwhile (desk_fs.plant), for the operation log

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def wmi(self, class_name: str, query_filter: str) -> None:
        """Get-CimInstance -ClassName <class_name> -Filter <query_filter>: one WMI query (the emulated desk has no
        shares, so Win32_Share answers nothing)."""
        self.events.append({"op": "wmi_query", "class": class_name, "filter": query_filter})


_INVALID_PATH_CHARS = set('"<>|') | {chr(c) for c in range(32)}


def valid_path(value: str) -> bool:
    """Test-Path -IsValid on a FileSystem path, as Windows PowerShell 5.1 answers it: FileSystemProvider.IsValidPath
    builds a System.IO.FileInfo, which on .NET Framework 4.x refuses the characters of Path.GetInvalidPathChars
    (" < > | and control characters: ArgumentException) and a colon anywhere but after a drive letter
    (NotSupportedException "The given path's format is not supported.")."""
    if any(ch in _INVALID_PATH_CHARS for ch in value):
        return False
    rest = value[2:] if len(value) > 1 and value[1] == ":" and value[0].isalpha() else value
    return ":" not in rest


def _convert(fs, name, value, kind, elements=None):
    if value is None:
        return None
    if kind == "path":
        return fs.expand(str(value))
    if kind == "str":
        return value if isinstance(value, str) else str(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("yes", "on", "1", "true", "y", "t"):
            return True
        if str(value).lower() in ("no", "off", "0", "false", "n", "f"):
            return False
        raise ValueError("argument for %s is of type %s and we were unable to convert to bool" % (
            name, type(value).__name__))
    if kind == "int":
        return int(value)
    if kind == "list":
        items = value if isinstance(value, list) else [v.strip() for v in str(value).split(",")]
        return [_convert(fs, name, v, elements) if elements else v for v in items]
    if kind == "dict":
        if not isinstance(value, dict):
            raise ValueError("argument for %s is of type %s and we were unable to convert to dict" % (
                name, type(value).__name__))
        return value
    return value


def basic_params(ctx: Context, module: str, spec: dict) -> dict:
    """Ansible.Basic's checks of the task's options against the module's spec (name -> dict(type=, default=,
    choices=, aliases=, required=, elements=))."""
    args = {k: v for k, v in ctx.args.items() if not k.startswith("_ansible_")}
    legal = set()
    aliases = {}
    for name, option in spec.items():
        legal.add(name)
        for alias in option.get("aliases", ()):
            legal.add(alias)
            aliases[alias] = name
    unsupported = sorted(k for k in args if k not in legal)
    if unsupported:
        raise ModuleExit({"failed": True, "msg": "Unsupported parameters for (%s) module: %s. Supported parameters "
                          "include: %s" % (module, ", ".join(unsupported), ", ".join(sorted(legal)))})
    params = {}
    for key, value in args.items():
        params[aliases.get(key, key)] = value
    out = {}
    for name, option in spec.items():
        value = params.get(name)
        if value is None:
            if option.get("required"):
                raise ModuleExit({"failed": True, "msg": "missing required arguments: %s" % name})
            value = option.get("default")
        try:
            value = _convert(ctx.fs, name, value, option.get("type", "str"), option.get("elements"))
        except ValueError as exc:
            raise ModuleExit({"failed": True, "msg": str(exc)})
        if option.get("choices") and value is not None and value not in option["choices"]:
            raise ModuleExit({"failed": True, "msg": "value of %s must be one of: %s, got: %s" % (
                name, ", ".join(option["choices"]), value)})
        out[name] = value
    return out


def basic_result(ctx: Context, result: dict, params: dict) -> dict:
    out = dict(result)
    out.setdefault("changed", False)
    out["invocation"] = {"module_args": params}
    if ctx.warnings:
        out["warnings"] = list(ctx.warnings)
    return out


def legacy_param(ctx: Context, name: str, kind: str = "str", default=None, required: bool = False, aliases=(),
                 choices=None):
    """Get-AnsibleParam -obj $params -name <name> -type <kind> [-failifempty] [-aliases] [-validateset]."""
    value = ctx.args.get(name)
    for alias in aliases:
        if value is None:
            value = ctx.args.get(alias)
    if value is None or value == "":
        if required:
            raise ModuleExit({"failed": True, "changed": False,
                              "msg": "Get-AnsibleParam: Missing required argument: %s" % name})
        return default
    value = _convert(ctx.fs, name, value, kind)
    # Ansible.ModuleUtils.Legacy.psm1 Get-AnsibleParam, lines 220-236: a path option is expanded, then must pass
    # Test-Path -IsValid (a drive letter that does not exist is retried on the first FileSystem drive: no failure).
    if kind == "path" and not valid_path(value):
        raise ModuleExit({"failed": True, "changed": False,
                          "msg": "Get-AnsibleParam: Parameter '%s' has an invalid path '%s' specified." % (name, value)})
    if choices and value not in choices:
        raise ModuleExit({"failed": True, "changed": False,
                          "msg": "Get-AnsibleParam: Argument %s needs to be one of %s but was %s." % (
                              name, ",".join(choices), value)})
    return value


def legacy_fail(message: str, result: dict = None):
    out = dict(result or {"changed": False})
    out["failed"] = True
    out["msg"] = message
    raise ModuleExit(out)
