# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The diff a task shows: unified hunks of the file's own (masked) text around what changed, never the whole file.

A task's diff must stay proportional to what changed: a 50 MB system.json changed in one key shows that key's
lines and a few lines of context, as ``diff -u`` would, with the file's real line numbers. Lines longer than
LONG_LINE characters (a minified file is one line) are cut around the change. Nothing here is O(changes x file):
where the two texts differ is found from their JSON structure (the render edits only the spans of changed values,
so every other member is the same text in both), not by comparing lines.

unified(before, after, before_header, after_header) -> the diff text (empty when the texts are equal).
"""

from __future__ import annotations

import difflib

from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.document import _WS, _scan_container

CONTEXT = 3  # lines of context around a change, ansible-core's DIFF_CONTEXT default
LONG_LINE = 400  # characters: a longer line is cut around its changes
AROUND = 120  # characters kept each side of a change in a cut line
MATCH_LINES = 2000  # a change up to this many lines a side is compared line by line
CUT = "\N{HORIZONTAL ELLIPSIS}"
NO_NEWLINE = "\\ No newline at end of file\n"


def _runs(before: str, after: str) -> list:
    """[(before position, after position, length)] of stretches that are the same text in both, in order, found
    by walking the two JSON documents together; [] when a text is not a JSON object (then the whole text is one
    change)."""
    b_bom = 1 if before.startswith("\ufeff") else 0
    a_bom = 1 if after.startswith("\ufeff") else 0
    b_root = _WS.match(before, b_bom).end()
    a_root = _WS.match(after, a_bom).end()
    if b_root >= len(before) or a_root >= len(after) or before[b_root] != "{" or after[a_root] != "{":
        return []
    runs = []
    if before[:b_root] == after[:a_root]:
        runs.append((0, 0, b_root))
    b_end, a_end = _align(before, b_root, after, a_root, runs)
    if before[b_end:] == after[a_end:]:
        runs.append((b_end, a_end, len(before) - b_end))
    return runs


def _align(before, b_start, after, a_start, runs):
    """Walk the containers at b_start/a_start together, adding the runs of text they share; returns their ends."""
    b_items, b_end = _scan_container(before, b_start)
    a_items, a_end = _scan_container(after, a_start)
    runs.append((b_start, a_start, 1))
    if before[b_start] == "{":
        by_key = {item.key: item for item in a_items}
        pairs = [(item, by_key[item.key]) for item in b_items if item.key in by_key]
    else:
        same = 0
        while same < min(len(b_items), len(a_items)) and _text(before, b_items[same]) == _text(after, a_items[same]):
            same += 1
        if len(b_items) == len(a_items):
            pairs = list(zip(b_items, a_items))
        else:
            tail = 0
            while (tail < min(len(b_items), len(a_items)) - same
                   and _text(before, b_items[-1 - tail]) == _text(after, a_items[-1 - tail])):
                tail += 1
            pairs = list(zip(b_items[:same], a_items[:same]))
            if tail:
                pairs += list(zip(b_items[-tail:], a_items[-tail:]))
    last = -1
    for b_item, a_item in pairs:
        if a_item.start <= last:
            continue  # never expected: the render keeps the order of kept members
        last = a_item.end
        if _text(before, b_item) == _text(after, a_item):
            runs.append((b_item.start, a_item.start, b_item.end - b_item.start))
            continue
        key_length = b_item.value_start - b_item.start
        if key_length and before[b_item.start:b_item.value_start] == after[a_item.start:a_item.value_start]:
            runs.append((b_item.start, a_item.start, key_length))
        opening = before[b_item.value_start]
        if opening in "{[" and after[a_item.value_start] == opening:
            _align(before, b_item.value_start, after, a_item.value_start, runs)
    runs.append((b_end - 1, a_end - 1, 1))
    return b_end, a_end


def _text(text, item):
    return text[item.start:item.end]


def _changes(before: str, after: str) -> list:
    """[(b_start, b_end, a_start, a_end)]: the stretches that differ, in order, each as short as the texts allow."""
    try:
        runs = _runs(before, after)
    except (ValueError, IndexError, RecursionError):
        runs = []
    if any(b2 < b1 + n or a2 < a1 + n for (b1, a1, n), (b2, a2, _m) in zip(runs, runs[1:])):
        runs = []  # never expected: stretches out of order; the whole text is then one change
    changes = []
    b_pos = a_pos = 0
    for b_run, a_run, length in runs + [(len(before), len(after), 0)]:
        if before[b_pos:b_run] != after[a_pos:a_run]:
            changes.append(_narrow(before, b_pos, b_run, after, a_pos, a_run))
        b_pos, a_pos = b_run + length, a_run + length
    return changes


def _narrow(before, b_start, b_end, after, a_start, a_end):
    """A change without the characters its two sides start and end with in common."""
    while b_start < b_end and a_start < a_end and before[b_start] == after[a_start]:
        b_start += 1
        a_start += 1
    while b_end > b_start and a_end > a_start and before[b_end - 1] == after[a_end - 1]:
        b_end -= 1
        a_end -= 1
    return b_start, b_end, a_start, a_end


def _line_start(text, pos):
    return text.rfind("\n", 0, pos) + 1


def _line_end(text, pos):
    """The end of the line holding pos, its newline included."""
    found = text.find("\n", pos)
    return len(text) if found == -1 else found + 1


def _line_ranges(before, after, change):
    """(b_from, b_to, a_from, a_to): the whole lines a change touches on each side. What precedes the change is
    the same text on both sides, and so is what follows it, so the two ranges start and end at matching places."""
    b_start, b_end, a_start, a_end = change
    if (b_start == _line_start(before, b_start) and b_end == _line_start(before, b_end)
            and a_end == _line_start(after, a_end)):
        return b_start, b_end, a_start, a_end  # whole lines removed or added
    return (_line_start(before, b_start), _line_end(before, b_end), _line_start(after, a_start),
            _line_end(after, a_end))


def unified(before: str, after: str, before_header: str, after_header: str, context: int = CONTEXT) -> str:
    """The unified diff of two texts, hunks only (see the module docstring); '' when they are equal."""
    if before == after:
        return ""
    changes = _changes(before, after) if before else [(0, 0, 0, len(after))]
    # Changes on the same lines become one; changes at most 2 x context lines apart share a hunk.
    blocks = []
    for change in changes:
        ranges = _line_ranges(before, after, change)
        if blocks and ranges[0] <= blocks[-1][-1][1]:
            last = blocks[-1][-1]
            blocks[-1][-1] = (last[0], max(last[1], ranges[1]), last[2], max(last[3], ranges[3]), last[4] + [change])
        elif blocks and before.count("\n", blocks[-1][-1][1], ranges[0]) <= 2 * context:
            blocks[-1].append(ranges + ([change],))
        else:
            blocks.append([ranges + ([change],)])
    out = ["--- %s\n" % before_header, "+++ %s\n" % after_header]
    b_numbers, a_numbers = _Numbers(before), _Numbers(after)
    for block in blocks:
        out.extend(_hunk(before, after, block, context, b_numbers, a_numbers))
    return "".join(out)


class _Numbers:
    """0-based line numbers of positions visited in increasing order: the text is counted once, in one pass."""

    def __init__(self, text: str):
        self.text = text
        self._pos = 0
        self._line = 0

    def __call__(self, pos: int) -> int:
        self._line += self.text.count("\n", self._pos, pos)
        self._pos = pos
        return self._line


def _lines(text, start, end):
    """The start positions of the lines in text[start:end] (whole lines)."""
    out = []
    while start < end:
        out.append(start)
        start = _line_end(text, start)
    return out


def _hunk(before, after, block, context, b_numbers, a_numbers):
    """One hunk: its @@ header, context lines, each change's - and + lines, the lines between changes as context."""
    first = block[0]
    lead = []
    pos = first[0]
    while pos > 0 and len(lead) < context:
        pos = _line_start(before, pos - 1)
        lead.insert(0, pos)
    b_line = b_numbers(first[0]) - len(lead)
    a_line = a_numbers(first[2]) - len(lead)
    rows = [(" ", before, start, ()) for start in lead]
    b_count = a_count = len(lead)
    for n, (b_from, b_to, a_from, a_to, changes) in enumerate(block):
        if n:
            between = _lines(before, block[n - 1][1], b_from)
            rows.extend((" ", before, start, ()) for start in between)
            b_count += len(between)
            a_count += len(between)
        removed, added = _lines(before, b_from, b_to), _lines(after, a_from, a_to)
        b_spans, a_spans = [(c[0], c[1]) for c in changes], [(c[2], c[3]) for c in changes]
        for tag, b_lo, b_hi, a_lo, a_hi in _opcodes(before, removed, after, added):
            if tag == "equal":
                rows.extend((" ", before, start, ()) for start in removed[b_lo:b_hi])
            else:
                rows.extend(("-", before, start, b_spans) for start in removed[b_lo:b_hi])
                rows.extend(("+", after, start, a_spans) for start in added[a_lo:a_hi])
        b_count += len(removed)
        a_count += len(added)
    trail = []
    pos = block[-1][1]
    while pos < len(before) and len(trail) < context:
        trail.append(pos)
        pos = _line_end(before, pos)
    rows.extend((" ", before, start, ()) for start in trail)
    b_count += len(trail)
    a_count += len(trail)
    header = "@@ -%s +%s @@\n" % (_range(b_line, b_count), _range(a_line, a_count))
    return [header] + [mark + _shown(text, start, changes) for mark, text, start, changes in rows]


def _opcodes(before, removed, after, added):
    """difflib's opcodes between the lines of one change (a change is as large as what changed, so this costs in
    proportion to it); one replace when the change is too large for a line-by-line comparison to be cheap."""
    if len(removed) * len(added) > MATCH_LINES ** 2 or not removed or not added:
        return [("replace", 0, len(removed), 0, len(added))]
    b_texts = [before[start:_line_end(before, start)] for start in removed]
    a_texts = [after[start:_line_end(after, start)] for start in added]
    return difflib.SequenceMatcher(None, b_texts, a_texts, autojunk=False).get_opcodes()


def _range(line, count):
    """diff's start,count: 1-based; an empty range names the line before it."""
    if count == 0:
        return "%d,0" % line
    return "%d" % (line + 1) if count == 1 else "%d,%d" % (line + 1, count)


def _shown(text, start, changes):
    """One line as the diff shows it: whole, or cut around the changes on it when longer than LONG_LINE; ending in
    a newline (with diff's marker when the file's last line has none)."""
    end = _line_end(text, start)
    line = text[start:end]
    newline = "\r\n" if line.endswith("\r\n") else "\n" if line.endswith("\n") else ""
    if len(line) > LONG_LINE:
        body_end = end - len(newline)
        windows = []
        for c_start, c_end in changes:
            if c_end < start or c_start > body_end:
                continue
            low, high = max(start, c_start - AROUND), min(body_end, max(c_end, c_start) + AROUND)
            if windows and low <= windows[-1][1]:
                windows[-1][1] = max(windows[-1][1], high)
            else:
                windows.append([low, high])
        if not windows:
            windows = [[start, start + AROUND]]
        pieces, previous = [], start
        for low, high in windows:
            if low > previous:
                pieces.append(CUT)
            pieces.append(text[low:high])
            previous = high
        if previous < body_end:
            pieces.append(CUT)
        line = "".join(pieces) + newline
    return line if newline else line + "\n" + NO_NEWLINE
