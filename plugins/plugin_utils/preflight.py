# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Does an io.Manager instance answer? Asked from the controller once per instance per run, whatever the number
of desks and forks.

Any HTTP answer counts, even 401 or 404: io.Manager has no documented health endpoint, and servers before 1.5
answer 404 on /v2/server/info, which the browser client asks first. The answer is kept in the run's local temp
folder (shared by every fork of one ansible-playbook process and removed with it); the first fork to need an
instance asks, under a lock, and the others read its answer.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os

from ansible.module_utils.common.text.converters import to_text


def _ask(url: str, timeout: int, validate_certs: bool):
    # Imported here: only the fork that asks pays for ansible's HTTP client (about 100 ms of CPU to import).
    from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
    from ansible.module_utils.urls import open_url
    try:
        response = open_url(url, method="GET", timeout=timeout, validate_certs=validate_certs,
                            follow_redirects="none")
        return True, "HTTP %s" % response.getcode()
    except HTTPError as exc:
        return True, "HTTP %s" % exc.code
    except (URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return False, to_text(reason)
    except Exception as exc:  # pylint: disable=broad-except  # ssl and http.client errors of every kind
        return False, to_text(exc)


def answers(url: str, timeout: int = 10, validate_certs: bool = True, cache_dir: str = None):
    """(True, 'HTTP 200') or (False, reason)."""
    if cache_dir is None:
        from ansible import constants as C  # controller only, imported late so unit tests can import this module
        cache_dir = os.path.join(C.DEFAULT_LOCAL_TMP, "ioconnect-fleet-preflight")
    key = hashlib.sha256(json.dumps([url, bool(validate_certs)]).encode("utf-8")).hexdigest()
    path = os.path.join(cache_dir, key + ".json")
    try:
        os.makedirs(cache_dir, exist_ok=True)
        lock = open(os.path.join(cache_dir, key + ".lock"), "a", encoding="utf-8")
    except OSError:
        return _ask(url, timeout, validate_certs)  # no cache: ask every time
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(path, encoding="utf-8") as handle:
                up, detail = json.load(handle)
                return bool(up), detail
        except (OSError, ValueError):
            pass
        up, detail = _ask(url, timeout, validate_certs)
        try:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump([up, detail], handle)
        except OSError:
            pass
        return up, detail
