# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Do a zone's work as the zone's owner: the kernel then refuses whatever that account could not do itself.

The desk module runs as root; a user's profile is the user's. Each piece of work inside a profile (walk, read,
write, back up, restore, delete) runs in a child process that has dropped to the profile owner's uid, gid and
groups before it opens anything, as logrotate's ``su`` does. The child cannot regain root, and whatever a link
planted by the user points at, the child can reach only what the user could. The ledger and the state folder
stay root's: that work runs in the parent.

The child answers in JSON over a pipe (never pickle: the parent must not trust an object the user's process made),
bytes as base64. A FleetError raised in the child is raised again in the parent with its message and kind.
When the module does not run as root, or the zone is root's, the work runs in the same process.
"""

from __future__ import annotations

import base64
import json
import os
import traceback

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError


def encode_bytes(raw):
    return None if raw is None else base64.b64encode(raw).decode("ascii")


def decode_bytes(text):
    return None if text is None else base64.b64decode(text)


def needs_child(uid: int) -> bool:
    """Whether work for uid must run in a child with uid's identity (root doing a user's work)."""
    return os.geteuid() == 0 and uid != 0


def _drop(uid: int, gid: int) -> None:
    groups = [gid]
    try:
        import pwd  # POSIX only

        entry = pwd.getpwuid(uid)
        gid = entry.pw_gid
        groups = os.getgrouplist(entry.pw_name, entry.pw_gid)
    except (ImportError, KeyError):
        pass
    os.setgroups(groups)
    os.setgid(gid)  # real, effective and saved
    os.setuid(uid)
    if os.geteuid() == 0 or os.getuid() == 0:
        raise OSError("could not drop root privileges")


def run(uid: int, gid: int, label: str, work, *args):
    """work(*args) with uid's identity; its result must be JSON-serialisable. FleetError as the child raised it."""
    if not needs_child(uid):
        return work(*args)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns, never runs the parent's exit handlers
        code = 1
        try:
            os.close(read_end)
            try:
                _drop(uid, gid)
                answer = {"ok": work(*args)}
            except FleetError as exc:
                answer = {"error": str(exc), "kind": exc.kind}
            except Exception as exc:  # pylint: disable=broad-except
                answer = {"error": "%s: %s" % (type(exc).__name__, exc), "kind": "io",
                          "trace": traceback.format_exc()}
            data = json.dumps(answer).encode("utf-8")
            view = memoryview(data)
            while view:
                view = view[os.write(write_end, view):]
            code = 0
        finally:
            os._exit(code)  # pylint: disable=protected-access
    os.close(write_end)
    chunks = []
    with os.fdopen(read_end, "rb") as handle:
        while True:
            chunk = handle.read(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    _pid, status = os.waitpid(pid, 0)
    try:
        answer = json.loads(b"".join(chunks).decode("utf-8"))
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or ("ok" not in answer and "error" not in answer):
        raise FleetError("the work on %s, done as its owner (uid %d), ended without an answer (wait status %d)"
                         % (label, uid, status), kind="io")
    if "error" in answer:
        raise FleetError(str(answer["error"]), kind=str(answer.get("kind") or "io"))
    return answer["ok"]
