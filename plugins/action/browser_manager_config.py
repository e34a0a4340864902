# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ioconnect.fleet.browser_manager_config.

Validates the ``manager`` object with jsonschema on the controller, where jsonschema is a requirement, and
fails there, before the web server or build host is contacted. Then runs the module, which renders and writes.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.ioconnect.fleet.plugins.module_utils.browser_manager import config as bm
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import secret_keys_errors

MODULE = "ioconnect.fleet.browser_manager_config"


def _failed(msg: str, kind: str, path, **extra) -> dict:
    out = {"failed": True, "changed": False, "msg": msg, "error_kind": kind, "path": path}
    out.update(extra)
    return out


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "y", "t")
    return bool(value)


class ActionModule(ActionBase):

    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp

        args = self._task.args
        path = args.get("path")
        if "manager" not in args or args.get("manager") is None:
            result.update(_failed("%s: the manager option is required (url and auth at least)" % path, "schema", path,
                                  errors=["manager: is required"]))
            return result
        bad_names = secret_keys_errors(args.get("secret_keys"))
        if bad_names:
            result.update(_failed("%s: %s" % (path, "; ".join(bad_names)), "schema", path, errors=bad_names))
            return result
        try:
            errors, _warnings = bm.validate(
                args["manager"], _truthy(args.get("allow_plain_http", False)), use_jsonschema=True
            )
        except bm.JsonschemaMissing:
            result.update(_failed(
                "jsonschema is required on the controller to validate the manager configuration: "
                "pip install -r requirements/runtime.txt (jsonschema>=4.18)", "request", path))
            return result
        if errors:
            # Deprecation warnings come from the module, so they are shown once and only for valid objects.
            result.update(_failed(
                "%s: the manager configuration is invalid, nothing was written: %s" % (path, "; ".join(errors)),
                "schema", path, errors=errors))
            return result

        try:
            result.update(self._execute_module(MODULE, module_args=args, task_vars=task_vars))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
