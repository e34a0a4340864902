# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift report as JSON (docs/drift-report.schema.json)."""

from __future__ import annotations

import json


def render_json(report: dict) -> str:
    """Indented UTF-8 JSON; key order as built (summary first, desks last), never sorted."""
    return json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n"
