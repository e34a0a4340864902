# -*- coding: utf-8 -*-
"""Comparing a masked diff text with the file it shows, line by line (shared by the diff and fuzz tests)."""

from __future__ import annotations

import re

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import MASK, MASK_CHANGED

_JSON_SCALAR = r'(?:"(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null)'
_MASKED = re.compile(r'"%s"|"%s"' % (re.escape(MASK_CHANGED), re.escape(MASK)))


def assert_same_lines(shown: str, real: str):
    """shown is real line for line; a line may differ only where shown holds a masked value (any JSON scalar in
    the file at that place). Returns the number of masked lines."""
    shown_lines, real_lines = shown.splitlines(True), real.splitlines(True)
    assert len(shown_lines) == len(real_lines), "the diff has the file's lines"
    masked = 0
    for number, (line, file_line) in enumerate(zip(shown_lines, real_lines), 1):
        if line == file_line:
            continue
        assert _MASKED.search(line), "line %d is not the file's: %r != %r" % (number, line, file_line)
        pattern = "".join(_JSON_SCALAR if part is None else re.escape(part) for part in _split_masks(line))
        assert re.fullmatch(pattern, file_line, re.DOTALL), "line %d differs beyond its masked values: %r vs %r" % (
            number, line, file_line)
        masked += 1
    return masked


def _split_masks(line):
    pos = 0
    for match in _MASKED.finditer(line):
        yield line[pos:match.start()]
        yield None
        pos = match.end()
    yield line[pos:]
