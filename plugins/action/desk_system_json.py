# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ioconnect.fleet.desk_system_json: one task per desk, an adapter around the desk workflow.

1. On the controller, before the desk is contacted: the options (argument spec), the desk's pairs, their io.Manager
   instances and the request of each pair's files (module_utils/desk/workflow.pairs, once per desk), every request
   against io.Connect Desktop's schema and the URL policy, the whole-document schema set of validate_with.
   validate_only stops here.
2. Preflight: each io.Manager instance is asked once per run whether it answers (plugin_utils/preflight.py).
3. The workflow (module_utils/desk/workflow.py) runs where the desk's Desk is: on a POSIX desk inside the desk
   module, which gets the resolved pairs (two round trips with validate_with when a file changes); on a Windows desk
   here, over plugin_utils/windows_desk.WindowsDesk (ansible.windows modules only).
"""

from __future__ import annotations

import os
import re

from ansible.errors import AnsibleActionFail

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import policy as masking_policy
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import topology, workflow
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk.args import (
    CONTROLLER_ONLY,
    NOT_FROM_VARS,
    REQUEST_OPTIONS,
    VALUE_OPTIONS,
    argument_spec,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils import preflight, validation
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.action_base import FleetAction, action_failure
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.plain import plain
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.windows_desk import WindowsDesk

MODULE = "ioconnect.fleet.desk_system_json"
ROLE = "ioconnect.fleet.desktop"


def _desk_failure(name: str, exc: FleetError, **extra) -> AnsibleActionFail:
    """The task's failure for a problem that stops the whole desk (name: the desk's name)."""
    return action_failure("%s: %s" % (name, exc) if not str(exc).startswith(name + ":") else str(exc), exc.kind,
                          status="failed", desk=name, files=[], error=str(exc), **extra)


def _options_named(message: str) -> list:
    """The options an argument-spec error message names."""
    return [name for name in argument_spec() if re.search(r"\b%s\b" % re.escape(name), message)]


class ActionModule(FleetAction):

    TRANSFERS_FILES = False
    VALUE_OPTIONS = VALUE_OPTIONS
    _VALID_ARGS = frozenset(argument_spec())

    def _run(self, task_vars):
        params = self._params(task_vars)
        name = params["desk"]
        names = self._names()
        windows = bool(getattr(self._connection._shell, "_IS_WINDOWS", False))
        check_mode = bool(self._task.check_mode)

        if params["state"] == "rolled_back":
            if params["validate_only"]:
                return {"changed": False, "desk": name, "msg": "%s: nothing to validate for a rollback" % name}
            if not windows:
                return self._execute_module(MODULE, module_args=self._module_args(params), task_vars=task_vars)
            desk = WindowsDesk(self, task_vars)
            try:
                result = workflow.roll_back(desk, name, params, check_mode)
            except FleetError as exc:
                raise _desk_failure(name, exc, remote_operations=desk.operations)
            result["remote_operations"] = desk.operations
            if result.pop("failed"):
                raise AnsibleActionFail(result["msg"], result=result)
            return result

        if not windows:
            params["current_user"] = params["current_user"] or self._remote_user(task_vars)
        try:
            desk_pairs = workflow.pairs(name, params, names, windows)
            validator = validation.validate_pairs(name, params, desk_pairs, names)
        except FleetError as exc:
            raise _desk_failure(name, exc)
        instances = [p.instance for p in desk_pairs]
        if params["preflight"]:
            self._preflight(name, params, instances)
        if params["validate_only"]:
            return {"changed": False, "desk": name, "env_region": [i.name for i in instances],
                    "instances": [i.as_dict() for i in instances],
                    "msg": "%s: %s validated%s; nothing was touched" % (
                        name, ", ".join(i.name for i in instances),
                        " and answering" if params["preflight"] else "")}
        if not windows:
            module_args = self._module_args(params, desk_pairs)
            if validator is not None:
                return self._posix_validated(module_args, validator, params, task_vars, check_mode)
            return self._execute_module(MODULE, module_args=module_args, task_vars=task_vars)
        desk = WindowsDesk(self, task_vars)
        try:
            result = workflow.configure(desk, desk_pairs, params, check_mode, bool(self._task.diff), names,
                                        before_commit=self._schema_check(validator) if validator else None)
        except FleetError as exc:
            raise _desk_failure(name, exc, remote_operations=desk.operations)
        result["remote_operations"] = desk.operations
        return result

    # -- the options -------------------------------------------------------------------------------------------
    def _params(self, task_vars) -> dict:
        """The task's options checked against the argument spec (taken from variables with options_from_vars)."""
        prefix = self._task.args.get("options_from_vars")
        if prefix:
            self._task.args = self._options_from_vars(prefix, task_vars)
        try:
            _validation, params = self.validate_argument_spec(argument_spec=argument_spec())
        except AnsibleActionFail as exc:
            if not prefix:
                raise
            named = [prefix + name for name in _options_named(exc.message)]
            raise action_failure("%s: %s (the task's options come from the variables %s<option>%s). No desk was "
                                 "touched." % (task_vars.get("inventory_hostname", "desk"), exc.message, prefix,
                                               ": check " + ", ".join(named) if named else ""),
                                 "request", status="failed", files=[])
        params = plain(params)
        params["desk"] = params["desk"] or task_vars.get("inventory_hostname", "desk")
        return params

    def _options_from_vars(self, prefix, task_vars) -> dict:
        """The task's options, each one the task does not set taken from the variable <prefix><option> when it is
        defined: templated here, once, with the desk's variables. A variable that is null (or an empty string for
        an option without a default) leaves the option unset. Templating a handful of variables costs a worker a
        fraction of what templating thirty task arguments would (each would be compiled as a Jinja template)."""
        if not isinstance(prefix, str) or not prefix.strip():
            raise action_failure("options_from_vars must be a variable name prefix such as desktop_, got %r" % (prefix,),
                                 "request")
        args = dict(self._task.args)
        templar = self._templar.copy_with_new_env(available_variables=task_vars)
        for name, entry in argument_spec().items():
            variable = prefix + name
            if name in args or name in NOT_FROM_VARS or name.startswith("_") or variable not in task_vars:
                continue
            value = templar.template(task_vars[variable])
            if value is None or (value == "" and entry.get("default") is None):
                continue
            args[name] = value
        return args

    def _names(self) -> topology.Names:
        prefix = self._task.args.get("options_from_vars")
        if prefix:
            return topology.Names(prefix=prefix)
        return topology.Names(role=self._from_role())

    def _from_role(self) -> bool:
        role = getattr(self._task, "_role", None)
        name = getattr(role, "_role_name", "") or getattr(role, "get_name", lambda: "")()
        return name in (ROLE, "desktop")

    def _remote_user(self, task_vars) -> str:
        try:
            user = self._connection.get_option("remote_user")
        except KeyError:
            user = None
        return user or task_vars.get("ansible_user") or os.environ.get("USER", "")

    def _module_args(self, params, desk_pairs=None) -> dict:
        """What the desk module gets: the options it acts on; with desk_pairs, the pairs resolved here instead of
        the options they were resolved from."""
        dropped = CONTROLLER_ONLY + (REQUEST_OPTIONS if desk_pairs else ())
        args = {k: v for k, v in params.items() if k not in dropped}
        if desk_pairs:
            args["_pairs"] = {p.instance.name: p.as_dict() for p in desk_pairs}
        args["_variable_prefix"] = self._names().prefix
        return args

    # -- on the controller, before the desk is contacted -------------------------------------------------------
    def _preflight(self, desk, params, instances):
        down = []
        for instance in instances:
            up, detail = preflight.answers(instance.preflight_url, params["preflight_timeout"],
                                           params["preflight_validate_certs"])
            if not up:
                down.append("%s at %s (%s)" % (instance.name, instance.preflight_url, detail))
        if down:
            raise _desk_failure(desk, FleetError(
                "io.Manager %s did not answer, so this desk is not switched to it. Nothing was written on this desk. "
                "Fix the instance (or the topology URL) and run again; -e desktop_preflight=false (the role's variable; "
                "preflight: false on the task) skips this check."
                % ", ".join(down), kind="preflight"))

    @staticmethod
    def _schema_check(validator):
        """With validate_with: every file that would change must satisfy the schema set (an override in the
        desktop's merged view); a file that does not fails alone, and is not written."""
        def check(outcomes):
            for outcome in outcomes:
                if outcome.changed and not outcome.failed:
                    errors = validation.document_errors(validator, outcome.plan.merged_view(), outcome.plan.masking)
                    if errors:
                        outcome.fail(FleetError("%s would not satisfy the schema in validate_with, so nothing was "
                                                "written: %s" % (outcome.target.shown, "; ".join(errors)),
                                                kind="schema"))
        return check

    # -- POSIX with validate_with ------------------------------------------------------------------------------
    def _posix_validated(self, module_args, validator, params, task_vars, check_mode):
        """Plan on the desk (the merged documents come back), validate them here, then write, in a second round
        trip, only the files that are still as they were read."""
        planned = self._execute_module(MODULE, module_args=dict(module_args, _plan_only=True), task_vars=task_vars)
        problems = {}
        masking = masking_policy(params["secret_keys"])
        for item in planned.get("files") or []:
            merged = item.pop("merged", None)
            if merged is not None:
                errors = validation.document_errors(validator, merged, masking)
                if errors:
                    problems[item["target"]] = ("%s would not satisfy the schema in validate_with, so nothing was "
                                                "written: %s" % (item["path"], "; ".join(errors)))
        if problems:
            for item in planned["files"]:
                if item["target"] in problems:
                    item.update(failed=True, error_kind="schema", msg=problems[item["target"]])
            errors = [planned.get("error")] if planned.get("error") else []
            planned.update(failed=True, status="failed", error=" | ".join(errors + list(problems.values())))
            planned["msg"] = "%s: FAILED: %s" % (planned.get("desk"), planned["error"])
        if problems or planned.get("failed") or check_mode or not planned.get("changed"):
            planned["check_mode"] = check_mode
            return planned
        expected = {f["target"]: f["checksum"] for f in planned["files"] if f.get("changed")}
        return self._execute_module(MODULE, module_args=dict(module_args, _expected_checksums=expected),
                                    task_vars=task_vars)
