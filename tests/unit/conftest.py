# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures every action test uses, in the manner of ansible.windows' tests/unit/conftest.py: a Task, a connection
and an action plugin from the real plugin loader, run in-process.

The difference: no mock stands in for the desk. A Windows desk is the wire-level emulator of tests/windesk (the test
collection ioconnect_test.windesk, on ANSIBLE_COLLECTIONS_PATH through the Makefile), behind ansible-core's real
PowerShell shell plugin, so every module execution an action makes is real payload, decoded and answered as the
ansible.windows module would, and logged. A POSIX desk is the local connection, running the real module.
"""

from __future__ import annotations

import sys

import pytest

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins import loader as plugin_loader_module
from ansible.plugins.loader import action_loader, connection_loader, init_plugin_loader
from ansible.template import Templar


@pytest.fixture(scope="session", autouse=True)
def plugin_loader():
    init_plugin_loader()


class ActionRunner:
    """Runs an action plugin of the collection against one desk, as ansible-playbook's worker would."""

    def __init__(self, connection, task_vars: dict):
        self.connection = connection
        self.task_vars = task_vars
        self.commands = []

    def __call__(self, name: str, args: dict, check_mode: bool = False, diff: bool = False, task_vars=None) -> dict:
        task = Task()
        task.action = name
        task.args = dict(args)
        task.check_mode = check_mode
        task.diff = diff
        loader = DataLoader()
        action = action_loader.get(name, task=task, connection=self.connection, play_context=PlayContext(),
                                   loader=loader, templar=Templar(loader=loader),
                                   # what the worker passes: ansible-core before 2.19 reads module_loader from it
                                   shared_loader_obj=plugin_loader_module)
        return action.run(task_vars=dict(self.task_vars, **(task_vars or {})))


@pytest.fixture
def windows_desk(tmp_path):
    """An emulated Windows desk: tmp_path/desk/fs is its C: drive, its connecting account svc_fleet."""
    # Imported here: pytest-ansible puts the collections on the import path after conftest files are loaded.
    from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.builder import Desk
    return Desk(str(tmp_path / "desk"))


@pytest.fixture
def on_windows(windows_desk):
    connection = connection_loader.get("ioconnect_test.windesk.desk", PlayContext())
    connection.set_options(var_options={"ansible_windesk_root": windows_desk.root, "ansible_user": "svc_fleet"})
    return ActionRunner(connection, {"inventory_hostname": "win-desk-01"})


@pytest.fixture
def on_posix():
    """This machine as a POSIX desk, over ansible.builtin.local with pipelining (as ansible.cfg sets it), every
    command it runs kept in ``on_posix.commands``: a round trip is one command."""
    connection = connection_loader.get("ansible.builtin.local", PlayContext())
    connection.set_options(var_options={"ansible_pipelining": True})
    runner = ActionRunner(connection, {"inventory_hostname": "posix-desk-01",
                                       "ansible_python_interpreter": sys.executable})
    real = connection.exec_command

    def exec_command(cmd, *args, **kwargs):
        runner.commands.append(cmd)
        return real(cmd, *args, **kwargs)

    connection.exec_command = exec_command
    return runner
