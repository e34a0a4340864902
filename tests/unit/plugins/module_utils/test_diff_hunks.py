# -*- coding: utf-8 -*-
"""The diff a task returns (system_json/hunks.py): unified hunks of the file's own lines around what changed.

Checked by applying it: the hunks, applied to the desk's file, give exactly the bytes written (files without
secrets, where nothing is masked); with secrets, every line shown is the file's line at its number, masked values
aside. And its size follows the change, not the file.
"""

from __future__ import annotations

import json

import pytest
from diff_lines import apply_unified, assert_hunks_are_file_lines, lines_of, parse_unified

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import MASK
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json import hunks
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.engine import plan
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.merge import Request

PATH = "/desk/config/system.json"


def _desk(windows: int) -> dict:
    return {"region": "EMEA", "env": "PROD", "gw": {"embedded": True, "configuration": {"port": 8385}},
            "server": {"enabled": False, "url": "http://old:4356/api"},
            "windows": {"app-%05d" % n: {"title": "App %d" % n, "width": 800, "flags": ["a", "b"]}
                        for n in range(windows)},
            "appStores": [{"type": "path", "details": {"path": "./config/apps"}}],
            "crashReporter": {"enabled": True, "folderPath": "%IO_CD_USER_DATA_DIR%/crashes",
                              "companyName": "Interop Inc", "productName": "io.Connect Desktop",
                              "output": {"type": "local"}},
            "last": {"x": 1}}


def _text(value, how):
    if how == "compact":
        return json.dumps(value, separators=(",", ":"))
    if how == "crlf":
        return (json.dumps(value, indent=4) + "\n").replace("\n", "\r\n")
    if how == "tab-no-final-newline":
        return json.dumps(value, indent="\t")
    return json.dumps(value, indent=2) + "\n"


REQUESTS = {
    "one key": dict(server={"enabled": True, "url": "https://iomanager.example.com/api"}),
    "top and bottom": dict(server={"enabled": True, "url": "https://iomanager.example.com/api"},
                           crash_reporter={"output": {"type": "server",
                                                      "serverUrl": "https://iomanager.example.com/api/crashes"}}),
    "keys added": dict(settings={"newKey": {"a": [1, 2]}, "gw": {"configuration": {"ip": "127.0.0.1"}}}),
    "array replaced": dict(app_stores=[{"type": "rest", "details": {"url": "https://apps.example.com/api"}}]),
    "key removed": dict(remove=["/windows/app-00003", "/last"]),
    "array appended": dict(app_stores=[{"type": "path", "details": {"path": "./config/apps"}},
                                       {"type": "rest", "details": {"url": "https://apps.example.com/api"}}],
                           app_stores_mode="replace"),
}


@pytest.mark.parametrize("how", ["2-space", "crlf", "tab-no-final-newline", "compact"])
@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_the_hunks_applied_to_the_file_give_the_bytes_written(name, how):
    raw = _text(_desk(40), how)
    result = plan(raw.encode("utf-8"), Request(**REQUESTS[name]), PATH)
    assert result.changed
    prepared = result.result(diff_mode=True)["diff"]["prepared"]
    written = result.new_bytes.decode("utf-8")
    if how == "compact" and len(raw) > hunks.LONG_LINE:
        assert hunks.CUT in prepared, "a one-line file is cut around its changes"
        assert len(prepared) < len(raw), prepared
        assert_hunks_are_file_lines(prepared, raw, written)
        return
    assert apply_unified(raw, prepared) == written
    if name != "array replaced":
        assert '"App 20"' not in prepared, "what is far from every change is not shown"


def test_changes_far_apart_are_separate_hunks_with_the_files_line_numbers():
    raw = _text(_desk(100), "2-space")
    result = plan(raw.encode(), Request(**REQUESTS["top and bottom"]), PATH)
    prepared = result.result(diff_mode=True)["diff"]["prepared"]
    _bh, _ah, found = parse_unified(prepared)
    assert len(found) == 2
    lines = lines_of(raw)
    url_line = next(n for n, line in enumerate(lines, 1) if "http://old:4356/api" in line)
    first_start, _count, _a, _ac, body = found[0]
    assert ("-", lines[url_line - 1]) in body and first_start == url_line - 4, "3 lines of context before"
    assert found[1][0] > len(lines) - 20
    assert len(lines_of(prepared)) < 40


def test_size_follows_the_change_not_the_file():
    """One key changed in files of 50 KB and 5 MB: the same diff, but for the line numbers."""
    sizes = {}
    for windows in (300, 36_000):
        raw = _text(_desk(windows), "2-space").encode()
        result = plan(raw, Request(**REQUESTS["one key"]), PATH)
        sizes[len(raw)] = result.result(diff_mode=True)["diff"]["prepared"]
    (small_size, small), (big_size, big) = sorted(sizes.items())
    assert small_size < 60_000 and big_size > 4_000_000
    assert len(small) == len(big) < 600, (len(small), len(big))


def test_a_long_line_is_cut_around_each_change_and_stays_masked():
    doc = _desk(2000)
    doc["auth"] = {"password": "pw-SECRET-in-compact"}
    raw = _text(doc, "compact")
    request = Request(server={"enabled": True, "url": "https://iomanager.example.com/api"},
                      settings={"auth": {"password": "new-SECRET-pw"}, "last": {"x": 2}})
    result = plan(raw.encode(), request, PATH)
    prepared = result.result(diff_mode=True)["diff"]["prepared"]
    assert "SECRET" not in prepared and MASK in prepared
    assert len(prepared) < 3_000 < len(raw)
    removed = [line for mark, line in parse_unified(prepared)[2][0][4] if mark == "-"]
    assert len(removed) == 1 and removed[0].count(hunks.CUT) == 1, "two windows: server, then auth and last"
    assert_hunks_are_file_lines(prepared, raw, result.new_bytes.decode())


def test_secrets_in_context_lines_are_masked_too():
    server = {"enabled": False, "url": "http://old/api", "token": "tok-SECRET-context"}
    doc = {"region": "EMEA", "env": "PROD", "gw": {}, "server": server}
    raw = _text(doc, "2-space")
    result = plan(raw.encode(), Request(server={"enabled": True, "url": "https://new.example.com/api"}), PATH)
    prepared = result.result(diff_mode=True)["diff"]["prepared"]
    assert '   "token": "%s"' % MASK in prepared and "tok-SECRET" not in prepared
    assert_hunks_are_file_lines(prepared, raw, result.new_bytes.decode())


def test_equal_texts_have_no_diff_and_a_text_that_is_not_json_is_still_a_diff():
    assert hunks.unified("{}\n", "{}\n", "a", "b") == ""
    text = hunks.unified("(note)\n", "(other note)\n", "a", "b")
    assert text == "--- a\n+++ b\n@@ -1 +1 @@\n-(note)\n+(other note)\n"
