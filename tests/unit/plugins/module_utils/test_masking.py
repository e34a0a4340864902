# -*- coding: utf-8 -*-
"""The one masking policy (plugins/module_utils/common/masking.py): every secret shape, each output form."""

from __future__ import annotations

import pytest

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import (
    DEFAULT_POLICY,
    MASK,
    MASK_CHANGED,
    MaskingPolicy,
    policy,
    secret_keys_errors,
)

FIRM = policy(["deskPin", "vault_ref"])


@pytest.mark.parametrize("key", [
    "password", "Password", "db_password", "passwd", "passphrase", "dbPwd", "clientSecret", "client-secret", "token",
    "accessToken", "bearer", "apiKey", "api_key", "X-Api-Key", "privateKey", "sharedKey", "shared_key", "secretKey",
    "accessKey", "signingKey", "licenseKey", "credentials", "connectionString", "Authorization",
    "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Auth-Token", "X-Functions-Key", "Ocp-Apim-Subscription-Key",
    "sessionId",
])
def test_built_in_secret_key_names(key):
    assert DEFAULT_POLICY.is_secret_key(key)


@pytest.mark.parametrize("key", ["tokenRefreshInterval", "url", "auth", "username", "passwordPolicyUrl", "hotkeys",
                                 "key", "keyboard", "deskPin", "clientAuth", "name", "value", ""])
def test_harmless_key_names(key):
    assert not DEFAULT_POLICY.is_secret_key(key)


def test_a_firms_own_names_add_to_the_built_in_ones_and_match_like_them():
    for key in ("deskPin", "desk_pin", "DESK-PIN", "primaryDeskPin", "vaultRef", "vault.ref", "password"):
        assert FIRM.is_secret_key(key), key
    assert not FIRM.is_secret_key("deskPinHint")
    assert policy(["deskPin", "vault_ref"]) is FIRM, "one policy object per distinct list"
    assert policy(None) is policy([]) is DEFAULT_POLICY


@pytest.mark.parametrize("names, fragment", [
    ([""], "secret_keys[0]"),
    (["ok", " - "], "secret_keys[1]"),
    (["ok", 3], "secret_keys[1]"),
    ("sharedKey", "must be a list"),
])
def test_names_that_would_make_every_key_secret_are_refused(names, fragment):
    assert any(fragment in e for e in secret_keys_errors(names))
    with pytest.raises(ValueError, match=r"secret_keys"):
        MaskingPolicy(names if isinstance(names, list) else [names, ""])


SHAPES = {
    # shape: (value as a task or a file holds it, the secret strings in it)
    "key name": ({"auth": {"password": "pw-SECRET-1"}}, ["pw-SECRET-1"]),
    "firm key name": ({"desk": {"deskPin": "pin-SECRET-2"}}, ["pin-SECRET-2"]),
    "sharedKey": ({"sso": {"sharedKey": "sk-SECRET-3"}}, ["sk-SECRET-3"]),
    "header pair": ({"headers": [{"name": "Authorization", "value": "Bearer hp-SECRET-4"}]}, ["hp-SECRET-4"]),
    "header pair, raw token": ({"headers": [{"name": "X-Api-Key", "value": "xk-SECRET-5"}]}, ["xk-SECRET-5"]),
    "header pair, key/value": ({"h": [{"key": "Cookie", "value": "sid=ck-SECRET-6"}]}, ["ck-SECRET-6"]),
    "header map": ({"headers": {"Proxy-Authorization": "Basic pa-SECRET-7", "X-Client": "desk"}}, ["pa-SECRET-7"]),
    "URL user info": ({"proxy": {"url": "http://svc:ui-SECRET-8@proxy:8080"}}, ["ui-SECRET-8"]),
    "Bearer in free text": ({"note": "send Authorization: Bearer bt-SECRET-9 please"}, ["bt-SECRET-9"]),
    "key=value in free text": ({"args": "--user=u --password=kv-SECRET-10 --x=1"}, ["kv-SECRET-10"]),
    "Cookie line in free text": ({"raw": "Cookie: a=1; sid=cl-SECRET-11"}, ["cl-SECRET-11"]),
    "pair written as text": ({"raw": '{"name": "Authorization", "value": "pt-SECRET-12"}'}, ["pt-SECRET-12"]),
    "nested secret subtree": ({"credentials": {"user": "u", "key": "ns-SECRET-13"}}, ["ns-SECRET-13"]),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_shape_is_masked_and_found(shape):
    value, secrets = SHAPES[shape]
    masked = FIRM.mask_value(value)
    kept = FIRM.mask_value(value, keep_shape=True)
    found = FIRM.secret_values(value)
    for secret in secrets:
        assert secret not in repr(masked) and secret not in repr(kept), (shape, masked, kept)
        assert any(secret in f for f in found), (shape, found)
    assert MASK in repr(masked)
    assert MASK not in repr(value)


def test_masking_keeps_what_is_not_secret_and_returns_untouched_parts_as_they_are():
    value = {"server": {"url": "https://m/api", "fetchInterval": 30}, "auth": {"password": "x", "user": "u"},
             "headers": {"X-Client": "desk"}}
    masked = DEFAULT_POLICY.mask_value(value)
    assert masked == {"server": value["server"], "auth": {"password": MASK, "user": "u"}, "headers": value["headers"]}
    assert masked["server"] is value["server"] and masked["headers"] is value["headers"]
    assert DEFAULT_POLICY.mask_value(value["server"]) is value["server"]


def test_keep_shape_masks_the_leaves_of_a_secret_subtree_and_keeps_its_lines():
    value = {"credentials": {"user": "u", "n": 3, "on": True, "none": None, "list": ["a"]}}
    assert DEFAULT_POLICY.mask_value(value) == {"credentials": MASK}
    assert DEFAULT_POLICY.mask_value(value, keep_shape=True) == {
        "credentials": {"user": MASK, "n": MASK, "on": True, "none": None, "list": [MASK]}}


def test_a_changed_secret_looks_changed_everywhere():
    before = {"auth": {"password": "old"}, "headers": [{"name": "Authorization", "value": "Bearer old-123456"}],
              "proxy": "http://u:old@p", "same": {"token": "t"}}
    after = {"auth": {"password": "new"}, "headers": [{"name": "Authorization", "value": "Bearer new-123456"}],
             "proxy": "http://u:new@p", "same": {"token": "t"}}
    shown_before, shown_after = DEFAULT_POLICY.mask_change(before, after)
    assert shown_before["auth"]["password"] == MASK and shown_after["auth"]["password"] == MASK_CHANGED
    assert shown_after["headers"] == [{"name": "Authorization", "value": MASK_CHANGED}]
    assert shown_before["proxy"] == "http://********@p" and shown_after["proxy"] == MASK_CHANGED
    assert shown_after["same"] == {"token": MASK}, "an unchanged secret does not look changed"
    assert DEFAULT_POLICY.mask_change("old", "new", secret=True) == (MASK, MASK_CHANGED)


@pytest.mark.parametrize("text, shown", [
    ("https://joe:hunter2@host/api", "https://********@host/api"),
    ("Authorization: Bearer abc.def-123", "Authorization: Bearer ********"),
    ("note: password=hunter2", "note: password=********"),
    ("Cookie: a=1; sid=abcdef", "Cookie: ********"),
    ("set-cookie: x=y", "set-cookie: ********"),
    ("{'name': 'X-Api-Key', 'value': 'k-123'}", "{'name': 'X-Api-Key', 'value': '********'}"),
    ("a token=abc, password=def", "a token=********, password=********"),
    ("server.fetchInterval: must be greater than 0", "server.fetchInterval: must be greater than 0"),
    ("deskPin=4711", "deskPin=********"),
])
def test_free_text(text, shown):
    assert FIRM.mask_text(text) == shown
    assert FIRM.mask_text(shown) == shown, "masking is idempotent"


def test_text_secrets_are_what_mask_text_hides():
    assert FIRM.text_secrets("Authorization: Bearer abc.def-123") == {"abc.def-123"}
    assert FIRM.text_secrets("https://u:pw@host/x?token=abc") == {"u:pw", "pw", "abc"}
    assert FIRM.text_secrets("nothing to see: here") == set()


def test_secret_values_skip_booleans_and_nulls():
    assert DEFAULT_POLICY.secret_values({"token": True, "password": None, "apiKey": 12}) == {"12"}


# A value is masked whole wherever it ends: quoted with spaces and escapes, with ; & , and a raw @ inside, in the
# connection strings and header forms people really write. (text, the secret's pieces, what must stay visible)
WHOLE = [
    # libpq keyword/value: quotes with \' and \\ escapes; a bare value ends only at a space (libpq's own rule).
    ("host=db.example.com port=5432 dbname=drift user=fleet password = 'two words' sslmode=require",
     ["two", "words"], ["host=db.example.com", "user=fleet", "sslmode=require", "password = '"]),
    ("host=db password='it\\'s a;b&c@d, ok' user=fleet", ["it\\'s", "a;b&c@d", "d, ok"], ["host=db", "user=fleet"]),
    ("password='back\\\\slash x' user=fleet", ["back", "slash"], ["user=fleet"]),
    ("host=db password=pa;ss&w@rd,x dbname=drift", ["pa;ss", "w@rd", ",x"], ["host=db", "dbname=drift"]),
    ("export PGPASSWORD='two words'", ["two", "words"], ["export PGPASSWORD="]),
    # URIs: percent-encoded, a raw @ (urllib splits at the last one), parameters in the query.
    ("postgresql://fleet:p%40ss%20w@db.example.com:5432/drift?sslmode=require", ["p%40ss", "fleet:"],
     ["@db.example.com:5432/drift?sslmode=require"]),
    ("postgresql://fleet:p@ss@db.example.com:5432/drift", ["p@ss", ":p@"], ["@db.example.com:5432/drift"]),
    ("postgresql://db.example.com/drift?user=fleet&password=a;b,c&sslmode=require", ["a;b", "b,c"],
     ["user=fleet", "&sslmode=require"]),
    ("redis://:only-password@cache:6379/0", ["only-password"], ["@cache:6379/0"]),
    # ODBC / ADO.NET: braces with }} inside, bare values with spaces in a ; list.
    ("Driver={ODBC Driver 18 for SQL Server};Server=db;Uid=fleet;Pwd={a;b}}c d};Encrypt=yes", ["a;b", "c d"],
     ["Driver={ODBC Driver 18 for SQL Server}", "Uid=fleet", "Encrypt=yes"]),
    ("Server=db;Database=drift;User Id=fleet;Password=two words & more;Encrypt=True", ["two", "words", "more"],
     ["Server=db", "User Id=fleet", "Encrypt=True"]),
    ("Password=two words;Server=db", ["two", "words"], ["Server=db"]),
    ("Server=db;Password=two words", ["two", "words"], ["Server=db"]),
    # JDBC.
    ("jdbc:sqlserver://db:1433;databaseName=drift;user=fleet;password={x;y z};encrypt=true", ["x;y", "y z"],
     ["databaseName=drift", "user=fleet", "encrypt=true"]),
    ("jdbc:postgresql://db:5432/drift?user=fleet&password=s3cr%26t&ssl=true", ["s3cr%26t"], ["user=fleet", "ssl=true"]),
    ("jdbc:oracle:thin:scott/t1ger-pw@//db:1521/svc", ["t1ger-pw"], ["jdbc:oracle:thin:scott/", "@//db:1521/svc"]),
    # Header maps and header lines, as JSON, as a Python repr and as plain lines.
    ('{"Authorization": "Digest username=\\"fleet\\", response=\\"6629fae4\\""}', ["6629fae4", "username"],
     ['{"Authorization": "']),
    ('Authorization: Digest username="fleet", response="6629fae4"', ["6629fae4", "username"], ["Authorization: "]),
    ("{'X-Api-Key': 'k 1;2', 'X-Client': 'desk'}", ["k 1", "1;2"], ["'X-Client': 'desk'"]),
    ('{"name": "X-Api-Key", "value": "a, b"}', ["a, b"], ['"name": "X-Api-Key"']),
    # Free text: quoted values with spaces, commas and braces.
    ("{'password': 'two words', 'user': 'fleet'}", ["two", "words"], ["'user': 'fleet'"]),
    ('{"password": "two words, really", "user": "fleet"}', ["two", "really"], ['"user": "fleet"']),
    ("-Dproxy.password='two words' -Xmx1g", ["two", "words"], ["-Xmx1g"]),
    ("{user=u, password=abc}", ["abc"], ["user=u", "}"]),
]


@pytest.mark.parametrize("text, pieces, visible", WHOLE, ids=[c[0][:40] for c in WHOLE])
def test_a_secret_is_masked_whole_wherever_it_ends(text, pieces, visible):
    shown = DEFAULT_POLICY.mask_text(text)
    for piece in pieces:
        assert piece not in shown, (text, shown)
    for piece in visible:
        assert piece in shown, (text, shown)
    assert MASK in shown
    assert DEFAULT_POLICY.mask_text(shown) == shown, "masking is idempotent"
    found = DEFAULT_POLICY.text_secrets(text)
    for piece in pieces:
        assert any(piece in f for f in found), (piece, found)
    # The same text held as a value (a drift item, a result) is masked the same way.
    assert DEFAULT_POLICY.mask_value({"note": text}) == {"note": shown}


@pytest.mark.parametrize("text", [
    "password authentication failed for user \"fleet\"",
    "server.fetchInterval: must be greater than 0",
    "https://example.com/path?next=a@b",
    "host=db.example.com port=5432 dbname=drift user=fleet sslmode=require",
    "Server=db;Database=drift;User Id=fleet;Encrypt=True",
    "passfile=/home/fleet/.pgpass application_name=fleet",
    "{\"tokenRefreshInterval\": 3600, \"passwordPolicyUrl\": \"https://x/p\"}",
])
def test_texts_without_secrets_are_left_alone(text):
    assert DEFAULT_POLICY.mask_text(text) == text
