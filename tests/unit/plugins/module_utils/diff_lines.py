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


_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@\n")
CUT = "\N{HORIZONTAL ELLIPSIS}"
NO_NEWLINE = "\\ No newline at end of file\n"


def lines_of(text: str) -> list:
    """The lines of text, each with its newline: split at "\n" only, as diff does (str.splitlines also splits at
    U+2028 and other characters a JSON string may hold raw)."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def parse_unified(prepared: str) -> tuple:
    """(before header, after header, [(before start, before count, after start, after count, [(mark, line)])]) of a
    unified diff; a line followed by diff's no-newline marker is given without its newline."""
    lines = lines_of(prepared)
    assert lines[0].startswith("--- ") and lines[1].startswith("+++ "), prepared[:300]
    hunks, pos = [], 2
    while pos < len(lines):
        match = _HUNK.fullmatch(lines[pos])
        assert match, "not a hunk header: %r" % lines[pos]
        b_start, b_count, a_start, a_count = (int(g) if g is not None else 1 for g in match.groups())
        pos += 1
        body = []
        while pos < len(lines) and not lines[pos].startswith("@@ "):
            line = lines[pos]
            assert line[0] in " -+", "not a hunk line: %r" % line
            if pos + 1 < len(lines) and lines[pos + 1] == NO_NEWLINE:
                body.append((line[0], line[1:-1]))
                pos += 2
            else:
                body.append((line[0], line[1:]))
                pos += 1
        assert sum(1 for m, _l in body if m != "+") == b_count, "the header counts the hunk's before lines"
        assert sum(1 for m, _l in body if m != "-") == a_count, "the header counts the hunk's after lines"
        hunks.append((b_start, b_count, a_start, a_count, body))
    return lines[0][4:-1], lines[1][4:-1], hunks


def apply_unified(before: str, prepared: str) -> str:
    """before patched with the diff (every context and removed line checked against before): the text the diff
    says comes after. Only for diffs without masked values or cut lines."""
    old = lines_of(before)
    out, pos = [], 0
    for b_start, b_count, _a_start, _a_count, body in parse_unified(prepared)[2]:
        first = b_start - 1 if b_count else b_start
        assert first >= pos, "hunks in order, not overlapping"
        out.extend(old[pos:first])
        pos = first
        for mark, line in body:
            if mark in " -":
                assert old[pos] == line, "line %d is the file's: %r != %r" % (pos + 1, line, old[pos])
                pos += 1
            if mark in " +":
                out.append(line)
    out.extend(old[pos:])
    return "".join(out)


def assert_hunks_are_file_lines(prepared: str, before: str, after: str) -> int:
    """Every context and removed line of the diff is the line of before at its number, every added line the line
    of after (masked values aside; a line cut around its change shows pieces of it). Returns the number of hunks."""
    old, new = lines_of(before), lines_of(after)
    _bh, _ah, hunks = parse_unified(prepared)
    for b_start, b_count, a_start, a_count, body in hunks:
        b_pos = b_start - 1 if b_count else b_start
        a_pos = a_start - 1 if a_count else a_start
        for mark, line in body:
            if mark in " -":
                _assert_line(line, old[b_pos], b_pos)
                b_pos += 1
            if mark in " +":
                _assert_line(line, new[a_pos], a_pos)
                a_pos += 1
    return len(hunks)


def _assert_line(shown: str, real: str, number: int):
    if CUT not in shown:
        if not real.endswith("\n"):
            shown = shown.rstrip("\n")
        assert_same_lines(shown, real)
        return
    for piece in shown.rstrip("\r\n").split(CUT):
        if piece:
            pattern = "".join(_JSON_SCALAR if part is None else re.escape(part) for part in _split_masks(piece))
            assert re.search(pattern, real), "line %d: %r is not a piece of %r" % (number + 1, piece, real[:200])
