# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception type the engine raises: its message is meant for the user, as is."""

from __future__ import annotations


class SystemJsonError(Exception):
    """A user-facing problem with a desk's file or with the requested settings.

    ``kind`` lets callers tell classes of problem apart without parsing messages:
    ``parse`` (the file is not strict JSON), ``root`` (its root is not an object), ``encoding``,
    ``duplicate``, ``request`` (bad settings), ``conflict`` (file changed under us), ``io``.
    """

    def __init__(self, message: str, kind: str = "request"):
        super().__init__(message)
        self.kind = kind
