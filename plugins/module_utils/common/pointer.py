# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RFC 6901 JSON pointers: parse and format."""

from __future__ import annotations

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError


def parse_pointer(pointer: str) -> list:
    """'/server/url' -> ['server', 'url']; '~1' and '~0' unescape to '/' and '~'."""
    if not isinstance(pointer, str):
        raise FleetError("JSON pointer %r is not a string" % (pointer,))
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise FleetError(
            "JSON pointer %r must start with '/' (RFC 6901), for example '/server' or '/crashReporter/output'"
            % pointer)
    tokens = []
    for raw in pointer[1:].split("/"):
        if "~" in raw.replace("~0", "").replace("~1", ""):
            raise FleetError("JSON pointer %r has an invalid escape: only ~0 and ~1 are allowed" % pointer)
        tokens.append(_unescape(raw))
    return tokens


def format_pointer(tokens) -> str:
    """['server', 'url'] -> '/server/url'."""
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in tokens)


def pointer_tokens(pointer: str) -> list:
    """The tokens of a pointer read back from a result or a stored report, where it is data, not input: never
    raises (a malformed escape is kept as written)."""
    return [_unescape(tok) for tok in str(pointer).split("/")[1:]]


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")
