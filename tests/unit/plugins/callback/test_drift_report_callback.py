# -*- coding: utf-8 -*-
"""The drift_report callback driven by the events ansible-core sends, with fake hosts, tasks and plays."""

from __future__ import annotations

import itertools
import json
import os
import sys
from unittest.mock import MagicMock

import pytest

from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import callback_loader
try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19: every string is a template
    def trust_as_template(value):
        return value

from ansible_collections.ioconnect.fleet.plugins.callback.drift_report import CallbackModule
from ansible_collections.ioconnect.fleet.tests.unit.plugins.plugin_utils import drift_fixtures as fx

_ids = itertools.count()


class Host:
    def __init__(self, name, region=None, env=None):
        self.name = name
        self.vars = {}
        if region:
            self.vars["ioconnect_region"] = region
        if env:
            self.vars["ioconnect_env"] = env

    def get_name(self):
        return self.name

    def get_vars(self):
        return dict(self.vars, inventory_hostname=self.name)


class Task:
    def __init__(self, action, name=None, resolved=None, check_mode=True):
        self.action = action
        self._uuid = "task-%d" % next(_ids)
        self._resolved_action = None
        self._resolved = resolved or action
        self.check_mode = check_mode
        self.name = name or action

    @property
    def resolved_action(self):
        return self._resolved

    def get_name(self):
        return self.name


class Block:
    def __init__(self, *tasks):
        self.block = list(tasks)
        self.rescue = []
        self.always = []


class VariableManager:
    def __init__(self, extra_vars=None):
        self.extra_vars = extra_vars or {}

    def get_vars(self, play=None, host=None, include_hostvars=True):
        return host.get_vars()


class Play:
    def __init__(self, *tasks, hosts="all"):
        self.pre_tasks = []
        self.tasks = [Block(*tasks)]
        self.post_tasks = []
        self.hosts = hosts

    def get_roles(self):
        return []

    def get_variable_manager(self):
        return VariableManager(getattr(self, "extra_vars", None))

    def get_loader(self):
        return getattr(self, "_loader", None)

    def get_vars(self):
        return dict(getattr(self, "vars", {}))


class Result:
    def __init__(self, host, task, data):
        self.host = host
        self.task = task
        self.result = data


class Stats:
    def __init__(self, failures=None, dark=None):
        self.failures = failures or {}
        self.dark = dark or {}


SYSTEM_JSON = "ioconnect.fleet.system_json"
DESK_SYSTEM_JSON = "ioconnect.fleet.desk_system_json"


def make_callback(tmp_path, **options):
    """The callback as ansible-core loads it (DOCUMENTATION parsed), configured through set_options(): every
    option not given here takes its documented default."""
    cb = callback_loader.get("ioconnect.fleet.drift_report", display=MagicMock(verbosity=0))
    direct = {
        "output_dir": str(tmp_path / "report"),
        "formats": ["json", "markdown", "html", "junit"],
        "progress": "never",
        "summary_line": "always",
    }
    direct.update(options)
    cb.set_options(direct=direct)
    return cb


def read_report(tmp_path):
    with open(tmp_path / "report" / "drift-report.json", encoding="utf-8") as handle:
        return json.load(handle)


def statuses(report):
    return {d["name"]: d["status"] for d in report["desks"]}


def test_collects_plain_loop_role_and_short_name_results(tmp_path):
    cb = make_callback(tmp_path)
    plain = Task(SYSTEM_JSON)
    in_role = Task("system_json", name="ioconnect.fleet.desktop : Check system.json", resolved=SYSTEM_JSON)
    looped = Task(SYSTEM_JSON, name="installs")
    other = Task("ansible.builtin.stat", resolved="ansible.builtin.stat")
    hosts = {n: Host(n, "emea", "prod") for n in ("a", "b", "c", "d")}
    cb.v2_playbook_on_start(MagicMock(_file_name="drift.yml"))
    cb.v2_playbook_on_play_start(Play(plain, in_role, looped, other))
    cb.v2_runner_on_ok(Result(hosts["a"], other, {"stat": {"exists": True}}))
    cb.v2_runner_on_ok(Result(hosts["a"], plain, fx.compliant()))
    cb.v2_runner_on_ok(Result(hosts["b"], in_role, fx.drifted()))
    loop_result = fx.loop(fx.compliant("/u1"), fx.drifted("/u2", ("/server/url", "/env")))
    for item in loop_result["results"]:
        cb.v2_runner_item_on_ok(Result(hosts["c"], looped, item))
    cb.v2_runner_on_ok(Result(hosts["c"], looped, loop_result))
    cb.v2_runner_on_ok(Result(hosts["d"], other, {"stat": {"exists": False}}))
    cb.v2_playbook_on_stats(Stats())
    report = read_report(tmp_path)
    assert statuses(report) == {"a": "compliant", "b": "drifted", "c": "drifted", "d": "not_checked"}
    assert report["summary"]["drifted_pointers"] == 3
    assert report["run"]["check_mode"] is True
    assert report["run"]["playbooks"] == ["drift.yml"]
    c = next(d for d in report["desks"] if d["name"] == "c")
    assert [i["path"] for i in c["installs"]] == ["/u1", "/u2"]  # the loop counted once, not per item as well
    assert sorted(os.listdir(tmp_path / "report")) == ["drift-history.sqlite", "drift-report.html",
                                                       "drift-report.json", "drift-report.junit.xml",
                                                       "drift-report.md"]
    assert "drift report: 2 of 4 desk(s) drifted" in cb._display.display.call_args[0][0]
    assert report["history"]["status"] == "recorded" and report["history"]["desks_known"] == 4


def test_failed_and_unreachable_desks_listed_apart(tmp_path):
    cb = make_callback(tmp_path)
    check = Task(SYSTEM_JSON)
    facts = Task("ansible.builtin.gather_facts", name="Gathering Facts")
    preflight = Task("ansible.builtin.assert", name="desktop : preflight")
    hosts = {n: Host(n, "amer", "uat") for n in ("ok", "parse", "gone", "pre", "rescued", "late")}
    cb.v2_playbook_on_play_start(Play(check))
    cb.v2_runner_on_unreachable(Result(hosts["gone"], facts, {"msg": "Connection refused", "unreachable": True}))
    cb.v2_runner_on_failed(Result(hosts["pre"], preflight, {"msg": "unknown env/region pair"}))
    cb.v2_runner_on_failed(Result(hosts["rescued"], preflight, {"msg": "rescued later"}))
    cb.v2_runner_on_ok(Result(hosts["rescued"], check, fx.compliant()))
    cb.v2_runner_on_failed(Result(hosts["parse"], check, {k: v for k, v in fx.failed().items() if k != "failed"}))
    cb.v2_runner_on_ok(Result(hosts["ok"], check, fx.compliant()))
    cb.v2_runner_on_ok(Result(hosts["late"], check, fx.drifted()))
    # a failure after the check (e.g. fail-on-drift) does not hide the desk's drift
    cb.v2_runner_on_failed(Result(hosts["late"], Task("ansible.builtin.fail"), {"msg": "Drift found"}))
    cb.v2_playbook_on_stats(Stats(failures={"pre": 1, "parse": 1, "late": 1}, dark={"gone": 1}))
    report = read_report(tmp_path)
    assert statuses(report) == {"ok": "compliant", "parse": "failed", "gone": "unreachable", "pre": "failed",
                                "rescued": "compliant", "late": "drifted"}
    pre = next(d for d in report["desks"] if d["name"] == "pre")
    assert pre["errors"] == [{"kind": "failed", "task": "desktop : preflight", "msg": "unknown env/region pair"}]
    assert report["desks_by_status"]["failed"] == ["parse", "pre"]
    assert report["desks_by_status"]["unreachable"] == ["gone"]


def test_ignored_failures_do_not_count(tmp_path):
    cb = make_callback(tmp_path)
    check = Task(SYSTEM_JSON)
    probe = Task("ansible.builtin.command")
    host = Host("d1", "emea", "dev")
    cb.v2_playbook_on_play_start(Play(check))
    cb.v2_runner_on_failed(Result(host, probe, {"msg": "probe failed"}), ignore_errors=True)
    cb.v2_runner_on_ok(Result(host, check, fx.compliant()))
    cb.v2_playbook_on_stats(Stats())
    assert statuses(read_report(tmp_path)) == {"d1": "compliant"}


def test_no_drift_play_writes_nothing(tmp_path):
    cb = make_callback(tmp_path)
    other = Task("ansible.builtin.ping")
    cb.v2_playbook_on_play_start(Play(other))
    cb.v2_runner_on_ok(Result(Host("x"), other, {"ping": "pong"}))
    cb.v2_playbook_on_stats(Stats())
    assert not (tmp_path / "report").exists()
    cb._display.display.assert_not_called()


def test_all_unreachable_before_any_check_still_reported(tmp_path):
    cb = make_callback(tmp_path, formats=["json"])
    check = Task(SYSTEM_JSON)
    facts = Task("ansible.builtin.gather_facts")
    cb.v2_playbook_on_play_start(Play(check))  # the play holds a check: it is a drift play
    for name in ("a", "b"):
        cb.v2_runner_on_unreachable(Result(Host(name, "apac", "prod"), facts, {"unreachable": True, "msg": "timeout"}))
    cb.v2_playbook_on_stats(Stats(dark={"a": 1, "b": 1}))
    report = read_report(tmp_path)
    assert statuses(report) == {"a": "unreachable", "b": "unreachable"}
    assert report["by_region"]["apac"]["unreachable"] == 2
    assert sorted(os.listdir(tmp_path / "report")) == ["drift-history.sqlite", "drift-report.json"]


def test_hundreds_of_desks_and_progress(tmp_path):
    cb = make_callback(tmp_path, progress="always", progress_every=50, formats=["json"])
    check = Task(SYSTEM_JSON)
    play = Play(check)
    cb.v2_playbook_on_play_start(play)
    cb._meter.total = 600
    cb._meter.min_gap = 0
    expected = {}
    for i in range(600):
        host = Host("desk-%03d" % i, ["emea", "amer"][i % 2], ["prod", "uat", "dev"][i % 3])
        if i % 7 == 0:
            cb.v2_runner_on_ok(Result(host, check, fx.drifted()))
            expected[host.name] = "drifted"
        elif i % 11 == 0:
            cb.v2_runner_on_failed(Result(host, check, {"msg": "broken", "error_kind": "parse"}))
            expected[host.name] = "failed"
        else:
            cb.v2_runner_on_ok(Result(host, check, fx.compliant()))
            expected[host.name] = "compliant"
    cb.v2_playbook_on_stats(Stats())
    report = read_report(tmp_path)
    assert statuses(report) == expected
    lines = [c[0][0] for c in cb._display.display.call_args_list if c[0][0].startswith("drift: ")]
    assert len(lines) == 12
    assert lines[-1].startswith("drift: 600 / 600 desks done (100%), 86 drifted")


def test_region_from_templated_var_and_unknown(tmp_path):
    """Labels written as templates in the inventory (``ioconnect_region: "{{ site_region }}"``) are templated with
    the host's variables, as ansible-core trusts inventory strings; a desk without labels is 'unknown'."""
    cb = make_callback(tmp_path)
    check = Task(SYSTEM_JSON)
    play = Play(check)
    play._loader = DataLoader()
    cb.v2_playbook_on_play_start(play)
    templated = Host("templated")
    templated.vars.update(site_region="apac", site_env="uat",
                          ioconnect_region=trust_as_template("{{ site_region | upper }}"),
                          ioconnect_env=trust_as_template("{{ site_env }}"))
    cb.v2_runner_on_ok(Result(templated, check, fx.compliant()))
    cb.v2_runner_on_ok(Result(Host("nolabels"), check, fx.compliant()))
    cb.v2_playbook_on_stats(Stats())
    desks = {d["name"]: d for d in read_report(tmp_path)["desks"]}
    assert (desks["templated"]["region"], desks["templated"]["environment"]) == ("APAC", "uat")
    assert (desks["nolabels"]["region"], desks["nolabels"]["environment"]) == ("unknown", "unknown")


def test_report_errors_never_break_the_run(tmp_path):
    target = tmp_path / "file"
    target.write_text("not a folder")
    cb = make_callback(tmp_path, output_dir=str(target))
    check = Task(SYSTEM_JSON)
    cb.v2_playbook_on_play_start(Play(check))
    cb.v2_runner_on_ok(Result(Host("a"), check, fx.compliant()))
    cb.v2_playbook_on_stats(Stats())
    assert "no drift report written" in cb._display.warning.call_args[0][0]


def test_no_secret_reaches_the_files(tmp_path):
    cb = make_callback(tmp_path)
    check = Task(SYSTEM_JSON)
    cb.v2_playbook_on_play_start(Play(check))
    cb.v2_runner_on_ok(Result(Host("leaky", "emea", "prod"), check, fx.leaky()))
    cb.v2_runner_on_failed(Result(Host("msg", "emea", "prod"), check, {
        "msg": "cannot reach https://svc:%s@mgr.example/api with token=%s" % (fx.SECRETS[5], fx.SECRETS[1])}))
    cb.v2_playbook_on_stats(Stats())
    names = os.listdir(tmp_path / "report")
    assert "drift-history.sqlite" in names  # the history too: values are masked before they are stored
    for name in names:
        data = (tmp_path / "report" / name).read_bytes()
        for secret in fx.SECRETS:
            assert secret.encode("utf-8") not in data, (name, secret)


def test_documentation_is_valid_yaml_with_ini_and_env():
    from ansible.plugins.loader import fragment_loader
    from ansible.utils.plugin_docs import get_docstring

    from ansible_collections.ioconnect.fleet.plugins.callback import drift_report

    # As ansible-core reads it: the history and secret_keys options come from the collection's doc fragments.
    doc = get_docstring(drift_report.__file__, fragment_loader, collection_name="ioconnect.fleet",
                        plugin_type="callback")[0]
    assert doc["type"] == "notification"
    assert doc["version_added"] == "0.1.0"
    for name, option in doc["options"].items():
        assert option["type"] and "description" in option, name
        assert option["ini"][0]["section"] == "ioconnect_drift_report", name
        assert option["env"][0]["name"].startswith("IOCONNECT_DRIFT_REPORT_"), name
    assert CallbackModule.CALLBACK_TYPE == "notification"
    assert CallbackModule.CALLBACK_NEEDS_ENABLED is True


@pytest.mark.parametrize("mode, tty, expected", [("auto", True, True), ("auto", False, False),
                                                 ("always", False, True), ("never", True, False)])
def test_progress_modes(tmp_path, monkeypatch, mode, tty, expected):
    cb = make_callback(tmp_path, progress=mode)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty, raising=False)
    assert cb._progress_enabled() is expected


def test_options_are_checked_against_the_documentation(tmp_path):
    with pytest.raises(AnsibleError, match="progress"):
        make_callback(tmp_path, progress="sometimes")
    cb = make_callback(tmp_path)
    # Defaults come from DOCUMENTATION, typed as documented.
    assert cb.get_option("basename") == "drift-report"
    assert cb.get_option("actions") == [DESK_SYSTEM_JSON, SYSTEM_JSON]
    assert isinstance(cb.get_option("history_timeout"), float)
    assert make_callback(tmp_path, formats="json,html").get_option("formats") == ["json", "html"]


def test_lines_go_to_stderr_only(tmp_path):
    cb = make_callback(tmp_path, progress="always", progress_every=1)
    check = Task(SYSTEM_JSON)
    cb.v2_playbook_on_play_start(Play(check))
    cb._meter.min_gap = 0
    cb.v2_runner_on_ok(Result(Host("a"), check, fx.compliant()))
    cb.v2_playbook_on_stats(Stats())
    calls = cb._display.display.call_args_list
    assert len(calls) == 2
    assert all(c.kwargs.get("stderr") is True for c in calls)


def test_desk_system_json_results(tmp_path):
    cb = make_callback(tmp_path)
    desk_task = Task(DESK_SYSTEM_JSON, name="ioconnect.fleet.desktop : Point the desk at io.Manager")
    cb.v2_playbook_on_play_start(Play(desk_task))
    cb.v2_runner_on_ok(Result(Host("lon-prod-01", "EMEA", "PROD"), desk_task,
                              fx.desk_result("lon-prod-01", [fx.desk_file(drift=[fx.URL_DRIFT]), fx.desk_file(
                                  path=fx.MACHINE_ROOT + "\\config\\system.json", profile="(all users)",
                                  root=fx.MACHINE_ROOT)])))
    cb.v2_runner_on_ok(Result(Host("lon-prod-02", "EMEA", "PROD"), desk_task, fx.desk_result("lon-prod-02", [])))
    broken = fx.desk_result("lon-prod-03", [fx.desk_file(failed=True)])
    cb.v2_runner_on_failed(Result(Host("lon-prod-03", "EMEA", "PROD"), desk_task,
                                  {k: v for k, v in broken.items() if k != "failed"}))
    cb.v2_playbook_on_stats(Stats(failures={"lon-prod-03": 1}))
    report = read_report(tmp_path)
    assert statuses(report) == {"lon-prod-01": "drifted", "lon-prod-02": "not_installed", "lon-prod-03": "failed"}
    first = next(d for d in report["desks"] if d["name"] == "lon-prod-01")
    assert first["profiles"] == ["(all users)", "kim"] and first["drift_count"] == 1
    assert report["run"]["check_mode"] is True


def test_a_corrupt_history_never_costs_the_report(tmp_path):
    history = tmp_path / "broken.sqlite"
    history.write_bytes(b"\x00garbage, not a database" * 50)
    cb = make_callback(tmp_path, history_path=str(history))
    check = Task(SYSTEM_JSON)
    cb.v2_playbook_on_play_start(Play(check))
    cb.v2_runner_on_ok(Result(Host("a", "emea", "prod"), check, fx.drifted()))
    cb.v2_playbook_on_stats(Stats())
    report = read_report(tmp_path)
    assert statuses(report) == {"a": "drifted"}
    assert report["history"]["problem"] == "corrupt"
    warning = cb._display.warning.call_args[0][0]
    assert "is corrupt" in warning and str(history) in warning and "move the file aside" in warning
    assert "drift report: 1 of 1" in cb._display.display.call_args[0][0]


def test_a_report_play_writes_the_fleet_from_the_history(tmp_path):
    cb = make_callback(tmp_path)
    check = Task(SYSTEM_JSON)
    cb.v2_playbook_on_play_start(Play(check))
    cb.v2_runner_on_ok(Result(Host("a", "emea", "prod"), check, fx.drifted()))
    cb.v2_playbook_on_stats(Stats())
    later = make_callback(tmp_path)
    play = Play(Task("ansible.builtin.debug"), hosts="localhost")
    play.vars = {"ioconnect_drift_report_from_history": True}
    later.v2_playbook_on_play_start(play)
    later.v2_playbook_on_stats(Stats())
    report = read_report(tmp_path)
    assert report["history"]["status"] == "read" and statuses(report) == {"a": "drifted"}
    assert report["run"]["summary"]["desks"] == 0 and not report["desks"][0]["in_this_run"]


def test_secret_keys_of_the_task_and_of_the_callback_are_masked_in_every_format(tmp_path):
    """A result that slipped through unmasked (a wrapper action, an older module): the report masks the task's own
    secret_keys and the callback's, besides the built-in rules, in every file it writes."""
    cb = make_callback(tmp_path, secret_keys=["firmCode"])
    check = Task(SYSTEM_JSON)
    check.args = {"path": "/d/system.json", "secret_keys": ["deskPin"]}
    host = Host("desk-1", "emea", "prod")
    cb.v2_playbook_on_start(MagicMock(_file_name="drift.yml"))
    cb.v2_playbook_on_play_start(Play(check))
    leaked = {"changed": True, "path": "/d/system.json", "exists": True, "msg": "drifted (deskPin=pin-4711-SECRET)",
              "drift": [
                  {"pointer": "/x/deskPin", "op": "replace", "before": "pin-4711-SECRET", "after": "pin-4712-SECRET"},
                  {"pointer": "/x", "op": "add", "before": None,
                   "after": {"firmCode": "code-0815-SECRET", "note": "Bearer tok-0815-SECRET",
                             "headers": [{"name": "Authorization", "value": "raw-0815-SECRET"}]}},
              ]}
    cb.v2_runner_on_ok(Result(host, check, leaked))
    cb.v2_playbook_on_stats(Stats())
    written = sorted(os.listdir(tmp_path / "report"))
    assert len(written) == 5 and "drift-history.sqlite" in written, written
    for name in written:
        data = (tmp_path / "report" / name).read_bytes()
        assert b"SECRET" not in data, (name, [ln for ln in data.splitlines() if b"SECRET" in ln][:3])
    drift = read_report(tmp_path)["desks"][0]["drift"]
    assert drift[0]["before"] == "********" and drift[0]["after"] == "********"
    assert drift[1]["after"]["firmCode"] == "********"
    assert drift[1]["after"]["headers"] == [{"name": "Authorization", "value": "********"}]


@pytest.mark.parametrize("mode, expected", [("auto", "written to"), ("never", None), ("always", "drift report: 1 of")])
def test_the_log_says_where_the_report_went_when_stderr_is_not_a_terminal(tmp_path, monkeypatch, mode, expected):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    cb = make_callback(tmp_path, summary_line=mode)
    task = Task(SYSTEM_JSON)
    cb.v2_playbook_on_start(MagicMock(_file_name="drift.yml"))
    cb.v2_playbook_on_play_start(Play(task))
    cb.v2_runner_on_ok(Result(Host("a", "emea", "prod"), task, fx.drifted()))
    cb.v2_playbook_on_stats(Stats())
    lines = [c[0][0] for c in cb._display.display.call_args_list if c[1].get("stderr")]
    if expected is None:
        assert not any(line.startswith("drift report") for line in lines)
        return
    (line,) = [line for line in lines if line.startswith("drift report")]
    assert expected in line and str(tmp_path / "report") in line and "drift-report.html" in line


def test_the_story_of_one_desk_from_the_report_playbook(tmp_path):
    """playbooks/drift_report.yml -e desk=NAME: the desk's scans, newest first, written beside the report and printed."""
    for index, result in enumerate((fx.compliant(), fx.drifted(pointers=("/server/url", "/env")), fx.compliant())):
        cb = make_callback(tmp_path)
        check = Task(SYSTEM_JSON)
        cb.v2_playbook_on_play_start(Play(check))
        cb.v2_runner_on_ok(Result(Host("desk-7", "emea", "prod"), check, result))
        cb.v2_runner_on_ok(Result(Host("other", "emea", "prod"), check, fx.drifted()))
        cb.v2_playbook_on_stats(Stats())
    later = make_callback(tmp_path)
    play = Play(Task("ansible.builtin.debug"), hosts="localhost")
    play.vars = {"ioconnect_drift_report_from_history": True}
    play.extra_vars = {"desk": "desk-7"}
    later.v2_playbook_on_play_start(play)
    later.v2_playbook_on_stats(Stats())
    story = json.loads((tmp_path / "report" / "drift-report-desk-desk-7.json").read_text(encoding="utf-8"))
    assert [e["status"] for e in story["entries"]] == ["compliant", "drifted", "compliant"]
    assert [d["pointer"] for d in story["entries"][1]["drift"]] == ["/server/url", "/env"]
    text = (tmp_path / "report" / "drift-report-desk-desk-7.md").read_text(encoding="utf-8")
    assert "# Story of desk desk-7" in text and "`/server/url` replace" in text and " UTC | drift scan | drifted" in text
    printed = [c[0][0] for c in later._display.display.call_args_list]
    assert any(p.startswith("# Story of desk desk-7") for p in printed)


class BrokenInventory:
    """An inventory that refuses the play's host pattern, as core does for a bad one."""

    def get_hosts(self, pattern="all", ignore_restrictions=False):
        raise AnsibleError("Invalid host pattern %r" % pattern)


class UnreadableVariables(VariableManager):
    """Core cannot read a host's variables (a broken vars file): get_vars raises AnsibleError."""

    _inventory = BrokenInventory()

    def get_vars(self, play=None, host=None, include_hostvars=True):
        raise AnsibleError("vars file broken.yml: not valid YAML")


class NoPlays:
    _file_name = "broken.yml"

    def get_plays(self):
        raise RuntimeError("a playbook object of a shape no one foresaw")


def test_what_core_may_refuse_never_breaks_the_run(tmp_path, monkeypatch):
    """Each narrow handler, and the one broad catch at the edge of each event: the run goes on, the desks that
    could be recorded are in the report, and a warning says what was lost."""
    cb = make_callback(tmp_path, progress="auto")
    cb.v2_playbook_on_start(NoPlays())  # the edge of the event: a warning, no exception
    assert "could not follow a playbook" in cb._display.warning.call_args[0][0]
    check = Task(SYSTEM_JSON)
    play = Play(check)
    play.get_variable_manager = UnreadableVariables  # no hosts from the inventory, no variables from core
    play._loader = DataLoader()
    monkeypatch.setattr(sys, "stderr", object())  # no isatty: progress "auto" is off, not an error
    cb.v2_playbook_on_play_start(play)
    assert cb._meter is None and cb._targets == {}
    labelled = Host("labelled", "emea", "prod")
    labelled.vars["ioconnect_region"] = trust_as_template("{{ no_such_variable }}")
    cb.v2_runner_on_ok(Result(labelled, check, fx.drifted()))
    cb.v2_runner_on_ok(Result(Host("odd"), check, ["a list, not a result"]))
    assert "could not record a result" in cb._display.warning.call_args[0][0]
    cb.v2_playbook_on_stats(Stats())
    report = read_report(tmp_path)
    desk = {d["name"]: d for d in report["desks"]}["labelled"]
    # Host.get_vars gave the labels; the region's broken template stays as written, the environment is read.
    assert (desk["status"], desk["region"], desk["environment"]) == ("drifted", "{{ no_such_variable }}", "prod")


def test_no_private_attribute_is_read_without_a_default():
    """The callback reads private core attributes only through getattr with a default (or _inventory()), so a
    core that renames one costs a detail of the report, never an AttributeError."""
    import ast
    import inspect
    from ansible_collections.ioconnect.fleet.plugins.callback import drift_report

    tree = ast.parse(inspect.getsource(drift_report))
    direct = sorted({node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                     and node.attr.startswith("_") and not node.attr.startswith("__")
                     and not (isinstance(node.value, ast.Name) and node.value.id == "self")})
    # result._host/_task/_result: the documented callback API of TaskResult before 2.19 (host/task/result after).
    assert direct == ["_host", "_result", "_task"], direct
