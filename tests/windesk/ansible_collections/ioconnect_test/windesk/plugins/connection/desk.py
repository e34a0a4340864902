# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Windows desk emulated at the connection, for tests only (never shipped: tests/ is outside the built collection).

The rest of Ansible is real: ansible-core's PowerShell shell plugin builds every command, the action plugins
(ioconnect.fleet's, ansible.windows.win_copy's, ...) run as they would against a desk, and this plugin receives
exactly what a WinRM or PSRP connection would carry: exec_command with the module payload (bootstrap wrapper +
exec manifest), put_file and fetch_file. It answers as the ansible.windows modules would, from their .ps1 sources
(plugin_utils/modules/*.py, one per module, each citing what it follows), on a desk that is a folder of this machine
(plugin_utils/desk_fs.py).

Every remote operation is appended, one JSON line, to the desk's operation log (``<desk>/operations.jsonl``), so
tests count what a task costs a desk: ``module`` (one module execution, one round trip), the shell's ``mkdtemp``,
``expand_user`` and ``remove``, ``put_file``/``fetch_file``, and, after the module that made them, the WMI queries a
module makes on the desk (``wmi_query``: win_find's Win32_Share query per matched folder), which cost no round trip
but a WMI call each.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: desk
short_description: An emulated Windows desk (tests only)
description:
  - Answers ansible-core's PowerShell payloads the way ansible.windows modules would, on a folder of this machine.
author:
  - ioconnect.fleet maintainers (@ioconnect)
options:
  desk_root:
    description: The folder holding the desk (fs/ and desk.json).
    type: str
    required: true
    vars:
      - name: ansible_windesk_root
  remote_user:
    description: The connecting account (overridden by desk.json's account).
    type: str
    default: Administrator
    vars:
      - name: ansible_user
  operation_log:
    description: Where each remote operation is logged. Empty means <desk_root>/operations.jsonl.
    type: str
    default: ''
    vars:
      - name: ansible_windesk_log
"""

import importlib
import itertools
import json
import ntpath
import os
import shutil

from ansible.errors import AnsibleError, AnsibleFileNotFound
from ansible.plugins.connection import ConnectionBase

from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils import wire
from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.basic import Context, ModuleExit, unhandled
from ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.desk_fs import DeskFS, DotNetError

MODULES = ("slurp", "win_stat", "win_find", "win_copy", "win_file", "win_ping", "win_powershell", "win_shortcut")
_PIDS = itertools.count(4100, 13)


def _load(name):
    return importlib.import_module("ansible_collections.ioconnect_test.windesk.plugins.plugin_utils.modules." + name)


def _logged_args(args: dict) -> dict:
    """The module's arguments, without Ansible's own, with long values (file contents, scripts) cut."""
    def cut(value):
        if isinstance(value, str) and len(value) > 200:
            return value[:60] + "...(%d characters)" % len(value)
        if isinstance(value, dict):
            return {k: cut(v) for k, v in value.items()}
        if isinstance(value, list):
            return [cut(v) for v in value]
        return value
    return {k: cut(v) for k, v in args.items() if not k.startswith("_ansible_")}


class Connection(ConnectionBase):
    transport = "ioconnect_test.windesk.desk"
    module_implementation_preferences = (".ps1", ".exe", "")
    allow_executable = False
    has_pipelining = True
    allow_extras = True

    def __init__(self, *args, **kwargs):
        # As the winrm and psrp connections do: every module is pipelined, and the shell is PowerShell.
        self.always_pipeline_modules = True
        self.has_native_async = True
        self._shell_type = "powershell"
        super().__init__(*args, **kwargs)
        self._fs = None

    # -- the desk ----------------------------------------------------------------------------------------------
    @property
    def desk(self) -> DeskFS:
        if self._fs is None:
            self._fs = DeskFS(self.get_option("desk_root"), self.get_option("remote_user") or "")
        return self._fs

    def _log(self, entry: dict) -> None:
        path = self.get_option("operation_log") or os.path.join(self.get_option("desk_root"), "operations.jsonl")
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")

    def _connect(self):
        if not os.path.isdir(os.path.join(self.get_option("desk_root"), "fs")):
            raise AnsibleError("emulated desk %s has no fs/ folder" % self.get_option("desk_root"))
        self._connected = True
        return self

    def close(self):
        self._connected = False
        self._fs = None

    # -- what ansible-core sends ---------------------------------------------------------------------------------
    def exec_command(self, cmd, in_data=None, sudoable=True):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        self._fs = None  # each command is a new PowerShell process: desk.json is read again
        command = wire.decode(cmd, in_data)
        if command.kind == "module":
            name = command.script.rsplit(".", 2)[-2]
            self._log({"op": "module", "module": name, "args": _logged_args(command.args)})
            return self._module(name, command)
        if command.kind == "mkdtemp":
            self._log({"op": "mkdtemp", "directory": command.directory})
            # powershell_mkdtemp.ps1: New-Item -Path ExpandEnvironmentVariables(Directory) -Name Name -ItemType Directory
            path = ntpath.join(self.desk.expand(command.directory), command.name)
            self.desk.create_directory(path)
            return 0, (self.desk.actual(path) + "\r\n").encode("utf-8"), b""
        if command.kind == "expand_user":
            self._log({"op": "expand_user", "path": command.path})
            # powershell_expand_user.ps1: ~ is the account's profile, ~\x below it, anything else unchanged
            profile = self.desk.env["USERPROFILE"]
            path = command.path
            out = profile if path == "~" else ntpath.join(profile, path[2:]) if path.startswith("~\\") else path
            return 0, (out + "\r\n").encode("utf-8"), b""
        if command.kind == "remove":
            self._log({"op": "remove", "path": command.path})
            host = self.desk.host(command.path)
            if os.path.isdir(host) and not os.path.islink(host):
                shutil.rmtree(host)
            elif os.path.lexists(host):
                os.unlink(host)
            return 0, b"", b""
        self._log({"op": "unknown", "detail": command.detail})
        return 1, b"", ("the emulated desk does not answer this command: %s" % command.detail).encode("utf-8")

    def _module(self, name, command):
        if name not in MODULES:
            result = {"failed": True, "msg": "the emulated desk has no module %s (it emulates %s)"
                      % (name, ", ".join(MODULES))}
            return 1, json.dumps(result).encode("utf-8"), b""
        ctx = Context(self.desk, command.args, next(_PIDS))
        try:
            result = _load(name).run(ctx)
        except ModuleExit as exc:
            result = exc.result
        except DotNetError as exc:
            # An exception the module did not catch: ansible-core's module wrapper answers (basic.unhandled).
            result = unhandled(exc)
        except Exception as exc:  # pylint: disable=broad-except
            for event in ctx.events:
                self._log(dict(event, op="event"))
            if type(exc).__name__ == "Crash":
                # The process died: nothing is printed, the connection sees a non-zero exit.
                self._log_events(ctx)
                return 1, b"", str(exc).encode("utf-8")
            raise
        self._log_events(ctx)
        return (1 if result.get("failed") else 0), json.dumps(result).encode("utf-8"), b""

    def _log_events(self, ctx):
        """What happened besides the module's own execution: WMI queries (op wmi_query) and what the hostile user
        planted meanwhile (op event)."""
        for event in ctx.events:
            self._log(dict({"op": "event"}, **event))

    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        out_path = self._shell._unquote(out_path)
        self._log({"op": "put_file", "path": out_path})
        if not os.path.exists(in_path):
            raise AnsibleFileNotFound('file or module does not exist: "%s"' % in_path)
        with open(in_path, "rb") as handle:
            data = handle.read()
        try:
            # winrm_put_file.ps1: [File]::Create($Path): the folder must exist
            self.desk.write_bytes(out_path, data)
        except DotNetError as exc:
            raise AnsibleError('Exception calling "Create" with "1" argument(s): "%s"' % exc.message)

    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        in_path = self._shell._unquote(in_path)
        self._log({"op": "fetch_file", "path": in_path})
        try:
            data = self.desk.read_bytes(in_path)
        except DotNetError as exc:
            raise AnsibleError('failed to transfer file to "%s": %s' % (out_path, exc.message))
        with open(out_path, "wb") as handle:
            handle.write(data)
