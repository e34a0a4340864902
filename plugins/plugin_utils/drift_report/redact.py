# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Defensive masking of everything the drift report writes.

system_json already masks its drift list; the report masks again, because a report file is kept, mailed and
published as a CI artifact: a secret that slipped through once must not reach it. Pure Python.
"""

from __future__ import annotations

import re

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import (
    MASK,
    is_secret_key,
    mask_string,
    mask_value,
)

# "Authorization: Bearer abc" style credentials inside free text (messages, labels, header values).
_SCHEME_CREDENTIAL = re.compile(r"\b(?P<scheme>Bearer|Basic|Negotiate|Token)\s+(?P<cred>[A-Za-z0-9._~+/=-]{6,})",
                                re.IGNORECASE)
# key=value / key: value pairs inside free text, e.g. "password=hunter2" in an error message. The key starts at a
# word start (the lookbehind), which keeps the regex linear on long words; whether it names a secret is decided by
# masking.is_secret_key, the one definition of "secret-like".
_PAIR = re.compile(r"(?<![A-Za-z0-9_.-])(?P<key>[A-Za-z0-9_.-]+)(?P<sep>[\"']?\s*[:=]\s*[\"']?)(?P<value>[^\s\"',;&}]+)")
# Characters XML 1.0 forbids, and other C0 controls that only break terminals and tables.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def redact_text(text, limit: int = 0) -> str:
    """A free-text string made safe to keep: URL credentials, scheme credentials and key=secret pairs masked.

    limit: when set, the text is cut to about twice that before masking (the masking regexes are not all linear)
    and to ``limit`` after it, so a secret is never cut in half before it is recognised.
    """
    if text is None:
        return ""
    text = str(text)
    if limit and len(text) > 2 * limit:
        text = text[: 2 * limit]
    text = _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text)
    text = mask_string(text)
    text = _SCHEME_CREDENTIAL.sub(lambda m: m.group("scheme") + " " + MASK, text)
    return _PAIR.sub(_mask_pair, text)


def _mask_pair(match) -> str:
    if not is_secret_key(match.group("key")):
        return match.group(0)
    return match.group("key") + match.group("sep") + MASK


def redact_value(value, secret: bool = False):
    """A JSON value with secrets masked: masking.mask_value, then the free-text rules on every string.

    Also masks the ``{"name": "Authorization", "value": "..."}`` shape (header lists), where the secret's key is
    data rather than a mapping key.
    """
    if secret:
        return MASK
    value = mask_value(_cut_long_strings(value))
    return _redact_walk(value)


MAX_VALUE_TEXT = 4000  # a report shows values, it does not back them up


def _cut_long_strings(value):
    if isinstance(value, str) and len(value) > MAX_VALUE_TEXT:
        return value[:MAX_VALUE_TEXT] + "\N{HORIZONTAL ELLIPSIS} (%d characters)" % len(value)
    if isinstance(value, dict):
        return {k: _cut_long_strings(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_cut_long_strings(v) for v in value]
    return value


def _redact_walk(value):
    if isinstance(value, dict):
        named = value.get("name", value.get("key"))
        secret_pair = isinstance(named, str) and is_secret_key(named)
        out = {}
        for key, item in value.items():
            if secret_pair and key == "value":
                out[key] = MASK
            else:
                out[_CONTROL.sub("\N{REPLACEMENT CHARACTER}", key) if isinstance(key, str) else key] = _redact_walk(item)
        return out
    if isinstance(value, (list, tuple)):
        return [_redact_walk(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return redact_text(value)
