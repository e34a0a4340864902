# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the report files: every requested format, each replaced atomically (no half-written report)."""

from __future__ import annotations

import os

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.atomic_write import write_file
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.render_html import render_html
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.render_json import render_json
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.render_junit import render_junit
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.render_markdown import render_markdown

# format name -> (file suffix, renderer)
FORMATS = {
    "json": (".json", render_json),
    "markdown": (".md", render_markdown),
    "html": (".html", render_html),
    "junit": (".junit.xml", render_junit),
}


def normalize_formats(formats) -> list:
    """Format names, lower-cased, de-duplicated, validated ('md' and 'xml' accepted as aliases)."""
    aliases = {"md": "markdown", "xml": "junit", "htm": "html"}
    if isinstance(formats, str):
        formats = formats.split(",")
    out = []
    for name in formats or []:
        name = aliases.get(str(name).strip().lower(), str(name).strip().lower())
        if not name:
            continue
        if name not in FORMATS:
            raise ValueError("unknown drift report format %r: choose from %s" % (name, ", ".join(FORMATS)))
        if name not in out:
            out.append(name)
    return out


def write_reports(report: dict, directory: str, formats, basename: str = "drift-report") -> dict:
    """Render and write each format into ``directory`` (created if needed). Returns {format: path}."""
    directory = os.path.abspath(os.path.expanduser(directory))
    os.makedirs(directory, exist_ok=True)
    written = {}
    for name in normalize_formats(formats):
        suffix, render = FORMATS[name]
        path = os.path.join(directory, basename + suffix)
        write_file(None, path, render(report).encode("utf-8"))
        written[name] = path
    return written
