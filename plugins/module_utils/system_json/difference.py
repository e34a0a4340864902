# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift: the differences between a desk's file and what it should hold, as masked JSON pointers."""

from __future__ import annotations

import json

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import (
    MASK_CHANGED,
    mask_value,
    pointer_is_secret,
)
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.merge import json_equal
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.pointer import format_pointer


def _entry(tokens, op, before, after):
    secret = pointer_is_secret(tokens)
    return {
        "pointer": format_pointer(tokens),
        "op": op,
        "before": None if op == "add" else mask_value(before, secret),
        # A changed secret must still look changed, without showing either value.
        "after": None if op == "remove" else (MASK_CHANGED if secret and op == "replace" else mask_value(after, secret)),
    }


def compute_drift(before: dict, after: dict) -> list:
    """[{pointer, op, before, after}] for every leaf that differs; arrays are compared whole."""
    out = []

    def walk(old, new, tokens):
        if old is new:
            return
        if isinstance(old, dict) and isinstance(new, dict):
            for key, value in old.items():
                if key in new:
                    walk(value, new[key], tokens + [key])
                else:
                    out.append(_entry(tokens + [key], "remove", value, None))
            for key, value in new.items():
                if key not in old:
                    out.append(_entry(tokens + [key], "add", None, value))
        elif not json_equal(old, new):
            out.append(_entry(tokens, "replace", old, new))

    walk(before, after, [])
    return out


def diff_texts(before: dict, after: dict, drift: list) -> tuple:
    """Masked before/after JSON texts of only the top-level keys that changed (kubernetes.core style)."""
    keys = []
    for entry in drift:
        top = entry["pointer"].split("/")[1].replace("~1", "/").replace("~0", "~")
        if top not in keys:
            keys.append(top)

    def render(doc, changed_secrets=()):
        part = {key: mask_value(doc[key], pointer_is_secret([key])) for key in keys if key in doc}
        for tokens in changed_secrets:
            node = part
            for token in tokens[:-1]:
                node = node.get(token) if isinstance(node, dict) else None
            if isinstance(node, dict) and tokens[-1] in node:
                node[tokens[-1]] = MASK_CHANGED
        return json.dumps(part, indent=4, ensure_ascii=False) + "\n" if part else ""

    changed_secrets = [
        [t.replace("~1", "/").replace("~0", "~") for t in entry["pointer"].split("/")[1:]]
        for entry in drift if entry["op"] == "replace" and entry["after"] == MASK_CHANGED
    ]
    return render(before), render(after, changed_secrets)
