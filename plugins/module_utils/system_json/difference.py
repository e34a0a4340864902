# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift and diff: the differences between a desk's file and what it should hold, masked.

- compute_drift: {pointer, op, before, after} items, values masked by the task's masking policy.
- diff_texts: the file's own text before and the text that will be written after, with every secret masked in
  place (span by span), so each line of the diff other than a masked value is a line of the file.
"""

from __future__ import annotations

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import DEFAULT_POLICY
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.document import parse_bytes
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.merge import json_equal
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.pointer import format_pointer

BOM_TEXT = "\ufeff"


def _entry(policy, tokens, op, before, after, secret):
    if op == "add":
        shown_before, shown_after = None, policy.mask_value(after, secret)
    elif op == "remove":
        shown_before, shown_after = policy.mask_value(before, secret), None
    else:
        # A changed secret must still look changed, without showing either value.
        shown_before, shown_after = policy.mask_change(before, after, secret)
    return {"pointer": format_pointer(tokens), "op": op, "before": shown_before, "after": shown_after}


def compute_drift(before: dict, after: dict, policy=None) -> list:
    """[{pointer, op, before, after}] for every leaf that differs; arrays are compared whole.

    policy: the masking.MaskingPolicy of the task (its secret_keys); the built-in rules when None. A value is
    secret under a secret key, or as the value of a header-style pair, on either side.
    """
    # Not ansible-core's dict_transformations.recursive_diff: it compares with Python's ==, for which true is 1,
    # so a desk holding "enabled": 1 would not drift from "enabled": true; and it returns two partial dicts, where
    # the report needs one JSON pointer, one operation and masked values per difference.
    policy = policy or DEFAULT_POLICY
    out = []

    def walk(old, new, tokens, secret):
        if old is new:
            return
        if isinstance(old, dict) and isinstance(new, dict):
            for key, value in old.items():
                hidden = secret or policy.member_is_secret(old, key) or policy.member_is_secret(new, key)
                if key in new:
                    walk(value, new[key], tokens + [key], hidden)
                else:
                    out.append(_entry(policy, tokens + [key], "remove", value, None, hidden))
            for key, value in new.items():
                if key not in old:
                    out.append(_entry(policy, tokens + [key], "add", None, value,
                                      secret or policy.member_is_secret(new, key)))
        elif not json_equal(old, new):
            out.append(_entry(policy, tokens, "replace", old, new, secret))

    walk(before, after, [], False)
    return out


def diff_texts(document, new_bytes, path: str, policy=None) -> tuple:
    """(before, after): the file's text as it is and as it will be written, secrets masked in place.

    document: the parsed file (system_json.document.Document), or None when the file does not exist (before is
    then ''). new_bytes: the bytes that will be written. Both texts are the decoded bytes, byte order mark
    included, so every line other than a masked value is verbatim the file's. Secrets (policy) show MASK, and a
    secret whose value changes shows MASK_CHANGED after.
    """
    policy = policy or DEFAULT_POLICY
    written = parse_bytes(new_bytes, path)
    old_value = document.value if document is not None else {}
    shown_before, shown_after = policy.mask_change(old_value, written.value, keep_shape=True)
    after = (BOM_TEXT if written.style.bom else "") + written.substitute(shown_after)
    if document is None:
        return "", after
    before = (BOM_TEXT if document.style.bom else "") + document.substitute(shown_before)
    return before, after
