# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Format-preserving reading and writing of a system.json document.

A desk's file belongs to its users and packagers: we change only the bytes of the values that change.
Everything else (key order, indentation, odd spacing, escapes, BOM, newline style, trailing newline)
stays byte-identical, because edits are made on the original text at the spans of the changed values.
Values are located with the C-accelerated scanners of the standard json module, so a 1 MB file costs
about one json.loads.
"""

from __future__ import annotations

import codecs
import json
import re

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.json_type import json_type
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.merge import json_equal

_WS = re.compile(r"[ \t\n\r]*")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ESCAPED_NON_ASCII = re.compile(r"\\u(?:00[89a-fA-F][0-9a-fA-F]|0[1-9a-fA-F][0-9a-fA-F]{2}|[1-9a-fA-F][0-9a-fA-F]{3})")
_scanstring = json.decoder.scanstring

DEFAULT_INDENT = "    "


class _DuplicateKey(ValueError):
    def __init__(self, key):
        super().__init__(key)
        self.key = key


class _BadConstant(ValueError):
    pass


def _pairs_no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _reject_constant(name):
    raise _BadConstant(name)


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs_no_duplicates, parse_constant=_reject_constant)


class Style:
    """How a file writes JSON, so that new text looks like the old."""

    def __init__(self, bom=False, newline="\n", indent=DEFAULT_INDENT, key_sep=": ", item_sep=", ",
                 ensure_ascii=False):
        self.bom = bom
        self.newline = newline
        self.indent = indent  # None: the file is compact (no line breaks inside the root object)
        self.key_sep = key_sep
        self.item_sep = item_sep
        self.ensure_ascii = ensure_ascii

    def dumps(self, value, base_indent: str = "") -> str:
        """Render a value as the file would, continuation lines indented by base_indent."""
        if self.indent is None:
            return json.dumps(value, ensure_ascii=self.ensure_ascii, separators=(self.item_sep, self.key_sep))
        text = json.dumps(value, ensure_ascii=self.ensure_ascii, indent=self.indent, separators=(",", self.key_sep))
        return text.replace("\n", self.newline + base_indent)


class _Item:
    """A member of an object (key set) or an element of an array (key None), with its text span."""

    __slots__ = ("key", "start", "value_start", "end", "value")

    def __init__(self, key, start, value_start, end, value):
        self.key = key
        self.start = start
        self.value_start = value_start
        self.end = end
        self.value = value


def _position(text: str, pos: int):
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


def _trailing_comma(text: str, pos: int):
    """The position of a comma that only whitespace separates from the closing bracket at ``pos``, or None."""
    if pos >= len(text) or text[pos] not in "}]":
        return None
    back = pos - 1
    while back >= 0 and text[back] in " \t\r\n":
        back -= 1
    return back if back >= 0 and text[back] == "," else None


def _expect(text, pos, char, what):
    if pos >= len(text) or text[pos] != char:
        raise ValueError("expected %s" % what)


def _scan_container(text: str, start: int):
    """Items of the object or array whose opening bracket is at start; returns (items, end)."""
    is_object = text[start] == "{"
    close = "}" if is_object else "]"
    items = []
    pos = _WS.match(text, start + 1).end()
    if pos < len(text) and text[pos] == close:
        return items, pos + 1
    seen = set()
    while True:
        item_start = pos
        key = None
        if is_object:
            _expect(text, pos, '"', "a string key")
            key, pos = _scanstring(text, pos + 1)
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
            pos = _WS.match(text, pos).end()
            _expect(text, pos, ":", "':'")
            pos = _WS.match(text, pos + 1).end()
        value_start = pos
        value, pos = _DECODER.raw_decode(text, pos)
        items.append(_Item(key, item_start, value_start, pos, value))
        pos = _WS.match(text, pos).end()
        if pos < len(text) and text[pos] == ",":
            pos = _WS.match(text, pos + 1).end()
            continue
        _expect(text, pos, close, "',' or '%s'" % close)
        return items, pos + 1


def _line_indent(text: str, pos: int) -> str:
    line_start = text.rfind("\n", 0, pos) + 1
    return _WS.match(text, line_start).group(0).replace("\r", "").replace("\n", "")


def decode_bytes(raw: bytes, path: str):
    """Bytes of a desk's file -> (text without BOM, had_bom). Only UTF-8 is accepted, as by the desktop."""
    if raw.startswith(codecs.BOM_UTF32_LE) or raw.startswith(codecs.BOM_UTF32_BE):
        raise FleetError(
            "%s is UTF-32 encoded; io.Connect Desktop reads UTF-8. Re-save it as UTF-8 (no BOM) and run again." % path,
            kind="encoding")
    if raw.startswith(codecs.BOM_UTF16_LE) or raw.startswith(codecs.BOM_UTF16_BE) or (
            len(raw) >= 2 and (raw[0] == 0 or raw[1] == 0)):
        raise FleetError(
            "%s is UTF-16 encoded (as PowerShell's Out-File writes by default); io.Connect Desktop reads UTF-8. "
            "Re-save it as UTF-8 (no BOM) and run again; the file was left unchanged." % path,
            kind="encoding")
    bom = raw.startswith(codecs.BOM_UTF8)
    body = raw[len(codecs.BOM_UTF8):] if bom else raw
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FleetError(
            "%s is not valid UTF-8 (byte %d: 0x%02x); io.Connect Desktop reads UTF-8. It may be in a legacy code page "
            "such as Windows-1252: re-save it as UTF-8. The file was left unchanged."
            % (path, exc.start + (3 if bom else 0), body[exc.start]),
            kind="encoding")
    if text.startswith("\ufeff"):
        raise FleetError("%s starts with two byte order marks; remove them and run again." % path,
                         kind="encoding")
    return text, bom


class Document:
    """A parsed system.json that remembers its text, so it can be rewritten with minimal edits."""

    def __init__(self, text: str, bom: bool, path: str = "system.json"):
        self.text = text
        self.path = path
        root_start = _WS.match(text, 0).end()
        if root_start >= len(text):
            raise FleetError(
                "%s is empty; io.Connect Desktop cannot start with an empty system.json. Restore it from a backup "
                "or reinstall; it was left unchanged." % path, kind="parse")
        if text[root_start] != "{":
            self._fail_root(text)
        try:
            items, root_end = _scan_container(text, root_start)
            trailing = _WS.match(text, root_end).end()
            if trailing != len(text):
                raise ValueError("extra data after the root object")
        except _DuplicateKey as exc:
            self._fail_duplicate(text, exc.key)
        except _BadConstant as exc:
            raise FleetError(
                "%s holds %s, which is not JSON (io.Connect Desktop's strict parser rejects it); fix the value and "
                "run again. The file was left unchanged." % (path, exc), kind="parse")
        except (ValueError, IndexError):
            self._fail_syntax(text)
        self.root_start = root_start
        self.root_end = root_end
        self.items = items
        self.value = {item.key: item.value for item in items}
        self.style = self._detect_style(text, bom, items, root_start)

    # -- errors -------------------------------------------------------------------------------
    def _fail_syntax(self, text):
        try:
            json.loads(text, object_pairs_hook=_pairs_no_duplicates, parse_constant=_reject_constant)
        except json.JSONDecodeError as exc:
            # json's own message for a control character ends in " at"; we add the position ourselves.
            reason = exc.msg[:-3] if exc.msg.endswith(" at") else exc.msg
            line, col = exc.lineno, exc.colno
            comma = _trailing_comma(text, exc.pos)
            if comma is not None:  # json points at the "}" or "]" after it, often on the next line
                reason = "a trailing comma before %r (JSON allows none)" % text[exc.pos]
                line, col = _position(text, comma)
            raise FleetError(
                "%s is not valid JSON: %s at line %d, column %d. io.Connect Desktop cannot read it either: fix it by "
                "hand or restore a backup. The file was left unchanged." % (self.path, reason, line, col),
                kind="parse")
        except (_DuplicateKey, _BadConstant, ValueError):
            pass
        raise FleetError("%s is not valid JSON; the file was left unchanged." % self.path, kind="parse")

    def _fail_root(self, text):
        try:
            root = json.loads(text)
        except ValueError:
            self._fail_syntax(text)
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(root), "a number")
        raise FleetError(
            "%s holds %s at its root, but io.Connect Desktop's system.json must be a JSON object ({...}). "
            "Check that path names a system.json; the file was left unchanged." % (self.path, kind), kind="root")

    def _fail_duplicate(self, text, key):
        lines = [_position(text, m.start())[0] for m in re.finditer(re.escape(json.dumps(key)) + r"[ \t\r\n]*:", text)]
        where = " (lines %s)" % ", ".join(str(n) for n in lines[:6]) if lines else ""
        raise FleetError(
            "%s has the key %s twice in one object%s. JSON parsers silently keep only the last one, so what the desk "
            "runs with is ambiguous: remove the duplicate by hand and run again. The file was left unchanged."
            % (self.path, json.dumps(key), where), kind="duplicate")

    # -- style ----------------------------------------------------------------------------------
    @staticmethod
    def _detect_style(text, bom, items, root_start):
        crlf = text.count("\r\n")
        newline = "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"
        style = Style(bom=bom, newline=newline)
        if _NON_ASCII.search(text) is None and _ESCAPED_NON_ASCII.search(text) is not None:
            style.ensure_ascii = True
        if items:
            first = items[0]
            lead = text[root_start + 1:first.start]
            key_end = first.start + len(json.dumps(first.key, ensure_ascii=False))
            key_sep = text[key_end:first.value_start] if text[first.start:key_end] == json.dumps(
                first.key, ensure_ascii=False) else ": "
            if "\n" not in key_sep and ":" in key_sep:
                style.key_sep = key_sep
            if "\n" in lead:
                unit = lead.rsplit("\n", 1)[1][len(_line_indent(text, root_start)):]
                style.indent = unit if unit and unit.strip(" \t") == "" else DEFAULT_INDENT
            else:
                style.indent = None
                if len(items) > 1:
                    between = text[items[0].end:items[1].start]
                    style.item_sep = "," + between.split(",", 1)[1] if "," in between else ", "
                else:
                    style.item_sep = "," if style.key_sep == ":" else ", "
        return style

    # -- rendering ------------------------------------------------------------------------------
    def render(self, new_value: dict) -> bytes:
        """Bytes of the file holding new_value, changing only what differs from the current value."""
        root_text = self._render_container(self.root_start, self.root_end, self.items, self.value, new_value)
        text = self.text[:self.root_start] + root_text + self.text[self.root_end:]
        if not self._verify(text, new_value):
            # Never expected; a safety net that keeps the file correct even if the minimal edit went wrong.
            text = self.text[:self.root_start] + self.style.dumps(new_value, _line_indent(self.text, self.root_start)) \
                + self.text[self.root_end:]
        return encode_text(text, self.style)

    def substitute(self, shown: dict) -> str:
        """The document's text (without BOM) with shown's values in place of its own, span by span.

        shown is self.value with some values replaced (masking.MaskingPolicy.mask_change returns untouched parts as
        the very same objects): only the spans of replaced values are rewritten, so every other byte, line break and
        indent is the file's own. A container replaced by one of the same kind and size is entered, so a masked
        mapping keeps its lines.
        """
        edits = []
        self._substitute(self.items, self.value, shown, edits)
        if not edits:
            return self.text
        out, pos = [], 0
        for start, end, text in edits:
            out.append(self.text[pos:start])
            out.append(text)
            pos = end
        out.append(self.text[pos:])
        return "".join(out)

    def _substitute(self, items, old, new, edits):
        for idx, item in enumerate(items):
            before = old[item.key] if item.key is not None else old[idx]
            after = new[item.key] if item.key is not None else new[idx]
            if after is before:
                continue
            same_shape = (isinstance(before, dict) and isinstance(after, dict) and list(before) == list(after)) or (
                isinstance(before, list) and isinstance(after, list) and len(before) == len(after))
            if same_shape:
                sub_items, _end = _scan_container(self.text, item.value_start)
                self._substitute(sub_items, before, after, edits)
            else:
                edits.append((item.value_start, item.end, self.style.dumps(after, _line_indent(self.text, item.start))))

    def _verify(self, text, new_value):
        try:
            reparsed = json.loads(text, object_pairs_hook=_pairs_no_duplicates)
        except ValueError:
            return False
        return isinstance(reparsed, dict) and list(reparsed) == list(new_value) and json_equal(reparsed, new_value)

    def _render_value(self, item, old, new):
        if old is new or (json_type(old) == json_type(new) and json_equal(old, new)):
            return self.text[item.value_start:item.end]
        if isinstance(old, (dict, list)) and json_type(old) == json_type(new):
            items, end = _scan_container(self.text, item.value_start)
            return self._render_container(item.value_start, end, items, old, new)
        return self.style.dumps(new, _line_indent(self.text, item.start))

    def _render_container(self, start, end, items, old, new):
        text = self.text
        is_object = isinstance(new, dict)
        open_char, close_char = ("{", "}") if is_object else ("[", "]")
        pieces = []  # (original index or None, text)
        if is_object:
            for idx, item in enumerate(items):
                if item.key in new:
                    pieces.append((idx, text[item.start:item.value_start] + self._render_value(
                        item, old[item.key], new[item.key])))
            added = [key for key in new if key not in old]
        else:
            pieces, added = self._array_pieces(items, old, new)
        if not pieces and not added:
            return text[start:end] if not items else open_char + close_char  # "{ }" stays "{ }"
        if items:
            prefix = text[start + 1:items[0].start]
            suffix = text[items[-1].end:end - 1]
            if len(items) > 1:
                typical = text[items[-2].end:items[-1].start]
            elif "\n" in prefix:
                typical = "," + prefix
            else:
                typical = self.style.item_sep if self.style.indent is None else ", "
        elif self.style.indent is None:
            prefix = suffix = ""
            typical = self.style.item_sep
        else:
            outer = _line_indent(text, start)
            prefix = self.style.newline + outer + self.style.indent
            suffix = self.style.newline + outer
            typical = "," + prefix
        # Only what follows the comma can be indentation: comma-first files ("\n,  ") put it before.
        after_comma = typical.split(",", 1)[-1]
        member_indent = after_comma.rsplit("\n", 1)[1] if "\n" in after_comma else _line_indent(text, start)
        for entry in added:
            if is_object:
                piece = self.style.dumps(entry) + self.style.key_sep + self.style.dumps(new[entry], member_indent)
            else:
                piece = self.style.dumps(entry, member_indent)
            pieces.append((None, piece))
        out = [open_char, prefix]
        for n, (idx, piece) in enumerate(pieces):
            if n:
                out.append(text[items[idx - 1].end:items[idx].start] if idx else typical)
            out.append(piece)
        out.append(suffix)
        out.append(close_char)
        return "".join(out)

    def _array_pieces(self, items, old, new):
        """Reuse the text of kept elements; returns (pieces, new elements to append)."""
        text = self.text
        if len(new) >= len(old):
            if len(new) == len(old) or all(json_equal(a, b) for a, b in zip(old, new)):
                pieces = [(i, self._render_value(items[i], old[i], new[i])) for i in range(len(old))]
                return pieces, new[len(old):]
        else:
            # Elements removed: keep the survivors' text when new is a subsequence of old.
            pieces, i = [], 0
            for element in new:
                while i < len(old) and not json_equal(old[i], element):
                    i += 1
                if i == len(old):
                    break
                pieces.append((i, text[items[i].value_start:items[i].end]))
                i += 1
            else:
                return pieces, []
        # Anything else: every element is rendered anew, in the array's own layout.
        return [], list(new)


def encode_text(text: str, style: Style) -> bytes:
    data = text.encode("utf-8")
    return codecs.BOM_UTF8 + data if style.bom else data


def parse_bytes(raw: bytes, path: str) -> Document:
    text, bom = decode_bytes(raw, path)
    return Document(text, bom, path)


def render_new(value: dict, style: Style) -> bytes:
    """Bytes of a new file (when_missing=create): the file's style defaults, trailing newline."""
    return encode_text(style.dumps(value) + style.newline, style)
