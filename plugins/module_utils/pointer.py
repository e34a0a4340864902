# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RFC 6901 JSON pointers: parse, format, look up and remove."""

from __future__ import annotations

from ansible_collections.ioconnect.fleet.plugins.module_utils.errors import SystemJsonError

_MISSING = object()


def parse_pointer(pointer: str) -> list:
    """'/server/url' -> ['server', 'url']; '~1' and '~0' unescape to '/' and '~'."""
    if not isinstance(pointer, str):
        raise SystemJsonError("JSON pointer %r is not a string" % (pointer,))
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise SystemJsonError(
            "JSON pointer %r must start with '/' (RFC 6901), for example '/server' or '/crashReporter/output'"
            % pointer
        )
    tokens = []
    for raw in pointer[1:].split("/"):
        if "~" in raw.replace("~0", "").replace("~1", ""):
            raise SystemJsonError("JSON pointer %r has an invalid escape: only ~0 and ~1 are allowed" % pointer)
        tokens.append(raw.replace("~1", "/").replace("~0", "~"))
    return tokens


def format_pointer(tokens) -> str:
    """['server', 'url'] -> '/server/url'."""
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in tokens)


def _index(container: list, token: str, pointer: str):
    if token == "-" or not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise SystemJsonError("JSON pointer %s: %r is not an array index" % (pointer, token))
    return int(token)


def resolve(document, tokens):
    """Value at the pointer, or the module's _MISSING sentinel."""
    node = document
    for token in tokens:
        if isinstance(node, dict):
            if token not in node:
                return _MISSING
            node = node[token]
        elif isinstance(node, list):
            if not token.isdigit():
                return _MISSING
            idx = int(token)
            if idx >= len(node):
                return _MISSING
            node = node[idx]
        else:
            return _MISSING
    return node


def remove_pointer(document: dict, pointer: str) -> bool:
    """Remove the value at the pointer in place. Returns False when there was nothing to remove."""
    tokens = parse_pointer(pointer)
    if not tokens:
        raise SystemJsonError("JSON pointer '' names the whole document, which cannot be removed")
    parent = resolve(document, tokens[:-1])
    last = tokens[-1]
    if isinstance(parent, dict):
        if last in parent:
            del parent[last]
            return True
        return False
    if isinstance(parent, list):
        idx = _index(parent, last, pointer)
        if idx < len(parent):
            del parent[idx]
            return True
        return False
    return False


def is_missing(value) -> bool:
    return value is _MISSING
