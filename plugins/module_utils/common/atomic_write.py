# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one atomic writer for files on a POSIX host, used by every module that writes a file.

A file is replaced by a temporary file written, flushed and fsynced in the same folder, then renamed over it with
AnsibleModule.atomic_move (which keeps mode, owner and SELinux context). On the controller, where there is no
AnsibleModule (the drift report), the rename is os.replace and the file keeps its mode, or gets the umask's for a new
file. On any failure the original is untouched and no temporary file stays. An optional checksum guard refuses to overwrite a file someone else saved meanwhile.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time


class WriteError(Exception):
    """Writing failed; the file is untouched. The message is for the user."""

    kind = "io"
    backup_file = None  # a backup made before the write failed, and kept


class ReadError(Exception):
    """A file cannot be read (a dangling link, a folder, no permission). The message is for the user."""

    def __init__(self, message: str, kind: str = "io"):
        super().__init__(message)
        self.kind = kind


class WriteConflict(WriteError):
    """The file changed since it was read; nothing was written."""

    kind = "conflict"


def checksum(raw) -> str:
    """sha1 of a file's bytes (what ansible's stat and ansible.windows.win_stat report), or 'absent' for None."""
    return "absent" if raw is None else hashlib.sha1(raw).hexdigest()


def file_checksum(path: str) -> str:
    """checksum() of the file at path now ('absent' when there is none)."""
    try:
        with open(path, "rb") as handle:
            return checksum(handle.read())
    except FileNotFoundError:
        return checksum(None)


def os_reason(exc) -> str:
    """The OS reason behind an exception (ansible-core's atomic_move wraps OSError in a bare Exception)."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.strerror:
            return str(exc.strerror)
        exc = exc.__cause__ or exc.__context__
    return "unknown error"


def backup_copy(module, path: str, label: str = None) -> str:
    """A timestamped copy of path, named as AnsibleModule.backup_local names it, never left half-written.

    Not preserved_copy: it also copies chattr attributes, so a backup of an immutable file became immutable and
    could not be removed when the write then failed."""
    label = label or path
    dest = "%s.%s.%s" % (path, os.getpid(), time.strftime("%Y-%m-%d@%H:%M:%S~"))
    try:
        shutil.copy2(path, dest)
        if module.selinux_enabled():
            module.set_context_if_different(dest, module.selinux_context(path), False)
        info = os.stat(path)
        try:
            os.chown(dest, info.st_uid, info.st_gid)
        except PermissionError:
            pass  # not root: the copy stays ours, as with backup_local
    except (OSError, shutil.Error) as exc:
        if os.path.lexists(dest):
            os.unlink(dest)  # a truncated copy would pass for a good backup
        raise WriteError("cannot back up %s before writing (%s): %s; nothing was written" % (label, dest, os_reason(exc)))
    return dest


def read_file(path: str, given: str = None, hint: str = "") -> bytes:
    """The bytes of a file about to be merged and written back; None when it does not exist.

    given: the path as the user or the discovery named it, when path is that path resolved (a dangling link is seen
    on the given name, and messages name it). hint: appended to the message for a folder.
    """
    given = given or path
    if os.path.islink(given) and not os.path.exists(given):
        raise ReadError("%s is a symbolic link to %s, which does not exist; fix or remove the link"
                        % (given, os.readlink(given)))
    if os.path.isdir(path):
        raise ReadError("%s is a directory, not a file%s" % (given, hint))
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ReadError("cannot read %s: %s" % (given, os_reason(exc)),
                        kind="access" if isinstance(exc, PermissionError) else "io")


def write_file(module, path: str, data: bytes, expected: str = None, label: str = None, unsafe_writes: bool = False,
               create_folder: bool = False) -> None:
    """Replace path with data atomically.

    expected: checksum() of the bytes the new content was made from; when the file no longer has it (someone saved
    it meanwhile), WriteConflict is raised and nothing is written. None: no guard.
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
                raise WriteConflict("%s changed on the desk while it was being merged (checksum %s, expected %s): "
                                    "another process is editing it. Nothing was written; run the task again."
                                    % (label, current, expected))
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


def write_with_backup(module, path: str, data: bytes, expected: str = None, label: str = None,
                      backup: bool = False) -> str:
    """write_file, with a backup copy of the file first when backup is true and the file exists. Returns the
    backup's path (None without one). When the write fails, the backup is removed again (nothing was written, so
    there is nothing to restore) and WriteError says so; a backup that cannot be removed is named in the message
    and kept in the error's ``backup_file``."""
    backup_file = None
    try:
        if backup and os.path.lexists(path):
            backup_file = backup_copy(module, path, label)
        write_file(module, path, data, expected, label=label)
    except WriteError as exc:
        if backup_file:
            try:
                os.unlink(backup_file)
            except OSError:
                kept = type(exc)("%s; the backup %s was kept" % (exc, backup_file))
                kept.backup_file = backup_file
                raise kept from exc
        raise
    return backup_file


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
