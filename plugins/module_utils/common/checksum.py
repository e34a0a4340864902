# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checksum every path compares: sha1 of a file's bytes, as ansible's stat and ansible.windows.win_stat report
it, with ``absent`` for a file that does not exist. A plan records it, and a write goes ahead only while the file
still has it."""

from __future__ import annotations

import hashlib


def checksum(raw) -> str:
    """sha1 of a file's bytes, or 'absent' for None."""
    return "absent" if raw is None else hashlib.sha1(raw).hexdigest()


def file_checksum(path: str) -> str:
    """checksum() of the file at path now ('absent' when there is none). Follows links: for files outside users'
    folders only (desk/safe_fs.py reads those)."""
    try:
        with open(path, "rb") as handle:
            return checksum(handle.read())
    except FileNotFoundError:
        return checksum(None)
