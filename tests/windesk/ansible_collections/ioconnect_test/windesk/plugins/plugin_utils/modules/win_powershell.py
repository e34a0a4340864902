# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible.windows.win_powershell, after ansible.windows 3.3.0 plugins/modules/win_powershell.ps1 (Ansible.Basic).

There is no PowerShell here, so the emulator runs only the scripts it knows, recognised by their first line, and
answers each with Python that follows the script statement by statement (the comments below quote the script):
the two scripts of ioconnect.fleet's plugins/plugin_utils/windows_scripts.py. Any other script fails the module.

What the module itself does, and the emulator too:
- In check mode a script runs only when its param block declares [CmdletBinding(SupportsShouldProcess)] (then with
  -WhatIf); otherwise the module returns changed=true, msg "skipped, running in check mode".
- ``parameters`` are passed to the script's param block; ``$Ansible.Result``, ``$Ansible.Changed`` (default true) and
  ``$Ansible.Failed`` become result, changed and failed; the result goes through Convert-OutputObject with
  ``depth`` (default 2): below that depth a collection or mapping becomes its string.
- A terminating error in the script (lines 842-852) gives ``failed: true``, ``changed: true`` (the default of
  ``$Ansible.Changed``) and the error record in ``error`` (error_record); no ``msg``.
"""

from __future__ import annotations

import base64
import hashlib
import ntpath
import re
import uuid

from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.basic import ModuleExit, basic_params, basic_result
from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.desk_fs import DotNetError

SPEC = {
    "arguments": {"type": "list", "elements": "str"},
    "chdir": {"type": "str"},
    "creates": {"type": "str"},
    "depth": {"type": "int", "default": 2},
    "error_action": {"type": "str", "choices": ["silently_continue", "continue", "stop"], "default": "continue"},
    "executable": {"type": "str"},
    "parameters": {"type": "dict"},
    "path": {"type": "str"},
    "sensitive_parameters": {"type": "list", "elements": "dict"},
    "remote_src": {"type": "bool", "default": False},
    "removes": {"type": "str"},
    "script": {"type": "str"},
}

COMMIT = "# ioconnect.fleet commit/1"
LOGGED_ON = "# ioconnect.fleet logged-on-profiles/1"
_SHOULD_PROCESS = re.compile(r"\[CmdletBinding\((?:[\w=\$]+,\s*)?SupportsShouldProcess(?:=\$true)?(?:,\s*[\w=\$]+)?\)\]")


class Crash(Exception):
    """The desk's process died (desk.json crash_during_write): no result at all reaches Ansible."""


def convert(value, depth):
    """Convert-OutputObject: strings and value types as they are; deeper than depth, a collection is its string."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if depth < 0:
        return str(value)
    if isinstance(value, (list, tuple)):
        return [convert(v, depth - 1) for v in value]
    if isinstance(value, dict):
        return {k: convert(v, depth - 1) for k, v in value.items()}
    return str(value)


def _calling(method, count, exc):
    """How PowerShell words a .NET method's exception: MethodInvocationException's message."""
    return 'Exception calling "%s" with "%d" argument(s): "%s"' % (method, count, exc.message)


def _sha1(fs, path):
    # Get-Sha1: 'absent' when [System.IO.File]::Exists is false, else the SHA-1 of File.Open(..., Read, ReadWrite)
    if not fs.test_path(path, "Leaf"):
        return "absent"
    return hashlib.sha1(fs.read_bytes(path)).hexdigest()


def _new_beside(fs, path, data):
    # New-Beside: the folder must exist (DirectoryNotFoundException "the folder <folder> does not exist"), then
    # FileStream(<folder>\.<name>.<guid>.tmp, CreateNew, Write, None, 65536, WriteThrough), Write, Flush($true).
    folder = ntpath.dirname(fs.full(path))
    if not fs.test_path(folder, "Container"):
        raise DotNetError("System.IO.DirectoryNotFoundException", "the folder %s does not exist" % folder)
    temp = ntpath.join(folder, ".%s.%s.tmp" % (ntpath.basename(path), uuid.uuid4().hex))
    if fs.crashes_writing(path):
        fs.write_bytes(temp, data[:len(data) // 2], create_new=True)
        raise Crash("the desk's PowerShell process was killed while writing %s" % temp)
    try:
        fs.write_bytes(temp, data, create_new=True)
    except DotNetError as exc:
        raise DotNetError(exc.type_name, _calling(".ctor", 6, exc))
    return temp


def _in_one_step(fs, temp, path):
    # Set-InOneStep: [System.IO.File]::Replace(temp, path, null) when path exists, else [System.IO.File]::Move.
    try:
        if fs.test_path(path, "Leaf"):
            fs.replace(temp, path)
        else:
            fs.move(temp, path)
    except DotNetError as exc:
        raise DotNetError(exc.type_name, _calling("Replace" if fs.test_path(path, "Leaf") else "Move", 3, exc))


def _commit(ctx, params):
    fs = ctx.fs
    changed, results, problems = False, [], []
    for folder in params.get("Folders") or []:  # foreach ($folder in $Folders) { CreateDirectory }
        try:
            if fs.create_directory(folder):
                changed = True
        except DotNetError as exc:
            problems.append("cannot create the folder %s: %s" % (folder, _calling("CreateDirectory", 1, exc)))
    operations = params.get("Operations") or []
    for op in operations:  # foreach ($op in $Operations)
        path = fs.expand(op["path"])  # $path = [System.Environment]::ExpandEnvironmentVariables($op.path)
        out = {"path": path, "done": False, "failed": False, "msg": "", "error_kind": "", "backup_file": None,
               "sha1": None}
        temp = backup = None
        try:
            if op["op"] == "delete":
                current = _sha1(fs, path)
                if op.get("expected") is not None and current != op["expected"]:
                    out.update(failed=True, error_kind="conflict", msg="%s changed meanwhile (sha1 %s, expected %s); "
                               "it was left alone" % (path, current, op["expected"]))
                elif current != "absent":
                    fs.delete(path)
                    out["done"] = True
            else:
                if op["op"] == "restore":
                    try:
                        data = fs.read_bytes(fs.expand(op["source"]))
                    except DotNetError as exc:
                        raise DotNetError(exc.type_name, _calling("ReadAllBytes", 1, exc))
                else:
                    data = base64.b64decode(op["content"])
                temp = _new_beside(fs, path, data)
                current = _sha1(fs, path)
                if op.get("expected") is not None and current != op["expected"]:
                    out.update(failed=True, error_kind="conflict", msg="%s changed on the desk after it was read (sha1 "
                               "%s, expected %s): another process is editing it. Nothing was written; run the task "
                               "again." % (path, current, op["expected"]))
                else:
                    if op.get("backup") and current != "absent":
                        candidate = fs.expand(op["backup"])
                        try:
                            fs.copy(path, candidate, overwrite=False)
                        except DotNetError as exc:
                            raise DotNetError(exc.type_name, _calling("Copy", 3, exc))
                        backup = candidate
                    _in_one_step(fs, temp, path)
                    temp = None
                    out.update(done=True, backup_file=backup, sha1=_sha1(fs, path))
        except DotNetError as exc:
            out.update(failed=True, error_kind="io",
                       msg="cannot change %s: %s; the file was left as it was" % (path, exc.message))
            if backup and fs.test_path(backup, "Leaf"):
                try:
                    fs.delete(backup)
                except DotNetError:
                    out["backup_file"] = backup
        finally:
            if temp and fs.test_path(temp, "Leaf"):
                fs.delete(temp)
        if out["done"]:
            changed = True
        results.append(out)
    ledger = []
    for entry in params.get("Ledger") or []:  # head + selected records joined by sep + tail
        item = {"path": entry["path"], "failed": False, "msg": "", "written": False, "deleted": False}
        try:
            parts = [base64.b64decode(r).decode("utf-8") for r in entry.get("fixed") or [] if r]
            for index in entry.get("ops") or []:
                done = results[int(index)]["done"]
                if (entry["select"] == "done" and done) or (entry["select"] == "not_done" and not done):
                    parts.append(base64.b64decode(operations[int(index)]["record"]).decode("utf-8"))
            if parts or entry["when_empty"] == "write":
                text = base64.b64decode(entry["head"]).decode("utf-8") + entry["sep"].join(parts) + \
                    base64.b64decode(entry["tail"]).decode("utf-8")
                fs.create_directory(ntpath.dirname(entry["path"]))
                temp = _new_beside(fs, entry["path"], text.encode("utf-8"))
                try:
                    _in_one_step(fs, temp, entry["path"])
                finally:
                    if fs.test_path(temp, "Leaf"):
                        fs.delete(temp)
                item["written"] = True
                changed = True
            elif entry["when_empty"] == "delete" and fs.test_path(entry["path"], "Leaf"):
                fs.delete(entry["path"])
                item["deleted"] = True
                changed = True
        except DotNetError as exc:
            item.update(failed=True, msg="cannot write the ledger entry %s: %s" % (entry["path"], exc.message))
        ledger.append(item)
    removed = []
    for path in params.get("Remove") or []:
        try:
            if fs.test_path(path, "Leaf"):
                fs.delete(path)
                removed.append(path)
                changed = True
        except DotNetError as exc:
            problems.append("cannot delete %s: %s" % (path, _calling("Delete", 1, exc)))
    return {"operations": results, "ledger": ledger, "removed": removed, "problems": problems}, changed


def _logged_on(ctx, params):
    # Get-CimInstance Win32_UserProfile -Filter 'Loaded = TRUE AND Special = FALSE': the desk.json logged_on users,
    # each tested with [System.IO.Directory]::GetFileSystemEntries (UnauthorizedAccessException: not readable).
    fs = ctx.fs
    found = []
    for user in fs.config.get("logged_on") or []:
        path = fs.actual("C:\\Users\\%s" % user)
        item = {"path": path, "readable": True, "reason": ""}
        try:
            fs.list_dir(path)
        except DotNetError as exc:
            item.update(readable=False, reason=_calling("GetFileSystemEntries", 1, exc))
        found.append(item)
    return {"profiles": found}, False


SCRIPTS = {COMMIT: _commit, LOGGED_ON: _logged_on}


def run(ctx):
    params = basic_params(ctx, "win_powershell", SPEC)
    script = params["script"]
    if script is None or params["path"] or params["executable"]:
        raise ModuleExit({"failed": True, "msg": "the emulator runs only inline scripts it knows"})
    first = script.lstrip().splitlines()[0].strip() if script.strip() else ""
    if first not in SCRIPTS:
        raise ModuleExit({"failed": True, "msg": "the emulator does not know this script (first line %r); it runs "
                          "only %s" % (first, ", ".join(sorted(SCRIPTS)))})
    empty = {"host_out": "", "host_err": "", "output": [], "error": [], "warning": [], "verbose": [], "debug": [],
             "information": []}
    if ctx.check_mode and not _SHOULD_PROCESS.search(script):
        return basic_result(ctx, dict(empty, changed=True, result={}, msg="skipped, running in check mode"), params)
    try:
        value, changed = SCRIPTS[first](ctx, params["parameters"] or {})
    except DotNetError as exc:
        # win_powershell.ps1 lines 842-852: a terminating error ($ErrorActionPreference = 'Stop' in the script, or a
        # throw) is caught as RuntimeException, failed is set and its record joins error[]; $Ansible.Changed keeps
        # its default $true (line 662) and becomes changed (line 894); $Ansible.Result is what the script had set
        # (the emulated scripts set it only at their end: {}). No msg: that is the module wrapper's shape.
        return basic_result(ctx, dict(empty, changed=True, failed=True, result={}, error=[error_record(exc)]),
                            params)
    return basic_result(ctx, dict(empty, changed=changed, result=convert(value, params["depth"])), params)


def _format_exception(type_name, message, inner=None):
    # Format-Exception, win_powershell.ps1 lines 422-455
    return {"message": message, "type": type_name, "help_link": None, "source": None, "hresult": -2146233087,
            "inner_exception": inner}


def error_record(exc) -> dict:
    """One item of error[] (win_powershell.ps1 lines 909-935) for a .NET exception the script let through: a method
    call's exception is wrapped by PowerShell in MethodInvocationException ('Exception calling "M" with "N"
    argument(s): "<inner message>"'), anything else is reported as its own type."""
    match = re.match(r'^Exception calling "[^"]+" with "\d+" argument\(s\): "(.*)"$', exc.message, re.S)
    if match:
        exception = _format_exception("System.Management.Automation.MethodInvocationException", exc.message,
                                      _format_exception(exc.type_name, match.group(1)))
        error_id = "%sException" % exc.type_name.rsplit(".", 1)[-1].replace("Exception", "")
    else:
        exception = _format_exception(exc.type_name, exc.message)
        error_id = exc.type_name.rsplit(".", 1)[-1]
    return {"output": "%s\r\n    + CategoryInfo          : NotSpecified: (:) [], %s\r\n    + FullyQualifiedErrorId : "
                      "%s\r\n" % (exc.message, exception["type"].rsplit(".", 1)[-1], error_id),
            "error_details": None, "exception": exception, "target_object": None,
            "category_info": {"category": "NotSpecified", "category_id": 0, "activity": "", "reason":
                              exception["type"].rsplit(".", 1)[-1], "target_name": "", "target_type": ""},
            "fully_qualified_error_id": error_id, "script_stack_trace": "at <ScriptBlock>, <No file>",
            "pipeline_iteration_info": []}
