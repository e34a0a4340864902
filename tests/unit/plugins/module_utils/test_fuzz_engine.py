# -*- coding: utf-8 -*-
"""Property-based fuzzing of the engine (plugins/module_utils/system_json/engine.py plan() and what it calls), with hypothesis.

Documents come in every formatting a person or a tool may produce: indent of any width or tabs, compact, odd
separators, random whitespace between tokens, CRLF or LF, with or without a UTF-8 BOM, escaped or literal non-ASCII.
Requests mix server, crash_reporter, settings (with secrets), app_stores in every mode and removals.

Properties:
- rendering round-trips: an unchanged document renders to the identical bytes;
- the result parses to exactly the merged value a small reference model computes (key order included);
- merge is idempotent: planning again on the written bytes changes nothing;
- unmanaged top-level members keep their bytes; BOM and newline style are kept;
- secrets never appear in drift, diff or message;
- the diff is the file's own text, line by line (only masked values differ);
- no exception other than FleetError ever escapes, whatever the bytes.
"""

from __future__ import annotations

import codecs
import json
import random

import pytest
from diff_lines import apply_unified, assert_hunks_are_file_lines, assert_same_lines
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.engine import plan
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.document import parse_bytes
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.merge import Request

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BOM = codecs.BOM_UTF8
PATH = "/desk/system.json"

# -- documents ---------------------------------------------------------------------------------------------------
keys = st.one_of(st.sampled_from(["region", "env", "gw", "layouts", "folders", "x", "é", "a/b", "m~n", ""]),
                 st.text(max_size=8))
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 63, 2 ** 63),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
                      max_leaves=12)
STORE_URLS = ["https://apps.example.com/api", "https://apps.example.com/api/", "https://other.example.com/api",
              "HTTPS://Apps.Example.com:443/api", "https://apps.example.com/API"]
STORE_PATHS = ["./config/apps", "./CONFIG/apps/", "./config/apps/", "C:\\apps"]
stores = st.one_of(
    st.builds(lambda u, extra: dict({"type": "rest", "details": {"url": u}}, **extra), st.sampled_from(STORE_URLS),
              st.dictionaries(st.sampled_from(["isRequired", "auth"]), scalars, max_size=2)),
    st.builds(lambda p: {"type": "path", "details": {"path": p}}, st.sampled_from(STORE_PATHS)),
    st.just({"type": "server"}),
)
documents = st.builds(
    lambda base, app_stores, server: dict(base, **({"appStores": app_stores} if app_stores is not None else {}),
                                          **({"server": server} if server is not None else {})),
    st.dictionaries(keys.filter(lambda k: k not in ("appStores", "server", "crashReporter")), values, max_size=6),
    st.none() | st.lists(stores, max_size=4),
    st.none() | st.fixed_dictionaries({"url": st.sampled_from(STORE_URLS)}, optional={"enabled": st.booleans()}),
)

WS = ["", " ", "  ", "\t", "\n", "\r\n", "\n    ", " \n\t"]


def scatter(value, rng) -> str:
    """JSON text of value with random whitespace between every token (still strict JSON)."""
    def ws():
        return rng.choice(WS) if rng.random() < 0.6 else ""

    if isinstance(value, dict):
        members = ["%s%s%s:%s%s" % (ws(), json.dumps(k, ensure_ascii=rng.random() < 0.5), ws(), ws(), scatter(v, rng))
                   for k, v in value.items()]
        return "{" + ",".join(m + ws() for m in members) + ws() + "}"
    if isinstance(value, list):
        return "[" + ",".join(ws() + scatter(v, rng) + ws() for v in value) + ws() + "]"
    return json.dumps(value, ensure_ascii=rng.random() < 0.5)


@st.composite
def formatted(draw, docs=documents):
    """(bytes of the file, its value, bom, newline)."""
    doc = draw(docs)
    how = draw(st.sampled_from(["indent", "compact", "separators", "scatter"]))
    ascii_only = draw(st.booleans())
    if how == "indent":
        text = json.dumps(doc, indent=draw(st.sampled_from([1, 2, 4, 8, "\t", "  \t"])), ensure_ascii=ascii_only)
    elif how == "compact":
        text = json.dumps(doc, separators=(",", ":"), ensure_ascii=ascii_only)
    elif how == "separators":
        text = json.dumps(doc, indent=draw(st.sampled_from([None, 3])), ensure_ascii=ascii_only,
                          separators=draw(st.sampled_from([(", ", ": "), (" , ", " : "), (",", " :")])))
    else:
        text = scatter(doc, random.Random(draw(st.integers(0, 2 ** 32))))
    text = draw(st.sampled_from(["", "\n", "  ", "\r\n\t"])) + text + draw(st.sampled_from(["", "\n", "\n\n", " "]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    if newline == "\r\n":
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    bom = draw(st.booleans())
    return (BOM if bom else b"") + text.encode("utf-8"), doc, bom, newline


# -- requests and a reference model of the merge ----------------------------------------------------------------
SECRET_KEYS = ["password", "apiKey", "clientSecret", "token", "bearerToken"]
secrets = st.text(alphabet="abcdefghijkmnpqrstuvwxyz0123456789", min_size=8, max_size=12).map(lambda s: "SECRET-" + s)
settings_patch = st.dictionaries(
    st.sampled_from(["env", "region", "layouts", "folders", "x", "é", "gw"]),
    st.one_of(values, st.dictionaries(st.sampled_from(SECRET_KEYS), secrets, min_size=1, max_size=2),
              st.fixed_dictionaries({"store": st.dictionaries(st.sampled_from(SECRET_KEYS), secrets, max_size=2)},
                                    optional={"type": st.sampled_from(["local", "server"])})),
    max_size=3)
CRASH_FULL = {"enabled": True, "folderPath": "%IO_CD_USER_DATA_DIR%/crashes", "companyName": "Interop Inc",
              "productName": "io.Connect Desktop"}
requests = st.fixed_dictionaries({}, optional={
    "server": st.fixed_dictionaries({"url": st.sampled_from(STORE_URLS)},
                                    optional={"enabled": st.booleans(), "fetchInterval": st.integers(1, 600)}),
    "crash_reporter": st.builds(
        lambda token: dict(CRASH_FULL, output={"type": "backtrace", "backTraceConfig": {"token": token}}), secrets),
    "settings": settings_patch,
    "app_stores": st.lists(stores, max_size=3),
    "app_stores_mode": st.sampled_from(["replace", "present", "absent"]),
    # No array indexes here: see test_removing_by_array_index_is_idempotent.
    "remove": st.lists(st.sampled_from(["/x", "/gw", "/layouts/store", "/server/enabled", "/nope", "/a~1b", "/m~0n",
                                        "/folders/x"]), max_size=3, unique=True),
})


def _identity(store):
    """The POSIX rules (plan() without windows=True): URLs without scheme/host case, default port or trailing
    slash; folder paths case-sensitive, trailing '/' ignored."""
    details = store.get("details") if isinstance(store, dict) else None
    if isinstance(details, dict) and "url" in details:
        url = details["url"].rstrip("/")
        scheme, _sep, rest = url.partition("://")
        host, slash, path = rest.partition("/")
        host = host.lower()
        if scheme.lower() == "https" and host.endswith(":443"):
            host = host[:-4]
        return (store.get("type"), "url", scheme.lower() + "://" + host + slash + path)
    if isinstance(details, dict) and "path" in details:
        return (store.get("type"), "path", details["path"].rstrip("/"))
    return (store.get("type"),)


def _same_store_merged(existing, store):
    """A matched store merged with the request, the desk's spelling of its url or path kept."""
    out = _merge(existing, store)
    for key in ("url", "path"):
        if key in existing.get("details", {}) and key in store.get("details", {}):
            out["details"] = dict(out["details"], **{key: existing["details"][key]})
    return out


def _merge(base, patch):
    """The request laid over the document, stated leaf by leaf rather than as a recursive merge (so that it is not
    a copy of merge.py's deep_merge): every leaf of the request (a value that is not a non-empty object) ends up at
    its path, objects on the way are created or replace whatever non-object stood there, and nothing else moves."""
    out = base
    for path, value in _leaves(patch):
        out = _put(out, path, value)
    return out


def _leaves(value, path=()):
    if isinstance(value, dict) and value:
        for key, member in value.items():
            yield from _leaves(member, path + (key,))
    else:
        yield path, value


def _put(node, path, value):
    """node with value at path (copied, never changed in place); an empty object leaves an object alone."""
    if not path:
        return node if value == {} and isinstance(value, dict) and isinstance(node, dict) else value
    out = dict(node) if isinstance(node, dict) else {}
    out[path[0]] = _put(out.get(path[0]) if path[0] in out else _MISSING, path[1:], value)
    return out


_MISSING = object()


def _remove(node, tokens):
    if not tokens:
        return node
    head, rest = tokens[0], tokens[1:]
    if isinstance(node, dict) and head in node:
        out = dict(node)
        if rest:
            out[head] = _remove(node[head], rest)
        else:
            del out[head]
        return out
    if isinstance(node, list) and head.isdigit() and (head == "0" or not head.startswith("0")) and int(head) < len(
            node):
        out = list(node)
        if rest:
            out[int(head)] = _remove(node[int(head)], rest)
        else:
            del out[int(head)]
        return out
    return node


def expected_value(doc, req):
    """What the file must hold after the request: the issue's rules, written independently of merge.py."""
    out = dict(doc)
    patch = dict(req.get("settings") or {})
    if "server" in req:
        patch["server"] = req["server"]
    if "crash_reporter" in req:
        patch["crashReporter"] = req["crash_reporter"]
    out = _merge(out, patch)
    if "app_stores" in req:
        mode = req.get("app_stores_mode", "replace")
        current = list(out.get("appStores", []))
        if mode == "replace":
            out["appStores"] = list(req["app_stores"])
        elif mode == "present":
            for store in req["app_stores"]:
                for idx, existing in enumerate(current):
                    if _identity(existing) == _identity(store):
                        current[idx] = _same_store_merged(existing, store)
                        break
                else:
                    current.append(store)
            out["appStores"] = current
        elif "appStores" in out:
            unwanted = {_identity(s) for s in req["app_stores"]}
            out["appStores"] = [s for s in current if _identity(s) not in unwanted]
    for pointer in req.get("remove", []):
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]
        out = _remove(out, tokens)
    return out


def same(a, b) -> bool:
    """JSON equality that tells true from 1 and compares key order too."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def loads(raw: bytes):
    return json.loads(raw.decode("utf-8-sig"), object_pairs_hook=dict)


def _plan_or_request_error(raw, req):
    try:
        request = Request(**req)
    except FleetError as exc:
        assert exc.kind == "request"
        return None
    try:
        return plan(raw, request, PATH)
    except FleetError as exc:
        # A valid JSON object never fails to parse; only a request the file cannot take may be refused.
        assert exc.kind == "request", (exc.kind, str(exc))
        return None


# -- properties ---------------------------------------------------------------------------------------------------
@FUZZ
@given(formatted())
def test_an_unchanged_document_renders_to_identical_bytes(sample):
    raw, doc, _bom, _newline = sample
    document = parse_bytes(raw, PATH)
    assert same(document.value, loads(raw))
    assert document.render(document.value) == raw
    assert document.render(json.loads(json.dumps(document.value))) == raw, "an equal copy renders the same bytes"
    assert plan(raw, Request(), PATH).changed is False


@FUZZ
@given(formatted(), requests)
def test_merge_is_exact_idempotent_and_keeps_what_it_does_not_manage(sample, req):
    raw, doc, bom, newline = sample
    result = _plan_or_request_error(raw, req)
    if result is None:
        return
    want = expected_value(loads(raw), req)
    if not result.changed:
        assert result.new_bytes is None
        assert same(loads(raw), want) or loads(raw) == want
        return
    new = result.new_bytes
    got = loads(new)
    assert same(got, want) or (got == want and list(got) == list(want)), (got, want)
    # Idempotent: the written bytes already hold the request.
    again = plan(new, Request(**req), PATH)
    assert again.changed is False and again.drift == [] and again.new_bytes is None
    # The file's character: BOM kept (never added), newline style kept when the file had a single one.
    assert new.startswith(BOM) == bom and not new.startswith(BOM * 2)
    text = new.decode("utf-8-sig")
    old_text = raw.decode("utf-8-sig")
    if newline == "\r\n" and "\n" in old_text:
        assert text.count("\r\n") == text.count("\n"), "no bare LF in a CRLF file"
    elif "\r" not in old_text:
        assert "\r" not in text, "no CR in an LF file"
    # Untouched top-level members keep their exact bytes.
    touched = set((req.get("settings") or {}))
    touched |= {"server"} if "server" in req else set()
    touched |= {"crashReporter"} if "crash_reporter" in req else set()
    touched |= {"appStores"} if "app_stores" in req else set()
    touched |= {p[1:].split("/")[0].replace("~1", "/").replace("~0", "~") for p in req.get("remove", [])}
    old_doc, new_doc = parse_bytes(raw, PATH), parse_bytes(new, PATH)
    old_spans = {i.key: old_doc.text[i.value_start:i.end] for i in old_doc.items}
    new_spans = {i.key: new_doc.text[i.value_start:i.end] for i in new_doc.items}
    for key, span in old_spans.items():
        if key not in touched:
            assert new_spans.get(key) == span, "unmanaged %r changed its bytes" % key


@FUZZ
@given(formatted(), requests)
def test_secrets_never_appear_in_drift_diff_or_message(sample, req):
    raw, _doc, _bom, _newline = sample
    result = _plan_or_request_error(raw, req)
    if result is None or not result.changed:
        return
    shown = json.dumps([result.drift, result.diff_before, result.diff_after, result.msg], ensure_ascii=False)
    for secret in _secret_strings(req):
        assert secret not in shown


@FUZZ
@given(formatted(), requests)
def test_the_diff_is_the_files_own_text_line_by_line(sample, req):
    """before is the desk's file and after the written bytes, line for line; only masked values differ."""
    raw, _doc, _bom, _newline = sample
    result = _plan_or_request_error(raw, req)
    if result is None or not result.changed:
        return
    assert_same_lines(result.diff_before, raw.decode("utf-8"))
    assert_same_lines(result.diff_after, result.new_bytes.decode("utf-8"))


@FUZZ
@given(formatted(), requests)
def test_the_diffs_hunks_are_the_files_lines_and_applied_give_the_bytes_written(sample, req):
    """The diff a task returns: hunks whose every line is the file's at its number (masked values aside); where
    nothing is masked or cut, applying them to the desk's file gives exactly the bytes written."""
    raw, _doc, _bom, _newline = sample
    result = _plan_or_request_error(raw, req)
    if result is None or not result.changed:
        return
    prepared = result.result(diff_mode=True)["diff"]["prepared"]
    before, after = raw.decode("utf-8"), result.new_bytes.decode("utf-8")
    assert assert_hunks_are_file_lines(prepared, before, after) >= 1
    if result.diff_before == before and result.diff_after == after and "\N{HORIZONTAL ELLIPSIS}" not in prepared:
        assert apply_unified(before, prepared) == after


def _secret_strings(value, secret=False):
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _secret_strings(sub, secret or key in SECRET_KEYS)
    elif isinstance(value, list):
        for sub in value:
            yield from _secret_strings(sub, secret)
    elif secret and isinstance(value, str):
        yield value


@st.composite
def damaged(draw):
    raw, _doc, _bom, _newline = draw(formatted())
    how = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "utf16", "prefix"]))
    if not raw:
        return raw
    pos = draw(st.integers(0, len(raw) - 1))
    if how == "truncate":
        return raw[:pos]
    if how == "flip":
        return raw[:pos] + bytes([draw(st.integers(0, 255))]) + raw[pos + 1:]
    if how == "insert":
        return raw[:pos] + draw(st.binary(min_size=1, max_size=4)) + raw[pos:]
    if how == "delete":
        return raw[:pos] + raw[pos + 1:]
    if how == "utf16":
        return raw.decode("utf-8-sig").encode(draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32"])))
    return draw(st.sampled_from([BOM, BOM * 2, b"\xff\xfe", b"//c\n", b"\x00"])) + raw


@FUZZ
@given(st.one_of(damaged(), st.binary(max_size=64)), requests)
def test_no_exception_but_fleet_error_escapes_whatever_the_bytes(raw, req):
    try:
        request = Request(**req)
    except FleetError:
        return
    try:
        result = plan(raw, request, PATH)
    except FleetError as exc:
        assert str(exc) and exc.kind in ("parse", "root", "encoding", "duplicate", "request")
        if exc.kind != "request":
            assert PATH in str(exc), "the message names the file"
        return
    if result.new_bytes is not None:
        assert isinstance(loads(result.new_bytes), dict)


@pytest.mark.parametrize("depth", [400, 1000, 5000, 100000])
@pytest.mark.parametrize("member", ["deep", "server"])
def test_absurd_nesting_is_a_clear_error_not_a_recursion_error(depth, member):
    raw = ('{"env": "PROD", "%s": %s1%s}' % (member, '{"x":' * depth, "}" * depth)).encode()
    try:
        result = plan(raw, Request(server={"url": STORE_URLS[0]}), PATH)
    except FleetError as exc:
        assert exc.kind == "parse" and "too deeply" in str(exc) and PATH in str(exc)
    else:
        assert loads(result.new_bytes)["server"]["url"] == STORE_URLS[0]


def test_reasonable_nesting_is_merged():
    raw = ('{"env": "PROD", "deep": %s1%s}' % ("[" * 200, "]" * 200)).encode()
    result = plan(raw, Request(server={"url": STORE_URLS[0]}), PATH)
    assert ("[" * 200 + "1" + "]" * 200).encode() in result.new_bytes


@FUZZ
@given(formatted())
def test_a_missing_file_created_then_planned_again_is_stable(sample):
    _raw, doc, _bom, newline = sample
    settings_part = {k: v for k, v in doc.items() if k not in ("server", "appStores", "crashReporter")}
    assume(settings_part)
    request = Request(settings=settings_part)
    created = plan(None, request, PATH, when_missing="create", newline=newline)
    assert not created.new_bytes.startswith(BOM)
    assert same(loads(created.new_bytes), settings_part)
    assert plan(created.new_bytes, request, PATH).changed is False


def test_removing_by_array_index_is_refused_rather_than_repeated():
    raw = b'{"appStores": [{"type": "server"}, {"type": "path", "details": {"path": "a"}}]}'
    request = Request(remove=["/appStores/0"])
    with pytest.raises(FleetError, match="not idempotent"):
        plan(raw, request, PATH)
