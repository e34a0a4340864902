# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ioconnect.fleet.desk_system_json: one task per desk.

1. On the controller, before the desk is contacted: the options (argument spec), the desk's pairs and their
   io.Manager instances, every request against io.Connect Desktop's schema and the URL policy (once per distinct
   request per run), the whole-document schema set of validate_with. validate_only stops here.
2. Preflight: each io.Manager instance is asked once per run whether it answers (plugin_utils/preflight.py).
3. POSIX desk: the desk module does the rest in one round trip (two with validate_with when a file changes).
   Windows desk: the steps of plugin_utils/windows_desk.py, with ansible.windows modules only.
"""

from __future__ import annotations

import ntpath
import os
import re

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.checksum import checksum
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import policy as masking_policy
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import secret_keys_errors
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import discovery, ledger, path_names, shortcuts, topology
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk.args import (
    CONTROLLER_ONLY,
    NOT_FROM_VARS,
    VALUE_OPTIONS,
    argument_spec,
)
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk.plan import (
    desk_result,
    plan_targets,
    rollback_result,
    targets,
)
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.merge import Request
from ansible_collections.ioconnect.fleet.plugins.plugin_utils import preflight, validation
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.action_base import FleetAction
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.plain import plain
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.windows_desk import (
    COMMON_START_MENU,
    PROFILE_ROOT,
    WindowsDesk,
    absolute,
    backup_name,
    root_of,
)

MODULE = "ioconnect.fleet.desk_system_json"
ROLE = "ioconnect.fleet.desktop"


def _fail(desk: str, exc: FleetError, **extra):
    result = {"changed": False, "status": "failed", "desk": desk, "files": [], "error": str(exc),
              "error_kind": exc.kind}
    result.update(extra)
    return AnsibleActionFail("%s: %s" % (desk, exc) if not str(exc).startswith(desk + ":") else str(exc),
                             result=result)


def _profile_of(folder: str, roots) -> str:
    """The profile (or install folder) a Start-menu folder belongs to: links there may lead only within it."""
    for root in roots:
        if ntpath.normcase(folder).startswith(ntpath.normcase(root.start_menu)):
            return root.root if root.local is not None else folder
    return folder


def _options_named(message: str) -> list:
    """The options an argument-spec error message names."""
    return [name for name in argument_spec() if re.search(r"\b%s\b" % re.escape(name), message)]


class ActionModule(FleetAction):

    TRANSFERS_FILES = False
    VALUE_OPTIONS = VALUE_OPTIONS
    _VALID_ARGS = frozenset(argument_spec())

    # -- the desk ----------------------------------------------------------------------------------------------
    def _run(self, task_vars):
        prefix = self._task.args.get("options_from_vars")
        if prefix:
            self._task.args = self._options_from_vars(prefix, task_vars)
        try:
            _validation, params = self.validate_argument_spec(argument_spec=argument_spec())
        except AnsibleActionFail as exc:
            if not prefix:
                raise
            named = [prefix + name for name in _options_named(exc.message)]
            raise AnsibleActionFail("%s: %s (the task's options come from the variables %s<option>%s). No desk was "
                                    "touched." % (task_vars.get("inventory_hostname", "desk"), exc.message, prefix,
                                                  ": check " + ", ".join(named) if named else ""),
                                    result={"changed": False, "status": "failed", "files": [], "error_kind": "request"})
        params = plain(params)
        params["desk"] = params["desk"] or task_vars.get("inventory_hostname", "desk")
        desk = params["desk"]
        windows = bool(getattr(self._connection._shell, "_IS_WINDOWS", False))
        names = self._names()
        looking = bool(self._task.check_mode)

        if params["state"] == "rolled_back":
            if params["validate_only"]:
                return {"changed": False, "desk": desk, "msg": "%s: nothing to validate for a rollback" % desk}
            if windows:
                return self._windows_rollback(params, task_vars, looking)
            return self._execute_module(MODULE, module_args=self._module_args(params), task_vars=task_vars)

        try:
            instances = topology.resolve(desk, params, names)
            self._check_platform_options(desk, params, windows, names)
            validator = self._validate_requests(desk, params, instances, names)
        except FleetError as exc:
            raise _fail(desk, exc)
        if params["preflight"]:
            self._preflight(desk, params, instances)
        if params["validate_only"]:
            return {"changed": False, "desk": desk, "env_region": [i.name for i in instances],
                    "instances": [i.as_dict() for i in instances],
                    "msg": "%s: %s validated%s; nothing was touched" % (
                        desk, ", ".join(i.name for i in instances),
                        " and answering" if params["preflight"] else "")}
        if not windows:
            params["current_user"] = params["current_user"] or self._remote_user(task_vars)
            if validator is not None:
                return self._posix_validated(params, validator, task_vars, looking)
            return self._execute_module(MODULE, module_args=self._module_args(params), task_vars=task_vars)
        return self._windows_configure(params, instances, validator, task_vars, looking)

    def _options_from_vars(self, prefix, task_vars) -> dict:
        """The task's options, each one the task does not set taken from the variable <prefix><option> when it is
        defined: templated here, once, with the desk's variables. A variable that is null (or an empty string for
        an option without a default) leaves the option unset. Templating a handful of variables costs a worker a
        fraction of what templating thirty task arguments would (each would be compiled as a Jinja template)."""
        if not isinstance(prefix, str) or not prefix.strip():
            raise AnsibleActionFail("options_from_vars must be a variable name prefix such as desktop_, got %r"
                                    % (prefix,), result={"changed": False, "error_kind": "request"})
        args = dict(self._task.args)
        templar = self._templar.copy_with_new_env(available_variables=task_vars)
        for name, entry in argument_spec().items():
            variable = prefix + name
            if name in args or name in NOT_FROM_VARS or variable not in task_vars:
                continue
            value = templar.template(task_vars[variable])
            if value is None or (value == "" and entry.get("default") is None):
                continue
            args[name] = value
        return args

    def _names(self):
        prefix = self._task.args.get("options_from_vars")
        if prefix:
            return topology.Names(prefix=prefix)
        return topology.Names(role=self._from_role())

    def _from_role(self) -> bool:
        role = getattr(self._task, "_role", None)
        name = getattr(role, "_role_name", "") or getattr(role, "get_name", lambda: "")()
        return name in (ROLE, "desktop")

    def _remote_user(self, task_vars) -> str:
        try:
            user = self._connection.get_option("remote_user")
        except KeyError:
            user = None
        return user or task_vars.get("ansible_user") or os.environ.get("USER", "")

    def _module_args(self, params) -> dict:
        return {k: v for k, v in params.items() if k not in CONTROLLER_ONLY}

    # -- checks on the controller ------------------------------------------------------------------------------
    def _check_platform_options(self, desk, params, windows, names):
        path_names.check_options(desk, params, names)
        if params["profiles"] == "named" and not params["users"]:
            raise FleetError("%s: %s=named needs %s, the profile names to look at. No desk was touched."
                             % (desk, names("profiles"), names("users")))
        if windows:
            bad = [root for root in params["install_roots"] if not absolute(root)]
            if params["profile_root"] and not absolute(params["profile_root"]):
                bad.insert(0, params["profile_root"])
            if bad:
                raise FleetError(
                    "%s: %s must be absolute Windows paths without environment variables (ansible.windows.win_find "
                    "does not expand them: %%ProgramFiles%% would be searched as a relative folder and silently "
                    "skipped); got %s. For example C:\\Program Files\\interop.io. No desk was touched."
                    % (desk, "/".join((names("profile_root"), names("install_roots"))), ", ".join(bad)))
            return
        if not params["profile_root"]:
            raise FleetError(
                "%s: %s is not set. On POSIX (simulated) desks it is the folder holding the user profiles, e.g. "
                "/srv/desks/%s/Users (docs/simulated-desks.md). No desk was touched."
                % (desk, names("profile_root"), desk))
        bad = [p for p in [params["profile_root"]] + params["install_roots"] if not p.startswith("/")]
        if bad:
            looks_windows = [p for p in bad if ntpath.splitdrive(p)[0] or "\\" in p]
            hint = (" They look like Windows paths, but this desk is reached with a POSIX shell: set "
                    "ansible_shell_type=powershell (and the connection) for Windows desks.") if looks_windows else ""
            raise FleetError("%s: %s and %s must be absolute paths on a POSIX desk; got %s.%s No desk was touched."
                             % (desk, names("profile_root"), names("install_roots"), ", ".join(bad), hint))

    def _validate_requests(self, desk, params, instances, names):
        """Every file request of the desk against the vendor's shapes and the URL policy; the validate_with
        schema set. Raises FleetError naming the desk and the option path."""
        problems = secret_keys_errors(params["secret_keys"], names("secret_keys"))
        if problems:
            raise FleetError("%s: %s. No desk was touched." % (desk, "; ".join(problems)))
        masking = masking_policy(params["secret_keys"])
        for instance in instances:
            request = topology.file_request(instance, params)
            try:
                Request.from_params(request)
            except FleetError as exc:
                raise FleetError("%s (%s): %s" % (desk, instance.name, exc), kind=exc.kind)
            shapes = {"server": request["server"]}
            if "crash_reporter" in request:
                shapes["crashReporter"] = request["crash_reporter"]
            if request.get("app_stores") is not None:
                shapes["appStores"] = request["app_stores"]
            try:
                errors = validation.validate_request(shapes, params["allow_plain_http"], masking=masking)
            except RuntimeError as exc:
                raise FleetError(str(exc))
            if errors:
                raise FleetError("%s (%s): invalid settings, no desk was touched: %s (server is %s merged with the "
                                 "instance's server; app_stores is %s)"
                                 % (desk, instance.name, "; ".join(errors), names("server_settings"),
                                    names("app_stores")))
        if not params["validate_with"]:
            return None
        try:
            return validation.load_schema_set(params["validate_with"], "system.json")
        except (ValueError, RuntimeError) as exc:
            raise FleetError(str(exc))

    def _preflight(self, desk, params, instances):
        down = []
        for instance in instances:
            up, detail = preflight.answers(instance.preflight_url, params["preflight_timeout"],
                                           params["preflight_validate_certs"])
            if not up:
                down.append("%s at %s (%s)" % (instance.name, instance.preflight_url, detail))
        if down:
            raise _fail(desk, FleetError(
                "io.Manager %s did not answer, so this desk is not switched to it. Nothing was written on this desk. "
                "Fix the instance (or the topology URL) and run again; -e desktop_preflight=false (the role's variable; "
                "preflight: false on the task) skips this check."
                % ", ".join(down), kind="preflight"))

    @staticmethod
    def _schema_check(validator, outcomes):
        """With validate_with: every file that would change must satisfy the schema set (an override in the
        desktop's merged view); a file that does not fails alone, and is not written."""
        for outcome in outcomes:
            if outcome.changed and not outcome.failed:
                errors = validation.document_errors(validator, outcome.plan.merged_view(), outcome.plan.masking)
                if errors:
                    outcome.fail(FleetError("%s would not satisfy the schema in validate_with, so nothing was "
                                            "written: %s" % (outcome.target.shown, "; ".join(errors)), kind="schema"))

    # -- POSIX with validate_with ------------------------------------------------------------------------------
    def _posix_validated(self, params, validator, task_vars, looking):
        """Plan on the desk (the merged documents come back), validate them here, then write, in a second round
        trip, only the files that are still as they were read."""
        planned = self._execute_module(MODULE, module_args=dict(self._module_args(params), plan_only=True),
                                       task_vars=task_vars)
        problems = {}
        masking = masking_policy(params["secret_keys"])
        for item in planned.get("files") or []:
            merged = item.pop("merged", None)
            if merged is not None:
                errors = validation.document_errors(validator, merged, masking)
                if errors:
                    problems[item["target"]] = ("%s would not satisfy the schema in validate_with, so nothing was "
                                                "written: %s" % (item["path"], "; ".join(errors)))
        if problems:
            for item in planned["files"]:
                if item["target"] in problems:
                    item.update(failed=True, error_kind="schema", msg=problems[item["target"]])
            errors = [planned.get("error")] if planned.get("error") else []
            planned.update(failed=True, status="failed", error=" | ".join(errors + list(problems.values())))
            planned["msg"] = "%s: FAILED: %s" % (planned.get("desk"), planned["error"])
        if problems or planned.get("failed") or looking or not planned.get("changed"):
            planned["check_mode"] = looking
            return planned
        expected = {f["target"]: f["checksum"] for f in planned["files"] if f.get("changed")}
        return self._execute_module(MODULE, module_args=dict(self._module_args(params), expected_checksums=expected),
                                    task_vars=task_vars)

    # -- Windows ---------------------------------------------------------------------------------------------
    def _windows_scan(self, desk: WindowsDesk, params, menus: bool) -> tuple:
        """The one SCAN run of a desk: (profiles, entries, roots, read, problems by profile path)."""
        profile_root = (params["profile_root"] or PROFILE_ROOT).rstrip("\\")
        mode = params["profiles"]
        extra = [{"path": folder, "root": folder, "depth": discovery.search_depth(params["install_search_depth"])}
                 for folder in params["install_roots"]]
        scanned = desk.scan(profiles=mode, profile_root=profile_root,
                            users=params["users"] if mode == "named" else (),
                            skip=params["skip_profiles"] if mode == "all" else (), roots=extra,
                            depth=discovery.search_depth(params["install_search_depth"]))
        profiles = []
        for item in scanned["profiles"]:
            path = to_text(item.get("path") or "")
            name = to_text(item.get("name") or ntpath.basename(path))
            profile = discovery.Profile(ntpath, ntpath.dirname(path) or profile_root, name, path=path or None,
                                        readable=bool(item.get("readable")), reason=to_text(item.get("reason") or ""))
            profile.kind = to_text(item.get("error_kind") or "")
            profiles.append(profile)
        roots = discovery.search_roots(ntpath, profiles, params["install_roots"], COMMON_START_MENU)
        entries = [discovery.Entry(to_text(e["path"]), to_text(e.get("target") or e["path"]))
                   for e in scanned["entries"]]
        if menus:
            # The Start-menu folders are listed too (a second, shallow scan only when shortcuts may be created), so
            # that only missing shortcuts are created.
            folders = sorted({ntpath.join(r.start_menu, params["shortcut_folder_name"]) for r in roots}, key=str.lower)
            if folders:
                shortcuts_scan = desk.scan(roots=[{"path": f, "root": _profile_of(f, roots), "depth": 1}
                                                  for f in folders], extra_patterns=["*.lnk"])
                entries += [discovery.Entry(to_text(e["path"]), to_text(e.get("target") or e["path"]))
                            for e in shortcuts_scan["entries"] if to_text(e["path"]).lower().endswith(".lnk")]
        return profiles, entries, roots, desk.scanned_read(scanned), scanned["problems"]

    def _windows_configure(self, params, instances, validator, task_vars, looking):
        desk = WindowsDesk(self, task_vars)
        name = params["desk"]
        overrides = params["layout"] == "overrides"
        menus = overrides and params["shortcuts"] and not looking
        try:
            profiles, entries, roots, read_scanned, problems = self._windows_scan(desk, params, menus)
        except FleetError as exc:
            raise _fail(name, exc, remote_operations=desk.operations)
        # A profile the account cannot read stops the desk (nothing written: what it holds is unknown); a link the
        # rule refuses, or a folder that cannot be listed, fails that profile alone.
        failures = ["profile %s (%s) cannot be read by the connecting account: %s. Add it to %s, or let the "
                    "account read it; nothing was written on this desk."
                    % (p.name, p.path, p.reason, self._names()("skip_profiles"))
                    for p in profiles if not p.readable and getattr(p, "kind", "") not in ("missing", "request")]
        refused = {}
        for problem in problems:
            root = to_text(problem.get("root") or "")
            refused.setdefault(ntpath.normcase(root), []).append(
                "%s (error_kind %s)" % (to_text(problem.get("msg")), to_text(problem.get("error_kind") or "io")))
        profile_failures = ["profile %s: %s; nothing in it was read or written" % (root, "; ".join(msgs))
                            for root, msgs in sorted(refused.items())]
        installs = [i for i in discovery.classify(ntpath, entries, roots, params["install_search_depth"])
                    if ntpath.normcase(i.root) not in refused]
        found = {ntpath.normcase(e.path) for e in entries} | {ntpath.normcase(e.target) for e in entries}

        def read(path):
            # The scan listed every system*.json of the install folders: a file it did not find does not exist.
            return read_scanned(path) if ntpath.normcase(path) in found else None

        outcomes = plan_targets(targets(ntpath, installs, instances, params["layout"]), params, read, "\r\n",
                                windows=True)
        if validator is not None:
            self._schema_check(validator, outcomes)

        created, entry_path = [], None
        if not looking and not failures:
            lnk = {ntpath.normcase(e.path) for e in entries if e.path.lower().endswith(".lnk")}
            wanted = [s for s in shortcuts.shortcuts(ntpath, installs, instances, params["shortcut_folder_name"])
                      if overrides and params["shortcuts"] and ntpath.normcase(s.path) not in lnk]
            entry_path, problems = self._windows_write(desk, params, instances, outcomes, wanted)
            failures += problems
            for shortcut in wanted:
                if any(shortcut.folder in problem for problem in problems):
                    continue  # its folder was refused (a link the rule does not follow) or could not be made
                done = desk.shortcut(shortcut)
                if done.get("failed"):
                    failures.append("cannot create the shortcut %s: %s" % (shortcut.path, to_text(done.get("msg"))))
                elif done.get("changed"):
                    created.append(shortcut.path)
        result = desk_result(name, params["layout"], instances, profiles, installs, outcomes, looking,
                             failures + profile_failures, created, entry_path, diff_mode=bool(self._task.diff))
        if profile_failures:
            result["error_kind"] = "unsafe_link" if any("unsafe_link" in f for f in profile_failures) else "io"
        result["remote_operations"] = desk.operations
        return result

    def _windows_write(self, desk: WindowsDesk, params, instances, outcomes, wanted_shortcuts):
        """One COMMIT run: every changed file beside itself then in place, the backups, the Start-menu folders and
        the ledger entry (listing exactly the files written). Returns (ledger entry path or None, problems)."""
        changed = [o for o in outcomes if o.changed and not o.failed]
        if not changed and not wanted_shortcuts:
            return None, []
        run_id = ledger.new_run_id()
        operations = []
        for outcome in changed:
            plan = outcome.plan
            backup = None
            if params["backup"] and plan.exists:
                backup = backup_name(outcome.target.path)
            record = {"path": outcome.target.path, "shown": outcome.target.shown, "existed": plan.exists,
                      "backup_file": backup, "sha1_before": plan.original_checksum,
                      "sha1_after": checksum(plan.new_bytes), "profile": outcome.target.install.profile,
                      "product": outcome.target.install.product, "kind": outcome.target.kind,
                      "root": outcome.target.install.root}
            operations.append({"op": "write", "path": outcome.target.path, "root": outcome.target.install.root,
                               "content": plan.new_bytes,
                               "expected": plan.original_checksum, "backup": backup,
                               "record": ledger.record_text(record)})
        folder = ledger.state_dir(True, params["state_dir"])
        entry = ledger.new_entry(run_id, [i.name for i in instances], [], [s.path for s in wanted_shortcuts])
        head, tail = ledger.frame(entry)
        entry_path = ntpath.join(ledger.runs_dir(ntpath, folder), ledger.entry_name(run_id))
        entry_items = [{"path": entry_path, "head": head, "sep": ledger.SEPARATOR, "tail": tail, "select": "done",
                        "ops": list(range(len(operations))), "when_empty": "write" if wanted_shortcuts else "skip"}]
        done = desk.commit(operations, folders=sorted({s.folder for s in wanted_shortcuts}, key=str.lower),
                           ledger=entry_items)
        problems = [to_text(p) for p in done.get("problems") or []]
        if done.get("unanswered"):
            done = self._settle_unanswered(desk, operations, entry_items, done)
        for outcome, item in zip(changed, done.get("operations") or []):
            if item.get("backup_file"):
                outcome.backup_file = to_text(item["backup_file"])
            if item.get("done"):
                outcome.written_checksum = to_text(item.get("sha1") or "")
            else:
                outcome.fail(FleetError(to_text(item.get("msg") or "not written"), kind=to_text(
                    item.get("error_kind") or "io")))
        written = None
        for item in done.get("ledger") or []:
            if item.get("failed"):
                problems.append("the files were written, but %s; rollback will not know this run"
                                % to_text(item.get("msg")))
            elif item.get("written"):
                written = entry_path
        return written, problems

    @staticmethod
    def _settle_unanswered(desk, operations, ledger_items, done):
        """The COMMIT script gave no answer (its process died between two steps): a second run puts the old or the
        new bytes back under each file's name from what the first left beside it, writes the ledger entry for the
        files that hold the new bytes, and says what each file holds."""
        settle = [dict(o, op="settle", new_sha1=checksum(o["content"]), content=None) for o in operations]
        again = desk.commit(settle, ledger=ledger_items)
        if again.get("unanswered"):
            for item in done["operations"]:
                item["msg"] += ("; what the file holds now could not be checked (%s): look at it before running "
                                "again" % again.get("message"))
            return done
        for item, first in zip(again.get("operations") or [], done["operations"]):
            if not item.get("done"):
                item["msg"] = "%s; %s" % (first["msg"], to_text(item.get("msg") or ""))
        return again

    def _windows_rollback(self, params, task_vars, looking):
        desk = WindowsDesk(self, task_vars)
        name = params["desk"] or task_vars.get("inventory_hostname", "desk")
        folder = ledger.state_dir(True, params["state_dir"])
        runs = ledger.runs_dir(ntpath, folder)
        try:
            names = ledger.latest(desk.list_files(runs, "*.json"), params["rollback_runs"])
            entries = []
            for entry_name in names:
                raw = desk.read(ntpath.join(runs, entry_name))
                entry = ledger.loads(entry_name, raw or b"")
                if entry is None:
                    raise FleetError("the ledger entry %s is not one ioconnect.fleet wrote (damaged?); move it out "
                                     "of %s and run again" % (ntpath.join(runs, entry_name), runs), kind="parse")
                entries.append(entry)
            paths = sorted({r["path"] for e in entries for r in e["files"]}, key=str.lower)
            current = desk.checksums(paths) if paths else {}
        except FleetError as exc:
            raise _fail(name, exc, remote_operations=desk.operations)
        steps = ledger.plan_rollback(entries, current)
        acting = [s for s in steps if s.action in ("restore", "delete")]
        shortcuts_to_remove = [s for e in entries for s in e["shortcuts"]]
        done = {"operations": [], "removed": []}
        if not looking and entries:
            operations = [{"op": s.action, "path": s.path, "root": s.record.get("root") or root_of(s.path),
                           "source": s.backup_file, "source_sha1": s.record.get("sha1_before"),
                           "expected": s.expected, "record": ledger.record_text(s.record)} for s in acting]
            entry_items = []
            for entry in entries:
                mine = [i for i, s in enumerate(acting) if any(s.record is r for r in entry["files"])]
                kept_fixed = [ledger.record_text(s.record) for s in steps
                              if s.action == "fail" and any(s.record is r for r in entry["files"])]
                head, tail = ledger.frame(dict(entry, shortcuts=[]))
                entry_items.append({"path": ntpath.join(runs, entry["_name"]), "head": head, "sep": ledger.SEPARATOR,
                                    "tail": tail, "select": "not_done", "ops": mine, "fixed": kept_fixed,
                                    "when_empty": "delete"})
            done = desk.commit(operations, ledger=entry_items, remove=shortcuts_to_remove)
        results = []
        outcomes = iter(done.get("operations") or [])
        for step in steps:
            if step.action in ("restore", "delete") and not looking:
                item = next(outcomes, {})
                if not item.get("done") and (item.get("failed") or step.action == "restore"):
                    step.action, step.problem = "fail", "%s was not rolled back: %s" % (
                        step.shown, to_text(item.get("msg") or "the desk did not say"))
            results.append(step.as_result())
        removed = [to_text(p) for p in done.get("removed") or []] if not looking else shortcuts_to_remove
        result = rollback_result(name, {"entries": entries, "files": results, "shortcuts_removed": removed},
                                 looking)
        result["remote_operations"] = desk.operations
        if result.pop("failed"):
            raise AnsibleActionFail(result["msg"], result=result)
        return result
