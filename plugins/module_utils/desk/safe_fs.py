# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""File work inside a folder tree a user controls, on a POSIX host: no link followed that was not decided on.

The collection runs as root in folders its users own (their profiles). Every path there is walked one component at
a time from ``/`` with ``O_NOFOLLOW`` and directory file descriptors (as systemd-tmpfiles does), so what is checked
is what is used: a link met on the way is followed only when links.decide() allows it (planted by root, or pointing
inside the same zone), and every other one fails with error_kind ``unsafe_link``. Files are read through the
descriptor that was checked (a regular file, never a FIFO or device, never a hard link to another account's file),
and written as a temporary file created exclusively (``O_CREAT | O_EXCL | O_NOFOLLOW``) under an unpredictable
name, then renamed over the name in the same folder descriptor; backups are created the same way. A name swapped
for a link between two steps is never followed: rename and unlink act on the name itself.

Not ``AnsibleModule.atomic_move`` here: it stats and chowns the destination by path (following a link planted at
it) and falls back to copying. ``common/atomic_write.py`` keeps serving files outside users' folders (the
controller's reports). Which account does the work is ``desk/as_owner.py``'s job: a zone's work runs as its owner,
so the kernel refuses whatever the owner could not do.
"""

from __future__ import annotations

import errno
import os
import posixpath
import secrets
import stat
import time

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.checksum import checksum as sha1
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import links

MAX_HOPS = 40  # as the kernel's own limit on links followed in one lookup (ELOOP)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # O_NONBLOCK: a planted FIFO never blocks
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class Zone:
    """A folder tree that belongs to one account: a user's profile, an install folder, the state folder.

    top: the zone's folder, every link resolved (links pointing inside it are the owner's own business);
    uid, gid: its owner, whose identity the work takes (desk/as_owner.py); label: how messages name it."""

    def __init__(self, top: str, uid: int, gid: int, label: str = ""):
        self.top = top
        self.uid = uid
        self.gid = gid
        self.label = label or top

    def as_dict(self) -> dict:
        return {"top": self.top, "uid": self.uid, "gid": self.gid, "label": self.label}

    @classmethod
    def from_dict(cls, data: dict) -> "Zone":
        return cls(data["top"], data["uid"], data["gid"], data.get("label", ""))


def owner_name(uid: int) -> str:
    """The account name of uid (the number when it has none)."""
    try:
        import pwd  # POSIX only; imported here so that the module imports on any controller

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return str(uid)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


class Opened:
    """A folder opened safely: fd (close it), path (the folder's path, links resolved)."""

    def __init__(self, fd: int, path: str):
        self.fd = fd
        self.path = path

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class ZoneFiles:
    """Reading, walking and writing inside one zone, with the link rule applied at every component."""

    def __init__(self, zone: Zone):
        self.zone = zone

    # -- links -----------------------------------------------------------------------------------------------
    def _follow(self, dir_fd: int, name: str, where: str) -> str:
        """The absolute target of the link name (in the folder dir_fd, whose path is where) when the link rule
        allows following it; FleetError unsafe_link otherwise."""
        link = posixpath.join(where, name)
        before = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        text = os.readlink(name, dir_fd=dir_fd)
        after = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if (before.st_ino, before.st_uid) != (after.st_ino, after.st_uid) or not stat.S_ISLNK(after.st_mode):
            raise FleetError("%s changed while it was being looked at (a link swapped in and out?); nothing was read "
                             "from it or written through it" % link, kind=links.ERROR_KIND)
        target = links.absolute_target(posixpath, link, text)
        decision = links.decide(posixpath, link, owner_name(after.st_uid), target, self.zone.top,
                                owner_is_admin=after.st_uid == 0)
        if not decision:
            raise FleetError(decision.message, kind=links.ERROR_KIND)
        return target

    # -- folders ---------------------------------------------------------------------------------------------
    def open_dir(self, path: str, create: bool = False, _hops: int = 0) -> Opened:
        """The folder at path (absolute), opened one component at a time from /. create: make missing folders
        (as whoever runs this: the zone's owner). FileNotFoundError when it (or a folder above) does not exist."""
        parts = [p for p in posixpath.normpath(path).split("/") if p]
        fd = os.open("/", _DIR_FLAGS)
        where = "/"
        try:
            for index, part in enumerate(parts):
                try:
                    child = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    try:
                        os.mkdir(part, 0o777, dir_fd=fd)
                    except FileExistsError:
                        pass
                    child = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except OSError as exc:
                    if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                        raise
                    info = os.stat(part, dir_fd=fd, follow_symlinks=False)
                    if not stat.S_ISLNK(info.st_mode):
                        raise
                    if _hops >= MAX_HOPS:
                        raise FleetError("%s: too many levels of links" % path, kind=links.ERROR_KIND)
                    target = self._follow(fd, part, where)
                    rest = parts[index + 1:]
                    os.close(fd)
                    fd = None
                    opened = self.open_dir(posixpath.join(target, *rest) if rest else target, create, _hops + 1)
                    return opened
                os.close(fd)
                fd = child
                where = posixpath.join(where, part)
            opened, fd = Opened(fd, where), None
            return opened
        finally:
            if fd is not None:
                os.close(fd)

    def _parent(self, path: str, create: bool = False) -> tuple:
        """(Opened folder of path, path's last name)."""
        folder, name = posixpath.split(posixpath.normpath(path))
        if not name or name in (".", ".."):
            raise FleetError("%s does not name a file" % path, kind="request")
        return self.open_dir(folder, create=create), name

    # -- reading ---------------------------------------------------------------------------------------------
    def resolve(self, path: str, _hops: int = 0) -> str:
        """path with every link the rule allows resolved; FleetError unsafe_link at a link it refuses."""
        try:
            parent, name = self._parent(path)
        except FileNotFoundError:
            return posixpath.normpath(path)
        with parent:
            try:
                info = os.stat(name, dir_fd=parent.fd, follow_symlinks=False)
            except FileNotFoundError:
                return posixpath.join(parent.path, name)
            if stat.S_ISLNK(info.st_mode):
                if _hops >= MAX_HOPS:
                    raise FleetError("%s: too many levels of links" % path, kind=links.ERROR_KIND)
                return self.resolve(self._follow(parent.fd, name, parent.path), _hops + 1)
            return posixpath.join(parent.path, name)

    def _open_file(self, parent: Opened, name: str, shown: str):
        """(fd, stat) of the regular file name in parent, or (None, None) when there is none. Never a link."""
        try:
            self._refuse_hard_link(os.stat(name, dir_fd=parent.fd, follow_symlinks=False), shown)
        except FileNotFoundError:
            return None, None
        try:
            fd = os.open(name, _READ_FLAGS, dir_fd=parent.fd)
        except FileNotFoundError:
            return None, None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise FleetError("%s became a link while it was being read; nothing was read from it" % shown,
                                 kind=links.ERROR_KIND)
            if exc.errno == errno.EISDIR:
                raise FleetError("%s is a directory, not a file" % shown, kind="io")
            kind = "access" if isinstance(exc, PermissionError) else "io"
            raise FleetError("cannot read %s: %s" % (shown, _reason(exc)), kind=kind)
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            os.close(fd)
            raise FleetError("%s is a directory, not a file" % shown, kind="io")
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise FleetError("%s is not a regular file (a FIFO, socket or device); ioconnect.fleet does not read it"
                             % shown, kind=links.ERROR_KIND)
        try:
            self._refuse_hard_link(info, shown)
        except FleetError:
            os.close(fd)
            raise
        return fd, info

    def _refuse_hard_link(self, info, shown: str) -> None:
        """A file with several names owned by another account than the zone's may be a hard link to that account's
        file (planted where fs.protected_hardlinks is off): never read or written."""
        if stat.S_ISREG(info.st_mode) and info.st_nlink > 1 and info.st_uid != self.zone.uid:
            raise FleetError("%s is a hard link to a file owned by %s (%d names), not by %s, the owner of %s; "
                             "ioconnect.fleet does not read or write it" % (
                                 shown, owner_name(info.st_uid), info.st_nlink, owner_name(self.zone.uid),
                                 self.zone.label), kind=links.ERROR_KIND)

    def read(self, path: str, shown: str = None, _hops: int = 0):
        """The bytes of the file at path (links resolved by the rule), None when it does not exist."""
        shown = shown or path
        try:
            parent, name = self._parent(path)
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            raise FleetError("cannot read %s: a folder on its path is a file" % shown, kind="io")
        except PermissionError as exc:
            raise FleetError("cannot read %s: %s" % (shown, _reason(exc)), kind="access")
        with parent:
            try:
                info = os.stat(name, dir_fd=parent.fd, follow_symlinks=False)
            except FileNotFoundError:
                return None
            if stat.S_ISLNK(info.st_mode):
                if _hops >= MAX_HOPS:
                    raise FleetError("%s: too many levels of links" % shown, kind=links.ERROR_KIND)
                target = self._follow(parent.fd, name, parent.path)
                found = self.read(target, shown, _hops + 1)
                if found is None:
                    raise FleetError("%s is a symbolic link to %s, which does not exist; fix or remove the link"
                                     % (shown, target), kind="io")
                return found
            fd, _info = self._open_file(parent, name, shown)
            if fd is None:
                return None
            with os.fdopen(fd, "rb") as handle:
                return handle.read()

    def walk(self, top: str, depth: int, wanted, seen=None) -> tuple:
        """(entries, problems) below the folder top, at most depth levels down (1: top's own entries).

        entries: (shown path, resolved path) of every file whose name wanted(name) accepts; a link to a file is
        listed with its own path as resolved path when the rule refuses it (reading it then fails, alone).
        problems: FleetErrors for folders that could not be listed, or folder links the rule refuses.
        seen: (st_dev, st_ino) of folders already walked (each real folder once)."""
        seen = set() if seen is None else seen
        entries, problems = [], []
        try:
            opened = self.open_dir(top)
        except (FileNotFoundError, NotADirectoryError):
            return entries, problems
        except FleetError as exc:
            problems.append(exc)
            return entries, problems
        except OSError as exc:
            problems.append(FleetError("%s cannot be listed: %s" % (top, _reason(exc)),
                                       kind="access" if isinstance(exc, PermissionError) else "io"))
            return entries, problems
        self._walk(opened, top, 1, depth, wanted, seen, entries, problems)
        return entries, problems

    def _walk(self, opened, shown, level, depth, wanted, seen, entries, problems):
        with opened:
            info = os.fstat(opened.fd)
            if (info.st_dev, info.st_ino) in seen:
                return
            seen.add((info.st_dev, info.st_ino))
            try:
                names = sorted(os.listdir(opened.fd))
            except OSError as exc:
                problems.append(FleetError("%s cannot be listed: %s" % (shown, _reason(exc)),
                                           kind="access" if isinstance(exc, PermissionError) else "io"))
                return
            for name in names:
                path = posixpath.join(shown, name)
                try:
                    entry = os.stat(name, dir_fd=opened.fd, follow_symlinks=False)
                except FileNotFoundError:
                    continue
                real = posixpath.join(opened.path, name)
                if stat.S_ISLNK(entry.st_mode):
                    try:
                        real = self.resolve(real)
                        target = os.stat(real)
                    except FleetError as exc:
                        if wanted(name):
                            entries.append((path, path))  # reading it fails, alone, with the same message
                        elif level < depth and _is_dir(opened.fd, name):
                            problems.append(exc)  # a folder the search would have looked in
                        continue
                    except OSError:
                        continue  # a dangling link: nothing below it
                    mode = target.st_mode
                else:
                    mode = entry.st_mode
                if stat.S_ISDIR(mode):
                    if level < depth:
                        try:
                            child = self.open_dir(real)
                        except FleetError as exc:
                            problems.append(exc)
                            continue
                        except OSError as exc:
                            problems.append(FleetError("%s cannot be listed: %s" % (path, _reason(exc)),
                                                       kind="access" if isinstance(exc, PermissionError) else "io"))
                            continue
                        self._walk(child, path, level + 1, depth, wanted, seen, entries, problems)
                elif wanted(name):
                    entries.append((path, real))

    # -- writing ---------------------------------------------------------------------------------------------
    def replace(self, path: str, data: bytes, expected: str, shown: str = None, backup: bool = False,
                create_folder: bool = False) -> dict:
        """Replace the file at path (already resolved: a link there now is refused) with data, in one rename.

        expected: sha1 of what it must hold now ('absent': it must not exist; None: no guard). backup: keep a copy
        of what it held, created exclusively beside it under an unpredictable name. Returns {backup_file}; raises
        FleetError (kind conflict, unsafe_link, io, access) with the file as it was."""
        shown = shown or path
        try:
            parent, name = self._parent(path, create=create_folder)
        except FileNotFoundError:
            raise FleetError("cannot create %s: the folder %s does not exist (is io.Connect Desktop installed "
                             "there?)" % (shown, posixpath.dirname(path)), kind="io")
        except OSError as exc:
            raise FleetError("cannot write %s: %s" % (shown, _reason(exc)),
                             kind="io")
        with parent:
            return self._replace_in(parent, name, data, expected, shown, backup)

    def _current(self, parent, name, shown):
        """(bytes, stat) of name now; (None, None) when absent."""
        fd, info = self._open_file(parent, name, shown)
        if fd is None:
            return None, None
        with os.fdopen(fd, "rb") as handle:
            return handle.read(), info

    def _replace_in(self, parent, name, data, expected, shown, backup) -> dict:
        old, info = self._current(parent, name, shown)
        if expected is not None and sha1(old) != expected:
            raise FleetError("%s changed on the desk while it was being merged (checksum %s, expected %s): another "
                             "process is editing it. Nothing was written; run the task again."
                             % (shown, sha1(old), expected), kind="conflict")
        if info is not None:
            mode = stat.S_IMODE(info.st_mode) & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        backup_name = None
        if backup and old is not None:
            unpredictable = "%s.%s.%s~" % (name, time.strftime("%Y-%m-%d@%H:%M:%S"), secrets.token_hex(6))
            backup_name = self._exclusive(parent, unpredictable, old, mode, info, shown)
        tmp = None
        try:
            tmp = self._exclusive(parent, ".%s.%s.tmp" % (name, secrets.token_hex(8)), data, mode, info, shown)
            now, _info = self._current(parent, name, shown)
            if now != old:
                raise FleetError("%s changed on the desk while it was being written (checksum %s, expected %s): "
                                 "another process is editing it. Nothing was written; run the task again."
                                 % (shown, sha1(now), sha1(old)), kind="conflict")
            try:
                os.rename(tmp, name, src_dir_fd=parent.fd, dst_dir_fd=parent.fd)
            except OSError as exc:
                raise FleetError("cannot write %s: %s (is it read-only, locked or on a full disk?); the file was "
                                 "left unchanged" % (shown, _reason(exc)), kind="io")
            tmp = None
        except FleetError:
            if backup_name:  # nothing was written: there is nothing to restore
                _unlink_quietly(parent.fd, backup_name)
                backup_name = None
            raise
        finally:
            if tmp:
                _unlink_quietly(parent.fd, tmp)
        try:
            os.fsync(parent.fd)
        except OSError:
            pass  # the rename is done; a folder that cannot be synced (some file systems) changes nothing
        return {"backup_file": posixpath.join(parent.path, backup_name) if backup_name else None}

    def _exclusive(self, parent, name, data, mode, like, shown) -> str:
        """A new file name in parent holding data, created exclusively (never through a planted name)."""
        try:
            fd = os.open(name, _CREATE_FLAGS, 0o600, dir_fd=parent.fd)
        except OSError as exc:
            raise FleetError("cannot write %s: cannot create %s beside it: %s; the file was left unchanged"
                             % (shown, name, _reason(exc)),
                             kind="io")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                if like is not None and os.geteuid() == 0 and (like.st_uid, like.st_gid) != (0, 0):
                    os.fchown(handle.fileno(), like.st_uid, like.st_gid)  # root keeps the owner, on the descriptor
                os.fchmod(handle.fileno(), mode)
                os.fsync(handle.fileno())
        except OSError as exc:
            _unlink_quietly(parent.fd, name)
            raise FleetError("cannot write %s: %s; the file was left unchanged" % (shown, _reason(exc)),
                             kind="io")
        return name

    def remove(self, path: str, expected: str, shown: str = None) -> None:
        """Delete the regular file at path while it holds expected (sha1); a link there is refused, not followed."""
        shown = shown or path
        try:
            parent, name = self._parent(path)
        except FileNotFoundError:
            return
        with parent:
            old, _info = self._current(parent, name, shown)
            if old is None:
                return
            if expected is not None and sha1(old) != expected:
                raise FleetError("%s changed while rolling back; it was left alone" % shown, kind="conflict")
            os.unlink(name, dir_fd=parent.fd)

    def verified_backup(self, path: str, expected: str, shown: str = None) -> bytes:
        """The bytes of a backup this collection made: a plain file (not a link, one name), owned by the zone's
        owner, holding what the ledger recorded (sha1 expected). FleetError otherwise."""
        shown = shown or path
        try:
            parent, name = self._parent(path)
        except FileNotFoundError:
            return None
        with parent:
            try:
                info = os.stat(name, dir_fd=parent.fd, follow_symlinks=False)
            except FileNotFoundError:
                return None
            if stat.S_ISLNK(info.st_mode):
                raise FleetError("the backup %s is now a link (to %s); ioconnect.fleet restores only from the plain "
                                 "file it made, so nothing was restored" % (
                                     shown, os.readlink(name, dir_fd=parent.fd)), kind=links.ERROR_KIND)
            raw, info = self._current(parent, name, shown)
            if raw is None:
                return None
            if info.st_uid not in (self.zone.uid, 0) or info.st_nlink != 1:
                raise FleetError("the backup %s is not as ioconnect.fleet left it (owned by %s, %d name(s)); nothing "
                                 "was restored" % (shown, owner_name(info.st_uid), info.st_nlink),
                                 kind=links.ERROR_KIND)
            if expected and sha1(raw) != expected:
                raise FleetError("the backup %s no longer holds what the run saved (sha1 %s, the ledger says %s); "
                                 "nothing was restored" % (shown, sha1(raw), expected), kind="conflict")
            return raw


def _is_dir(dir_fd: int, name: str) -> bool:
    """Whether the link name points at a folder (its type only: nothing is opened)."""
    try:
        return stat.S_ISDIR(os.stat(name, dir_fd=dir_fd).st_mode)
    except OSError:
        return False


def _unlink_quietly(dir_fd: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass
