# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Defensive masking of everything the drift report writes.

system_json already masks its drift list; the report masks again, because a report file is kept, mailed and
published as a CI artifact: a secret that slipped through once must not reach it. The rules are the collection's
one masking policy (module_utils/common/masking.py, with the run's secret_keys); this file adds only what a report
needs besides: no control characters, and no endless values. Pure Python.
"""

from __future__ import annotations

import re

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import (
    DEFAULT_POLICY,
    MASK,
    MASK_CHANGED,
)

# Characters XML 1.0 forbids, and other C0 controls that only break terminals and tables.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def redact_text(text, limit: int = 0, policy=None) -> str:
    """A free-text string made safe to keep: every credential shape of the masking policy hidden.

    limit: when set, the text is cut to about twice that before masking (the masking regexes are not all linear)
    and to ``limit`` after it, so a secret is never cut in half before it is recognised.
    policy: a masking.MaskingPolicy (the run's secret_keys); the built-in rules when None.
    """
    if text is None:
        return ""
    text = str(text)
    if limit and len(text) > 2 * limit:
        text = text[: 2 * limit]
    text = _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text)
    return (policy or DEFAULT_POLICY).mask_text(text)


def redact_value(value, secret: bool = False, policy=None):
    """A JSON value with secrets masked by the masking policy (keys, header-style pairs, URL user info, free-text
    shapes in every string), long strings cut and control characters replaced.

    secret: the value sits under a secret pointer; it becomes MASK (MASK_CHANGED stays MASK_CHANGED, so a changed
    secret still looks changed).
    """
    if secret:
        return MASK_CHANGED if value == MASK_CHANGED else MASK
    value = (policy or DEFAULT_POLICY).mask_value(_cut_long_strings(value))
    return _clean(value)


MAX_VALUE_TEXT = 4000  # a report shows values, it does not back them up


def _cut_long_strings(value):
    if isinstance(value, str) and len(value) > MAX_VALUE_TEXT:
        return value[:MAX_VALUE_TEXT] + "\N{HORIZONTAL ELLIPSIS} (%d characters)" % len(value)
    if isinstance(value, dict):
        return {k: _cut_long_strings(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_cut_long_strings(v) for v in value]
    return value


def _clean(value):
    """Control characters out of keys and strings; anything that is not JSON becomes masked text."""
    if isinstance(value, dict):
        return {(_CONTROL.sub("\N{REPLACEMENT CHARACTER}", key) if isinstance(key, str) else key): _clean(item)
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(item) for item in value]
    if isinstance(value, str):
        return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return redact_text(value)
