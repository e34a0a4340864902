# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark instrumentation: where a worker spends its time on one desk (profiling runs only, never timed runs).

Loaded in ansible-playbook's main process before workers fork, it wraps, on the classes the workers inherit:
TaskExecutor.run (the whole worker-side task), ActionBase._configure_module (building the AnsiballZ payload),
ActionBase._low_level_execute_command (every round trip to the desk) and ssh Connection.put_file (transfers).
Each call appends "<what> <pid> <seconds> <bytes>" to $BENCH_PROFILE_LOG.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: bench_worker_profile
type: aggregate
short_description: Time the parts of a worker's task (benchmarks only)
description:
  - Writes one line per timed call to the file named by E(BENCH_PROFILE_LOG).
"""

import functools
import os
import time

from ansible.executor.task_executor import TaskExecutor
from ansible.plugins.action import ActionBase
from ansible.plugins.callback import CallbackBase


def _log(line: str):
    target = os.environ.get("BENCH_PROFILE_LOG")
    if target:
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
        finally:
            os.close(fd)


def _timed(owner, name, what, size=None):
    original = getattr(owner, name)
    if getattr(original, "_bench_timed", False):
        return

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            _log("%s %d %.6f %d" % (what, os.getpid(), time.perf_counter() - start, size(args, kwargs) if size else 0))

    wrapper._bench_timed = True
    setattr(owner, name, wrapper)


def _in_data_size(args, kwargs):
    data = kwargs.get("in_data")
    return len(data) if data else 0


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_worker_profile"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from ansible.plugins.connection.ssh import Connection
        _timed(TaskExecutor, "run", "task")
        _timed(ActionBase, "_configure_module", "configure_module")
        _timed(ActionBase, "_low_level_execute_command", "round_trip", _in_data_size)
        _timed(Connection, "put_file", "transfer")
