# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The JSON type of a Python value: what makes two values comparable, and what a message calls a wrong value."""

from __future__ import annotations

# How a message to a YAML writer names the JSON types (a role variable is a list or a mapping to them).
YAML_NAMES = {"array": "list", "object": "mapping"}


def json_type(value) -> str:
    """null, boolean, number, string, object or array; a str subclass (a templated Ansible string) is a string,
    and true is a boolean, never the number 1."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def yaml_type(value) -> str:
    """json_type in a YAML writer's words: list and mapping for array and object."""
    kind = json_type(value)
    return YAML_NAMES.get(kind, kind)
