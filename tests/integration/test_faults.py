# -*- coding: utf-8 -*-
"""Faults and bad input, through real ansible-playbook runs of ioconnect.fleet.system_json on localhost.

The promise under test (docs/reliability.md): whatever is thrown at it, a desk's file ends up either exactly the
correct new file or byte-identical to the old one, and a failure says clearly which file and what is wrong,
without a traceback.

Most cases (tests/integration/faults/cases.py) share two playbook runs: one in check mode, one real. Huge files,
concurrent edits and interrupted runs have their own runs.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
import yaml

from faults.cases import BASE, CASES, CHECK_MODE_IDS, SERVER, URL, snapshot, stray_files, with_server
from playbook_runner import BIN, ansible_env, run_tasks

CASE_BY_ID = {case.id: case for case in CASES}


def system_json_task(name, path, **args):
    return {"name": name, "ioconnect.fleet.system_json": dict(path=str(path), **args), "ignore_errors": True}


def assert_no_traceback(result):
    text = json.dumps(result)
    # ansible-core 2.19 puts "(traceback unavailable)" in every fail_json result; a real one holds "Traceback".
    assert "Traceback" not in text, "a traceback escaped:\n%s" % text[:3000]
    assert result.get("exception", "(traceback unavailable)") == "(traceback unavailable)", text[:3000]
    assert "MODULE FAILURE" not in result.get("msg", ""), text[:3000]


class Batch:
    """The cases laid out under one root, run by one playbook; snapshots taken before the faults are undone."""

    def __init__(self, root, cases, check):
        self.root = str(root)
        self.cases = [_fresh(case) for case in cases]
        self.before, self.after, self.strays, self.results = {}, {}, {}, {}
        try:
            for case in self.cases:
                case.prepare(self.root)
                self.before[case.id] = snapshot(case.path(self.root))
            runnable = [c for c in self.cases if c.unavailable is None]
            tasks = [system_json_task(c.id, c.path(self.root), **dict({"backup": True}, **c.args)) for c in runnable]
            self.run = run_tasks(tasks, self.root, check=check, diff=True)
            for case in runnable:
                self.results[case.id] = self.run.result(case.id)
                self.after[case.id] = snapshot(case.path(self.root))
                self.strays[case.id] = stray_files(os.path.join(self.root, case.id))
        finally:
            for case in self.cases:
                case.cleanup(self.root)

    def case(self, cid):
        return _by_id(self.cases, cid)


def _by_id(cases, cid):
    return next(c for c in cases if c.id == cid)


def _fresh(case):
    clone = object.__new__(type(case))
    clone.__dict__.update(case.__dict__)
    clone.unavailable = None
    return clone


@pytest.fixture(scope="session")
def check_batch(tmp_path_factory):
    return Batch(tmp_path_factory.mktemp("faults-check"), [CASE_BY_ID[i] for i in CHECK_MODE_IDS], check=True)


@pytest.fixture(scope="session")
def real_batch(tmp_path_factory, check_batch):  # check_batch first: no two runs mount at once
    return Batch(tmp_path_factory.mktemp("faults-real"), list(CASES), check=False)


@pytest.mark.parametrize("cid", [case.id for case in CASES])
def test_fault_case(real_batch, cid):
    case = real_batch.case(cid)
    if case.unavailable:
        pytest.skip(case.unavailable)
    result = real_batch.results[cid]
    path = case.path(real_batch.root)
    assert_no_traceback(result)
    if case.expect == "unchanged":
        assert result.get("failed") is True, result
        assert result.get("error_kind") in case.kinds, result
        assert result.get("changed") is False
        assert path in result["msg"], "the message names the desk's file: %s" % result["msg"]
        for pattern in case.msg_has:
            assert re.search(pattern, result["msg"]), "%r not in %r" % (pattern, result["msg"])
        assert real_batch.after[cid] == real_batch.before[cid], "the desk's file must be byte-identical"
        assert real_batch.strays[cid] == [], "nothing left beside the file (temp files, backups)"
        assert "backup_file" not in result
    else:
        assert not result.get("failed"), result
        assert result["changed"] is True
        case.check(os.path.join(real_batch.root, cid), path, result)
        backup = result.get("backup_file")
        beside = backup and os.path.dirname(backup) == os.path.dirname(path)
        expected_strays = [os.path.basename(backup)] if beside else []
        assert real_batch.strays[cid] == expected_strays, "only the backup is left beside the file"
        if real_batch.before[cid] and real_batch.before[cid][0] == "file":
            assert backup and open(backup, "rb").read() == real_batch.before[cid][1], "the backup is the old file"


@pytest.mark.parametrize("cid", CHECK_MODE_IDS)
def test_check_mode_never_writes(check_batch, real_batch, cid):
    case = check_batch.case(cid)
    if case.unavailable:
        pytest.skip(case.unavailable)
    result = check_batch.results[cid]
    assert_no_traceback(result)
    assert not result.get("failed"), result
    assert check_batch.after[cid] == check_batch.before[cid], "check mode wrote to the desk's file"
    assert check_batch.strays[cid] == [], "check mode left files (or a backup) beside the file"
    assert result["changed"] is True and "backup_file" not in result
    if cid in real_batch.results and not real_batch.results[cid].get("failed"):
        assert result["drift"] == real_batch.results[cid]["drift"], "check mode reports what a real run changes"


def test_suite_has_at_least_30_cases():
    assert len(CASES) >= 30


# -- huge files -----------------------------------------------------------------------------------------------
def _huge_doc(target_bytes):
    stores = []
    doc = dict(BASE)
    doc["appStores"] = stores
    size, n = 0, 0
    while size < target_bytes:
        store = {"type": "path", "details": {"path": "./config/apps/team-%06d" % n},
                 "isRequired": False, "description": "Büro %d – \u6771\u4eac" % n, "tags": ["a", "b", n]}
        stores.append(store)
        size += 170
        n += 1
    return doc


def test_huge_file_is_merged_correctly(tmp_path, record_property):
    doc = _huge_doc(10 * 1024 * 1024)  # ~20 MB of JSON once indented
    desk = tmp_path / "desk"
    desk.mkdir()
    path = desk / "system.json"
    original = (json.dumps(doc, indent=4, ensure_ascii=False) + "\n").encode("utf-8")
    path.write_bytes(original)
    assert len(original) > 18 * 1024 * 1024
    crash = {"output": {"type": "server", "serverUrl": URL + "/crashes"}}
    started = time.monotonic()
    run = run_tasks([
        system_json_task("apply", path, server=SERVER, settings={"crashReporter2": crash}, backup=True),
        system_json_task("again", path, server=SERVER, settings={"crashReporter2": crash}),
    ], tmp_path)
    elapsed = time.monotonic() - started
    record_property("huge_file_mb", round(len(original) / 1e6, 1))
    record_property("huge_file_two_runs_seconds", round(elapsed, 1))
    print("huge file: %.1f MB, two tasks in %.1f s" % (len(original) / 1e6, elapsed))
    first, second = run.result("apply"), run.result("again")
    assert_no_traceback(first)
    assert first["changed"] is True and second["changed"] is False, (first.get("msg"), second.get("msg"))
    expected = with_server(doc)
    expected["crashReporter2"] = crash
    data = path.read_bytes()
    assert json.loads(data) == expected
    assert data[:-2].startswith(original[:-3]), "everything before the appended keys keeps its bytes"
    assert open(first["backup_file"], "rb").read() == original
    os.unlink(first["backup_file"])
    assert stray_files(str(desk)) == []


# -- concurrent edits on the controller-merge path --------------------------------------------------------------
RACE_ACTION = '''
from ansible_collections.ioconnect.fleet.plugins.action.system_json import ActionModule as _Real


class ActionModule(_Real):
    """system_json, but another writer replaces the desk's file after the plan and before the write."""

    def run(self, tmp=None, task_vars=None):
        self._task.args = dict(self._task.args)
        self._race = self._task.args.pop("race_content")
        return super().run(tmp, task_vars)

    def _read_and_plan(self, read, module_args, validator, newline="\\n"):
        planned = super()._read_and_plan(read, module_args, validator, newline)
        with open(module_args["path"], "wb") as handle:
            handle.write(self._race.encode("utf-8"))
        return planned
'''

PERMISSIVE_SCHEMA = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}


def test_concurrent_edit_between_plan_and_write_is_detected(tmp_path):
    """validate_with reads the desk, merges and validates here, then writes with expected_checksum: a file changed in
    between must fail with error_kind=conflict and keep the other writer's content."""
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "system.json").write_text(json.dumps(PERMISSIVE_SCHEMA))
    (tmp_path / "action_plugins").mkdir()
    (tmp_path / "action_plugins" / "system_json_race.py").write_text(RACE_ACTION)
    path = tmp_path / "system.json"
    original = (json.dumps(BASE, indent=4) + "\n").encode()
    path.write_bytes(original)
    other = json.dumps(dict(BASE, env="UAT"), indent=2) + "\n"
    run = run_tasks([
        {"name": "race", "system_json_race": {"path": str(path), "server": SERVER, "validate_with": str(schemas),
                                              "backup": True, "race_content": other},
         "ignore_errors": True},
        system_json_task("no race", path, server=SERVER, validate_with=str(schemas)),
    ], tmp_path, env={"ANSIBLE_ACTION_PLUGINS": str(tmp_path / "action_plugins")})
    raced = run.result("race")
    assert_no_traceback(raced)
    assert raced.get("failed") is True and raced.get("error_kind") == "conflict", raced
    assert str(path) in raced["msg"] and "changed" in raced["msg"]
    # The second task (no interference) then merges into the other writer's content, not the stale plan.
    calm = run.result("no race")
    assert calm["changed"] is True, calm
    assert json.loads(path.read_bytes()) == with_server(dict(BASE, env="UAT"))
    assert [n for n in os.listdir(tmp_path) if n.startswith(".system.json")] == []


def test_concurrent_writer_never_loses_a_version(tmp_path):
    """A background writer keeps rewriting the file while validate_with runs apply: every run either merged into
    what it read (conflict otherwise), and the file is always one whole version, never a mix."""
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "system.json").write_text(json.dumps(PERMISSIVE_SCHEMA))
    path = tmp_path / "system.json"
    versions = [(json.dumps(dict(BASE, env="E%d" % i), indent=4) + "\n").encode() for i in range(40)]
    path.write_bytes(versions[0])
    stop = threading.Event()
    seen_bad = []

    def writer():
        i = 0
        while not stop.is_set():
            i = (i + 1) % len(versions)
            tmp = str(path) + ".writer"
            with open(tmp, "wb") as handle:
                handle.write(versions[i])
            os.replace(tmp, path)
            try:
                json.loads(path.read_bytes())
            except ValueError:
                seen_bad.append(i)
            time.sleep(0.002)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        run = run_tasks([system_json_task("apply %d" % n, path, server=SERVER, validate_with=str(schemas))
                         for n in range(6)], tmp_path)
    finally:
        stop.set()
        thread.join()
    kinds = []
    for n in range(6):
        result = run.result("apply %d" % n)
        assert_no_traceback(result)
        if result.get("failed"):
            assert result["error_kind"] == "conflict", result
        kinds.append(result.get("error_kind", "ok"))
    print("runs under a concurrent writer:", kinds)
    final = json.loads(path.read_bytes())
    assert final in [json.loads(v) for v in versions] + [with_server(json.loads(v)) for v in versions]
    assert not seen_bad


def _module_rss_mb():
    """Largest resident size (MB) of a running system_json module process (AnsiballZ_system_json), or 0."""
    best = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/cmdline" % entry, "rb") as handle:
                    if b"AnsiballZ_system_json" not in handle.read():
                        continue
                with open("/proc/%s/status" % entry) as handle:
                    for line in handle:
                        if line.startswith("VmRSS:"):
                            best = max(best, int(line.split()[1]) // 1024)
            except OSError:
                continue
    return best


def test_concurrent_edit_during_a_plain_run_is_not_overwritten(tmp_path):
    """Without validate_with the module reads, merges and writes on the desk. Merging a ~20 MB file takes seconds:
    another writer that saves the file meanwhile must not be overwritten with a merge of the stale content."""
    desk = tmp_path / "desk"
    desk.mkdir()
    path = desk / "system.json"
    doc = _huge_doc(10 * 1024 * 1024)
    original = (json.dumps(doc, indent=4, ensure_ascii=False) + "\n").encode()
    path.write_bytes(original)
    theirs = json.dumps(dict(BASE, env="UAT"), indent=4).encode() + b"\n"
    written = threading.Event()

    def other_writer():
        deadline = time.monotonic() + 120
        # A module holding 150 MB has read the ~20 MB file and is parsing or merging it: save now.
        while _module_rss_mb() < 150 and time.monotonic() < deadline:
            time.sleep(0.01)
        tmp = str(path) + ".editor"
        with open(tmp, "wb") as handle:
            handle.write(theirs)
        os.replace(tmp, path)
        written.set()

    thread = threading.Thread(target=other_writer, daemon=True)
    thread.start()
    run = run_tasks([system_json_task("apply", path, server=SERVER, backup=True)], tmp_path)
    thread.join(timeout=130)
    assert written.is_set()
    result = run.result("apply")
    assert_no_traceback(result)
    data = path.read_bytes()
    print("plain run under a concurrent save:", result.get("error_kind", "merged on top of it"))
    assert json.loads(data) != with_server(doc), "the other writer's save was overwritten by a stale merge"
    if result.get("failed"):
        assert result["error_kind"] == "conflict" and str(path) in result["msg"], result
        assert data == theirs, "the other writer's content is kept"
    else:  # the other writer was faster than the module's read: the merge is on top of its content
        assert json.loads(data) == with_server(json.loads(theirs))
    assert [n for n in os.listdir(desk) if n != "system.json" and not n.endswith("~")] == []


# -- interrupted runs -------------------------------------------------------------------------------------------
def _playbook(tmp_path, path, url):
    play = [{"name": "interrupt", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"ioconnect.fleet.system_json": {"path": str(path), "server": {"enabled": True, "url": url}}}]}]
    playbook = tmp_path / ("play-%s.yml" % base64.urlsafe_b64encode(url.encode()).decode()[-12:])
    playbook.write_text(yaml.safe_dump(play))
    return str(playbook)


def _tree(pid):
    """pid and all its descendants, from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except OSError:
                continue
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _session_alive(sid):
    """Whether any live process is still in session sid (an orphaned worker may start the module late)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != "Z":
                return True
    return False


def test_interrupted_runs_leave_old_or_new_file(tmp_path):
    """kill -9 at random moments on a ~8 MB file, many times: on even runs the whole process tree (the module dies
    mid-write), on odd runs ansible-playbook alone (the module, orphaned, finishes on its own). After every kill
    the file parses and is the old or the new file, nothing in between."""
    desk = tmp_path / "desk"
    desk.mkdir()
    path = desk / "system.json"
    doc = _huge_doc(3 * 1024 * 1024)  # ~7 MB of JSON once indented
    path.write_bytes((json.dumps(doc, indent=4, ensure_ascii=False) + "\n").encode())
    rng = random.Random(5)
    env = ansible_env()

    def command(url):
        return [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", "-e",
                "ansible_python_interpreter=%s" % sys.executable, _playbook(tmp_path, path, url)]

    started = time.monotonic()
    subprocess.run(command(URL + "/0"), env=env, capture_output=True, check=True, timeout=300)
    full = time.monotonic() - started
    outcomes = {"old": 0, "new": 0}
    for n in range(1, 15):
        old = path.read_bytes()
        url = URL + "/%d" % n
        proc = subprocess.Popen(command(url), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        time.sleep(rng.uniform(full * 0.5, full * 1.05))
        victims = _tree(proc.pid) if n % 2 == 0 else [proc.pid]
        others = [p for p in _tree(proc.pid) if p not in victims]
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait()
        deadline = time.monotonic() + 120
        # Every process of the run's session, not only those seen before the kill: under load a worker forked
        # after the snapshot can still start the module, whose write would otherwise land in the next round.
        while (any(_alive(p) for p in others) or _session_alive(proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        data = path.read_bytes()
        value = json.loads(data)  # must always parse
        expected_new = dict(json.loads(old))
        expected_new["server"] = {"enabled": True, "url": url}
        if data == old:
            outcomes["old"] += 1
        else:
            assert value == expected_new, "run %d left something that is neither the old nor the new file" % n
            outcomes["new"] += 1
    leftovers = sorted(os.listdir(desk))
    print("interrupted runs: %s; uninterrupted run %.1f s; left in the folder: %s" % (outcomes, full, leftovers))
    unexpected = [n for n in leftovers if n != "system.json" and not re.match(r"^\.system\.json\..*\.tmp$", n)]
    assert unexpected == [], "only the module's own .system.json.*.tmp may survive a kill -9"
