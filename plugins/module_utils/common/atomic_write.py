# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's atomic writer for files outside users' folders on a POSIX host: the rollback ledger (root's state
folder), io.Connect Browser configuration files, the controller's reports. Files in a user's profile are written by
desk/safe_fs.py instead, as the profile's owner and without following links.

A file is replaced by a temporary file written, flushed and fsynced in the same folder, then renamed over it with
AnsibleModule.atomic_move (which keeps mode, owner and SELinux context). On the controller, where there is no
AnsibleModule (the drift report), the rename is os.replace and the file keeps its mode, or gets the umask's for a new
file. On any failure the original is untouched and no temporary file stays. An optional checksum guard
(common/checksum.py) refuses to overwrite a file someone else saved meanwhile.
"""

from __future__ import annotations

import os
import tempfile

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.checksum import file_checksum
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError


class WriteError(FleetError):
    """Writing failed and the file is untouched: kind ``io``, or ``conflict`` when the file changed since it was
    read. A FleetError; its own class because callers catch write failures apart from the others."""

    def __init__(self, message: str, kind: str = "io"):
        super().__init__(message, kind)


def os_reason(exc) -> str:
    """The OS reason behind an exception (ansible-core's atomic_move wraps OSError in a bare Exception)."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.strerror:
            return str(exc.strerror)
        exc = exc.__cause__ or exc.__context__
    return "unknown error"


def write_file(module, path: str, data: bytes, expected: str = None, label: str = None, unsafe_writes: bool = False,
               create_folder: bool = False) -> None:
    """Replace path with data atomically.

    expected: checksum() of the bytes the new content was made from; when the file no longer has it (someone saved
    it meanwhile), WriteError (kind conflict) is raised and nothing is written. None: no guard.
    create_folder: make a missing parent folder (otherwise a missing folder is a WriteError).
    label: how the file is named in messages (the path the user gave, when path is a resolved link).
    module: the AnsibleModule on a desk; None on the controller.
    """
    label = label or path
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        if not create_folder:
            raise WriteError("cannot create %s: the folder %s does not exist (is io.Connect Desktop installed "
                             "there?)" % (label, folder))
        try:
            os.makedirs(folder)
        except OSError as exc:
            raise WriteError("cannot create the folder %s for %s: %s" % (folder, label, os_reason(exc)))
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".%s." % os.path.basename(path), suffix=".tmp")
    except OSError as exc:
        raise WriteError("cannot write %s: no temporary file can be made in %s (%s); the file was left unchanged"
                         % (label, folder, os_reason(exc)))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if expected is not None:
            current = file_checksum(path)
            if current != expected:
                raise WriteError("%s changed on the desk while it was being merged (checksum %s, expected %s): "
                                 "another process is editing it. Nothing was written; run the task again."
                                 % (label, current, expected), kind="conflict")
        if module is not None:
            _atomic_move(module, tmp, path, unsafe_writes)
        else:
            _replace(tmp, path)
    except WriteError:
        raise
    # atomic_move raises a bare Exception (_MoveFailed before ansible-core 2.19)
    except Exception as exc:  # pylint: disable=broad-except
        raise WriteError("cannot write %s: %s (is it read-only, locked or on a full disk?); the file was left "
                         "unchanged" % (label, os_reason(exc)))
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class _MoveFailed(Exception):
    """AnsibleModule.atomic_move gave up (see _atomic_move)."""


def _atomic_move(module, tmp: str, path: str, unsafe_writes: bool) -> None:
    """AnsibleModule.atomic_move, failing with an exception on every ansible-core version: from 2.19 it raises,
    before 2.19 it calls module.fail_json itself (the task would end there, with core's message and a traceback in
    the result), so fail_json is turned into a raise for the duration of the call; the OSError it handled stays
    the exception's context, for os_reason."""
    def fail_json(msg="", **_kwargs):
        raise _MoveFailed(msg)

    own = vars(module).get("fail_json")  # an instance attribute already there (a test's), kept
    module.fail_json = fail_json
    try:
        module.atomic_move(tmp, path, unsafe_writes=unsafe_writes)
    finally:
        if own is not None:
            module.fail_json = own
        else:
            del module.fail_json  # the class's method again


def _replace(tmp: str, path: str) -> None:
    """os.replace with the mode a plain write would give: the file's own, or the umask's for a new file
    (mkstemp makes the temporary file 0600)."""
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)
    os.replace(tmp, path)
