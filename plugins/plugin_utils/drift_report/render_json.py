# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift report as JSON (docs/drift-report.schema.json)."""

from __future__ import annotations

import json


# Above this many desks the JSON is written compact: Python's indenting encoder is pure Python, about ten times
# slower than the compact one, and a file of thousands of desks is read by tools, not by eye.
INDENT_UP_TO = 1000


def render_json(report: dict) -> str:
    """UTF-8 JSON, indented for up to INDENT_UP_TO desks; key order as built (summary first, desks last)."""
    indent = 2 if len(report.get("desks") or ()) <= INDENT_UP_TO else None
    return json.dumps(report, indent=indent, ensure_ascii=False, default=str) + "\n"
