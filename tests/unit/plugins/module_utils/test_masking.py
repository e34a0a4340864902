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
