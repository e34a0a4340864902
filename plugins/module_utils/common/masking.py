# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one masking policy: what is secret, and how it is hidden wherever a value or a text is shown.

Module results, drift lists, diffs, error messages, warnings, the drift report (every format) and the
browser_manager_config module all mask with a ``MaskingPolicy``. The rules:

- key names: a mapping key is secret when its name, lower-cased and stripped of ``-``, ``_``, ``.`` and spaces,
  ends with one of SECRET_KEY_SUFFIXES (``password``, ``token``, ``apiKey``, ``sharedKey``, ...), or with one of
  the policy's own ``secret_keys`` (a firm's names, e.g. ``deskPin``), or is one of SECRET_HEADERS;
- header-style pairs: the ``value`` of a ``{name: Authorization, value: ...}`` mapping (also ``key``/``header``
  instead of ``name``) whose name is secret by the rule above; header maps (``{Authorization: ...}``) are
  covered by the key-name rule;
- URL user info: ``scheme://user:password@host`` shows ``scheme://********@host`` in any string (to the last ``@``
  before the path, so a raw ``@`` in a password is hidden with it); Oracle's ``jdbc:oracle:thin:user/password@``;
- free-text shapes inside any string: ``Bearer xxx`` / ``Basic xxx`` / ``Token xxx`` / ``Negotiate xxx``,
  ``secretKey=value`` and ``secretKey: value`` pairs, ``Cookie: ...`` style header lines, and
  ``"name": "Authorization", "value": "..."`` written as text.

A value in text is hidden whole, wherever it ends: quoted (``password = 'two words'`` with libpq's ``\\'`` and
``\\\\`` escapes, JSON's ``"..."``, doubled quotes), in ODBC braces (``Pwd={a;b}}c}``), bare with ``;``, ``&``, ``,``
or ``@`` inside (``password=pa;ss host=db``: only a following ``key=`` ends it), or in an ADO.NET/ODBC ``;`` list
(``Server=db;Password=two words;Database=x``). Every rule marks spans of the original text, so no rule sees another's
mask and overlapping finds are joined.

A secret shows as MASK; a secret whose value changes shows MASK_CHANGED on the new side, so a rotated password is
never a silent no-change.

For callers::

    masking = policy(["deskPin"])        # a MaskingPolicy; policy(None) is the built-in rules; ValueError for bad names
    masking.mask_value(value)             # a JSON value, secrets -> MASK (keep_shape=True: per leaf, for texts)
    masking.mask_change(before, after)    # (before, after) masked, a changed secret -> MASK_CHANGED in after
    masking.mask_text(text)               # free text
    masking.secret_spans(text)            # [(start, end)] of what mask_text hides
    masking.secret_values(value)          # the secret strings, for a module's no_log_values

``Request(secret_keys=[...])`` carries its policy as ``request.masking``; ``plan()`` masks drift and diff with it.

Pure Python, no Ansible imports: used by the module on the desk and by controller-side plugins.
"""

from __future__ import annotations

import re

MASK = "********"
MASK_CHANGED = "******** (changed)"

# A key is secret when its normalised name ends with one of these. "Ends with" rather than "contains" keeps
# harmless keys such as tokenRefreshInterval and passwordPolicyUrl visible.
SECRET_KEY_SUFFIXES = (
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "secret",
    "token",
    "bearer",
    "apikey",
    "privatekey",
    "sharedkey",
    "secretkey",
    "accesskey",
    "signingkey",
    "encryptionkey",
    "masterkey",
    "licensekey",
    "subscriptionkey",
    "authkey",
    "sessionkey",
    "sessionid",
    "credential",
    "credentials",
    "connectionstring",
    "authorization",
    "cookie",
)

# HTTP headers that carry credentials (most also end with a suffix above; listed so the intent is explicit, so
# that "Cookie: a=1; sid=2" is hidden to the end of the line, and so that a header such as X-Functions-Key is caught
# although "key" alone is not a secret suffix).
SECRET_HEADER_NAMES = (
    "Authorization",
    "Proxy-Authorization",
    "Cookie",
    "Set-Cookie",
    "X-Api-Key",
    "X-Auth-Token",
    "X-Access-Token",
    "X-CSRF-Token",
    "X-XSRF-Token",
    "X-Amz-Security-Token",
    "X-Vault-Token",
    "X-Functions-Key",
    "Ocp-Apim-Subscription-Key",
    "Private-Token",
)
SECRET_HEADERS = frozenset(re.sub(r"[-_. ]", "", name.lower()) for name in SECRET_HEADER_NAMES)

# Keys that name a header-style pair's header, and the keys of its value.
PAIR_NAME_KEYS = ("name", "key", "header", "headerName")
PAIR_VALUE_KEYS = ("value", "values")

_NORMALISE = re.compile(r"[-_. ]")

# scheme://user:password@host -> the userinfo part is a credential wherever it appears. It runs to the last '@'
# before the path (as urllib splits it), so a raw '@' inside a password is hidden with the rest of it. The
# look-behind makes a scheme start only where a run of scheme characters starts, so the scan stays linear on long
# strings without "://".
_URL_USERINFO = re.compile(r"(?<![A-Za-z0-9+.-])(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s\"<>]+)@")
# Oracle's JDBC thin form, jdbc:oracle:thin:user/password@host: the password.
_ORACLE_THIN = re.compile(r"\bjdbc:oracle:[A-Za-z0-9]+:[^/@\s\"'<>]*/(?P<password>[^\s\"'<>]+)@", re.IGNORECASE)
# "Authorization: Bearer abc" style credentials inside free text (messages, labels, header values).
_SCHEME_CREDENTIAL = re.compile(r"\b(?P<scheme>Bearer|Basic|Negotiate|Token)\s+(?P<cred>[A-Za-z0-9._~+/=-]{6,})",
                                re.IGNORECASE)
# key=value / key: value pairs inside free text, e.g. "password=hunter2" in an error message or a DSN. Matched as a
# look-ahead at every word start, so a harmless pair ("note: password=x") cannot swallow a secret one; the key
# starts at a word start (the look-behind), which keeps the scan linear on long words. Whether the key names a
# secret is the policy's is_secret_key; where its value ends is _value_end's (quoted, braced, or bare).
_PAIR = re.compile(r"(?<![A-Za-z0-9_.-])(?=(?P<key>[A-Za-z0-9_.-]+)(?P<sep>[\"']?\s*[:=][ \t]*))")
# A credential header written as a line ("Cookie: a=1; sid=2"): its whole value, to the end of the line, or of the
# quoted string the line is written in.
_HEADER_LINE = re.compile(r"(?<![A-Za-z0-9_.-])(?P<key>%s)(?P<sep>[\"']?[ \t]*:[ \t]*)"
                          % "|".join(re.sub(r"-", "[-_ ]?", name) for name in SECRET_HEADER_NAMES), re.IGNORECASE)
# A header-style pair written as text: "name": "Authorization", "value": "abc" (JSON, Python repr or YAML flow).
_PAIR_TEXT = re.compile(r"(?<![A-Za-z0-9_])(?P<head>[\"']?(?:name|key|header|headerName)[\"']?\s*[:=]\s*[\"']?"
                        r"(?P<header>[A-Za-z0-9_.-]+)[\"']?\s*[,;]\s*[\"']?values?[\"']?[ \t]*[:=][ \t]*)")

# Quoted values: libpq and shells escape with a backslash (\' and \\), JSON with a backslash, ODBC and SQL double
# the quote (''). A value whose closing quote is missing runs to the end of the line: a secret is never cut short.
_QUOTED = {
    '"': re.compile(r'"(?P<inner>(?:[^"\\\r\n]|\\[^\r\n]?|"")*)(?:"|(?=[\r\n])|\Z)'),
    "'": re.compile(r"'(?P<inner>(?:[^'\\\r\n]|\\[^\r\n]?|'')*)(?:'|(?=[\r\n])|\Z)"),
    # ODBC: Pwd={a;b}}c}, a closing brace doubled inside.
    "{": re.compile(r"\{(?P<inner>(?:[^}\r\n]|\}\})*)(?:\}|(?=[\r\n])|\Z)"),
    "[": re.compile(r"\[(?P<inner>[^\]\r\n]*)(?:\]|(?=[\r\n])|\Z)"),
}
# A bare value is one word (to whitespace or a quote); inside it ;&,})] end the value unless what follows them,
# up to the next such character, is not itself a pair (password=pa;ss host=db is one password, libpq's way;
# password=x;user=y are two pairs).
_WORD = re.compile(r"[^\s\"']*")
_WORD_SEPARATORS = re.compile(r"[;&,})\]]")
# ADO.NET/ODBC lists (Server=x;Password=two words;Database=y): a bare value runs to the ';' when the pair is one of
# such a list: the key follows a ';' or the ';' is followed by the next key=.
_LIST_STRETCH = re.compile(r"[^;\r\n\"'=]*")
_LIST_NEXT = re.compile(r";[ \t]*(?:[A-Za-z][A-Za-z0-9_ .-]*=|$)")
_HEADER_END = re.compile(r"[^\r\n{}]*")

_SCHEME_WORDS = ("bearer", "basic", "negotiate", "token")
_SCHEME_PREFIX = re.compile(r"(?:Bearer|Basic|Negotiate|Token)[ \t]+(?=\S)", re.IGNORECASE)
# What the scheme rule leaves ("Bearer ********"): nothing more to hide.
_ALREADY_MASKED = re.compile(r"(?:(?:Bearer|Basic|Negotiate|Token)\s+)?%s" % re.escape(MASK), re.IGNORECASE)


def _value_end(text: str, pos: int, key_start: int) -> tuple:
    """(start, end) of the secret value that starts at pos, after its key (at key_start) and separator: inside its
    quotes or braces when it has them, else the bare value (_WORD, _WORD_SEPARATORS, _LIST_STRETCH)."""
    if pos >= len(text):
        return pos, pos
    quoted = _QUOTED.get(text[pos])
    if quoted is not None:
        match = quoted.match(text, pos)
        return match.start("inner"), match.end("inner")
    word_end = _WORD.match(text, pos).end()
    end = word_end
    found = _WORD_SEPARATORS.search(text, pos, word_end)
    while found is not None:
        end = found.start()
        following = _WORD_SEPARATORS.search(text, end + 1, word_end)
        stop = following.start() if following else word_end
        if stop == end + 1 or "=" in text[end + 1:stop]:
            break
        end = stop
        found = following
    if end == word_end and word_end < len(text) and text[word_end] in " \t":
        stretch = _LIST_STRETCH.match(text, pos).end()
        in_list = (stretch == len(text) or text[stretch] != "=") and (
            text[:key_start].rstrip(" \t").endswith(";") or _LIST_NEXT.match(text, stretch) is not None)
        if in_list and stretch > word_end:
            end = pos + len(text[pos:stretch].rstrip())
    return pos, end


def normalise_key(key) -> str:
    """A key name as the rules compare it: lower case, without '-', '_', '.' and spaces."""
    return _NORMALISE.sub("", key.lower()) if isinstance(key, str) else ""


def secret_keys_errors(secret_keys, option: str = "secret_keys") -> list:
    """Messages for a bad secret_keys option (each naming its option path); [] when valid."""
    if secret_keys is None:
        return []
    if not isinstance(secret_keys, (list, tuple)):
        return ["%s: must be a list of key names, not %s" % (option, type(secret_keys).__name__)]
    errors = []
    for idx, name in enumerate(secret_keys):
        if not isinstance(name, str) or not normalise_key(name):
            errors.append("%s[%d]: must be a key name such as sharedKey (a name that is empty, or only '-', '_', "
                          "'.' and spaces, would make every key secret)" % (option, idx))
    return errors


def _same(a, b) -> bool:
    """JSON equality, true is not 1 (enough to tell whether a secret changed)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        return isinstance(b, dict) and len(a) == len(b) and all(k in b and _same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b and (type(a) is type(b) or (isinstance(a, (int, float)) and isinstance(b, (int, float))))


class MaskingPolicy:
    """The masking rules (module docstring), with a firm's own secret key names added.

    secret_keys: extra key names, compared as the built-in ones (normalised, as a suffix): ``sharedKey`` also
    hides ``shared_key`` and ``deskSharedKey``.
    """

    def __init__(self, secret_keys=()):
        problems = secret_keys_errors(list(secret_keys or ()))
        if problems:
            raise ValueError("; ".join(problems))
        self.secret_keys = tuple(secret_keys or ())
        self._suffixes = SECRET_KEY_SUFFIXES + tuple(normalise_key(k) for k in self.secret_keys)
        self._known = {}  # key name -> is secret: a file repeats its key names thousands of times

    # -- what is secret -----------------------------------------------------------------------------------------
    def is_secret_key(self, key) -> bool:
        """True when a mapping key (or a header's name) names a secret."""
        known = self._known.get(key) if isinstance(key, str) else False
        if known is None:
            norm = normalise_key(key)
            known = bool(norm) and (norm.endswith(self._suffixes) or norm in SECRET_HEADERS)
            if len(self._known) < 10000:
                self._known[key] = known
        return known

    def is_secret_header(self, name) -> bool:
        """True when a header-style pair's name makes its value secret (Authorization, Cookie, X-Api-Key, ...)."""
        return self.is_secret_key(name)

    def member_is_secret(self, container, key) -> bool:
        """True when container[key] holds a secret: by the key's name, or as the value of a header-style pair."""
        if self.is_secret_key(key):
            return True
        if key in PAIR_VALUE_KEYS and isinstance(container, dict):
            for name_key in PAIR_NAME_KEYS:
                name = container.get(name_key)
                if isinstance(name, str) and self.is_secret_header(name):
                    return True
        return False

    def pointer_is_secret(self, tokens) -> bool:
        """True when any token of a JSON pointer (given as its list of tokens) names a secret."""
        return any(self.is_secret_key(t) for t in tokens)

    # -- free text ----------------------------------------------------------------------------------------------
    def mask_text(self, text):
        """Free text with every credential shape hidden (URL user info, Bearer/Basic/Token/Negotiate credentials,
        header-style pairs written as text, credential header lines, secret key=value pairs)."""
        if not isinstance(text, str) or not text:
            return text
        return self._mask_text(text, None)

    def text_secrets(self, text) -> set:
        """The credential strings mask_text hides in text (for Ansible's no_log_values)."""
        found = set()
        if isinstance(text, str) and text:
            self._mask_text(text, found)
        found.discard(MASK)
        return {f for f in found if f}

    def _mask_text(self, text, found):
        """mask_text; when found is a set, every hidden piece is added to it (one implementation for both).

        Every rule marks spans of the original text; overlapping spans are joined and each becomes MASK, so a
        rule never sees another's output and a value is hidden whole, wherever it ends."""
        spans = self.secret_spans(text, found)
        if not spans:
            return text
        pieces, pos = [], 0
        for start, end in spans:
            pieces.append(text[pos:start])
            pieces.append(MASK)
            pos = end
            if found is not None:
                found.add(text[start:end])
        pieces.append(text[pos:])
        return "".join(pieces)

    def secret_spans(self, text: str, found=None) -> list:
        """[(start, end)] of the credentials mask_text hides in text, joined where they overlap, in order (for
        callers that must tell whether a piece of a text is secret). found (a set or None) also gets the password
        part of URL user info."""
        joined = []
        for start, end in sorted(self._secret_spans(text, found)):
            if joined and start <= joined[-1][1]:
                joined[-1] = (joined[-1][0], max(joined[-1][1], end))
            else:
                joined.append((start, end))
        return joined

    def _secret_spans(self, text, found):
        spans = []

        def add(start, end):
            value = text[start:end]
            if end > start and value.strip() and not _ALREADY_MASKED.match(value):
                spans.append((start, end))

        lower = text.lower()
        if "://" in text:
            for match in _URL_USERINFO.finditer(text):
                add(match.start("userinfo"), match.end("userinfo"))
                if found is not None and ":" in match.group("userinfo"):
                    found.add(match.group("userinfo").split(":", 1)[1])
        if "jdbc:oracle:" in lower:
            for match in _ORACLE_THIN.finditer(text):
                add(match.start("password"), match.end("password"))
        if any(word in lower for word in _SCHEME_WORDS):
            for match in _SCHEME_CREDENTIAL.finditer(text):
                add(match.start("cred"), match.end("cred"))
        if "value" in lower:
            for match in _PAIR_TEXT.finditer(text):
                if self.is_secret_header(match.group("header")):
                    add(*_value_end(text, match.end(), match.start()))
        if ":" in text:
            for match in _HEADER_LINE.finditer(text):
                start, end = self._header_value(text, match)
                scheme = _SCHEME_PREFIX.match(text, start, end)
                add(scheme.end() if scheme else start, end)
        if ":" in text or "=" in text:
            end = 0
            for match in _PAIR.finditer(text):
                if match.start() < end or not self.is_secret_key(match.group("key")):
                    continue
                start = match.end("sep")
                scheme = _SCHEME_PREFIX.match(text, start)
                start, end = _value_end(text, scheme.end() if scheme else start, match.start())
                add(start, end)
        return spans

    @staticmethod
    def _header_value(text, match):
        """(start, end) of a credential header line's value: inside its quotes when quoted, to the end of the quoted
        string the line is written in ("Authorization: Digest a=\\"b\\"" as JSON text), else to the end of line."""
        pos = match.end()
        if pos < len(text) and text[pos] in "\"'":
            quoted = _QUOTED[text[pos]].match(text, pos)
            return quoted.start("inner"), quoted.end("inner")
        before = text[match.start() - 1] if match.start() else ""
        if before in ("\"", "'"):
            quoted = _QUOTED[before].match(text, match.start() - 1)
            end = quoted.end("inner")
        else:
            end = _HEADER_END.match(text, pos).end()
        return pos, pos + len(text[pos:end].rstrip())

    # -- values -------------------------------------------------------------------------------------------------
    def mask_value(self, value, secret: bool = False, keep_shape: bool = False):
        """A JSON value with every secret hidden. Unchanged parts are returned as they are (not copied).

        secret: the whole value is secret (it sits under a secret key). Then it becomes MASK, or with keep_shape
        (diffs, where each line must stay a line of the file) its mappings and lists are kept and every string and
        number in them becomes MASK.
        """
        if secret:
            return self._mask_leaves(value) if keep_shape else MASK
        if isinstance(value, dict):
            out = None
            for key, item in value.items():
                masked = self.mask_value(item, self.member_is_secret(value, key), keep_shape)
                if masked is not item:
                    if out is None:
                        out = dict(value)
                    out[key] = masked
            return value if out is None else out
        if isinstance(value, list):
            masked = [self.mask_value(item, False, keep_shape) for item in value]
            return value if all(m is v for m, v in zip(masked, value)) else masked
        if isinstance(value, str):
            masked = self.mask_text(value)
            return value if masked == value else masked
        return value

    def _mask_leaves(self, value):
        if isinstance(value, dict):
            return {key: self._mask_leaves(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._mask_leaves(item) for item in value]
        if value is None or isinstance(value, bool):
            return value  # no secret material, and the line keeps its meaning
        return MASK

    def mask_change(self, before, after, secret: bool = False, keep_shape: bool = False) -> tuple:
        """(before, after) masked, with every secret whose value changed shown as MASK_CHANGED in after.

        Mappings are compared key by key, lists index by index. Where two different values mask to the same text
        (two passwords, two URLs with other credentials) the new one shows MASK_CHANGED.
        """
        if (not secret or keep_shape) and isinstance(before, dict) and isinstance(after, dict):
            out_before, out_after = {}, {}
            for key, item in before.items():
                hidden = secret or self.member_is_secret(before, key) or self.member_is_secret(after, key)
                if key in after:
                    out_before[key], out_after[key] = self.mask_change(item, after[key], hidden, keep_shape)
                else:
                    out_before[key] = self.mask_value(item, hidden, keep_shape)
            for key, item in after.items():
                if key not in before:
                    hidden = secret or self.member_is_secret(after, key)
                    out_after[key] = self.mask_value(item, hidden, keep_shape)
            out_after = {key: out_after[key] for key in after}
            return (self._same_object(before, out_before), self._same_object(after, out_after))
        if (not secret or keep_shape) and isinstance(before, list) and isinstance(after, list):
            common = min(len(before), len(after))
            pairs = [self.mask_change(b, a, secret, keep_shape) for b, a in zip(before, after)]
            out_before = [p[0] for p in pairs] + [self.mask_value(v, secret, keep_shape) for v in before[common:]]
            out_after = [p[1] for p in pairs] + [self.mask_value(v, secret, keep_shape) for v in after[common:]]
            return (self._same_object(before, out_before), self._same_object(after, out_after))
        out_before = self.mask_value(before, secret, keep_shape)
        if type(before) is type(after) and not isinstance(before, (dict, list)) and before == after:
            return out_before, (after if out_before is before else out_before)
        out_after = self.mask_value(after, secret, keep_shape)
        if not _same(before, after) and _same(out_before, out_after):
            out_after = MASK_CHANGED
        return out_before, out_after

    @staticmethod
    def _same_object(original, masked):
        """original itself when masking changed nothing in it (callers test 'is' to skip untouched parts)."""
        if isinstance(original, dict):
            if all(masked[k] is v for k, v in original.items()):
                return original
        elif all(m is v for m, v in zip(masked, original)):
            return original
        return masked

    def secret_values(self, value, secret: bool = False, found=None) -> set:
        """The strings held under secret keys, as header-pair values, and in credential shapes of free text (for
        Ansible's no_log_values, which then removes them from everything a module returns)."""
        if found is None:
            found = set()
        if isinstance(value, dict):
            for key, item in value.items():
                # A credential shape in a key's own name ("apiToken=..." typed as a settings key) is found too.
                found |= self.text_secrets(key)
                self.secret_values(item, secret or self.member_is_secret(value, key), found)
        elif isinstance(value, list):
            for item in value:
                self.secret_values(item, secret, found)
        elif secret and value is not None and not isinstance(value, bool):
            text = str(value)
            if text:
                found.add(text)
        elif isinstance(value, str):
            found |= self.text_secrets(value)
        return found


DEFAULT_POLICY = MaskingPolicy()
_policies = {(): DEFAULT_POLICY}


def policy(secret_keys=None) -> MaskingPolicy:
    """The policy for a task's secret_keys (None or [] for the built-in rules only); one object per distinct list.

    Raises ValueError, naming secret_keys[N], for a name that is not a key name (see secret_keys_errors)."""
    key = tuple(secret_keys or ())
    found = _policies.get(key)
    if found is None:
        found = _policies[key] = MaskingPolicy(key)
    return found


# The built-in rules as plain functions, for callers without a task's secret_keys.
def is_secret_key(key) -> bool:
    """True when a mapping key names a secret (password, token, bearer, clientSecret, apiKey, sharedKey, ...)."""
    return DEFAULT_POLICY.is_secret_key(key)


def pointer_is_secret(tokens) -> bool:
    """True when any token of a JSON pointer (given as its list of tokens) names a secret."""
    return DEFAULT_POLICY.pointer_is_secret(tokens)


def mask_string(value: str) -> str:
    """Free text with credentials hidden (MaskingPolicy.mask_text with the built-in rules)."""
    return DEFAULT_POLICY.mask_text(value)


def mask_value(value, secret: bool = False):
    """A JSON value with every secret replaced by MASK (MaskingPolicy.mask_value with the built-in rules)."""
    return DEFAULT_POLICY.mask_value(value, secret)


def secret_values(value, secret: bool = False, found=None) -> set:
    """The secret strings of a value (MaskingPolicy.secret_values with the built-in rules)."""
    return DEFAULT_POLICY.secret_values(value, secret, found)
