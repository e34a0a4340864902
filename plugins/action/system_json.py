# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ioconnect.fleet.system_json.

1. Validates the task's arguments and the requested settings on the controller (once per distinct request per run),
   before any desk is contacted.
2. POSIX desks: runs the module on the desk (one round trip). With validate_with: plans on the desk, validates the
   merged document on the controller, then writes with a checksum guard.
3. Windows desks: slurp -> merge here with the same module_utils -> win_stat checksum guard -> win_copy action.
   Check mode only reads.
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile

from ansible import constants as C
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.args import (
    CONTROLLER_ONLY,
    VALUE_OPTIONS,
    controller_argument_spec,
)
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.engine import checksum, plan
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.document import parse_bytes
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import DEFAULT_POLICY
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import policy as masking_policy
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.merge import Request
from ansible_collections.ioconnect.fleet.plugins.plugin_utils import validation
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.request_schema import TOP_LEVEL_KEYS

display = Display()

MODULE = "ioconnect.fleet.system_json"


def _failed(msg, kind, path=None, **extra):
    out = {"failed": True, "changed": False, "msg": msg, "error_kind": kind}
    if path is not None:
        out["path"] = path
    out.update(extra)
    return out


class ActionModule(ActionBase):

    # No remote temp folder up front: the module needs none with pipelining, and win_copy makes its own.
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(controller_argument_spec())

    def run(self, tmp=None, task_vars=None):
        result = self._run(tmp, task_vars)
        # Results made here (a schema error quoting a wrong-typed value, a Windows write error, the Windows path's
        # drift and diff) never pass through a module's no_log_values: the request's secrets, found by the task's
        # masking policy, are scrubbed from them here. Everything was masked already; this is the safety net.
        masking = self._masking()
        secrets = set()
        for option in VALUE_OPTIONS:
            secrets |= masking.secret_values(self._task.args.get(option))
        if secrets:
            result = remove_values(result, secrets)
        return result

    def _masking(self):
        """The task's masking policy (its secret_keys); the built-in rules when secret_keys is unusable (the
        argument check reports that)."""
        try:
            return masking_policy(self._task.args.get("secret_keys"))
        except (TypeError, ValueError):
            return DEFAULT_POLICY

    def _run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp

        _validation, args = self.validate_argument_spec(argument_spec=controller_argument_spec())
        path = args["path"]

        problem = self._check_request(args)
        if problem:
            result.update(problem)
            return result

        validator = None
        if args["validate_with"]:
            try:
                validator = validation.load_schema_set(args["validate_with"], args["validate_schema"])
            except (ValueError, RuntimeError) as exc:
                result.update(_failed(str(exc), "request", path))
                return result

        module_args = {k: v for k, v in args.items() if k not in CONTROLLER_ONLY}
        try:
            if getattr(self._connection._shell, "_IS_WINDOWS", False):
                result.update(self._run_windows(module_args, validator, task_vars))
            elif validator is not None:
                result.update(self._run_posix_validated(module_args, validator, task_vars))
            else:
                result.update(self._execute_module(MODULE, module_args=module_args, task_vars=task_vars))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    # -- controller-side checks -------------------------------------------------------------------
    def _check_request(self, args):
        try:
            request = Request.from_params(args)
        except FleetError as exc:
            return _failed(str(exc), exc.kind, args["path"])
        unknown = [key for key in request.settings if key not in TOP_LEVEL_KEYS]
        if unknown:
            display.warning(request.masking.mask_text(
                "system_json: settings %s %s not top-level key(s) of io.Connect Desktop's system.json "
                "(@interopio/schemas 10.2), whose schema forbids unknown keys: check the spelling"
                % (", ".join(sorted(unknown)), "is" if len(unknown) == 1 else "are")))
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
            return _failed(str(exc), "request", args["path"])
        if errors:
            return _failed("invalid settings for %s (no desk was touched): %s"
                           % (args["path"], "; ".join(errors)), "request", args["path"], errors=errors)
        return None

    def _schema_problem(self, validator, new_bytes, path):
        document = parse_bytes(new_bytes, path).value
        errors = validation.document_errors(validator, document, self._masking())
        if errors:
            return _failed("%s would not satisfy the schema in validate_with, so nothing was written: %s"
                           % (path, "; ".join(errors)), "schema", path, errors=errors)
        return None

    # -- POSIX with validate_with -------------------------------------------------------------------
    def _run_posix_validated(self, module_args, validator, task_vars):
        """Read, merge and validate here; the module then writes only if the file is still what was read."""
        path = module_args["path"]
        raw = self._slurp("ansible.builtin.slurp", path, task_vars)
        if isinstance(raw, dict):
            return raw
        try:
            result_plan = plan(raw, Request.from_params(module_args), path, module_args["when_missing"])
        except FleetError as exc:
            return _failed(str(exc), exc.kind, path)
        if not result_plan.changed:
            return result_plan.result(diff_mode=self._task.diff)
        problem = self._schema_problem(validator, result_plan.new_bytes, path)
        if problem:
            return problem
        if self._task.check_mode:
            return result_plan.result(diff_mode=self._task.diff)
        return self._execute_module(MODULE, module_args=dict(module_args,
                                                             expected_checksum=result_plan.original_checksum),
                                    task_vars=task_vars)

    # -- Windows --------------------------------------------------------------------------------------
    def _run_windows(self, module_args, validator, task_vars):
        path = module_args["path"]
        raw = self._slurp("ansible.windows.slurp", path, task_vars)
        if isinstance(raw, dict):
            return raw
        newline = "\r\n"
        try:
            result_plan = plan(raw, Request.from_params(module_args), path, module_args["when_missing"], newline,
                               windows=True)
        except FleetError as exc:
            return _failed(str(exc), exc.kind, path)
        result = result_plan.result(diff_mode=self._task.diff)
        if not result_plan.changed:
            return result
        if validator is not None:
            problem = self._schema_problem(validator, result_plan.new_bytes, path)
            if problem:
                return problem
        if self._task.check_mode:
            return result

        current = self._remote_checksum(path, task_vars)
        if isinstance(current, dict):
            return current
        if current != result_plan.original_checksum:
            return _failed("%s changed on the desk after it was read (checksum %s, expected %s): another process is "
                           "editing it. Nothing was written; run the task again."
                           % (path, current, result_plan.original_checksum), "conflict", path)

        copied = self._win_copy(path, result_plan.new_bytes, module_args["backup"] and raw is not None, task_vars)
        if copied.get("failed"):
            return _failed("writing %s failed, the file was left as it was: %s"
                           % (path, result_plan.masking.mask_text(to_text(copied.get("msg", "")))), "io", path)
        if copied.get("backup_file"):
            result["backup_file"] = copied["backup_file"]
        return result

    def _slurp(self, module_name, path, task_vars):
        """The file's bytes, None when it does not exist, or a failed result."""
        slurped = self._execute_module(module_name, module_args={"src": path}, task_vars=task_vars)
        if not slurped.get("failed"):
            return base64.b64decode(slurped["content"])
        msg = to_text(slurped.get("msg", ""))
        if "not found" in msg.lower() or "does not exist" in msg.lower():
            return None
        if "is a directory" in msg.lower() or "must be a file" in msg.lower():
            return _failed("%s is a directory, not a file; check path (it should name system.json)" % path, "io", path)
        return _failed("cannot read %s: %s" % (path, self._masking().mask_text(msg)), "io", path)

    def _remote_checksum(self, path, task_vars):
        stat = self._execute_module("ansible.windows.win_stat",
                                    module_args={"path": path, "get_checksum": True, "checksum_algorithm": "sha1"},
                                    task_vars=task_vars)
        if stat.get("failed"):
            return _failed("cannot check %s before writing: %s" % (path, to_text(stat.get("msg", ""))), "io", path)
        info = stat.get("stat", {})
        if not info.get("exists"):
            return checksum(None)
        return to_text(info.get("checksum", "")).lower()

    def _win_copy(self, path, data, backup, task_vars):
        """Write data to path through the ansible.windows.win_copy action, as win_template does."""
        local_dir = tempfile.mkdtemp(dir=C.DEFAULT_LOCAL_TMP)
        try:
            local_file = os.path.join(local_dir, "system.json")
            with open(to_bytes(local_file, errors="surrogate_or_strict"), "wb") as handle:
                handle.write(data)
            new_task = self._task.copy()
            new_task.args = {"src": local_file, "dest": path, "backup": backup}
            new_task.diff = False  # our own masked diff is the only one shown; win_copy's would hold secrets
            copy_action = self._shared_loader_obj.action_loader.get(
                "ansible.windows.win_copy", task=new_task, connection=self._connection,
                play_context=self._play_context, loader=self._loader, templar=self._templar,
                shared_loader_obj=self._shared_loader_obj)
            return copy_action.run(task_vars=task_vars)
        finally:
            shutil.rmtree(to_bytes(local_dir, errors="surrogate_or_strict"), ignore_errors=True)
