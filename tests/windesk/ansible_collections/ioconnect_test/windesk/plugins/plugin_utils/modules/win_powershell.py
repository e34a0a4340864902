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
import fnmatch
import hashlib
import ntpath
import re
import uuid

from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.basic import ModuleExit, basic_params, basic_result
from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.desk_fs import DotNetError
from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.safe_io import SafeIo, UnsafeLink, same

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

COMMIT = "# ioconnect.fleet commit/2"
SCAN = "# ioconnect.fleet scan/1"
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


REPLACE_ERRORS = {1175: "ERROR_UNABLE_TO_REMOVE_REPLACED", 1176: "ERROR_UNABLE_TO_MOVE_REPLACEMENT",
                  1177: "ERROR_UNABLE_TO_MOVE_REPLACEMENT_2"}
WIN32_MESSAGES = {5: "Access is denied.", 32: "The process cannot access the file because it is being used by another "
                  "process.", 183: "Cannot create a file when that file already exists."}


def _sha1(data):
    # Get-Sha1: 'absent' for $null, else the lower-case hex SHA-1 of the bytes
    return "absent" if data is None else hashlib.sha1(data).hexdigest()


def _cause(exc):
    # Get-Cause / Get-Kind: unsafe_link for UnsafeLinkException, access for UnauthorizedAccessException, else io
    if isinstance(exc, UnsafeLink):
        return "unsafe_link"
    return "access" if exc.type_name == "System.UnauthorizedAccessException" else "io"


def _kill(fs, step, path):
    # The process dies right after a step (desk.json kill_at): no result reaches Ansible.
    if fs.killed_at(step, path):
        raise Crash("the desk's PowerShell process was killed after the step %s of %s" % (step, path))


def _holding(io, real, root):
    # Get-Holding: the SHA-1 of what Real holds now, 'unknown' when it cannot be read as a plain file
    try:
        return _sha1(io.open_read(real, root))
    except DotNetError:
        return "unknown"


def _set_checked(io, real, root, data, old):
    # Set-Checked, statement by statement.
    fs = io.fs
    folder, name = ntpath.dirname(real), ntpath.basename(real)
    new, before = _sha1(data), _sha1(old)
    out = {"holds": "other", "msg": "", "left": []}
    temp = ntpath.join(folder, ".%s.%s.tmp" % (name, uuid.uuid4().hex))  # step: temp
    if fs.crashes_writing(real):
        io.create_exclusive(temp, root, data[:len(data) // 2])
        raise Crash("the desk's PowerShell process was killed while writing %s" % temp)
    io.create_exclusive(temp, root, data)
    _kill(fs, "temp", real)
    displaced = None  # step: replace
    if old is None:
        code, call = io.move(temp, real), "MoveFileEx"
    else:
        displaced = ntpath.join(folder, ".%s.%s.old" % (name, uuid.uuid4().hex))
        code, call = io.replace(real, temp, displaced), "ReplaceFile"
    _kill(fs, "replace", real)
    now = _holding(io, real, root)  # step: settle
    if now == "absent" and displaced and fs.test_path(displaced, "Leaf"):
        if _holding(io, displaced, root) == before and io.move(displaced, real) == 0:
            now = _holding(io, real, root)
    if now == "absent" and fs.test_path(temp, "Leaf"):
        if io.move(temp, real) == 0:
            now = _holding(io, real, root)
    if now == new:
        out["holds"] = "new"
    elif now == before:
        out["holds"] = "old"
    elif now == "absent":
        out["holds"] = "none"
    if code:
        label = REPLACE_ERRORS.get(code) or WIN32_MESSAGES.get(code, "Win32 error")
        out["msg"] = "%s failed (Win32 error %d, %s)" % (call, code, label)
    for spare in [temp] + ([displaced] if displaced else []):
        if not fs.test_path(spare, "Leaf"):
            continue
        if out["holds"] in ("new", "old"):
            fs.delete(spare)
        else:
            out["left"].append(spare)
    return out


def _outcome(path, set_):
    # Get-Outcome
    text = {"old": "%s still holds its old settings" % path, "none": "%s is missing; nothing was deleted" % path,
            "other": "%s holds neither the old nor the new settings (someone else is writing it)" % path}[set_["holds"]]
    if set_["left"]:
        text += "; kept for you: " + ", ".join(set_["left"])
    return text


def _settle(io, out, op, real, root, current):
    # The 'settle' operation, statement by statement: spares .<name>.<32 hex>.old|.tmp beside the file.
    fs = io.fs
    folder = ntpath.dirname(real)
    prefix = "." + ntpath.basename(real) + "."
    spares = [e for e in fs.list_dir(folder) if fs.test_path(e, "Leaf") and ntpath.basename(e).lower().startswith(
        prefix.lower()) and re.match(r"^[0-9a-f]{32}\.(old|tmp)$", ntpath.basename(e)[len(prefix):])]
    sums = {}
    for spare in spares:
        sums[spare] = _holding(io, spare, root)
    for want in (op.get("expected"), op.get("new_sha1")):
        if current != "absent":
            break
        for spare in spares:
            if sums.get(spare) == want and io.move(spare, real) == 0:
                current = _holding(io, real, root)
                sums.pop(spare)
                break
    if current == op.get("new_sha1"):
        out.update(holds="new", done=True, sha1=current)
    elif current == op.get("expected"):
        out["holds"] = "old"
    else:
        out["holds"] = "none" if current == "absent" else "other"
    for spare in list(sums):
        ours = sums[spare] in (op.get("expected"), op.get("new_sha1"))
        if ours and out["holds"] in ("new", "old"):
            fs.delete(spare)
        elif fs.test_path(spare, "Leaf"):
            out["left"].append(spare)
    if op.get("backup"):
        backup = ntpath.join(folder, ntpath.basename(fs.expand(op["backup"])))
        if fs.test_path(backup, "Leaf"):
            out["backup_file"] = backup
    if not out["done"]:
        out.update(failed=True, error_kind="io", msg=_outcome(real, out))


def _commit(ctx, params):
    fs = ctx.fs
    io = SafeIo(fs)
    changed, results, problems = False, [], []
    for folder in params.get("Folders") or []:  # foreach ($folder in $Folders)
        io.pins = set()
        try:
            path, root = fs.expand(folder["path"]), fs.expand(folder["root"])
            real = io.resolve(path, root, io.pins)
            if not fs.test_path(real, "Container"):
                fs.create_directory(real)
                changed = True
                again = io.resolve(path, root)
                if not same(again, real):
                    raise UnsafeLink("%s became %s while it was created" % (path, again))
        except DotNetError as exc:
            problems.append("cannot create the folder %s: %s" % (folder["path"], exc.message))
    operations = params.get("Operations") or []
    for op in operations:  # foreach ($op in $Operations)
        path, root = fs.expand(op["path"]), fs.expand(op.get("root") or "")
        out = {"path": path, "done": False, "failed": False, "msg": "", "error_kind": "", "backup_file": None,
               "sha1": None, "holds": "old", "left": []}
        io.pins = set()
        try:
            real = io.resolve(path, root, io.pins)  # step: resolve
            out["path"] = real
            events = fs.plant("swap_during_commit", pinned=io.pins)
            if events:
                ctx.events.extend(events)
            old = io.open_read(real, root)
            current = _sha1(old)
            if op["op"] == "settle":
                _settle(io, out, op, real, root, current)
            elif op.get("expected") is not None and current != op["expected"]:
                out.update(failed=True, error_kind="conflict", msg="%s changed on the desk after it was read (sha1 "
                           "%s, expected %s): another process is editing it. Nothing was written; run the task "
                           "again." % (real, current, op["expected"]))
            elif op["op"] == "delete":
                if old is not None:
                    fs.delete(real)
                    out.update(done=True, holds="none")
            else:
                data = None
                if op["op"] == "restore":
                    source = io.resolve(fs.expand(op["source"]), root, io.pins)
                    data = io.open_read(source, root)
                    if _sha1(data) != op.get("source_sha1"):
                        out.update(failed=True, error_kind="conflict", msg="the backup %s does not hold what the "
                                   "ledger recorded (sha1 %s, expected %s); %s was left as it is"
                                   % (source, _sha1(data), op.get("source_sha1"), real))
                        data = None
                else:
                    data = base64.b64decode(op["content"])
                if data is not None:
                    if op.get("backup") and old is not None:  # step: backup
                        backup = ntpath.join(ntpath.dirname(real), ntpath.basename(fs.expand(op["backup"])))
                        io.create_exclusive(backup, root, old)
                        out["backup_file"] = backup
                        _kill(fs, "backup", real)
                    set_ = _set_checked(io, real, root, data, old)
                    out.update(holds=set_["holds"], left=set_["left"])
                    if set_["holds"] == "new":
                        out.update(done=True, sha1=_sha1(data))
                    else:
                        out.update(failed=True, error_kind="io", msg="cannot change %s: %s; %s"
                                   % (real, set_["msg"], _outcome(real, set_)))
        except DotNetError as exc:
            kind = _cause(exc)
            out.update(failed=True, error_kind=kind)
            if kind == "unsafe_link":
                out["msg"] = "%s. Nothing was read from it or written through it." % exc.message
            else:
                out["msg"] = "cannot change %s: %s; it still holds its old settings" % (path, exc.message)
        finally:
            io.pins = set()
        if out["failed"] and out["holds"] == "old" and out["backup_file"]:
            try:
                fs.delete(out["backup_file"])
                out["backup_file"] = None
            except DotNetError:
                pass
        if out["done"]:
            changed = True
        results.append(out)
    ledger = []
    for entry in params.get("Ledger") or []:  # head + selected records joined by sep + tail
        item = {"path": entry["path"], "failed": False, "msg": "", "written": False, "deleted": False}
        io.pins = set()
        try:
            parts = [base64.b64decode(r).decode("utf-8") for r in entry.get("fixed") or [] if r]
            for index in entry.get("ops") or []:
                done = results[int(index)]["done"]
                if (entry["select"] == "done" and done) or (entry["select"] == "not_done" and not done):
                    parts.append(base64.b64decode(operations[int(index)]["record"]).decode("utf-8"))
            real_folder = io.resolve(ntpath.dirname(entry["path"]), entry["root"], io.pins)
            real = ntpath.join(real_folder, ntpath.basename(entry["path"]))
            if parts or entry["when_empty"] == "write":
                text = base64.b64decode(entry["head"]).decode("utf-8") + entry["sep"].join(parts) + \
                    base64.b64decode(entry["tail"]).decode("utf-8")
                fs.create_directory(real_folder)
                set_ = _set_checked(io, real, entry["root"], text.encode("utf-8"), io.open_read(real, entry["root"]))
                if set_["holds"] != "new":
                    raise DotNetError("System.IO.IOException", set_["msg"])
                item["written"] = True
                changed = True
            elif entry["when_empty"] == "delete" and fs.test_path(real, "Leaf"):
                fs.delete(real)
                item["deleted"] = True
                changed = True
        except DotNetError as exc:
            item.update(failed=True, msg="cannot write the ledger entry %s: %s" % (entry["path"], exc.message))
        ledger.append(item)
    removed = []
    for item in params.get("Remove") or []:
        io.pins = set()
        try:
            real = io.resolve(fs.expand(item["path"]), fs.expand(item["root"]), io.pins)
            if fs.test_path(real, "Leaf"):
                fs.delete(real)
                removed.append(item["path"])
                changed = True
        except DotNetError as exc:
            problems.append("cannot delete %s: %s" % (item["path"], exc.message))
    return {"operations": results, "ledger": ledger, "removed": removed, "problems": problems}, changed


def _like(name, patterns):
    # Test-Like: PowerShell -like, case-insensitive wildcards
    return any(fnmatch.fnmatchcase(name.lower(), p.lower()) for p in patterns)


def _scan(ctx, params):
    # The SCAN script, statement by statement: read-only.
    fs = ctx.fs
    io = SafeIo(fs)
    found, read, problems, listed = [], {}, [], []
    patterns, reads = params.get("Patterns") or [], params.get("Read") or []

    def add_problem(path, root, exc):
        problems.append({"path": path, "root": root, "error_kind": _cause(exc), "msg": exc.message})

    def add_file(path, real, root):
        found.append({"path": path, "target": real, "root": root})
        if not _like(ntpath.basename(path), reads):
            return
        key = real.lower()
        if key in read:
            return
        try:
            data = io.open_read(real, root)
            if data is None:
                read[key] = {"path": real, "exists": False}
            else:
                read[key] = {"path": real, "exists": True, "sha1": _sha1(data),
                             "content": base64.b64encode(data).decode("ascii")}
        except DotNetError as exc:
            read[key] = {"path": real, "exists": None, "error_kind": _cause(exc), "msg": exc.message}

    def search_folder(path, real, root, left, seen):
        key = real.lower()
        if key in seen:
            return
        seen.add(key)
        try:
            # DirectoryInfo.EnumerateFileSystemInfos() | Sort-Object Name: the attributes come with the listing
            entries = sorted(fs.list_dir(real), key=lambda e: ntpath.basename(e).lower())
        except DotNetError as exc:
            add_problem(path, root, DotNetError(exc.type_name, _calling("EnumerateFileSystemInfos", 0, exc)))
            return
        for entry in entries:
            name = ntpath.basename(entry)
            shown = ntpath.join(path, name)
            try:
                attrs = fs.attributes(entry) or {"is_dir": False, "is_link": False}
                target, is_dir = entry, attrs["is_dir"]
                if attrs["is_link"]:  # ReparsePoint: only these are opened to be looked at
                    node = io.inspect(entry)
                    if not node.exists:
                        continue
                    target = io.resolve(node.path, root)
                    node = io.inspect(target)
                    if not node.exists:
                        continue
                    is_dir = node.is_dir
                if is_dir:
                    if left > 1:
                        search_folder(shown, target, root, left - 1, seen)
                elif _like(name, patterns):
                    add_file(shown, target, root)
            except DotNetError as exc:
                add_problem(shown, root, exc)

    def search_root(path, root, levels):
        try:
            real = io.resolve(path, root)
        except DotNetError as exc:
            add_problem(path, root, exc)
            return
        if fs.test_path(real, "Container"):
            search_folder(path, real, root, levels, set())

    mode, profile_root = params.get("Profiles") or "all", params.get("ProfileRoot") or "C:\\Users"
    candidates = []
    if mode == "all":
        try:
            skip = [s.lower() for s in params.get("Skip") or []]
            candidates = sorted((ntpath.basename(e) for e in fs.list_dir(profile_root)
                                 if fs.test_path(e, "Container") and ntpath.basename(e).lower() not in skip),
                                key=str.lower)
        except DotNetError as exc:
            raise DotNetError(exc.type_name, "the profile folder %s cannot be listed: %s"
                              % (profile_root, _calling("GetDirectories", 1, exc)))
    elif mode == "named":
        candidates = params.get("Users") or []
    elif mode == "logged_on":
        candidates = [fs.actual("C:\\Users\\%s" % user) for user in fs.config.get("logged_on") or []]
    elif mode == "current":
        candidates = [fs.env["USERPROFILE"]]
    for candidate in candidates:
        if mode == "named" and (re.search(r"[\\/:]", candidate) or re.match(r"^\.\.?$", candidate)):
            listed.append({"name": candidate, "path": "", "readable": False, "reason": "not a profile name",
                           "error_kind": "request"})
            continue
        path = ntpath.join(profile_root, candidate)
        item = {"name": ntpath.basename(path), "path": path, "readable": True, "reason": "", "error_kind": ""}
        try:
            node = io.inspect(path)
            if not node.exists or not node.is_dir:
                item.update(readable=False, reason="no such profile folder", error_kind="missing")
            else:
                item["path"] = io.resolve(path, path)
                item["name"] = ntpath.basename(node.path)
                try:
                    fs.list_dir(item["path"])
                except DotNetError as exc:
                    raise DotNetError(exc.type_name, _calling("GetFileSystemEntries", 1, exc))
        except DotNetError as exc:
            item.update(readable=False, reason=exc.message, error_kind=_cause(exc))
        listed.append(item)
        if item["readable"]:
            for below in params.get("Under") or []:
                search_root(ntpath.join(item["path"], below), item["path"], int(params.get("Depth") or 4))
    for extra in params.get("Roots") or []:
        search_root(extra["path"], extra["root"], int(extra["depth"]))
    for file in params.get("Files") or []:
        path, root = fs.expand(file["path"]), fs.expand(file["root"])
        try:
            add_file(path, io.resolve(path, root), root)
        except DotNetError as exc:
            read[path.lower()] = {"path": path, "exists": None, "error_kind": _cause(exc), "msg": exc.message}
            found.append({"path": path, "target": path, "root": root})
    ctx.events.extend(fs.plant("after_scan"))
    return {"profiles": listed, "entries": found, "files": list(read.values()), "problems": problems}, False


SCRIPTS = {COMMIT: _commit, SCAN: _scan}


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
