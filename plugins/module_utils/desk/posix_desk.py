# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A POSIX desk, the workflow's Desk (workflow.py) inside the desk module: the whole desk in one round trip.

A POSIX desk is laid out as a Windows desk is (docs/simulated-desks.md): a folder of profiles, each with
AppData/Local, and extra install folders. The module runs as root there, in folders its users own, so:

- every path belongs to a zone (zone_of): the first folder on its way down from / that an account other than root
  owns (a user's profile), or root's own folders;
- a zone's work (walk, read, write, back up, restore, delete) runs as the zone's owner (as_owner.py), through
  safe_fs.ZoneFiles, which follows only the links the rule of links.py allows;
- the ledger (the state folder) is root's and must be in folders only root can change.
"""

from __future__ import annotations

import os
import posixpath
import stat

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.atomic_write import WriteError, write_file
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import as_owner, discovery, ledger, links
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk.safe_fs import Zone, ZoneFiles, owner_name, sha1
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk.workflow import Committed, Desk, Scan, ledger_record


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


ROOT_ZONE = Zone("", 0, 0, "root's folders")


def zone_of(path: str, _hops: int = 0) -> Zone:
    """The zone of path: the first folder on its way down from / owned by an account other than root (links owned
    by root followed, as an administrator planted them), or root's folders. Looked at as the module's account, with
    lstat: nothing is opened."""
    parts = [p for p in posixpath.normpath(path).split("/") if p]
    current = "/"
    for index, part in enumerate(parts):
        candidate = posixpath.join(current, part)
        try:
            info = os.lstat(candidate)
        except OSError:
            break  # what does not exist (yet) belongs to the zone above it
        if stat.S_ISLNK(info.st_mode) and info.st_uid == 0 and _hops < safe_limit():
            target = links.absolute_target(posixpath, candidate, os.readlink(candidate))
            return zone_of(posixpath.join(target, *parts[index + 1:]), _hops + 1)
        if not stat.S_ISDIR(info.st_mode) and not stat.S_ISLNK(info.st_mode):
            break  # a file belongs to the zone of its folder, whoever owns it
        if info.st_uid != 0:
            if stat.S_ISLNK(info.st_mode):
                break  # a user's link in root's folder: the rule refuses it when the work meets it
            return Zone(candidate, info.st_uid, info.st_gid, "%s (%s's)" % (candidate, owner_name(info.st_uid)))
        current = candidate
    return ROOT_ZONE


def safe_limit() -> int:
    return 40


# -- the work a zone's owner does (run in a child with the owner's identity) ----------------------------------
def _walk(zone: dict, tops, depth: int) -> dict:
    files = ZoneFiles(Zone.from_dict(zone))
    seen, entries, problems = set(), [], []
    for top in tops:
        found, trouble = files.walk(top, depth, discovery.wanted, seen)
        entries.extend(found)
        problems.extend({"top": top, "msg": str(p), "kind": p.kind} for p in trouble)
    return {"entries": entries, "problems": problems}


def _list(_zone: dict, path: str) -> str:
    """'' when the folder can be listed, 'missing', or why it cannot."""
    try:
        os.listdir(path)
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return _reason(exc)
    return ""


def _read_all(zone: dict, paths) -> dict:
    files = ZoneFiles(Zone.from_dict(zone))
    out = {}
    for path in paths:
        try:
            out[path] = {"raw": as_owner.encode_bytes(files.read(path))}
        except FleetError as exc:
            out[path] = {"error": str(exc), "kind": exc.kind}
    return out


def _checksums(zone: dict, paths) -> dict:
    files = ZoneFiles(Zone.from_dict(zone))
    out = {}
    for path in paths:
        try:
            out[path] = sha1(files.read(path))
        except FleetError as exc:
            out[path] = "unreadable: %s" % exc
    return out


def _replace(zone: dict, path: str, data: str, expected, shown: str, backup: bool, create_folder: bool) -> dict:
    return ZoneFiles(Zone.from_dict(zone)).replace(path, as_owner.decode_bytes(data), expected, shown, backup,
                                                   create_folder)


def _write_if_different(zone: dict, path: str, data: str) -> bool:
    files = ZoneFiles(Zone.from_dict(zone))
    raw = as_owner.decode_bytes(data)
    have = files.read(path)
    if have == raw:
        return False
    files.replace(path, raw, sha1(have), create_folder=True)
    return True


def _restore(zone: dict, path: str, backup_file: str, backup_sha1, expected: str, shown: str) -> None:
    files = ZoneFiles(Zone.from_dict(zone))
    raw = files.verified_backup(backup_file, backup_sha1)
    if raw is None:
        raise FleetError("%s was not rolled back: its backup %s is gone. Put the settings back with a configure run."
                         % (shown, backup_file), kind="missing")
    files.replace(path, raw, expected, shown)


def _remove(zone: dict, path: str, expected, shown: str) -> bool:
    files = ZoneFiles(Zone.from_dict(zone))
    if files.read(path) is None:
        return False
    files.remove(path, expected, shown)
    return True


class PosixDesk(Desk):
    flavour = posixpath

    def __init__(self, module):
        self.module = module
        self._read = {}  # path -> {"raw": base64 | None} or {"error", "kind"}: what prefetch read

    # -- the workflow's calls ----------------------------------------------------------------------------------
    def scan(self, options: dict, shortcut_folders: bool) -> Scan:
        # shortcut_folders: a POSIX desk's shortcut descriptors are compared when written, not listed beforehand.
        profiles = self.profiles(options)
        root = options["profile_root"].rstrip("/") or "/"
        common_start_menu = posixpath.join(posixpath.dirname(root), *discovery.COMMON_START_MENU)
        roots = discovery.search_roots(posixpath, profiles, options["install_roots"], common_start_menu)
        entries, problems = self.find(roots, discovery.search_depth(options["install_search_depth"]))
        return Scan(profiles, roots, entries, problems)

    def read(self, paths) -> dict:
        self.prefetch(paths)
        out = {}
        for path in paths:
            answer = self._read[path]
            out[path] = FleetError(answer["error"], kind=answer["kind"]) if "error" in answer else \
                as_owner.decode_bytes(answer["raw"])
        return out

    def commit(self, changes, wanted_shortcuts, entry: dict, backup: bool, state_dir: str) -> Committed:
        try:
            self.check_state_dir(state_dir)
        except FleetError as exc:
            return Committed([str(exc)])
        problems, created = [], []
        for outcome in changes:
            self.write(outcome, backup)
        for shortcut in wanted_shortcuts:
            try:
                if self.write_shortcut(shortcut):
                    created.append(shortcut.path + ".json")
            except FleetError as exc:
                problems.append(str(exc))
        records = [ledger_record(o, o.backup_file, o.written_checksum) for o in changes if o.written_checksum]
        path = None
        if records or created:
            try:
                path = self.write_entry(state_dir, dict(entry, files=records, shortcuts=created))
            except FleetError as exc:
                problems.append(str(exc))
        return Committed(problems, created, path)

    def _as_owner(self, zone: Zone, work, *args):
        return as_owner.run(zone.uid, zone.gid, zone.label, work, zone.as_dict(), *args)

    # -- discovery -------------------------------------------------------------------------------------------
    def profiles(self, options) -> list:
        """The profiles to look at. FleetError when the profile folder itself cannot be listed."""
        root = options["profile_root"].rstrip("/") or "/"
        mode = options["profiles"]
        if mode == "all":
            try:
                names = [e.name for e in os.scandir(root) if e.is_dir()]
            except FileNotFoundError:
                raise FleetError("the profile folder %s does not exist (profile_root)" % root, kind="missing")
            except OSError as exc:
                raise FleetError("the profile folder %s cannot be listed: %s" % (root, _reason(exc)), kind="access")
        elif mode == "named":
            names = list(options["users"])
        elif mode == "logged_on":
            names = self._logged_on()
        else:
            names = [options["current_user"]]
        found = discovery.profiles(self.flavour, root, names, options["skip_profiles"] if mode == "all" else ())
        for profile in found:
            self._check_profile(profile)
        return found

    def _check_profile(self, profile) -> None:
        """A profile folder that is a link is followed only as the rule says (the folder holding the profiles is
        the zone it sits in); one that cannot be listed is reported."""
        try:
            info = os.lstat(profile.path)
        except FileNotFoundError:
            profile.reason = "no such profile folder"
            return
        except OSError as exc:
            profile.readable, profile.reason = False, _reason(exc)
            return
        if stat.S_ISLNK(info.st_mode):
            holder = zone_of(posixpath.dirname(profile.path))
            target = links.absolute_target(posixpath, profile.path, os.readlink(profile.path))
            if info.st_uid != 0 and not (holder.uid == info.st_uid and links.inside(posixpath, target, holder.top)):
                profile.readable = False
                profile.reason = links.refusal(profile.path, owner_name(info.st_uid), target, holder.top or "/")
                profile.error_kind = links.ERROR_KIND
                return
        answer = self._as_owner(zone_of(profile.path), _list, profile.path)
        if answer == "missing":
            profile.reason = "no such profile folder"
        elif answer:
            profile.readable, profile.reason = False, answer

    def _logged_on(self) -> list:
        """The users with a session on the desk (who), as profile names."""
        rc, out, err = self.module.run_command(["who"])
        if rc != 0:
            raise FleetError("cannot list the logged-on users (who: %s)" % (err.strip() or rc), kind="access")
        return sorted({line.split()[0] for line in out.splitlines() if line.strip()})

    def find(self, roots, depth: int):
        """(entries, problems): every file below the roots whose name a search wants, at most depth levels down,
        each real folder walked once, each zone walked by its owner. problems: (profile, FleetError) for folders
        that could not be listed or links the rule refuses, by the profile (or install folder) they are in."""
        by_zone = {}
        for root in roots:
            zone = zone_of(root.path)
            by_zone.setdefault((zone.top, zone.uid, zone.gid), (zone, []))[1].append(root)
        entries, problems = [], []
        for zone, zone_roots in by_zone.values():
            try:
                found = self._as_owner(zone, _walk, [r.path for r in zone_roots], depth)
            except FleetError as exc:
                problems.extend((r.root, exc) for r in zone_roots)
                continue
            entries.extend(discovery.Entry(path, target) for path, target in found["entries"])
            profile_of = {r.path: r.root for r in zone_roots}
            problems.extend((profile_of.get(p["top"]), FleetError(p["msg"], kind=p["kind"]))
                            for p in found["problems"])
        return entries, problems

    # -- files -----------------------------------------------------------------------------------------------
    def prefetch(self, paths) -> None:
        """Read every path, each zone's files by its owner in one go; read() then answers from memory."""
        by_zone = {}
        for path in dict.fromkeys(paths):
            if path in self._read:
                continue
            zone = zone_of(path)
            by_zone.setdefault((zone.top, zone.uid, zone.gid), (zone, []))[1].append(path)
        for zone, zone_paths in by_zone.values():
            try:
                self._read.update(self._as_owner(zone, _read_all, zone_paths))
            except FleetError as exc:
                self._read.update({p: {"error": str(exc), "kind": exc.kind} for p in zone_paths})

    def write(self, outcome, backup: bool) -> None:
        """Write a planned outcome as the file's owner; on failure the outcome fails and the file is left as it
        was."""
        plan = outcome.plan
        path = outcome.target.path
        try:
            done = self._as_owner(zone_of(path), _replace, path, as_owner.encode_bytes(plan.new_bytes),
                                  outcome.expected, outcome.target.shown, backup and plan.exists,
                                  False)
        except FleetError as exc:
            outcome.fail(exc)
            return
        outcome.backup_file = done["backup_file"]
        outcome.written_checksum = sha1(plan.new_bytes)

    def write_shortcut(self, shortcut) -> bool:
        """The POSIX stand-in for a .lnk: <path>.json holding what the shortcut would. True when written."""
        path = shortcut.path + ".json"
        try:
            return self._as_owner(zone_of(path), _write_if_different, path,
                                  as_owner.encode_bytes(shortcut.descriptor()))
        except FleetError as exc:
            raise FleetError("cannot write the shortcut %s: %s" % (path, exc), kind=exc.kind)

    # -- ledger (root's) -------------------------------------------------------------------------------------
    def check_state_dir(self, folder: str) -> None:
        """The ledger says what rollback restores and deletes: when root keeps it, only root may change the
        folders it is in (as OpenSSH's StrictModes asks of authorized_keys)."""
        if os.geteuid() != 0:
            return
        zone = zone_of(folder)
        if zone.uid != 0:
            raise FleetError("the state folder %s (state_dir) is inside %s, which %s can change: the rollback "
                             "ledger must be in folders only root can change. Set state_dir to one, for example "
                             "%s." % (folder, zone.top, owner_name(zone.uid), ledger.POSIX_STATE_DIR),
                             kind="unsafe_link")
        current = "/"
        for part in [p for p in posixpath.normpath(folder).split("/") if p]:
            current = posixpath.join(current, part)
            try:
                info = os.stat(current)
            except OSError:
                break
            if info.st_mode & 0o002 and not info.st_mode & stat.S_ISVTX:
                raise FleetError("the state folder %s (state_dir) is inside %s, which every account can write: the "
                                 "rollback ledger must be in folders only root can change" % (folder, current),
                                 kind="unsafe_link")

    def write_entry(self, folder: str, entry: dict) -> str:
        self.check_state_dir(folder)
        path = os.path.join(ledger.runs_dir(self.flavour, folder), ledger.entry_name(entry["run"]))
        try:
            write_file(self.module, path, ledger.dumps(entry), create_folder=True)
        except WriteError as exc:
            raise FleetError("the files were written, but the rollback ledger %s could not be: %s; rollback.yml "
                             "will not know this run" % (path, exc), kind="io")
        return path

    def ledger(self, state_dir: str, count: int) -> list:
        self.check_state_dir(state_dir)
        runs = ledger.runs_dir(self.flavour, state_dir)
        try:
            names = os.listdir(runs)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise FleetError("the rollback ledger %s cannot be read: %s" % (runs, _reason(exc)), kind="access")
        out = []
        for name in ledger.latest(names, count):
            path = os.path.join(runs, name)
            try:
                with open(path, "rb") as handle:
                    raw = handle.read()
            except OSError as exc:
                raise FleetError("the ledger entry %s cannot be read: %s" % (path, _reason(exc)), kind="access")
            entry = ledger.loads(name, raw or b"")
            if entry is None:
                raise FleetError("the ledger entry %s is not one ioconnect.fleet wrote (damaged?); move it out of %s "
                                 "and run again" % (os.path.join(runs, name), runs), kind="parse")
            out.append(entry)
        return out

    def checksums(self, paths) -> dict:
        by_zone, out = {}, {}
        for path in dict.fromkeys(paths):
            zone = zone_of(path)
            by_zone.setdefault((zone.top, zone.uid, zone.gid), (zone, []))[1].append(path)
        for zone, zone_paths in by_zone.values():
            try:
                out.update(self._as_owner(zone, _checksums, zone_paths))
            except FleetError as exc:
                out.update({p: "unreadable: %s" % exc for p in zone_paths})
        return out

    def undo(self, state_dir: str, entries, steps, check_mode: bool) -> tuple:
        if not check_mode:
            for step in steps:
                if step.action in ("restore", "delete"):
                    problem = self._undo(step)
                    if problem:
                        step.fail(str(problem), problem.kind)
        removed, problems = [], []
        for entry in entries:
            for shortcut in entry["shortcuts"]:
                try:
                    zone = zone_of(shortcut)
                    gone = self._as_owner(zone, _remove, shortcut, None, shortcut) if not check_mode else \
                        self._as_owner(zone, _read_all, [shortcut])[shortcut].get("raw") is not None
                except FleetError as exc:
                    problems.append({"path": shortcut, "target": shortcut, "action": "fail", "failed": True,
                                     "msg": "the shortcut %s was not removed: %s" % (shortcut, exc),
                                     "error_kind": exc.kind, "backup_file": None, "profile": None,
                                     "product": None})
                    continue
                if gone:
                    removed.append(shortcut)
            if not check_mode:
                self._settle(state_dir, entry, steps)
        return removed, problems

    def _undo(self, step):
        """None when done, else a FleetError saying why the file was left as it was."""
        zone = zone_of(step.path)
        try:
            if step.action == "delete":
                self._as_owner(zone, _remove, step.path, step.expected, step.shown)
                return None
            self._as_owner(zone, _restore, step.path, step.backup_file, step.record.get("sha1_before"),
                           step.expected, step.shown)
        except FleetError as exc:
            message = str(exc)
            if not message.startswith(step.shown):
                message = "%s was not rolled back: %s" % (step.shown, message)
            return FleetError(message, kind=exc.kind)
        return None

    def _settle(self, folder, entry, steps) -> None:
        """Drop an undone entry from the ledger, or keep only its files that could not be rolled back."""
        path = os.path.join(ledger.runs_dir(self.flavour, folder), entry["_name"])
        mine = [s for s in steps if any(s.record is r for r in entry["files"])]
        kept = ledger.remaining(entry, mine)
        try:
            if kept is None:
                os.unlink(path)
            else:
                write_file(self.module, path, ledger.dumps(kept))
        except (OSError, WriteError) as exc:
            raise FleetError("rolled back, but the ledger entry %s could not be updated: %s; delete it by hand"
                             % (path, exc), kind="io")


# -- one file, for ioconnect.fleet.system_json on a POSIX host ---------------------------------------------------
def _resolve_and_read(zone: dict, path: str) -> dict:
    files = ZoneFiles(Zone.from_dict(zone))
    raw = files.read(path)  # a dangling link is an error here, not a missing file
    return {"path": files.resolve(path), "raw": as_owner.encode_bytes(raw)}


def read_one(path: str) -> tuple:
    """(path with the links the rule allows resolved, bytes or None), read as the owner of path's zone."""
    zone = zone_of(path)
    answer = as_owner.run(zone.uid, zone.gid, zone.label, _resolve_and_read, zone.as_dict(), path)
    return answer["path"], as_owner.decode_bytes(answer["raw"])


def replace_one(path: str, data: bytes, expected: str, shown: str, backup: bool) -> str:
    """Replace the (resolved) file at path as the owner of its zone; the backup's path or None."""
    zone = zone_of(path)
    done = as_owner.run(zone.uid, zone.gid, zone.label, _replace, zone.as_dict(), path, as_owner.encode_bytes(data),
                        expected, shown, backup, False)
    return done["backup_file"]
