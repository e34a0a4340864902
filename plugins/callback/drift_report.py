# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: drift_report
type: notification
short_description: Write one fleet drift report per run from the results of ioconnect.fleet.system_json
version_added: 0.1.0
author:
  - ioconnect.fleet maintainers (@ioconnect)
description:
  - Collects every result of M(ioconnect.fleet.system_json) in a run (check mode or not, plain tasks, loops, tasks
    inside roles and tasks run through the C(group/ioconnect.fleet.ioconnect) action group) and, when the
    playbook ends, writes a drift report grouped by region and environment.
  - "Formats: C(json) (the data, schema in C(docs/drift-report.schema.json)), C(markdown) (a summary for a ticket
    or a CI job page), C(html) (one self-contained page: sortable, filterable desk table, counts per region and
    per environment, the drifted JSON pointers of each desk with masked before and after values, failed and
    unreachable desks listed apart; no network fetch) and C(junit) (one testcase per desk: drift is a failure,
    a failed or unreachable desk an error)."
  - A desk is an inventory host. Its region and environment come from the host variables named by
    O(region_var) and O(environment_var); C(unknown) when unset.
  - A desk whose check failed, or that failed or was unreachable before it could be checked, is listed as
    C(failed) or C(unreachable), never as compliant. A desk of a drift play with no check (no io.Connect Desktop
    found, check skipped) is listed as C(not_checked).
  - Values are masked again before anything is written, whatever the module sent, with the collection's one
    masking policy (the rules M(ioconnect.fleet.system_json) documents, header-style pairs and header maps,
    credentials in URLs, C(Bearer) tokens and C(key=value) secrets in free text), adding the task's own
    O(ioconnect.fleet.system_json#module:secret_keys) and this callback's O(secret_keys).
  - On long runs a progress line (desks done out of the play's desks, drift so far) is printed at most every
    O(progress_every) desks or O(progress_interval) seconds; by default only when standard error is a terminal.
  - This is a notification callback. Enabling it changes nothing else (no task, no result, no byte of standard
    output); it adds only the progress lines and one closing line naming the report files, on standard error (see
    O(progress) and O(summary_line)).
  - Runs in which no play checks desks with M(ioconnect.fleet.system_json) write nothing, so the callback can stay
    enabled for every playbook without overwriting the last drift report.
requirements:
  - Enable it in C(ansible.cfg) (C(callbacks_enabled = ioconnect.fleet.drift_report) in C([defaults])) or with
    E(ANSIBLE_CALLBACKS_ENABLED=ioconnect.fleet.drift_report).
notes:
  - A callback cannot publish C(set_stats) artifacts. For AWX/AAP job artifacts and for failing a run on drift,
    include the collection's C(playbooks/tasks/drift_summary.yml) in the drift play; it works with or without
    this callback.
seealso:
  - module: ioconnect.fleet.system_json
  - plugin: ioconnect.fleet.drift_summary
    plugin_type: filter
options:
  output_dir:
    description:
      - Folder the report files are written to; created when missing. Relative paths are relative to the
        current working folder of C(ansible-playbook).
      - Files are replaced atomically; earlier reports in the folder are overwritten.
    type: path
    default: drift-report
    env:
      - name: IOCONNECT_DRIFT_REPORT_DIR
    ini:
      - section: ioconnect_drift_report
        key: output_dir
  formats:
    description:
      - Which files to write. C(json) is C(<basename>.json), C(markdown) is C(<basename>.md), C(html) is
        C(<basename>.html), C(junit) is C(<basename>.junit.xml).
      - From the environment or C(ansible.cfg), a comma-separated list, for example C(json,html).
    type: list
    elements: str
    choices: [json, markdown, html, junit]
    default: [json, markdown, html, junit]
    env:
      - name: IOCONNECT_DRIFT_REPORT_FORMATS
    ini:
      - section: ioconnect_drift_report
        key: formats
  basename:
    description:
      - File name of the reports, without extension.
    type: str
    default: drift-report
    env:
      - name: IOCONNECT_DRIFT_REPORT_BASENAME
    ini:
      - section: ioconnect_drift_report
        key: basename
  region_var:
    description:
      - Host variable holding a desk's region.
    type: str
    default: ioconnect_region
    env:
      - name: IOCONNECT_DRIFT_REPORT_REGION_VAR
    ini:
      - section: ioconnect_drift_report
        key: region_var
  environment_var:
    description:
      - Host variable holding a desk's environment.
    type: str
    default: ioconnect_env
    env:
      - name: IOCONNECT_DRIFT_REPORT_ENVIRONMENT_VAR
    ini:
      - section: ioconnect_drift_report
        key: environment_var
  actions:
    description:
      - Fully qualified names of the actions whose results are drift checks. Add the name of a wrapper action
        that returns the same result (C(drift), C(path), C(exists)).
    type: list
    elements: str
    default: [ioconnect.fleet.system_json]
    env:
      - name: IOCONNECT_DRIFT_REPORT_ACTIONS
    ini:
      - section: ioconnect_drift_report
        key: actions
  write_empty:
    description:
      - Also write a report for a run in which no play checks desks with M(ioconnect.fleet.system_json).
    type: bool
    default: false
    env:
      - name: IOCONNECT_DRIFT_REPORT_WRITE_EMPTY
    ini:
      - section: ioconnect_drift_report
        key: write_empty
  progress:
    description:
      - When to print progress lines. C(auto) prints them only when standard error is a terminal (not in CI or
        AWX logs); C(always) and C(never) say what they mean.
      - Progress and closing lines go to standard error, so a machine-readable stdout callback (for example
        C(ansible.posix.json)) stays parseable.
    type: str
    choices: [auto, always, never]
    default: auto
    env:
      - name: IOCONNECT_DRIFT_REPORT_PROGRESS
    ini:
      - section: ioconnect_drift_report
        key: progress
  progress_every:
    description:
      - Print a progress line each time this many more desks are checked. C(0) means about a tenth of the
        play's desks (at least 10).
    type: int
    default: 0
    env:
      - name: IOCONNECT_DRIFT_REPORT_PROGRESS_EVERY
    ini:
      - section: ioconnect_drift_report
        key: progress_every
  progress_interval:
    description:
      - Also print a progress line when this many seconds passed since the last one and desks were checked
        meanwhile.
    type: float
    default: 10
    env:
      - name: IOCONNECT_DRIFT_REPORT_PROGRESS_INTERVAL
    ini:
      - section: ioconnect_drift_report
        key: progress_interval
  secret_keys:
    description:
      - Key names whose values are secrets in every report, in addition to the built-in masking rules, for example
        V(sharedKey) or V(deskPin). Compared as the built-in names (case-insensitive, ignoring C(-), C(_), C(.)
        and spaces, at the end of a key's name).
      - The O(ioconnect.fleet.system_json#module:secret_keys) of each checked task are honoured as well, read from
        the task's arguments; this option covers names a report must hide whatever the task said.
      - From the environment or C(ansible.cfg), a comma-separated list.
    type: list
    elements: str
    default: []
    env:
      - name: IOCONNECT_DRIFT_REPORT_SECRET_KEYS
    ini:
      - section: ioconnect_drift_report
        key: secret_keys
  summary_line:
    description:
      - When to print one closing line with the counts and the report files. C(auto) prints it only when standard
        error is a terminal.
    type: str
    choices: [auto, always, never]
    default: auto
    env:
      - name: IOCONNECT_DRIFT_REPORT_SUMMARY_LINE
    ini:
      - section: ioconnect_drift_report
        key: summary_line
"""

EXAMPLES = r"""
# ansible.cfg
# [defaults]
# callbacks_enabled = ioconnect.fleet.drift_report
#
# [ioconnect_drift_report]
# output_dir = /var/lib/ioconnect/drift
# formats = json,html,junit

# Or for one run:
#   ANSIBLE_CALLBACKS_ENABLED=ioconnect.fleet.drift_report IOCONNECT_DRIFT_REPORT_DIR=reports \
#     ansible-playbook -i inventories/emea playbooks/drift.yml
"""

import sys
import time

from ansible import context
from ansible.plugins.callback import CallbackBase

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import policy as masking_policy
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import (
    secret_keys_errors as masking_policy_errors,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.aggregate import DriftCollector, utc_now
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.progress import ProgressMeter
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.write import write_reports


def _host(result):
    # `host`/`task`/`result` are the 2.19+ names; `_host`/`_task`/`_result` work from 2.16 on.
    return getattr(result, "host", None) or result._host


def _task(result):
    return getattr(result, "task", None) or result._task


def _data(result) -> dict:
    data = getattr(result, "result", None)
    if data is None or not hasattr(data, "get"):
        data = result._result
    return data


def _walk_tasks(blocks):
    """Every task of blocks (block, rescue, always), recursively: what import_* and roles put in a play."""
    for block in blocks or []:
        children = [getattr(block, name, None) or [] for name in ("block", "rescue", "always")]
        if not any(children) and hasattr(block, "action"):
            yield block
            continue
        for child_list in children:
            for child in child_list:
                if hasattr(child, "block"):
                    yield from _walk_tasks([child])
                else:
                    yield child


class CallbackModule(CallbackBase):
    """Collects system_json results during the run; writes the drift report at the end."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "ioconnect.fleet.drift_report"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None, options=None):
        super().__init__(display=display, options=options)
        self._collector = DriftCollector()
        self._play = None
        self._play_is_drift = False
        self._play_hosts_seen: dict = {}  # host name -> Host, of the current play
        self._play_checked: set = set()  # desks with a check in the current play
        self._any_drift_play = False
        self._labels: dict = {}  # host name -> (region, environment)
        self._task_kinds: dict = {}  # task uuid -> is a drift check
        self._pending_errors: dict = {}  # host name -> {kind: (task, msg)}
        self._check_modes: set = set()
        self._playbooks: list = []
        self._started = None
        self._started_at = None
        self._meter = None

    # -- run structure ---------------------------------------------------------------------------------------
    def v2_playbook_on_start(self, playbook):
        if self._started is None:
            self._started = time.monotonic()
            self._started_at = utc_now()
        name = getattr(playbook, "_file_name", None)
        if name:
            self._playbooks.append(str(name))

    def v2_playbook_on_play_start(self, play):
        self._finish_play()
        if self._started is None:
            self._started = time.monotonic()
            self._started_at = utc_now()
        self._play = play
        self._play_hosts_seen = {}
        self._play_checked = set()
        self._play_is_drift = self._has_static_check(play)
        self._any_drift_play = self._any_drift_play or self._play_is_drift
        self._meter = None
        if self._progress_enabled():
            self._meter = ProgressMeter(
                total=self._play_host_count(play),
                every=int(self.get_option("progress_every") or 0),
                interval=float(self.get_option("progress_interval") or 10),
            )

    def _finish_play(self):
        """Desks of a drift play that got no check at all are still listed (not_checked)."""
        if self._play is None:
            return
        if self._play_is_drift:
            for name, host in self._play_hosts_seen.items():
                if name not in self._collector:
                    region, env = self._labels_for(host)
                    self._collector.mark_seen(name, region, env)
        if self._meter is not None and self._play_checked:
            self._progress(final=True)

    # -- results -----------------------------------------------------------------------------------------------
    def v2_runner_on_ok(self, result):
        self._on_result(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._on_result(result, "failed", ignore_errors=ignore_errors)

    def v2_runner_on_unreachable(self, result):
        self._on_result(result, "unreachable")

    def v2_runner_on_skipped(self, result):
        self._on_result(result, "skipped")

    def v2_runner_item_on_ok(self, result):
        # Loop results are handled once, from the task's final result (its `results` list); here only the
        # action is resolved, which core says is reliable per item for looped tasks.
        self._is_check(_task(result))

    v2_runner_item_on_failed = v2_runner_item_on_ok
    v2_runner_item_on_skipped = v2_runner_item_on_ok

    def _on_result(self, result, outcome, ignore_errors=False):
        try:
            host = _host(result)
            task = _task(result)
            name = host.get_name()
            self._play_hosts_seen.setdefault(name, host)
            data = _data(result)
            if self._is_check(task):
                self._play_is_drift = True
                self._any_drift_play = True
                region, env = self._labels_for(host)
                self._collector.add_result(name, data, region, env, task_name=task.get_name(), outcome=outcome,
                                           policy=self._masking_for(task, host))
                if outcome != "skipped":
                    self._note_check_mode(task)
                    self._play_checked.add(name)
                    if self._meter is not None:
                        self._progress()
            elif (outcome == "failed" and not ignore_errors) or outcome == "unreachable":
                region, env = self._labels_for(host)
                self._pending_errors.setdefault(name, {})[outcome] = (task.get_name(), data.get("msg", ""), region, env)
        except Exception as exc:  # a report problem must never break the run
            self._display.warning("ioconnect.fleet.drift_report: could not record a result: %s" % exc)

    def _is_check(self, task) -> bool:
        uuid = getattr(task, "_uuid", None)
        known = self._task_kinds.get(uuid)
        if known is not None:
            return known
        actions = set(self.get_option("actions") or ())
        raw = task.action or ""
        name = getattr(task, "_resolved_action", None)
        if not name and "{{" not in raw:
            try:
                name = task.resolved_action
            except Exception:
                name = None
        name = name or raw
        found = name in actions or ("." not in name and "ioconnect.fleet." + name in actions)
        if uuid is not None and (found or getattr(task, "_resolved_action", None)):
            self._task_kinds[uuid] = found
        return found

    def _has_static_check(self, play) -> bool:
        """Whether the play holds a system_json task before it runs (roles and imports are static)."""
        actions = set(self.get_option("actions") or ())
        short = {a.rsplit(".", 1)[-1] for a in actions}
        try:
            blocks = list(play.pre_tasks) + list(play.tasks) + list(play.post_tasks)
            for role in play.get_roles():
                blocks += list(role.get_task_blocks())
                for dep in role.get_all_dependencies():
                    blocks += list(dep.get_task_blocks())
            for task in _walk_tasks(blocks):
                action = getattr(task, "action", None) or ""
                if action in actions or action in short:
                    return True
        except Exception:
            return False
        return False

    def _masking_for(self, task, host):
        """The masking policy for a check task's result: this callback's secret_keys plus the task's own."""
        try:
            configured = self.get_option("secret_keys") or []
        except KeyError:  # options set by hand (tests, an older ansible.cfg loader) may lack it
            configured = []
        names = [k for k in configured if isinstance(k, str) and k.strip()]
        task_keys = (getattr(task, "args", None) or {}).get("secret_keys")
        if isinstance(task_keys, str) and "{{" in task_keys:
            # ansible-core before 2.19 hands callbacks the task's arguments untemplated.
            task_keys = self._template_value(host, task_keys)
        if isinstance(task_keys, (list, tuple)):
            names += [k for k in task_keys if isinstance(k, str) and k not in names]
        try:
            return masking_policy(names)
        except ValueError:
            # A bad name fails the task itself; the report still masks with the names that are usable.
            return masking_policy([k for k in names if not masking_policy_errors([k])])

    def _template_value(self, host, value):
        try:
            from ansible.template import Templar

            manager = self._play.get_variable_manager()
            variables = manager.get_vars(play=self._play, host=host, include_hostvars=False)
            return Templar(loader=self._play._loader, variables=variables).template(value)
        except Exception:
            return None

    def _labels_for(self, host):
        """(region, environment) of a host, from its variables as the play sees them; cached per host."""
        name = host.get_name()
        if name in self._labels:
            return self._labels[name]
        region_var = self.get_option("region_var")
        env_var = self.get_option("environment_var")
        hostvars = {}
        try:
            manager = self._play.get_variable_manager()
            hostvars = manager.get_vars(play=self._play, host=host, include_hostvars=False)
        except Exception:
            try:
                hostvars = host.get_vars()
            except Exception:
                hostvars = {}
        labels = (self._template(hostvars, region_var), self._template(hostvars, env_var))
        if labels != (None, None):
            self._labels[name] = labels
        return labels

    def _template(self, hostvars, var):
        value = hostvars.get(var)
        if value is None:
            return None
        if isinstance(value, str) and "{{" in value:
            try:
                from ansible.template import Templar

                value = Templar(loader=self._play._loader, variables=hostvars).template(value)
            except Exception:
                pass
        return str(value) if not isinstance(value, (dict, list)) else None

    def _note_check_mode(self, task):
        mode = getattr(task, "check_mode", None)
        if not isinstance(mode, bool):
            mode = bool(context.CLIARGS.get("check", False))
        self._check_modes.add(mode)

    # -- progress ----------------------------------------------------------------------------------------------
    def _progress_enabled(self) -> bool:
        return self._wanted(self.get_option("progress"))

    @staticmethod
    def _wanted(mode) -> bool:
        """auto: only for a person watching a terminal, never in CI logs or AWX job output."""
        if mode in ("never", False):
            return False
        if mode in ("always", True):
            return True
        try:
            return sys.stderr.isatty()
        except Exception:
            return False

    def _play_host_count(self, play) -> int:
        try:
            return len(play.get_variable_manager()._inventory.get_hosts(play.hosts))
        except Exception:
            return 0

    def _progress(self, final=False):
        done = len(self._play_checked)
        if not self._meter.due(done, final=final):
            return
        counts = {s: 0 for s in ("drifted", "failed", "unreachable")}
        for name in self._play_checked:
            status = self._collector.desk(name).status
            if status in counts:
                counts[status] += 1
        self._display.display(self._meter.line(done, counts), stderr=True)

    # -- end of run --------------------------------------------------------------------------------------------
    def v2_playbook_on_stats(self, stats):
        try:
            self._finish_play()
            self._play = None
            if not self._any_drift_play and not self.get_option("write_empty"):
                return
            self._merge_errors(stats)
            report = self._collector.report(run={
                "check_mode": self._check_modes.pop() if len(self._check_modes) == 1 else None,
                "playbooks": self._playbooks,
                "started_at": self._started_at,
                "finished_at": utc_now(),
                "duration_seconds": round(time.monotonic() - self._started, 3) if self._started else None,
            })
            written = write_reports(report, self.get_option("output_dir"), self.get_option("formats"),
                                    self.get_option("basename"))
            if self._wanted(self.get_option("summary_line")) and written:
                summary = report["summary"]
                main = written.get("html") or next(iter(written.values()))
                self._display.display(
                    "drift report: %d of %d desk(s) drifted (%d pointer(s)), %d failed, %d unreachable -> %s" % (
                        summary["drifted"], summary["desks"], summary["drifted_pointers"], summary["failed"],
                        summary["unreachable"], main), stderr=True)
        except Exception as exc:
            self._display.warning("ioconnect.fleet.drift_report: no drift report written: %s" % exc)

    def _merge_errors(self, stats):
        """Failures and unreachability outside checks count only for desks that were never checked.

        Uses the final stats, so failures that a block rescued or that were ignored do not count.
        """
        failures = getattr(stats, "failures", {}) or {}
        dark = getattr(stats, "dark", {}) or {}
        for name, kinds in self._pending_errors.items():
            desk_checked = name in self._collector and self._collector.desk(name).installs
            if desk_checked:
                continue
            for kind, counted in (("unreachable", dark), ("failed", failures)):
                if kind in kinds and counted.get(name):
                    task_name, msg, region, env = kinds[kind]
                    self._collector.add_error(name, kind, msg, task_name, region, env)
                    break
