# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one URL policy for io.Manager URLs, shared by io.Connect Desktop and io.Connect Browser.

https:// is always allowed; plain http:// only to a loopback host unless the task allows it; credentials inside a
URL are always refused (they would sit in clear text in every file and log). Pure Python, no Ansible imports.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

# Names that resolve to the machine itself by convention (RFC 6761 reserves .localhost; localhost.localdomain is
# what Debian and Red Hat put beside localhost in /etc/hosts).
_LOOPBACK_NAMES = ("localhost", "localhost.localdomain")


def is_loopback(host) -> bool:
    """True for localhost, *.localhost, localhost.localdomain and loopback addresses; case and a trailing dot
    (the fully qualified form) do not matter."""
    if not isinstance(host, str) or not host:
        return False
    host = host.rstrip(".").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def has_credentials(url: str) -> bool:
    """True when the URL carries user info (user:password@host)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.username is not None or parts.password is not None or "@" in parts.netloc


def plain_http_refused(url: str, allow_plain_http: bool) -> bool:
    """True when url is plain http:// to a host that is not loopback and plain http is not allowed."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return False
    return parts.scheme.lower() == "http" and not allow_plain_http and not is_loopback(host)
