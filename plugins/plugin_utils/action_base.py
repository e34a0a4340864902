# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every action plugin of the collection does around its own work, written once.

The error flow is ansible.windows' ``win_template``: the work (``_run``) raises ``AnsibleActionFail`` with its
result, and ``run()`` catches it once, removes the remote temporary folder, and scrubs the request's secrets from
whatever the controller itself wrote into the result (messages, drift and diffs made on the controller never pass
through a module's ``no_log_values``). Everything was masked already; the scrub is the safety net.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import check_kind
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import DEFAULT_POLICY
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import policy as masking_policy


def action_failure(message: str, kind: str, **result) -> AnsibleActionFail:
    """The exception that ends an action plugin's task with a failure (raise it; FleetAction.run() catches it): its
    result holds ``error_kind`` (one of module_utils/common/errors.KINDS), ``changed: false`` unless given, and the
    other keys given (``path``, ``errors``, ...). A module ends its task with errors.fail_module instead."""
    result.setdefault("changed", False)
    result["error_kind"] = check_kind(kind)
    return AnsibleActionFail(message, result=result)


class FleetAction(ActionBase):
    """Subclasses set ``VALUE_OPTIONS`` (the options that carry values to write) and implement ``_run``."""

    VALUE_OPTIONS: tuple = ()

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        try:
            result.update(self._run(task_vars))
        except AnsibleActionFail as exc:
            result.update(exc.result)
            result["msg"] = exc.message
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        masking = self._masking()
        secrets = set()
        for option in self.VALUE_OPTIONS:
            secrets |= masking.secret_values(self._task.args.get(option))
        if secrets:
            result = remove_values(result, secrets)
        return result

    def _run(self, task_vars) -> dict:
        raise NotImplementedError

    def _masking(self):
        """The task's masking policy (its secret_keys); the built-in rules when secret_keys is unusable (the
        argument check reports that)."""
        try:
            return masking_policy(self._task.args.get("secret_keys"))
        except (TypeError, ValueError):
            return DEFAULT_POLICY
