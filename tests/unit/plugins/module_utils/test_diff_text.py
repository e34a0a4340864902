# -*- coding: utf-8 -*-
"""The diff is the file's own text: before is the desk's file, after the bytes written, secrets masked in place.

Each case compares the masked texts line by line with the file: the same number of lines, every line identical
except where a secret's value is masked, and there only the value differs. The diff a task returns is unified hunks
of those texts: hunk numbers and hunk lines are the file's.
"""

from __future__ import annotations

import codecs
import json

import pytest
from diff_lines import assert_hunks_are_file_lines, assert_same_lines, lines_of, parse_unified

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import MASK, MASK_CHANGED
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.engine import plan
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.merge import Request

PATH = "/desk/config/system.json"
OLD_TOKEN = "old-SECRET-bt-71"
OLD_PASSWORD = "old-SECRET-pw-72"
HEADER = "old-SECRET-hdr-73"
KEEP = "kept-SECRET-74"
DESK = {
    "region": "EMEA",
    "env": "PROD",
    "gw": {"embedded": True, "configuration": {"port": 8385}},
    "server": {"enabled": False, "url": "http://old:4356/api",
               "headers": [{"name": "Authorization", "value": "Bearer " + HEADER}]},
    "auth": {"user": "svc", "password": OLD_PASSWORD, "sharedKey": KEEP},
    "folders": {"cache": "%IO_CD_USER_DATA_DIR%/Büro – Zürich"},
    "crashReporter": {"enabled": True, "folderPath": "%IO_CD_USER_DATA_DIR%/crashes", "companyName": "Interop Inc",
                      "productName": "io.Connect Desktop",
                      "output": {"type": "backtrace", "backTraceConfig": {"url": "https://bt", "token": OLD_TOKEN}}},
}
NEW_SECRETS = ["new-SECRET-bt-81", "new-SECRET-pw-82", "new-SECRET-hdr-83", "new-SECRET-pin-84"]
REQUEST = dict(
    server={"enabled": True, "url": "https://iomanager.example.com/api",
            "headers": [{"name": "Authorization", "value": "Bearer " + NEW_SECRETS[2]}]},
    crash_reporter={"output": {"type": "backtrace", "backTraceConfig": {"url": "https://bt", "token": NEW_SECRETS[0]}}},
    settings={"auth": {"password": NEW_SECRETS[1]}, "desk": {"deskPin": NEW_SECRETS[3], "label": "Desk 7"}},
    secret_keys=["deskPin"],
)
ALL_SECRETS = [OLD_TOKEN, OLD_PASSWORD, HEADER, KEEP] + NEW_SECRETS


def _text(value, how):
    if how == "2-space":
        return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    if how == "4-space":
        return json.dumps(value, indent=4, ensure_ascii=False) + "\n"
    if how == "tab":
        return json.dumps(value, indent="\t", ensure_ascii=False) + "\n"
    if how == "crlf-bom":
        return "\ufeff" + (json.dumps(value, indent=4, ensure_ascii=False) + "\n").replace("\n", "\r\n")
    if how == "compact":
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if how == "ascii-escaped":
        return json.dumps(value, indent=2, ensure_ascii=True) + "\n"
    raise AssertionError(how)


FORMATS = ["2-space", "4-space", "tab", "crlf-bom", "compact", "ascii-escaped"]


def _plan(how):
    raw = _text(DESK, how).encode("utf-8")
    return raw, plan(raw, Request(**REQUEST), PATH)


@pytest.mark.parametrize("how", FORMATS)
def test_the_diff_is_the_files_own_text_line_by_line(how):
    """The texts the hunks are cut from: the whole file, before and after, masked in place."""
    raw, result = _plan(how)
    before_file = raw.decode("utf-8")
    after_file = result.new_bytes.decode("utf-8")
    masked_before = assert_same_lines(result.diff_before, before_file)
    masked_after = assert_same_lines(result.diff_after, after_file)
    assert masked_before >= 1 and masked_after >= 1
    if how == "crlf-bom":
        assert result.diff_before.startswith("\ufeff{\r\n") and result.diff_after.startswith("\ufeff{\r\n")
        assert after_file.startswith("\ufeff") and "\n" not in after_file.replace("\r\n", "")
    if how == "compact":
        assert "\n" not in result.diff_after.rstrip("\n")
    diff = result.result(diff_mode=True)["diff"]
    shown = json.dumps(diff, ensure_ascii=False) + json.dumps(diff)
    for secret in ALL_SECRETS:
        assert secret not in shown, secret
    assert diff["before_header"] == PATH + " (before)" and diff["after_header"] == PATH + " (after)"


@pytest.mark.parametrize("how", FORMATS)
def test_the_diff_is_hunks_of_the_files_lines(how):
    """What --diff prints: unified hunks whose numbers are the file's lines, context and removed lines the desk's
    file, added lines the written bytes (masked values aside), and nothing else of the file."""
    raw, result = _plan(how)
    diff = result.result(diff_mode=True)["diff"]
    assert set(diff) == {"before_header", "after_header", "prepared"}
    prepared = diff["prepared"]
    assert prepared.startswith("--- %s (before)\n+++ %s (after)\n@@ " % (PATH, PATH))
    assert assert_hunks_are_file_lines(prepared, raw.decode("utf-8"), result.new_bytes.decode("utf-8")) >= 1
    assert "https://iomanager.example.com/api" in prepared and "http://old:4356/api" in prepared
    assert MASK_CHANGED in prepared
    if how != "compact":
        assert "Büro" not in prepared, "an unchanged key far from the changes is not shown"
        assert len(lines_of(prepared)) < len(lines_of(raw.decode("utf-8"))) + len(lines_of(result.diff_after))


def test_an_unchanged_secret_is_masked_but_not_shown_as_changed_and_a_changed_one_is():
    _raw, result = _plan("2-space")
    before, after = result.diff_before, result.diff_after
    assert '"sharedKey": "%s"' % MASK in before and '"sharedKey": "%s"' % MASK in after
    assert '"password": "%s"' % MASK in before and '"password": "%s"' % MASK_CHANGED in after
    assert '"token": "%s"' % MASK_CHANGED in after
    assert '"value": "%s"' % MASK_CHANGED in after, "a header-style pair whose value changed"
    assert '"deskPin": "%s"' % MASK in after, "the task's own secret_keys"
    assert '"label": "Desk 7"' in after


def test_a_new_file_diff_is_empty_before_and_the_written_bytes_after():
    request = {k: v for k, v in REQUEST.items() if k != "crash_reporter"}
    result = plan(None, Request(**request), PATH, when_missing="create")
    diff = result.result(diff_mode=True)["diff"]
    assert result.diff_before == "" and diff["before_header"] == PATH + " (absent)"
    assert_same_lines(result.diff_after, result.new_bytes.decode("utf-8"))
    written = lines_of(result.new_bytes.decode("utf-8"))
    assert diff["prepared"].split("\n")[2] == "@@ -0,0 +1,%d @@" % len(written)
    _bh, _ah, [(_b, _bc, _a, _ac, body)] = parse_unified(diff["prepared"])
    assert {mark for mark, _line in body} == {"+"}
    assert diff["prepared"].count(MASK) == 3
    for secret in NEW_SECRETS:
        assert secret not in diff["prepared"]


def test_a_secret_number_and_a_secret_mapping_keep_their_lines():
    raw = b'{\n  "gw": {},\n  "credentials": {\n    "user": "u",\n    "pin": 4711\n  },\n  "x": 1\n}\n'
    result = plan(raw, Request(settings={"x": 2}), PATH)
    assert_same_lines(result.diff_before, raw.decode())
    assert_same_lines(result.diff_after, result.new_bytes.decode())
    assert "4711" not in result.diff_before + result.diff_after
    assert '    "pin": "%s"\n' % MASK in result.diff_before


def test_escaped_secrets_in_the_file_are_masked_whatever_their_escapes():
    raw = b'{"gw": {}, "auth": {"password": "p\\u0061ss\\"w\\\\rd-SECRET"}, "x": 1}'
    result = plan(raw, Request(settings={"x": 2}), PATH)
    shown = result.diff_before + result.diff_after
    assert "SECRET" not in shown
    assert_same_lines(result.diff_before, raw.decode())


def test_the_diff_is_made_only_when_asked():
    raw, result = _plan("4-space")
    assert result._diff_before is None, "no diff work without diff mode"
    assert "diff" not in result.result(diff_mode=False)
    assert result.new_bytes.startswith(b"{") and codecs.BOM_UTF8 not in result.new_bytes
    assert raw != result.new_bytes


def test_a_diff_too_deep_to_mask_is_not_shown_and_the_plan_stands(monkeypatch):
    from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json import engine

    def too_deep(*_args):
        raise RecursionError("maximum recursion depth exceeded")

    raw, result = _plan("2-space")
    monkeypatch.setattr(engine, "diff_texts", too_deep)
    diff = result.result(diff_mode=True)["diff"]
    assert result.diff_before.startswith("(not shown: %s nests values too deeply" % PATH)
    assert result.diff_after == result.diff_before and diff["prepared"] == result.diff_before
    assert result.changed and result.new_bytes
