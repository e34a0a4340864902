# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The desk workflow, written once: configure (check mode is the drift scan) and rollback, against a Desk.

A Desk is where the files are, reached as the platform allows:

- ``PosixDesk`` (posix_desk.py) runs inside the desk module, on the desk, as each profile's owner;
- ``WindowsDesk`` (plugins/plugin_utils/windows_desk.py) runs in the action plugin, on the controller, over the
  ansible.windows modules of windows_remote.py (one SCAN, one COMMIT).

Both answer the calls of ``Desk`` below. Everything else is decided here, the same way for both: which files a desk
has (discovery.classify), which profiles fail alone and which problems stop the desk, what each file must become
(plan.plan_targets), what the ledger records, how a rollback is planned, and the result (plan.desk_result).

Pure Python, no ansible imports: the module and the action plugin are adapters around it.
"""

from __future__ import annotations

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import discovery, ledger, links, path_names, shortcuts, topology
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk.plan import (
    desk_result,
    plan_targets,
    rollback_result,
    targets,
)


class Scan:
    """What a desk's discovery found.

    profiles: discovery.Profile for every profile looked at; roots: the discovery.SearchRoot folders searched;
    entries: discovery.Entry for every file found whose name a search wants; problems: (the profile or install
    folder, FleetError) for each folder of the search that could not be listed and each link the rule refused."""

    def __init__(self, profiles, roots, entries, problems=()):
        self.profiles = list(profiles)
        self.roots = list(roots)
        self.entries = list(entries)
        self.problems = list(problems)


class Committed:
    """What a commit did: problems (messages that fail the desk), the shortcuts created, the ledger entry's path."""

    def __init__(self, problems=(), shortcuts_created=(), ledger_path=None):
        self.problems = list(problems)
        self.shortcuts_created = list(shortcuts_created)
        self.ledger_path = ledger_path


class Desk:
    """The calls the workflow makes of a desk. Implementations override each method."""

    flavour = None  # posixpath or ntpath: the desk's path rules
    windows = False  # app store folder paths compare as Windows compares them
    newline = "\n"  # for files the run creates
    operations = None  # remote operations made, when the desk counts them (Windows)

    def scan(self, options: dict, shortcut_folders: bool) -> Scan:
        """Discovery: the profiles (options profiles/users/skip_profiles/profile_root/current_user), the install
        folders (install_roots, install_search_depth); shortcut_folders: also list the Start-menu folders of
        options["shortcut_folder_name"], so that commit creates only missing shortcuts. FleetError when the desk
        cannot be looked at at all."""
        raise NotImplementedError

    def read(self, paths) -> dict:
        """path -> bytes, None (no such file) or a FleetError (cannot or may not be read), for each path."""
        raise NotImplementedError

    def commit(self, changes, wanted_shortcuts, entry: dict, backup: bool, state_dir: str) -> Committed:
        """Write each change (a plan.Outcome that changed; write outcome.plan.new_bytes only while the file still
        has outcome.expected), with a backup when backup and the file existed; create the missing shortcuts; record
        what was written in the ledger entry (ledger.new_entry, files empty) under state_dir. Each change that
        was written gets outcome.written_checksum and outcome.backup_file; each that was not, outcome.fail(). Called
        on every run that is not a drift scan: with nothing to write, it writes nothing (no ledger entry)."""
        raise NotImplementedError

    def ledger(self, state_dir: str, count: int) -> list:
        """The last count ledger entries (ledger.loads), newest first."""
        raise NotImplementedError

    def checksums(self, paths) -> dict:
        """path -> SHA-1 now ('absent' when there is no file)."""
        raise NotImplementedError

    def undo(self, state_dir: str, entries, steps, check_mode: bool) -> tuple:
        """Carry out ledger.plan_rollback's steps (restore, delete: a step that cannot be done gets step.fail()),
        remove the entries' shortcuts and settle the ledger. (shortcuts removed, or that would be in check mode;
        results of shortcuts that could not be removed)."""
        raise NotImplementedError


class Pair:
    """One environment/region pair of a desk: its io.Manager instance and the system_json request of its files."""

    def __init__(self, instance: topology.Instance, request: dict):
        self.instance = instance
        self.request = request

    def as_dict(self) -> dict:
        return {"instance": self.instance.as_dict(), "request": self.request}

    @classmethod
    def from_dict(cls, data: dict) -> "Pair":
        fields = {k: v for k, v in data["instance"].items() if k != "name"}
        return cls(topology.Instance(**fields), data["request"])


def pairs(desk: str, options: dict, names: topology.Names, windows: bool = False) -> list:
    """The desk's pairs, resolved from its options, with the names and paths it gives checked for its platform
    (FleetError naming the desk and the setting). The action plugin calls this once per desk, on the controller,
    before the desk is contacted, and hands the result to the desk module (its private option _pairs)."""
    path_names.check_desk_paths(desk, options, windows, names)
    found = [Pair(instance, topology.file_request(instance, options))
             for instance in topology.resolve(desk, options, names)]
    path_names.check_options(desk, options, names)
    return found


def _discovery_failures(scanned: Scan, names, flavour) -> tuple:
    """(problems that stop every write on the desk, {profile or install folder (normcase): why it fails alone}).

    A profile the connecting account cannot read stops the desk (what it holds is unknown), and so does a folder
    of the search that cannot be listed; a profile folder that is a link the rule refuses, or a link refused within
    the search, fails that profile (or install folder) alone. A profile that does not exist, or a name that is not
    one, is only reported."""
    failures, alone, labels = [], {}, {}
    for profile in scanned.profiles:
        labels[flavour.normcase(profile.path)] = "profile %s" % profile.name
        if profile.readable or profile.error_kind in ("missing", "request"):
            continue
        if profile.error_kind == links.ERROR_KIND:
            alone.setdefault(flavour.normcase(profile.path), []).append((profile.reason, profile.error_kind))
            continue
        failures.append("profile %s (%s) cannot be read by the connecting account: %s. Add it to %s, or let the "
                        "account read it; nothing was written on this desk."
                        % (profile.name, profile.path, profile.reason, names("skip_profiles")))
    for root, problem in scanned.problems:
        if problem.kind == links.ERROR_KIND:
            alone.setdefault(flavour.normcase(root), []).append((str(problem), problem.kind))
        else:
            failures.append("%s; nothing was written on this desk" % problem)
    refused = {}
    for key, items in alone.items():
        refused[key] = "%s: %s; nothing in it was read or written" % (
            labels.get(key, "folder %s" % key), "; ".join("%s (error_kind %s)" % item for item in items))
    return failures, refused


def configure(desk: Desk, desk_pairs, options: dict, check_mode: bool, diff_mode: bool = False,
              names: topology.Names = None, expected=None, before_commit=None) -> dict:
    """Configure the desk (check_mode: a drift scan, nothing written); the task result.

    desk_pairs: pairs(); options: the desk options (args.py); names: how messages call the options; expected:
    path -> the SHA-1 a file must still have to be written (what was validated in an earlier round trip);
    before_commit(outcomes): called with the planned files before anything is written (validate_with fails those
    a schema set refuses)."""
    names = names or topology.Names()
    flavour = desk.flavour
    instances = [p.instance for p in desk_pairs]
    layout = options["layout"]
    overrides = layout == "overrides"
    make_shortcuts = overrides and options["shortcuts"] and not check_mode
    scanned = desk.scan(options, shortcut_folders=make_shortcuts)
    failures, refused = _discovery_failures(scanned, names, flavour)
    installs = [i for i in discovery.classify(flavour, scanned.entries, scanned.roots, options["install_search_depth"])
                if flavour.normcase(i.root) not in refused]
    desk_targets = targets(flavour, installs, instances, layout)
    files = desk.read([t.path for t in desk_targets] + [t.install.target for t in desk_targets if t.kind == "override"])

    def read(path):
        answer = files.get(path)
        if isinstance(answer, FleetError):
            raise answer
        return answer

    requests = {p.instance.name: p.request for p in desk_pairs}
    outcomes = plan_targets(desk_targets, requests, options.get("secret_keys") or [], read, desk.newline,
                            windows=desk.windows)
    for outcome in outcomes:
        if outcome.changed:
            outcome.expected = (expected or {}).get(outcome.target.path, outcome.plan.original_checksum)
    if before_commit is not None:
        before_commit(outcomes)

    committed = Committed()
    if not check_mode and not failures:
        wanted = shortcuts.shortcuts(flavour, installs, instances, options["shortcut_folder_name"]) \
            if make_shortcuts else []
        # Called even when nothing changed: a Desk checks where its ledger would go (a POSIX state folder a user
        # can change stops the run) and returns at once when there is nothing to write.
        entry = ledger.new_entry(ledger.new_run_id(), [i.name for i in instances], [], [])
        committed = desk.commit([o for o in outcomes if o.changed and not o.failed], wanted, entry,
                                options["backup"], ledger.state_dir(desk.windows, options["state_dir"]))
    result = desk_result(options["desk"], layout, instances, scanned.profiles, installs, outcomes, check_mode,
                         failures + committed.problems + list(refused.values()), committed.shortcuts_created,
                         committed.ledger_path, diff_mode=diff_mode)
    if refused:
        result["error_kind"] = links.ERROR_KIND if any(links.ERROR_KIND in r for r in refused.values()) else "io"
    return result


def ledger_record(outcome, backup_file, sha1_after) -> dict:
    """The ledger's record of one file written (rollback's input)."""
    plan, target = outcome.plan, outcome.target
    return {"path": target.path, "shown": target.shown, "existed": plan.exists, "backup_file": backup_file,
            "sha1_before": plan.original_checksum, "sha1_after": sha1_after, "profile": target.install.profile,
            "product": target.install.product, "kind": target.kind, "root": target.install.root}


def roll_back(desk: Desk, name: str, options: dict, check_mode: bool) -> dict:
    """Undo the last options["rollback_runs"] runs of the desk's ledger; the task result."""
    folder = ledger.state_dir(desk.windows, options["state_dir"])
    entries = desk.ledger(folder, options["rollback_runs"])
    paths = sorted({r["path"] for e in entries for r in e["files"]}, key=str.lower)
    current = desk.checksums(paths) if paths else {}
    steps = ledger.plan_rollback(entries, current)
    removed, problems = desk.undo(folder, entries, steps, check_mode) if entries else ([], [])
    files = [step.as_result() for step in steps] + list(problems)
    return rollback_result(name, {"entries": entries, "files": files, "shortcuts_removed": removed}, check_mode)
