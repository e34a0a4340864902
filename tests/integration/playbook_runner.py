# -*- coding: utf-8 -*-
"""Run real ansible-playbook processes against localhost from pytest, and read their results.

Results come from the ansible.posix.json stdout callback, so tests assert on what users' tooling sees.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


WINDESK = os.path.join(REPO, "tests", "windesk")


def collections_path() -> str:
    """A collections path holding this work tree as ioconnect.fleet (the Makefile's, or one made here), and the
    test-only collection of emulated Windows desks (ioconnect_test.windesk)."""
    given = os.environ.get("ANSIBLE_COLLECTIONS_PATH")
    if given and os.path.isdir(os.path.join(given.split(":")[0], "ansible_collections", "ioconnect", "fleet")):
        return given if WINDESK in given.split(":") else given + ":" + WINDESK
    root = os.path.join(tempfile.gettempdir(), "ioconnect-fleet-tests-collections")
    link = os.path.join(root, "ansible_collections", "ioconnect", "fleet")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.islink(link):
        os.symlink(REPO, link)
    return root + ":" + WINDESK


def ansible_env(**extra) -> dict:
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": collections_path(),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_HOST_KEY_CHECKING": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "PATH": BIN + os.pathsep + env.get("PATH", ""),
    })
    env.update(extra)
    return env


class Run:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        try:
            self.data = json.loads(proc.stdout[proc.stdout.index("{"):])
        except ValueError:
            self.data = None

    def results(self, name=None) -> list:
        """Task results for localhost, in order; only tasks with that name when given."""
        out = []
        for play in (self.data or {}).get("plays", []):
            for task in play["tasks"]:
                if name is None or task["task"]["name"] == name:
                    out.append(task["hosts"]["localhost"])
        return out

    def result(self, name):
        found = self.results(name)
        assert len(found) == 1, "task %r ran %d times\n%s\n%s" % (name, len(found), self.stdout[-3000:],
                                                                  self.stderr[-3000:])
        return found[0]


def run_tasks(tasks, tmp_path, args=(), check=False, diff=False, env=None, gather=False) -> Run:
    """Run a play of the given tasks on localhost (local connection, this interpreter)."""
    play = [{"name": "test", "hosts": "localhost", "gather_facts": gather, "tasks": tasks}]
    playbook = os.path.join(str(tmp_path), "play-%d.yml" % len(os.listdir(str(tmp_path))))
    with open(playbook, "w", encoding="utf-8") as handle:
        yaml.safe_dump(play, handle, sort_keys=False)
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
           "-e", "ansible_python_interpreter=%s" % sys.executable, playbook]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    cmd.extend(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ansible_env(**(env or {})), timeout=600,
                          check=False)
    return Run(proc)
