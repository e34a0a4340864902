# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ioconnect.fleet.browser_manager_config.

Checks the options against the module's argument spec (module_utils/browser_manager/args.py) and validates the
``manager`` object with jsonschema on the controller, where jsonschema is a requirement, and fails there, before the
web server or build host is contacted. Then runs the module, which renders and writes. Failures raise
AnsibleActionFail with their result (plugin_utils/action_base.action_failure), and run() catches them once.
"""

from __future__ import annotations

from ansible.module_utils.basic import FILE_COMMON_ARGUMENTS

from ansible_collections.ioconnect.fleet.plugins.module_utils.browser_manager import config as bm
from ansible_collections.ioconnect.fleet.plugins.module_utils.browser_manager.args import argument_spec
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import secret_keys_errors
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.action_base import FleetAction, action_failure
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.plain import plain

MODULE = "ioconnect.fleet.browser_manager_config"


def controller_spec() -> dict:
    """The module's options as the controller checks them: ``manager`` as one dict (jsonschema checks inside it),
    and the file attributes (mode, owner, ...) that the module takes as every file module does."""
    spec = dict(FILE_COMMON_ARGUMENTS)
    spec.update(argument_spec(manager_options=False))
    # Optional here, so that a missing manager gets the same kind of message as a wrong one.
    spec["manager"] = dict(spec["manager"], required=False)
    return spec


class ActionModule(FleetAction):

    _supports_check_mode = True
    _supports_async = False
    VALUE_OPTIONS = ("manager",)

    def _run(self, task_vars):
        _validation, params = self.validate_argument_spec(argument_spec=controller_spec())
        params = plain(params)
        path = self._task.args["path"]  # as written: type=path expands ~ here, on the controller
        if params.get("manager") is None:
            raise action_failure("%s: the manager option is required (url and auth at least)" % path, "schema",
                                 path=path, errors=["manager: is required"])
        bad_names = secret_keys_errors(params["secret_keys"])
        if bad_names:
            raise action_failure("%s: %s" % (path, "; ".join(bad_names)), "schema", path=path, errors=bad_names)
        try:
            errors, _warnings = bm.validate(params["manager"], params["allow_plain_http"], use_jsonschema=True)
        except bm.JsonschemaMissing:
            raise action_failure("jsonschema is required on the controller to validate the manager configuration: "
                                 "pip install -r requirements/runtime.txt (jsonschema>=4.18)", "request", path=path)
        if errors:
            # Deprecation warnings come from the module, so they are shown once and only for valid objects.
            raise action_failure("%s: the manager configuration is invalid, nothing was written: %s"
                                 % (path, "; ".join(errors)), "schema", path=path, errors=errors)
        return self._execute_module(MODULE, module_args=self._task.args, task_vars=task_vars)
