# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The error the system_json engine raises (a FleetError, so callers may catch either)."""

from __future__ import annotations

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError


class SystemJsonError(FleetError):
    """A user-facing problem with a desk's system.json or with the requested settings (see FleetError.kind)."""
