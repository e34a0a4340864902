# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The desk workflow (module_utils/desk/workflow.py) on its own, against a desk held in memory: the rules both
platforms share, decided once (which problems stop a desk, which fail a profile alone, what is written and recorded,
what a rollback does). The real desks run the same code: tests/unit/plugins/action/test_desk_system_json.py (both
platforms), tests/integration/test_hostile_user.py (POSIX), test_windows_attacks_faults.py (Windows)."""

from __future__ import annotations

import inspect
import json
import posixpath

import pytest

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.checksum import checksum
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import discovery, ledger, topology, workflow
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk.args import argument_spec
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk.posix_desk import PosixDesk

URL = "https://iomanager-emea.example.com"
ROOT = "/desk/Users"
V9 = ("AppData", "Local", "interop.io", "io.Connect Desktop", "Desktop", "config", "system.json")
VENDOR = b'{\n  "server": {\n    "enabled": false,\n    "url": "http://localhost:8004/"\n  },\n  "env": "DEMO"\n}\n'


def options(**overrides):
    out = {name: entry.get("default") for name, entry in argument_spec().items()}
    out.update(topology={"PROD": {"EMEA": {"url": URL}}}, env="PROD", region="EMEA", profile_root=ROOT, desk="d1")
    out.update(overrides)
    return out


class MemoryDesk(workflow.Desk):
    """A desk in memory: profiles -> readable/kind, files -> bytes, problems the scan reports."""

    flavour = posixpath

    def __init__(self, profiles, files, problems=()):
        self.profiles = profiles
        self.files = dict(files)
        self.problems = list(problems)
        self.commits = []
        self.entries = []

    def scan(self, options, shortcut_folders):
        found = []
        for name, (readable, kind, reason) in sorted(self.profiles.items()):
            profile = discovery.Profile(posixpath, ROOT, name, readable=readable, reason=reason)
            profile.error_kind = kind
            found.append(profile)
        roots = discovery.search_roots(posixpath, found, options["install_roots"], "/desk/ProgramData")
        entries = [discovery.Entry(path) for path in self.files]
        return workflow.Scan(found, roots, entries, self.problems)

    def read(self, paths):
        return {p: self.files.get(p) for p in paths}

    def commit(self, changes, wanted_shortcuts, entry, backup, state_dir):
        self.commits.append([o.target.path for o in changes])
        records = []
        for outcome in changes:
            if checksum(self.files.get(outcome.target.path) or b"") != outcome.expected and outcome.plan.exists:
                outcome.fail(FleetError("changed meanwhile", kind="conflict"))
                continue
            self.files[outcome.target.path] = outcome.plan.new_bytes
            outcome.written_checksum = checksum(outcome.plan.new_bytes)
            records.append(workflow.ledger_record(outcome, None, outcome.written_checksum))
        if not records:
            return workflow.Committed()
        self.entries.insert(0, dict(entry, files=records, _name=entry["run"] + ".json"))
        return workflow.Committed(ledger_path=state_dir + "/runs/" + entry["run"] + ".json")

    def ledger(self, state_dir, count):
        return self.entries[:count]

    def checksums(self, paths):
        return {p: checksum(self.files[p]) if p in self.files else "absent" for p in paths}

    def undo(self, state_dir, entries, steps, check_mode):
        for step in steps:
            if step.action == "delete" and not check_mode:
                del self.files[step.path]
        return [], []


def path(user):
    return posixpath.join(ROOT, user, *V9)


def run(desk, check_mode=False, **overrides):
    opts = options(**overrides)
    names = topology.Names(prefix="desktop_")
    return workflow.configure(desk, workflow.pairs("d1", opts, names), opts, check_mode, names=names)


def test_an_unreadable_profile_stops_the_desk_and_names_the_variable():
    desk = MemoryDesk({"kim": (True, "", ""), "bob": (False, "access", "Access is denied")}, {path("kim"): VENDOR})
    result = run(desk)
    assert result["status"] == "failed" and desk.commits == []
    assert "Add it to desktop_skip_profiles" in result["error"], "one message, naming what the user sets"


def test_a_refused_profile_link_fails_that_profile_alone_and_the_others_are_written():
    desk = MemoryDesk({"kim": (True, "", ""), "bob": (False, "unsafe_link", "a link to /etc owned by bob")},
                      {path("kim"): VENDOR, path("bob"): VENDOR})
    result = run(desk)
    assert result["status"] == "failed" and result["error_kind"] == "unsafe_link"
    assert desk.commits == [[path("kim")]], "bob's profile is neither read nor written"
    assert "profile bob: a link to /etc owned by bob (error_kind unsafe_link); nothing in it was read or written" \
        in result["error"]


def test_a_missing_profile_is_only_reported():
    desk = MemoryDesk({"kim": (True, "", ""), "ghost": (False, "missing", "no such profile folder")},
                      {path("kim"): VENDOR})
    result = run(desk)
    assert result["status"] == "changed", result["msg"]


@pytest.mark.parametrize("kind, stops_the_desk", [("unsafe_link", False), ("access", True), ("io", True)])
def test_a_search_problem_fails_the_profile_for_a_link_and_the_desk_otherwise(kind, stops_the_desk):
    problem = (posixpath.join(ROOT, "bob"), FleetError("a folder of bob's search", kind=kind))
    desk = MemoryDesk({"kim": (True, "", ""), "bob": (True, "", "")}, {path("kim"): VENDOR, path("bob"): VENDOR},
                      [problem])
    result = run(desk)
    assert result["status"] == "failed"
    assert desk.commits == ([] if stops_the_desk else [[path("kim")]])


def test_check_mode_commits_nothing_and_says_drifted():
    desk = MemoryDesk({"kim": (True, "", "")}, {path("kim"): VENDOR})
    result = run(desk, check_mode=True)
    assert result["status"] == "drifted" and desk.commits == [] and not result["restart_pending"]


def test_a_file_validated_in_an_earlier_round_trip_is_written_only_while_it_holds_those_bytes():
    desk = MemoryDesk({"kim": (True, "", "")}, {path("kim"): VENDOR})
    opts = options()
    result = workflow.configure(desk, workflow.pairs("d1", opts, topology.Names()), opts, False,
                                expected={path("kim"): "0" * 40})
    assert result["status"] == "failed" and result["files"][0]["error_kind"] == "conflict"
    assert desk.files[path("kim")] == VENDOR


def test_before_commit_can_fail_a_file_and_it_is_not_written():
    desk = MemoryDesk({"kim": (True, "", ""), "ann": (True, "", "")}, {path("kim"): VENDOR, path("ann"): VENDOR})

    def refuse_kim(outcomes):
        for outcome in outcomes:
            if "/kim/" in outcome.target.path:
                outcome.fail(FleetError("not by the schema", kind="schema"))

    opts = options()
    result = workflow.configure(desk, workflow.pairs("d1", opts, topology.Names()), opts, False,
                                before_commit=refuse_kim)
    assert desk.commits == [[path("ann")]] and result["status"] == "failed"


def test_a_second_run_changes_nothing_and_a_rollback_of_a_created_file_deletes_it():
    desk = MemoryDesk({"kim": (True, "", "")}, {path("kim"): VENDOR})
    assert run(desk)["status"] == "changed"
    assert run(desk)["status"] == "compliant" and desk.commits == [[path("kim")], []], "nothing to write"
    assert len(desk.entries) == 1, "a run that wrote nothing leaves no ledger entry"
    written = json.loads(desk.files[path("kim")])
    assert written["server"]["url"] == URL + "/api"
    desk.entries[0]["files"][0]["existed"] = False
    rolled = workflow.roll_back(desk, "d1", options(rollback_runs=1), False)
    assert rolled["files"][0]["action"] == "delete" and path("kim") not in desk.files


def test_every_desk_implements_the_whole_interface():
    from ansible_collections.ioconnect.fleet.plugins.plugin_utils.windows_desk import WindowsDesk

    calls = [n for n, f in inspect.getmembers(workflow.Desk, inspect.isfunction) if not n.startswith("_")]
    assert sorted(calls) == ["checksums", "commit", "ledger", "read", "scan", "undo"]
    for implementation in (PosixDesk, WindowsDesk):
        for call in calls:
            mine = getattr(implementation, call)
            assert mine is not getattr(workflow.Desk, call), (implementation.__name__, call)
            assert list(inspect.signature(mine).parameters) == list(
                inspect.signature(getattr(workflow.Desk, call)).parameters), (implementation.__name__, call)


def test_the_ledger_record_is_the_same_on_both_platforms():
    desk = MemoryDesk({"kim": (True, "", "")}, {path("kim"): VENDOR})
    run(desk)
    record = desk.entries[0]["files"][0]
    assert set(record) == {"path", "shown", "existed", "backup_file", "sha1_before", "sha1_after", "profile",
                           "product", "kind", "root"}
    step = ledger.plan_rollback(desk.entries, {path("kim"): record["sha1_after"]})[0]
    assert step.action == "fail" and step.kind == "missing", "no backup was kept, so it cannot be restored"
    assert step.as_result()["error_kind"] == "missing"
