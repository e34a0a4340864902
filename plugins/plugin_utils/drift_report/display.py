# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the report shows paths, profiles and values: the same text in HTML, Markdown and JUnit. Pure Python.

- A file is shown relative to its profile or install folder (the desk plugin gives ``profile`` and ``root`` per
  file); the full path stays available (HTML: on hover). For plain ``system_json`` results, which carry no profile,
  the profile is read from a ``...\\Users\\<name>\\...`` (Windows) or ``/home/<name>/`` style path when there is one.
- A value is shown as the desk holds it: a string as its characters (``C:\\kim\\apps``, not the JSON-escaped
  ``C:\\\\kim\\\\apps``), objects and lists as JSON whose strings are not escaped either.
"""

from __future__ import annotations

import json
import re

from ansible_collections.ioconnect.fleet.plugins.module_utils.common import status as st

# <anything>\Users\<name>\... or /Users/<name>/ or /home/<name>/: the profile folder of a per-user install.
_PROFILE = re.compile(r"^(?P<root>.*?[\\/](?:users|home)[\\/](?P<name>[^\\/]+))(?=[\\/])", re.IGNORECASE)
ABSENT = "absent"

# What each desk status is called (the one vocabulary, module_utils/common/status.py), and the order of the
# report's count columns (what a reader looks for first).
STATUS_TITLES = st.TITLES
COLUMNS = (st.DRIFTED, st.CHANGED, st.COMPLIANT, st.FAILED, st.UNREACHABLE, st.NOT_INSTALLED, st.NOT_CHECKED)


def profile_of(path: str) -> tuple:
    """(profile, root) read from a per-user path, or (None, None)."""
    if not isinstance(path, str):
        return None, None
    match = _PROFILE.match(path)
    if not match:
        return None, None
    return match.group("name"), match.group("root")


def relative_path(path: str, root) -> str:
    """``path`` relative to ``root`` (with the path's own separator), or ``path`` when it is not under it."""
    if not path or not root:
        return path or ""
    base = root.rstrip("\\/")
    if len(path) > len(base) + 1 and path[: len(base)].lower() == base.lower() and path[len(base)] in "\\/":
        return path[len(base) + 1:]
    return path


def value_text(value, limit: int = 400, missing: bool = False) -> str:
    """A JSON value as one line of text, as the desk holds it. ``missing``: the key is absent on that side."""
    if missing:
        return ABSENT
    if isinstance(value, str):
        text = value if value else '""'
    else:
        text = _plain(value)
    text = re.sub(r"[\r\n\t]+", " ", text)
    return text if len(text) <= limit else text[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"


def _plain(value) -> str:
    """JSON-like text whose strings are shown unescaped (a display, not a serialisation)."""
    if isinstance(value, dict):
        return "{" + ", ".join('"%s": %s' % (k, _plain_item(v)) for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_plain_item(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False, default=str)


def _plain_item(value) -> str:
    if isinstance(value, str):
        return '"%s"' % value
    return _plain(value)


def side_missing(entry: dict, side: str) -> bool:
    """Whether the pointer is absent on that side of a drift entry (before of an add, after of a remove)."""
    return (side == "before" and entry.get("op") == "add") or (side == "after" and entry.get("op") == "remove")
