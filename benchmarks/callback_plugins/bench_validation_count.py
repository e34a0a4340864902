# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark instrumentation: counts system_json's controller-side request validations in one playbook run.

Loaded in ansible-playbook's main process before any worker is forked, it wraps
plugins/plugin_utils/validation.py's validate_request (every desk calls it) and format_errors (reached only when
jsonschema actually validates, i.e. the run's cache had no marker for that request). Workers inherit the wrappers
through fork(); each call appends one line to $BENCH_VALIDATION_LOG (O_APPEND, so lines from forks do not mix).
At the end of the run it also counts the marker files in the run's local temp cache, before ansible removes it.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: bench_validation_count
type: aggregate
short_description: Count system_json request validations (benchmarks only)
description:
  - Writes C(call), C(validated) and C(markers) lines to the file named by E(BENCH_VALIDATION_LOG).
"""

import hashlib
import json
import os

from ansible import constants as C
from ansible.plugins.callback import CallbackBase


def _log(line: str):
    target = os.environ.get("BENCH_VALIDATION_LOG")
    if not target:
        return
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
    finally:
        os.close(fd)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_validation_count"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        try:
            from ansible_collections.ioconnect.fleet.plugins.plugin_utils import validation
        except ImportError:  # the collection is not on the path: nothing to count
            self._validation = None
            return
        self._validation = validation
        if getattr(validation.validate_request, "_bench_wrapped", False):
            return
        original_validate = validation.validate_request
        original_format = validation.format_errors
        current = {"digest": None}

        def validate_request(request, *args, **kwargs):
            digest = hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()[:12]
            _log("call %d %s" % (os.getpid(), digest))
            current["digest"] = digest
            try:
                return original_validate(request, *args, **kwargs)
            finally:
                current["digest"] = None

        def format_errors(*args, **kwargs):
            if current["digest"] is not None:
                _log("validated %d %s" % (os.getpid(), current["digest"]))
            return original_format(*args, **kwargs)

        validate_request._bench_wrapped = True
        validation.validate_request = validate_request
        validation.format_errors = format_errors

    def v2_playbook_on_stats(self, stats):
        folder = os.path.join(C.DEFAULT_LOCAL_TMP, "ioconnect-fleet-validated")
        count = len([n for n in os.listdir(folder) if not n.startswith(".")]) if os.path.isdir(folder) else 0
        _log("markers %d" % count)
