# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: drift_report
type: notification
short_description: Write one fleet drift report per run, with the fleet's drift history, from the results of drift checks
version_added: 0.1.0
author:
  - ioconnect.fleet maintainers (@ioconnect)
description:
  - Collects every result of M(ioconnect.fleet.desk_system_json) (one desk per result, one item of C(files) per
    file) and of M(ioconnect.fleet.system_json) (one file per result) in a run (check mode or not, plain tasks,
    loops, tasks inside roles and tasks run through the C(group/ioconnect.fleet.ioconnect) action group) and, when
    the playbook ends, appends the run's scans to the drift history and writes a drift report of the whole fleet,
    grouped by region and environment.
  - "The history (an SQLite file on the controller by default, see O(history_path); or a PostgreSQL database, see
    O(history_dsn)) keeps every scan of every desk: desk, file, profile, environment, region, status, the drifted
    JSON pointers with masked values, the time and the run id. The report after any run shows every desk the
    history knows with its latest scan, so a C(--limit) run updates its desks and keeps the others, and the slices
    of a sliced AWX/AAP job together give the same view as one run over the whole inventory."
  - "Per desk the report shows since when it has drifted (the first scan of the current drift), how many times it
    drifted in its last O(history_window) scans (a desk that keeps drifting back), and its last compliant scan; per
    region and per environment a trend chart of drifted desks over the last O(trend_rounds) scan rounds."
  - "Formats: C(json) (the data, schema in C(docs/drift-report.schema.json)), C(markdown) (a summary for a ticket
    or a CI job page), C(html) (one self-contained page from a Jinja2 template: count cards, inline SVG trend
    charts, counts per region and per environment, a sortable, filterable desk table with each desk's profiles,
    files shown relative to their profile or install folder (full path on hover), the drifted JSON pointers with
    masked before and after values as the desk holds them; failed, unreachable and install-less desks listed apart;
    no network fetch) and C(junit) (one testcase per desk: drift is a failure, a failed or unreachable desk an
    error, a desk with no install found or no check a skipped test)."
  - A desk is an inventory host. Its region and environment come from the host variables named by
    O(region_var) and O(environment_var); C(unknown) when unset.
  - "Desk statuses: C(drifted) (a file differs, in check mode), C(changed) (an applied run wrote it; compliant
    since), C(compliant), C(failed) (a check failed, or the desk failed before it could be checked),
    C(unreachable), C(not_installed) (no io.Connect Desktop install found) and C(not_checked) (every check skipped).
    Drifted pointers found on a failed desk are counted apart (C(pointers_on_failed_desks)), never as drift of a
    drifted desk."
  - Values are masked again before anything is stored or written, whatever the module sent, with the collection's
    one masking policy (the rules M(ioconnect.fleet.system_json) documents, header-style pairs and header maps,
    credentials in URLs, C(Bearer) tokens and C(key=value) secrets in free text), adding the task's own
    O(ioconnect.fleet.system_json#module:secret_keys) and this callback's O(secret_keys).
  - "A history that cannot be used (unreachable server, a file locked for longer than O(history_timeout), a corrupt
    file, a history of a newer schema, psycopg missing) never fails the run and never costs it its report: the
    report then shows the run's own desks, a warning names the problem and what to do, and the run's scans wait in
    C(<output_dir>/drift-history-pending/) until a later run can add them."
  - On long runs a progress line (desks done out of the play's desks, drift so far) is printed at most every
    O(progress_every) desks or O(progress_interval) seconds; by default only when standard error is a terminal.
  - This is a notification callback. Enabling it changes nothing else (no task, no result, no byte of standard
    output); it adds only the progress lines, one closing line naming the report files, and warnings about the
    history, on standard error (see O(progress) and O(summary_line)).
  - Runs in which no play checks desks write nothing (unless O(write_empty)), so the callback can stay enabled for
    every playbook without overwriting the last drift report.
requirements:
  - Enable it in C(ansible.cfg) (C(callbacks_enabled = ioconnect.fleet.drift_report) in C([defaults])) or with
    E(ANSIBLE_CALLBACKS_ENABLED=ioconnect.fleet.drift_report).
  - The Python package C(psycopg) (version 3, C(pip install 'psycopg[binary]')) on the controller, only for a
    history on PostgreSQL (O(history_dsn)).
notes:
  - A callback cannot publish C(set_stats) artifacts. For AWX/AAP job artifacts and for failing a run on drift,
    include the collection's C(playbooks/tasks/drift_summary.yml) in the drift play; it works with or without
    this callback.
  - In AWX/AAP, whose job containers are thrown away after each job, point O(history_dsn) at a PostgreSQL database
    that every job reaches. The slices of a sliced job are one scan round of the trend (they share the
    C(awx_workflow_job_id) AWX sets); elsewhere set O(history_group) to group runs.
  - To write the fleet report from the history without scanning a desk (for example after the slices of a sliced
    job), run C(playbooks/drift_report.yml).
seealso:
  - module: ioconnect.fleet.system_json
  - plugin: ioconnect.fleet.drift_summary
    plugin_type: filter
extends_documentation_fragment:
  - ioconnect.fleet.history
  - ioconnect.fleet.secret_keys.callback
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
        that returns the same result as one of them (system_json's C(drift), C(path), C(exists); or
        desk_system_json's C(status) and C(files)).
    type: list
    elements: str
    default: [ioconnect.fleet.desk_system_json, ioconnect.fleet.system_json]
    env:
      - name: IOCONNECT_DRIFT_REPORT_ACTIONS
    ini:
      - section: ioconnect_drift_report
        key: actions
  write_empty:
    description:
      - Also write a report for a run in which no play checks desks. With the history on, that report is the fleet
        as the history knows it (what C(playbooks/drift_report.yml) writes).
    type: bool
    default: false
    env:
      - name: IOCONNECT_DRIFT_REPORT_WRITE_EMPTY
    ini:
      - section: ioconnect_drift_report
        key: write_empty
  history:
    description:
      - Keep the drift history, and make the report a view of the whole fleet. When false, the report shows the
        run's own desks only and nothing is stored.
    type: bool
    default: true
    env:
      - name: IOCONNECT_DRIFT_REPORT_HISTORY
    ini:
      - section: ioconnect_drift_report
        key: history
  history_path:
    # Description and type: the ioconnect.fleet.history fragment, shared with the remediation modules.
    env:
      - name: IOCONNECT_DRIFT_REPORT_HISTORY_PATH
    ini:
      - section: ioconnect_drift_report
        key: history_path
  history_dsn:
    default: ''
    env:
      - name: IOCONNECT_DRIFT_REPORT_HISTORY_DSN
    ini:
      - section: ioconnect_drift_report
        key: history_dsn
  history_timeout:
    env:
      - name: IOCONNECT_DRIFT_REPORT_HISTORY_TIMEOUT
    ini:
      - section: ioconnect_drift_report
        key: history_timeout
  history_retention_days:
    description:
      - Scans older than this many days are removed from the history when a run is recorded. C(0) keeps them.
      - A desk not scanned within that time leaves the fleet view.
    type: int
    default: 400
    env:
      - name: IOCONNECT_DRIFT_REPORT_HISTORY_RETENTION_DAYS
    ini:
      - section: ioconnect_drift_report
        key: history_retention_days
  history_max_scans:
    description:
      - At most this many scans are kept per desk (the newest). C(0) means no limit.
    type: int
    default: 200
    env:
      - name: IOCONNECT_DRIFT_REPORT_HISTORY_MAX_SCANS
    ini:
      - section: ioconnect_drift_report
        key: history_max_scans
  history_window:
    description:
      - How many of a desk's latest scans its "times drifted" (flapping) count looks at.
    type: int
    default: 10
    env:
      - name: IOCONNECT_DRIFT_REPORT_HISTORY_WINDOW
    ini:
      - section: ioconnect_drift_report
        key: history_window
  trend_rounds:
    description:
      - How many of the latest scan rounds the trend charts show.
    type: int
    default: 20
    env:
      - name: IOCONNECT_DRIFT_REPORT_TREND_ROUNDS
    ini:
      - section: ioconnect_drift_report
        key: trend_rounds
  history_group:
    description:
      - Runs with the same group are one scan round (one point of a trend), for example the slices of one sliced
        job. Empty means the C(awx_workflow_job_id) (or C(tower_workflow_job_id)) extra variable AWX/AAP sets for
        the jobs of a workflow, and a sliced job is one, else the run itself.
    type: str
    default: ''
    env:
      - name: IOCONNECT_DRIFT_REPORT_HISTORY_GROUP
    ini:
      - section: ioconnect_drift_report
        key: history_group
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
  summary_line:
    description:
      - When to print one closing line with the counts and the report files, on standard error. C(auto) prints it
        when standard error is a terminal and, otherwise (CI, AWX/AAP, a pipe), a shorter line that only names the
        report files, so a log always says where the report went. C(never) prints neither.
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
# history_retention_days = 180
#
# A history shared by several controllers or AWX/AAP jobs (the password in ~/.pgpass or PGPASSWORD):
# history_dsn = postgresql://fleet@drift-db.example.com:5432/drift

# Or for one run:
#   ANSIBLE_CALLBACKS_ENABLED=ioconnect.fleet.drift_report IOCONNECT_DRIFT_REPORT_DIR=reports \
#     ansible-playbook -i inventories/emea playbooks/drift.yml
"""

import functools
import os
import sys
import time
import uuid

from ansible import context
from ansible.errors import AnsibleError
from ansible.plugins.callback import CallbackBase

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import policy as masking_policy
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.masking import (
    secret_keys_errors as masking_policy_errors,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.aggregate import DriftCollector, utc_now
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.fleet_report import (
    HistorySettings,
    build_fleet_report,
    record_start,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.history_pending import FOLDER as PENDING
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.progress import ProgressMeter
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.timeline import (
    desk_story,
    render_story_markdown,
    write_story,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.write import write_reports

# The play variable of playbooks/drift_report.yml: write the fleet report from the history, no desk scanned.
REPORT_PLAY_VAR = "ioconnect_drift_report_from_history"
# The extra variable of playbooks/drift_report.yml that asks for one desk's story: -e desk=NAME.
DESK_VARS = ("desk", "ioconnect_drift_desk")
# Extra variables AWX/AAP sets for the jobs of a workflow (a sliced job is a workflow of its slices).
GROUP_VARS = ("awx_workflow_job_id", "tower_workflow_job_id")


def _never_breaks_the_run(what: str):
    """The callback's one broad catch, at the edge of each event it handles.

    A drift report is a by-product: whatever goes wrong while it is collected or written (a history that cannot be
    used, a folder that cannot be written, a result of a shape no one foresaw, a bug of ours) must cost the report,
    never the run. ansible-core's TaskQueueManager.send_callback would swallow the exception as well, but with a
    generic warning; this one says what was lost. Inside, every handler catches only what it expects."""

    def wrap(method):
        @functools.wraps(method)
        def guarded(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except Exception as exc:  # the one broad catch: see the docstring
                self._display.warning("ioconnect.fleet.drift_report: %s: %s" % (what, exc))
                return None
        return guarded
    return wrap


def _inventory(play):
    """The play's inventory, or None. ansible-core hands callbacks no public way to it: the play's VariableManager
    keeps it in the private ``_inventory`` (the same from 2.16 to 2.19). Without it (a later core that renamed it, a
    play built by hand) the callback knows a play's desks from their results only: a desk of a batch that never ran
    is then missing from the report rather than listed as not read."""
    return getattr(play.get_variable_manager(), "_inventory", None)


def _extra_vars(play) -> dict:
    """The run's extra variables (-e), from VariableManager.extra_vars, a public property."""
    return dict(getattr(play.get_variable_manager(), "extra_vars", None) or {})


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
    """Collects drift check results during the run; records them in the history and writes the report at the end."""

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
        self._run_id = uuid.uuid4().hex
        self._group = None
        self._report_play = False
        self._drift_hosts: set = set()  # hosts targeted by a drift play: the desks of the run
        self._targets: dict = {}  # host name -> Host, of the drift plays (whatever batch they are in)
        self._plays_total = 0  # plays of the playbooks run
        self._plays_started: list = []  # (uuid, play) in the order they started
        self._start_recorded = False
        self._desk_story = None  # -e desk=NAME on playbooks/drift_report.yml

    # -- run structure ---------------------------------------------------------------------------------------
    @_never_breaks_the_run("could not follow a playbook")
    def v2_playbook_on_start(self, playbook):
        if self._started is None:
            self._started = time.monotonic()
            self._started_at = utc_now()
        # Playbook has no public name of its file; _file_name (set by Playbook.load) is read with a default.
        name = getattr(playbook, "_file_name", None)
        if name:
            self._playbooks.append(str(name))
        self._plays_total += len(playbook.get_plays())

    @_never_breaks_the_run("could not follow a play")
    def v2_playbook_on_play_start(self, play):
        self._finish_play()
        if self._started is None:
            self._started = time.monotonic()
            self._started_at = utc_now()
        self._play = play
        uuid_ = getattr(play, "_uuid", None) or id(play)
        if uuid_ not in [u for u, _p in self._plays_started]:
            self._plays_started.append((uuid_, play))
        self._play_hosts_seen = {}
        self._play_checked = set()
        self._play_is_drift = self._has_static_check(play)
        self._note_play_vars(play)
        if self._play_is_drift:
            targets = self._play_targets(play)
            self._targets.update(targets)
            self._drift_hosts.update(targets)
            if not self._start_recorded:
                self._start_recorded = True
                self._note_start()
        self._any_drift_play = self._any_drift_play or self._play_is_drift
        self._meter = None
        if self._progress_enabled():
            self._meter = ProgressMeter(
                total=self._play_host_count(play),
                every=int(self.get_option("progress_every") or 0),
                interval=float(self.get_option("progress_interval") or 10),
            )

    def _play_targets(self, play) -> dict:
        """The hosts a play targets in every batch (serial), within --limit: name -> Host."""
        inventory = _inventory(play)
        if inventory is None:
            return {}
        try:
            return {h.get_name(): h for h in inventory.get_hosts(play.hosts, ignore_restrictions=True)}
        except AnsibleError:  # a host pattern the inventory refuses: core fails the play itself, and says why
            return {}

    def _run_meta(self) -> dict:
        return {
            "run_id": self._run_id,
            "group": self.get_option("history_group") or self._group or self._run_id,
            "playbooks": self._playbooks, "started_at": self._started_at,
            "limit": str(context.CLIARGS.get("subset") or ""),
        }

    @_never_breaks_the_run("could not note the run's start in the drift history")
    def _note_start(self):
        """The run is in the history from its first drift play: killed before its end, it shows as never finished.
        record_start never raises for a history it cannot use (the end of the run says why, and keeps the scans)."""
        try:
            settings = self._history_settings()
        except (TypeError, ValueError) as exc:  # an option that is not a number: the end of the run says it too
            self._display.vvv("ioconnect.fleet.drift_report: could not note the run's start: %s" % exc)
            return
        record_start(dict(self._run_meta(), outcome="running"), settings)

    def _stop_reason(self, stats) -> str:
        """Why the run did not read every desk it targeted, in words; empty when it did."""
        reasons = []
        if self._plays_total and len(self._plays_started) < self._plays_total and self._plays_started:
            play = self._plays_started[-1][1]
            name = getattr(play, "name", None) or getattr(play, "hosts", "") or "?"
            failed = sorted(set(getattr(stats, "failures", {}) or {}) | set(getattr(stats, "dark", {}) or {}))
            who = (" after a failure on %s" % ", ".join(failed[:5]) + (" ..." if len(failed) > 5 else "")) \
                if failed else ""
            if getattr(play, "any_errors_fatal", False):
                why = "any_errors_fatal: one failed desk stops every desk"
            elif getattr(play, "max_fail_percentage", None) not in (None, ""):
                why = "more than max_fail_percentage (%g%%) of a batch failed" % float(play.max_fail_percentage)
            else:
                why = "every desk of a batch failed"
            reasons.append("the play '%s' stopped the run%s (%s); %d of %d play(s) ran" % (
                name, who, why, len(self._plays_started), self._plays_total))
        limit = context.CLIARGS.get("subset")
        if limit:
            reasons.append("limited to --limit %s: desks outside it were not targeted" % limit)
        return "; ".join(reasons)

    def _note_play_vars(self, play):
        """The scan round of the run (AWX workflow id) and whether the play asks for the report from history."""
        if self._group is None:
            extra = _extra_vars(play)
            for name in GROUP_VARS:
                if extra.get(name) not in (None, ""):
                    self._group = "awx-workflow-%s" % extra[name]
                    break
        play_vars = play.get_vars() or {}
        if str(play_vars.get(REPORT_PLAY_VAR, "")).lower() in ("true", "yes", "1"):
            self._report_play = True
            extra = _extra_vars(play)
            for name in DESK_VARS:
                if isinstance(extra.get(name), str) and extra[name].strip():
                    self._desk_story = extra[name].strip()

    def _finish_play(self):
        """Desks of a drift play that got no check at all are still listed (not_checked)."""
        if self._play is None:
            return
        if self._play_is_drift:
            self._drift_hosts.update(self._play_hosts_seen)
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

    @_never_breaks_the_run("could not record a result")
    def _on_result(self, result, outcome, ignore_errors=False):
        host = _host(result)
        task = _task(result)
        name = host.get_name()
        self._play_hosts_seen.setdefault(name, host)
        data = _data(result)
        if self._is_check(task):
            self._play_is_drift = True
            self._any_drift_play = True
            self._drift_hosts.add(name)
            region, env = self._labels_for(host)
            mode = self._check_mode_of(task)
            self._collector.add_result(name, data, region, env, task_name=task.get_name(), outcome=outcome,
                                       check_mode=mode, policy=self._masking_for(task, host))
            if outcome != "skipped":
                self._check_modes.add(mode)
                self._play_checked.add(name)
                if self._meter is not None:
                    self._progress()
        elif (outcome == "failed" and not ignore_errors) or outcome == "unreachable":
            region, env = self._labels_for(host)
            self._pending_errors.setdefault(name, {})[outcome] = (task.get_name(), data.get("msg", ""), region, env)

    def _is_check(self, task) -> bool:
        uuid = getattr(task, "_uuid", None)
        known = self._task_kinds.get(uuid)
        if known is not None:
            return known
        actions = set(self.get_option("actions") or ())
        raw = task.action or ""
        # Task._resolved_action is set once core resolved the action for this run (no default: read with one);
        # Task.resolved_action is the public way, which resolves it now when the action is no template.
        name = getattr(task, "_resolved_action", None)
        if not name and "{{" not in raw:
            try:
                name = task.resolved_action
            except AnsibleError:  # an action no plugin answers to (cores before 2.19 raise; 2.19 warns): no check
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
        # Play.pre_tasks/tasks/post_tasks, Play.get_roles(), Role.get_task_blocks() and get_all_dependencies() are
        # the playbook objects' public attributes and methods; _walk_tasks reads the rest with getattr defaults.
        blocks = list(play.pre_tasks or ()) + list(play.tasks or ()) + list(play.post_tasks or ())
        for role in play.get_roles():
            blocks += list(role.get_task_blocks())
            for dep in role.get_all_dependencies():
                blocks += list(dep.get_task_blocks())
        for task in _walk_tasks(blocks):
            action = getattr(task, "action", None) or ""
            if action in actions or action in short:
                return True
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
        from ansible.template import Templar

        try:
            manager = self._play.get_variable_manager()
            variables = manager.get_vars(play=self._play, host=host, include_hostvars=False)
            return Templar(loader=self._play.get_loader(), variables=variables).template(value)
        except AnsibleError:  # an undefined variable or a broken template: the task itself fails on it
            return None

    def _labels_for(self, host):
        """(region, environment) of a host, from its variables as the play sees them; cached per host."""
        name = host.get_name()
        if name in self._labels:
            return self._labels[name]
        region_var = self.get_option("region_var")
        env_var = self.get_option("environment_var")
        try:
            manager = self._play.get_variable_manager()
            hostvars = manager.get_vars(play=self._play, host=host, include_hostvars=False)
        except AnsibleError:
            # A variable file or fact cache core cannot read for this host (core fails the host on it too): the
            # inventory's own variables of the host (Host.get_vars, public) still say its region and environment.
            hostvars = host.get_vars()
        labels = (self._template(hostvars, region_var), self._template(hostvars, env_var))
        if labels != (None, None):
            self._labels[name] = labels
        return labels

    def _template(self, hostvars, var):
        value = hostvars.get(var)
        if value is None:
            return None
        if isinstance(value, str) and "{{" in value:
            from ansible.template import Templar

            try:
                value = Templar(loader=self._play.get_loader(), variables=hostvars).template(value)
            except AnsibleError:  # an undefined variable or a broken template: the label stays as written
                pass
        return str(value) if not isinstance(value, (dict, list)) else None

    @staticmethod
    def _check_mode_of(task) -> bool:
        mode = getattr(task, "check_mode", None)
        if not isinstance(mode, bool):
            mode = bool(context.CLIARGS.get("check", False))
        return mode

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
        except (AttributeError, ValueError):  # stderr replaced by an object without isatty, or closed
            return False

    def _play_host_count(self, play) -> int:
        return len(self._play_host_names(play))

    @staticmethod
    def _play_host_names(play) -> set:
        inventory = _inventory(play)
        if inventory is None:
            return set()
        try:
            return {h.get_name() for h in inventory.get_hosts(play.hosts)}
        except AnsibleError:  # a host pattern the inventory refuses: core fails the play itself
            return set()

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
        self._write_report(stats)
        if self._desk_story:
            self._write_desk_story(self._desk_story)

    @_never_breaks_the_run("no drift report written")
    def _write_report(self, stats):
        self._finish_play()
        self._play = None
        if not self._any_drift_play and not self._report_play and not self.get_option("write_empty"):
            return
        self._merge_errors(stats)
        for name, host in self._targets.items():
            if name not in self._collector:  # a batch that never ran, a play that never started
                region, env = self._labels_for(host)
                self._collector.mark_not_reached(name, region, env)
        finished = utc_now()
        reason = self._stop_reason(stats)
        run_desks = self._collector.run_desks(reason)
        missed = [d for d in run_desks if d.get("observed") is False]
        if missed:
            kinds: dict = {}
            for desk in missed:
                kind = (desk.get("not_reached") or {}).get("kind", "stopped")
                kinds[kind] = kinds.get(kind, 0) + 1
            reason = "; ".join(([reason] if reason else []) + ["%d of %d desk(s) not read (%s)" % (
                len(missed), len(run_desks), ", ".join("%s %d" % kv for kv in sorted(kinds.items())))])
        run = dict(self._run_meta(), **{
            "check_mode": self._check_modes.pop() if len(self._check_modes) == 1 else None,
            "finished_at": finished,
            "duration_seconds": round(time.monotonic() - self._started, 3) if self._started else None,
            "outcome": "incomplete" if reason else "complete",
            "stop_reason": reason,
            "targeted": len(run_desks),
            "recorded_start": self._start_recorded,
        })
        report, warning = build_fleet_report(run_desks, run, self._history_settings())
        if warning:
            self._display.warning("ioconnect.fleet.drift_report: " + warning)
        written = write_reports(report, self.get_option("output_dir"), self.get_option("formats"),
                                self.get_option("basename"))
        mode = self.get_option("summary_line")
        if written and mode not in ("never", False) and not self._wanted(mode):
            # Not a terminal (CI, AWX, a pipe): one short line, so the log still says where the report went.
            folder = os.path.dirname(next(iter(written.values())))
            self._display.display("drift report written to %s: %s" % (folder, ", ".join(
                os.path.basename(written[k]) for k in sorted(written))), stderr=True)
        elif self._wanted(mode) and written:
            summary = report["summary"]
            main = written.get("html") or next(iter(written.values()))
            history = report["history"]
            where = (" history %s" % history["location"]) if history.get("status") in ("recorded", "read") else ""
            self._display.display(
                "drift report: %d of %d desk(s) drifted (%d pointer(s)), %d failed, %d unreachable; this run "
                "scanned %d -> %s%s" % (
                    summary["drifted"], summary["desks"], summary["drifted_pointers"], summary["failed"],
                    summary["unreachable"], report["run"]["summary"]["desks"], main, where), stderr=True)

    @_never_breaks_the_run("no story of the desk asked for (-e desk=NAME)")
    def _write_desk_story(self, desk: str) -> None:
        """playbooks/drift_report.yml -e desk=NAME: the desk's story from the history, written and printed."""
        story = desk_story(self._history_settings(), desk)
        written = write_story(story, self.get_option("output_dir"), self.get_option("basename"))
        self._display.display(render_story_markdown(story), stderr=True)
        self._display.display("story of desk %s written to %s and %s" % (
            desk, written["markdown"], written["json"]), stderr=True)

    def _history_settings(self) -> HistorySettings:
        output_dir = os.path.abspath(os.path.expanduser(self.get_option("output_dir")))
        return HistorySettings(
            enabled=bool(self.get_option("history")),
            path=self.get_option("history_path") or os.path.join(output_dir, "drift-history.sqlite"),
            dsn=self.get_option("history_dsn") or "",
            timeout=float(self.get_option("history_timeout") or 30),
            retention_days=int(self.get_option("history_retention_days") or 0),
            max_scans_per_desk=int(self.get_option("history_max_scans") or 0),
            window=max(1, int(self.get_option("history_window") or 10)),
            rounds=max(1, int(self.get_option("trend_rounds") or 20)),
            pending_dir=os.path.join(output_dir, PENDING),
        )

    def _merge_errors(self, stats):
        """Failures and unreachability outside checks count only for desks that were never checked.

        Uses the final stats, so failures that a block rescued or that were ignored do not count.
        """
        failures = getattr(stats, "failures", {}) or {}
        dark = getattr(stats, "dark", {}) or {}
        for name, kinds in self._pending_errors.items():
            if name not in self._drift_hosts and name not in self._collector:
                continue  # not a desk: a host no drift play targeted (the drift gate on localhost, a helper)
            desk_checked = name in self._collector and self._collector.desk(name).checked
            if desk_checked:
                continue
            for kind, counted in (("unreachable", dark), ("failed", failures)):
                if kind in kinds and counted.get(name):
                    task_name, msg, region, env = kinds[kind]
                    self._collector.add_error(name, kind, msg, task_name, region, env)
                    break
