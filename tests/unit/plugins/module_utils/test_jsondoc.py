# -*- coding: utf-8 -*-
"""Format preservation and strict parsing of system.json (plugins/module_utils/system_json/document.py)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.document import Style, parse_bytes, render_new
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.merge import Request, apply_request

BOM = b"\xef\xbb\xbf"

VENDOR_LIKE = (
    '{\n'
    '    "region": "EMEA",\n'
    '    "env": "PROD",\n'
    '    "gw": {\n'
    '        "port": 8385,\n'
    '        "memory": {"maxSize": 1048576}\n'
    '    },\n'
    '    "appStores": [\n'
    '        {\n'
    '            "type": "path",\n'
    '            "details": {"path": "./config/apps"}\n'
    '        }\n'
    '    ],\n'
    '    "folders": {"cache": "%IO_CD_USER_DATA_DIR%/cache", "label": "Zürich desk \\u00e9"},\n'
    '    "server": {\n'
    '        "enabled": false,\n'
    '        "url": "http://old-iomanager:4356/api"\n'
    '    }\n'
    '}\n'
)

SERVER = {"enabled": True, "url": "https://iomanager.example.com/api"}


def merged(raw: bytes, **request) -> bytes:
    document = parse_bytes(raw, "system.json")
    return document.render(apply_request(document.value, Request(**request)))


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("bom", [b"", BOM])
def test_untouched_bytes_survive_and_only_changed_values_move(newline, bom):
    raw = bom + VENDOR_LIKE.replace("\n", newline).encode("utf-8")
    out = merged(raw, server=SERVER)
    assert out.startswith(bom) and (not bom or not out[3:].startswith(BOM))
    text = out[len(bom):].decode("utf-8")
    expected = VENDOR_LIKE.replace('"enabled": false', '"enabled": true').replace(
        "http://old-iomanager:4356/api", "https://iomanager.example.com/api").replace("\n", newline)
    assert text == expected


def test_unchanged_request_renders_identical_bytes_whatever_the_formatting():
    odd = b'{ "region" :"EMEA","env":"PROD" ,\n\t"gw":{"port":8385},"server" : { "url" : "https://iomanager.example.com/api" ,"enabled":true}}'
    document = parse_bytes(odd, "system.json")
    after = apply_request(document.value, Request(server=SERVER))
    assert document.render(after) == odd


def test_new_members_follow_tab_indent_crlf_and_no_trailing_newline():
    raw = b'{\r\n\t"region": "EMEA",\r\n\t"env": "PROD",\r\n\t"gw": {}\r\n}'
    out = merged(raw, server=SERVER, settings={"gw": {"port": 8385}})
    assert out == (b'{\r\n\t"region": "EMEA",\r\n\t"env": "PROD",\r\n\t"gw": {\r\n\t\t"port": 8385\r\n\t},\r\n'
                   b'\t"server": {\r\n\t\t"enabled": true,\r\n\t\t"url": "https://iomanager.example.com/api"\r\n\t}\r\n}')


def test_two_space_indent_is_detected():
    raw = b'{\n  "region": "EMEA",\n  "env": "PROD",\n  "gw": {"port": 1}\n}\n'
    out = merged(raw, server=SERVER).decode()
    assert '\n  "server": {\n    "enabled": true,\n    "url": "https://iomanager.example.com/api"\n  }\n}\n' in out


def test_compact_files_stay_compact():
    raw = b'{"region":"EMEA","env":"PROD","gw":{"port":1}}'
    out = merged(raw, server=SERVER)
    assert out == b'{"region":"EMEA","env":"PROD","gw":{"port":1},"server":{"enabled":true,"url":"https://iomanager.example.com/api"}}'


def test_non_ascii_stays_literal_or_escaped_as_the_file_had_it():
    literal = '{\n    "region": "EMEA",\n    "label": "Zürich"\n}\n'.encode("utf-8")
    out = merged(literal, settings={"about": {"owner": "Société Générale"}})
    assert "Société Générale".encode("utf-8") in out and "Zürich".encode("utf-8") in out
    escaped = b'{\n    "region": "EMEA",\n    "label": "Z\\u00fcrich"\n}\n'
    out = merged(escaped, settings={"about": {"owner": "Société"}})
    assert b"Soci\\u00e9t\\u00e9" in out and b"Z\\u00fcrich" in out


def test_removing_members_keeps_neighbours_and_separators():
    raw = b'{\n    "a": 1,\n    "server": {"url": "x"},\n    "b": 2\n}\n'
    assert merged(raw, remove=["/server"]) == b'{\n    "a": 1,\n    "b": 2\n}\n'
    assert merged(raw, remove=["/a"]) == b'{\n    "server": {"url": "x"},\n    "b": 2\n}\n'
    assert merged(raw, remove=["/b"]) == b'{\n    "a": 1,\n    "server": {"url": "x"}\n}\n'
    assert merged(raw, remove=["/a", "/server", "/b"]) == b'{}\n'


def test_app_store_present_appends_and_keeps_existing_store_text():
    raw = VENDOR_LIKE.encode()
    out = merged(raw, app_stores=[{"type": "rest", "details": {"url": "https://apps/api"}}],
                 app_stores_mode="present").decode()
    assert '            "details": {"path": "./config/apps"}\n        },\n        {\n            "type": "rest"' in out


def test_app_store_absent_keeps_survivors_text():
    raw = b'{"appStores": [ {"type": "path", "details": {"path": "a"}} , {"type": "server"} ], "x": 1}'
    out = merged(raw, app_stores=[{"type": "server"}], app_stores_mode="absent")
    assert out == b'{"appStores": [ {"type": "path", "details": {"path": "a"}} ], "x": 1}'


def test_replace_with_empty_list_makes_io_manager_the_only_store():
    out = merged(VENDOR_LIKE.encode(), app_stores=[], server=SERVER)
    assert json.loads(out)["appStores"] == []
    assert b'"appStores": [],' in out


def test_value_type_changes_are_rendered_fresh():
    raw = b'{\n    "server": "legacy"\n}\n'
    out = merged(raw, server=SERVER)
    assert out == b'{\n    "server": {\n        "enabled": true,\n        "url": "https://iomanager.example.com/api"\n    }\n}\n'


def test_true_is_not_one():
    raw = b'{"server": {"enabled": 1, "url": "https://iomanager.example.com/api"}}'
    out = merged(raw, server=SERVER)
    assert json.loads(out)["server"]["enabled"] is True


def test_render_new_uses_defaults_and_trailing_newline():
    out = render_new({"server": SERVER}, Style(newline="\r\n"))
    assert out == b'{\r\n    "server": {\r\n        "enabled": true,\r\n        "url": "https://iomanager.example.com/api"\r\n    }\r\n}\r\n'


@pytest.mark.parametrize("raw, kind, fragment", [
    (b'{"a": 1,}', "parse", "a trailing comma before '}' (JSON allows none) at line 1, column 8"),
    (b'{\n  "a": 1\n  // comment\n}', "parse", "line 3"),
    (b"{'a': 1}", "parse", "line 1"),
    (b'{"a": NaN}', "parse", "NaN"),
    (b'{"a": 1', "parse", "line 1"),
    (b"", "parse", "empty"),
    (b"  \n ", "parse", "empty"),
    (b"[]", "root", "an array"),
    (b'"text"', "root", "a string"),
    (b"null", "root", "null"),
    (b"42", "root", "a number"),
    (b'{"a": 1} {"b": 2}', "parse", "Extra data"),
    (b'{"a": 1, "a": 2}', "duplicate", '"a" twice'),
    (b'{"s": {"url": 1,\n "url": 2}}', "duplicate", "lines 1, 2"),
    ("{\"a\": 1}".encode("utf-16"), "encoding", "UTF-16"),
    ("{\"a\": 1}".encode("utf-16-le"), "encoding", "UTF-16"),
    ("{\"a\": 1}".encode("utf-32"), "encoding", "UTF-32"),
    ('{"a": "café"}'.encode("cp1252"), "encoding", "not valid UTF-8"),
    (BOM + BOM + b"{}", "encoding", "two byte order marks"),
])
def test_bad_files_fail_clearly(raw, kind, fragment):
    with pytest.raises(FleetError) as info:
        parse_bytes(raw, "/desk/system.json")
    assert info.value.kind == kind
    assert "/desk/system.json" in str(info.value)
    assert fragment in str(info.value)


json_scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=8)
json_values = st.recursive(json_scalars, lambda kids: st.lists(kids, max_size=4)
                           | st.dictionaries(st.text(max_size=6), kids, max_size=4), max_leaves=12)
documents = st.dictionaries(st.text(max_size=8), json_values, max_size=6)


@settings(max_examples=150, deadline=None)
@given(doc=documents, indent=st.sampled_from([None, 2, 4, "\t"]), newline=st.sampled_from(["\n", "\r\n"]),
       bom=st.booleans(), ascii_only=st.booleans())
def test_parse_then_render_round_trips_byte_for_byte(doc, indent, newline, bom, ascii_only):
    text = json.dumps(doc, indent=indent, ensure_ascii=ascii_only).replace("\n", newline) + newline
    raw = (BOM if bom else b"") + text.encode("utf-8")
    document = parse_bytes(raw, "system.json")
    assert document.value == doc
    assert document.render(document.value) == raw


@settings(max_examples=150, deadline=None)
@given(doc=documents, patch=st.dictionaries(st.sampled_from(["server", "env", "layouts", "x"]), json_values,
                                            max_size=3),
       indent=st.sampled_from([None, 2, 4, "\t"]), newline=st.sampled_from(["\n", "\r\n"]))
def test_merge_is_idempotent_and_keeps_unmanaged_keys(doc, patch, indent, newline):
    settings_patch = {k: v for k, v in patch.items() if k != "server"}
    server = patch.get("server") if isinstance(patch.get("server"), dict) else None
    if server is not None:
        server = dict(server, url="https://m/api")
    request = Request(server=server, settings=settings_patch)
    raw = json.dumps(doc, indent=indent).replace("\n", newline).encode("utf-8")
    document = parse_bytes(raw, "system.json")
    after = apply_request(document.value, request)
    out = document.render(after)
    assert json.loads(out) == after
    for key, value in doc.items():
        if key not in settings_patch and not (key == "server" and server is not None):
            assert json.loads(out)[key] == value
    again = parse_bytes(out, "system.json")
    assert again.render(apply_request(again.value, request)) == out


@pytest.mark.parametrize("raw, line, col, closing", [
    (b'{\n  "region": "EMEA",\n  "env": "PROD",\n}\n', 3, 16, "}"),
    (b'{\r\n    "appStores": [\r\n        {"type": "path"},\r\n    ]\r\n}', 3, 25, "]"),
    (b'{"a": 1,}', 1, 8, "}"),
])
def test_a_trailing_comma_is_reported_on_its_own_line(raw, line, col, closing):
    with pytest.raises(FleetError) as info:
        parse_bytes(raw, "/desk/system.json")
    message = str(info.value)
    assert "a trailing comma before %r" % closing in message
    assert "at line %d, column %d." % (line, col) in message


def test_other_syntax_errors_keep_json_s_position():
    with pytest.raises(FleetError) as info:
        parse_bytes(b'{\n  "region": "EMEA"\n  "env": "PROD"\n}', "/desk/system.json")
    assert "Expecting ',' delimiter at line 3, column 3." in str(info.value)
