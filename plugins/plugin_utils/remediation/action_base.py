# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the remediation loop's action plugins (remediation_plan, remediation_record, remediation_clear) share: they
work on the controller, against the drift history their history options name, after checking their arguments."""

from __future__ import annotations

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.action_base import FleetAction
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.remediation.store import (
    RemediationStore,
    history_location,
)


class RemediationAction(FleetAction):
    """Subclasses set ``SPEC`` (their argument spec, with the history options) and implement ``_act``."""

    TRANSFERS_FILES = False
    _supports_async = False
    SPEC: dict = {}

    def _run(self, task_vars) -> dict:
        _validation, args = self.validate_argument_spec(argument_spec=self.SPEC)
        return self._act(args, task_vars)

    def _act(self, args: dict, task_vars) -> dict:
        raise NotImplementedError

    @staticmethod
    def _store(args: dict) -> RemediationStore:
        """The drift history of history_path / history_dsn / history_timeout (the callback's defaults), unopened."""
        where = history_location(args["history_path"], args["history_dsn"])
        return RemediationStore(where["path"], where["dsn"], args["history_timeout"])
