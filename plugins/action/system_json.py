# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ioconnect.fleet.system_json.

1. Validates the task's arguments and the requested settings on the controller (once per distinct request per run),
   before any desk is contacted.
2. POSIX desks: runs the module on the desk (one round trip). With validate_with: reads with slurp, merges and
   validates here, then the module writes only if the file is still as read (expected_checksum).
3. Windows desks (plugin_utils/windows_remote.py): ansible.windows.slurp, the merge here with the same engine, then one
   win_powershell run that writes the file beside itself, checks it did not change meanwhile, backs it up and
   replaces it in one step. Check mode only reads. One module execution to check, two to write (three for an
   override file, whose base file is read too).

Failures raise AnsibleActionFail with their result (action_base.action_failure), and run() catches them once (as
ansible.windows' win_template).
"""

from __future__ import annotations

import base64

from ansible.module_utils.common.text.converters import to_text
from ansible.utils.display import Display

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.checksum import checksum
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.args import (
    CONTROLLER_ONLY,
    VALUE_OPTIONS,
    controller_argument_spec,
)
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.engine import base_path, plan
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.merge import Request, document_kind
from ansible_collections.ioconnect.fleet.plugins.plugin_utils import validation
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.action_base import FleetAction, action_failure
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.plain import plain
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.request_schema import TOP_LEVEL_KEYS
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.windows_remote import WindowsRemote, backup_name, root_of

display = Display()

MODULE = "ioconnect.fleet.system_json"


class ActionModule(FleetAction):

    # No remote temp folder up front: the module needs none with pipelining.
    TRANSFERS_FILES = False
    VALUE_OPTIONS = VALUE_OPTIONS
    _VALID_ARGS = frozenset(controller_argument_spec())

    def _run(self, task_vars):
        _validation, args = self.validate_argument_spec(argument_spec=controller_argument_spec())
        args = plain(args)
        self._check_request(args)
        validator = None
        if args["validate_with"]:
            try:
                validator = validation.load_schema_set(args["validate_with"], args["validate_schema"])
            except (ValueError, RuntimeError) as exc:
                raise action_failure(str(exc), "request", path=args["path"])
        module_args = {k: v for k, v in args.items() if k not in CONTROLLER_ONLY}
        if getattr(self._connection._shell, "_IS_WINDOWS", False):
            return self._run_windows(module_args, validator, task_vars)
        if validator is not None:
            return self._run_posix_validated(module_args, validator, task_vars)
        return self._execute_module(MODULE, module_args=module_args, task_vars=task_vars)

    # -- controller-side checks -------------------------------------------------------------------
    def _check_request(self, args):
        path = args["path"]
        try:
            request = Request.from_params(args)
        except FleetError as exc:
            raise action_failure(str(exc), exc.kind, path=path)
        unknown = [key for key in request.settings if key not in TOP_LEVEL_KEYS]
        if unknown:
            display.warning(request.masking.mask_text(
                "system_json: settings %s %s not top-level key(s) of io.Connect Desktop's system.json "
                "(@interopio/schemas 10.2), whose schema forbids unknown keys: check the spelling"
                % (", ".join(sorted(unknown)), "is" if len(unknown) == 1 else "are")))
        if not getattr(self._connection._shell, "_IS_WINDOWS", False) and (
                path[1:3] == ":\\" or path.startswith("%") or "\\" in path):
            display.warning(request.masking.mask_text(
                "system_json: %s looks like a Windows path, but this desk is reached with a POSIX shell, so it is "
                "taken as a file name relative to the remote user's folder. For a Windows desk set "
                "ansible_shell_type=powershell (and its connection: winrm, psrp or ssh)." % path))
        shapes = {}
        if request.server is not None:
            shapes["server"] = request.server
        if request.crash_reporter is not None:
            shapes["crashReporter"] = request.crash_reporter
        if request.app_stores is not None:
            shapes["appStores"] = request.app_stores
        try:
            errors = validation.validate_request(shapes, args["allow_plain_http"], masking=request.masking)
        except RuntimeError as exc:
            raise action_failure(str(exc), "request", path=path)
        if errors:
            raise action_failure("invalid settings for %s (no desk was touched): %s" % (path, "; ".join(errors)),
                                 "request", path=path, errors=errors)

    # -- read, merge, validate: the same opening for POSIX with validate_with and for Windows ------------------
    def _read_and_plan(self, read, module_args, validator, newline="\n", windows=False):
        """(raw bytes, Plan) of the file, read with read(path) -> bytes or None, checked against
        expected_checksum, merged and, with validate_with, validated (an override in the desktop's merged view)."""
        path = module_args["path"]
        try:
            raw = read(path)
            expected = module_args.get("expected_checksum")
            if expected is not None and checksum(raw) != expected:
                raise FleetError("%s changed on the desk after it was read (checksum %s, expected %s): another "
                                 "process is editing it. Nothing was written; run the task again."
                                 % (path, checksum(raw), expected), kind="conflict")
            base = None
            if document_kind(path, module_args["kind"]) == "override":
                base = read(base_path(path))
            request = Request.from_params(module_args)
            result_plan = plan(raw, request, path, module_args["when_missing"], newline, kind=module_args["kind"],
                               base=base, windows=windows)
        except FleetError as exc:
            raise action_failure(str(exc), exc.kind, path=path)
        if validator is not None and result_plan.changed:
            errors = validation.document_errors(validator, result_plan.merged_view(), request.masking)
            if errors:
                raise action_failure("%s would not satisfy the schema in validate_with, so nothing was written: %s"
                                     % (path, "; ".join(errors)), "schema", path=path, errors=errors)
        return raw, result_plan

    # -- POSIX with validate_with -------------------------------------------------------------------
    def _slurp_posix(self, path):
        slurped = self._execute_module("ansible.builtin.slurp", module_args={"src": path},
                                       task_vars=self._task_vars)
        if not slurped.get("failed"):
            return base64.b64decode(slurped["content"])
        msg = self._masking().mask_text(to_text(slurped.get("msg", "")))
        if "not found" in msg.lower() or "does not exist" in msg.lower():
            return None
        if "is a directory" in msg.lower() or "must be a file" in msg.lower():
            raise FleetError("%s is a directory, not a file; check path (it should name system.json)" % path,
                             kind="io")
        raise FleetError("cannot read %s: %s" % (path, msg), kind="io")

    def _run_posix_validated(self, module_args, validator, task_vars):
        """Read, merge and validate here; the module then writes only if the file is still what was read."""
        self._task_vars = task_vars
        _raw, result_plan = self._read_and_plan(self._slurp_posix, module_args, validator)
        if not result_plan.changed or self._task.check_mode:
            return result_plan.result(diff_mode=self._task.diff)
        return self._execute_module(MODULE, module_args=dict(module_args,
                                                             expected_checksum=result_plan.original_checksum),
                                    task_vars=task_vars)

    # -- Windows --------------------------------------------------------------------------------------
    def _run_windows(self, module_args, validator, task_vars):
        remote = WindowsRemote(self, task_vars)
        path = module_args["path"]
        root = root_of(path)
        wanted = [{"path": path, "root": root}]
        if document_kind(path, module_args["kind"]) == "override":
            wanted.append({"path": base_path(path), "root": root})
        try:
            scanned = remote.scan(files=wanted)
        except FleetError as exc:
            raise action_failure(str(exc), exc.kind, path=path)
        # The scan answers in the order asked, each file by its real path (every link on the way decided by the
        # rule of module_utils/desk/links.py).
        real = [to_text(e.get("target") or e["path"]) for e in scanned["entries"]]
        read_scanned = remote.scanned_read(scanned)

        def read(name):
            index = 0 if name == path else 1
            return read_scanned(real[index]) if index < len(real) else None

        raw, result_plan = self._read_and_plan(read, module_args, validator, newline="\r\n", windows=True)
        result = result_plan.result(diff_mode=self._task.diff)
        if not result_plan.changed or self._task.check_mode:
            return result
        backup = None
        if module_args["backup"] and raw is not None:
            # <path>.<yyyyMMdd-HHmmss>.<16 random hex digits>.bak: no desk user can plant anything under it beforehand
            backup = backup_name(path)
        new_sha1 = checksum(result_plan.new_bytes)
        done = remote.commit([{"op": "write", "path": path, "root": root, "content": result_plan.new_bytes,
                             "expected": result_plan.original_checksum, "backup": backup}])
        item = (done.get("operations") or [{}])[0]
        if item.get("backup_file"):
            result["backup_file"] = to_text(item["backup_file"])
        if item.get("done"):
            return result
        kind = to_text(item.get("error_kind") or "io")
        if done.get("unanswered"):
            # The desk gave no answer (the process died between two steps): a second run puts the old or the new
            # bytes back under the name from what the first left beside it, and says which.
            again = remote.commit([{"op": "settle", "path": path, "root": root, "expected": result_plan.original_checksum,
                                  "new_sha1": new_sha1, "backup": backup}])
            settled = (again.get("operations") or [{}])[0]
            if settled.get("backup_file"):
                result["backup_file"] = to_text(settled["backup_file"])
            if settled.get("done"):
                return result
            state = to_text(settled.get("msg") or "") if not again.get("unanswered") else \
                "what it holds now could not be checked: look at it before running again"
            first = self._masking().mask_text(to_text(item.get("msg")))
            raise action_failure("writing %s failed (%s); %s" % (path, first, state), kind, path=path,
                                 **{k: v for k, v in result.items() if k == "backup_file"})
        raise action_failure("writing %s failed: %s" % (path, self._masking().mask_text(to_text(item.get("msg")))),
                             kind, path=path, **{k: v for k, v in result.items() if k == "backup_file"})
