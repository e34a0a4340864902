# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Masking of secret values wherever a value is reported (results, diffs, drift lists, reports).

Pure Python, no Ansible imports: used by the module on the desk and by controller-side plugins.
"""

from __future__ import annotations

import re

MASK = "********"
MASK_CHANGED = "******** (changed)"

# A key is secret when, lower-cased and stripped of '-', '_' and '.', it ends with one of these.
# "Ends with" rather than "contains" keeps harmless keys such as tokenRefreshInterval visible.
_SECRET_SUFFIXES = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "bearer",
    "apikey",
    "privatekey",
    "credential",
    "credentials",
    "authorization",
    "cookie",
)

# scheme://user:password@host -> the userinfo part is a credential wherever it appears.
# The look-behind makes a scheme start only where a run of scheme characters starts, so the scan stays linear
# on long strings without "://".
_URL_USERINFO = re.compile(r"(?<![A-Za-z0-9+.-])(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")


def is_secret_key(key) -> bool:
    """True when a mapping key names a secret (password, token, bearer, clientSecret, apiKey, ...)."""
    if not isinstance(key, str):
        return False
    norm = key.lower().replace("-", "").replace("_", "").replace(".", "")
    return norm.endswith(_SECRET_SUFFIXES)


def pointer_is_secret(tokens) -> bool:
    """True when any token of a JSON pointer (given as its list of tokens) names a secret."""
    return any(is_secret_key(t) for t in tokens)


def mask_string(value: str) -> str:
    """Hide credentials embedded in URLs (scheme://user:pass@host)."""
    if "://" not in value:
        return value
    return _URL_USERINFO.sub(lambda m: m.group("scheme") + MASK + "@", value)


def mask_value(value, secret: bool = False):
    """Return a copy of a JSON value with every value under a secret-like key replaced by MASK."""
    if secret:
        return MASK
    if isinstance(value, dict):
        return {k: mask_value(v, is_secret_key(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, str):
        return mask_string(value)
    return value


def secret_values(value, secret: bool = False, found=None) -> set:
    """Collect the string values held under secret-like keys (for Ansible's no_log_values)."""
    if found is None:
        found = set()
    if isinstance(value, dict):
        for k, v in value.items():
            secret_values(v, secret or is_secret_key(k), found)
    elif isinstance(value, list):
        for v in value:
            secret_values(v, secret, found)
    elif secret and value is not None and not isinstance(value, bool):
        text = str(value)
        if text:
            found.add(text)
    elif isinstance(value, str):
        for m in _URL_USERINFO.finditer(value):
            found.add(m.group("userinfo"))
            if ":" in m.group("userinfo"):
                found.add(m.group("userinfo").split(":", 1)[1])
    return found
