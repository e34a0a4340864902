# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one user-facing exception type: its message is meant for the user, as is."""

from __future__ import annotations


class FleetError(Exception):
    """A user-facing problem with a desk's file, a request or a setting.

    ``kind`` lets callers tell classes of problem apart without parsing messages:
    ``parse`` (the file is not strict JSON), ``root`` (its root is not an object), ``encoding``,
    ``duplicate``, ``request`` (bad settings), ``conflict`` (file changed under us), ``io``, ``missing``,
    ``schema``, ``access`` (the connecting account cannot read a profile or file), ``unsafe_link`` (a link the
    rule of desk/links.py does not follow).
    """

    def __init__(self, message: str, kind: str = "request"):
        super().__init__(message)
        self.kind = kind
