# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a desk's files must become: the files to handle, each planned with the system_json engine, and the desk's
result. Pure Python; workflow.py strings them together for both platforms."""

from __future__ import annotations

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.common import status as statuses
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk.topology import override_name
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.engine import plan
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.merge import Request

STATUSES = statuses.RESULT_STATUSES


class Target:
    """One file of the desk: the system.json of an install (layout base) or one pair's override file of it."""

    def __init__(self, install, instance, kind: str, shown: str, path: str):
        self.install = install
        self.instance = instance
        self.kind = kind
        self.shown = shown  # the path as found (a link's own path), what messages and reports show
        self.path = path  # what is read and written (a link's target)


def targets(flavour, installs, instances, layout: str) -> list:
    out = []
    for install in installs:
        if layout == "overrides":
            for instance in instances:
                entry = install.override_path(flavour, override_name(instance))
                out.append(Target(install, instance, "override", entry.path, entry.target))
        else:
            out.append(Target(install, instances[0], "base", install.system_json, install.target))
    return out


class Outcome:
    """A target planned: plan (an engine Plan) or error (a FleetError); written/backup_file once written."""

    def __init__(self, target: Target, plan_=None, error=None):
        self.target = target
        self.plan = plan_
        self.error = error
        self.backup_file = None
        self.written_checksum = None
        self.expected = None  # the SHA-1 the file must still have when it is written

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def changed(self) -> bool:
        return self.plan is not None and self.plan.changed

    def fail(self, error: FleetError) -> None:
        self.error = error

    def result(self, diff_mode: bool = False) -> dict:
        target = self.target
        out = {"path": target.shown, "target": target.path, "profile": target.install.profile,
               "root": target.install.root, "product": target.install.product, "kind": target.kind,
               "pair": target.instance.name}
        if self.plan is not None:
            out.update(self.plan.result(diff_mode=diff_mode))
            out["path"] = target.shown
            out["checksum"] = self.plan.original_checksum
        else:
            out.update({"changed": False, "exists": None, "drift": []})
        if self.backup_file:
            out["backup_file"] = self.backup_file
        if self.error is not None:
            out.update({"failed": True, "msg": str(self.error), "error_kind": self.error.kind})
        else:
            out["failed"] = False
        return out


def plan_targets(desk_targets, requests: dict, secret_keys, read, newline: str = "\n", windows: bool = False) -> list:
    """Plan every target. requests: pair name -> its system_json request (topology.file_request); read(path) ->
    bytes or None (no such file), raising FleetError when the file cannot be read; a file that fails (unreadable,
    not strict JSON, ...) fails alone. windows: the desk's platform (app store folder paths match as it matches
    them)."""
    bases = {}

    def base_of(target):
        # An override is checked in the desktop's merged view: a base file that cannot be read fails its overrides.
        path = target.install.target
        if path not in bases:
            bases[path] = read(path)
        return bases[path]

    outcomes = []
    for target in desk_targets:
        params = dict(requests[target.instance.name])
        if secret_keys:
            params["secret_keys"] = list(secret_keys)
        try:
            request = Request.from_params(params)
            raw = read(target.path)
            base = base_of(target) if target.kind == "override" else None
            outcomes.append(Outcome(target, plan(raw, request, target.shown, params["when_missing"], newline,
                                                 kind=target.kind, base=base, windows=windows)))
        except FleetError as exc:
            outcomes.append(Outcome(target, error=exc))
    return outcomes


def _status(installs, outcomes, failures, check_mode: bool) -> str:
    if failures or any(o.failed for o in outcomes):
        return statuses.FAILED
    if not installs:
        return statuses.NOT_INSTALLED
    if any(o.changed for o in outcomes):
        return statuses.DRIFTED if check_mode else statuses.CHANGED
    return statuses.COMPLIANT


def desk_result(desk: str, layout: str, instances, profiles, installs, outcomes, check_mode: bool,
                failures=(), shortcuts_changed=(), ledger=None, diff_mode: bool = False) -> dict:
    """The task result of the desk plugin (RETURN of ioconnect.fleet.desk_system_json).

    desk: the desk's name. failures: desk-level problems (discovery, commit), as messages."""
    files = [outcome.result(diff_mode) for outcome in outcomes]
    status = _status(installs, outcomes, failures, check_mode)
    errors = list(failures) + [f["msg"] for f in files if f.get("failed")]
    changed_files = [f["path"] for f in files if f.get("changed")]
    install_rows = []
    for install in installs:
        mine = [f for f, o in zip(files, outcomes) if o.target.install is install]
        pointers = []
        for f in mine:
            for item in f.get("drift") or []:
                if item["pointer"] not in pointers:
                    pointers.append(item["pointer"])
        install_rows.append({"user": install.profile, "product": install.product, "system_json": install.system_json,
                             "files": [f["path"] for f in mine], "changed": any(f.get("changed") for f in mine),
                             "drift": pointers})
    result = {
        "changed": bool(changed_files) or bool(shortcuts_changed),
        "failed": status == statuses.FAILED,
        "status": status,
        "check_mode": check_mode,
        "desk": desk,
        "env_region": [i.name for i in instances],
        "layout": layout,
        "profiles": [p.as_dict() for p in profiles],
        "installs": install_rows,
        "files": files,
        "changed_files": changed_files,
        "shortcuts_changed": list(shortcuts_changed),
        "restart_pending": bool(changed_files) and not check_mode,
        "error": " | ".join(errors),
        "msg": _message(desk, instances, installs, files, status, errors, check_mode),
    }
    if ledger:
        result["ledger"] = ledger
    if diff_mode:
        # One diff per changed file, at the top level where --diff shows it (ansible-core's list form).
        diffs = [f["diff"] for f in files if f.get("diff")]
        if diffs:
            result["diff"] = diffs
    return result


def _message(desk, instances, installs, files, status, errors, check_mode) -> str:
    head = "%s (%s): " % (desk, ", ".join(i.name for i in instances) or "?")
    products = sorted({i.product for i in installs})
    found = "%d install(s) (%s)" % (len(installs), ", ".join(products)) if installs else "no install"
    changed = [f for f in files if f.get("changed")]
    if status == statuses.FAILED:
        return head + "FAILED: " + " | ".join(errors)
    if status == statuses.NOT_INSTALLED:
        return head + ("io.Connect Desktop is not installed (no system.json in the profiles and folders looked at); "
                       "nothing to do.")
    if status == statuses.COMPLIANT:
        return head + "%s; already on io.Manager, nothing changed." % found
    pointers = []
    for f in changed:
        for item in f.get("drift") or []:
            if item["pointer"] not in pointers:
                pointers.append(item["pointer"])
    if check_mode:
        return head + "%s; drift in %d file(s): %s." % (found, len(changed), ", ".join(pointers[:12]))
    return head + ("%s; %d file(s) changed; restart io.Connect Desktop for them to take effect (restart pending, not "
                   "forced)." % (found, len(changed)))


def rollback_result(name: str, done: dict, check_mode: bool) -> dict:
    """The result of a rollback, from what the desk did (shared with the Windows path of the action plugin)."""
    files = done["files"]
    acted = [f for f in files if f["action"] in ("restore", "delete")]
    failed = [f for f in files if f.get("failed")]
    runs = [e["run"] for e in done["entries"]]
    if not runs:
        msg = "%s: no configure run recorded in the ledger, nothing to roll back." % name
    else:
        msg = "%s: %s %d run(s) (%s): %d file(s) %s%s." % (
            name, "would roll back" if check_mode else "rolled back", len(runs), ", ".join(runs), len(acted),
            "restored or removed" if not check_mode else "to restore or remove",
            "; %d file(s) NOT rolled back: %s" % (len(failed), " | ".join(f["msg"] for f in failed)) if failed else "")
        if acted and not check_mode:
            msg += " Restart io.Connect Desktop for it to take effect (restart pending, not forced)."
    return {"changed": bool(acted or done["shortcuts_removed"]), "failed": bool(failed), "desk": name,
            "rolled_back": runs, "files": files, "shortcuts_removed": done["shortcuts_removed"],
            "restart_pending": bool(acted) and not check_mode, "check_mode": check_mode,
            "error": " | ".join(f["msg"] for f in failed), "msg": msg}
