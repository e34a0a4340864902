# -*- coding: utf-8 -*-
"""The drift report end to end: real ansible-playbook runs with the ioconnect.fleet.drift_report callback enabled,
every format checked against what the fleet holds, and the HTML page opened in headless Chromium.

Two fleets: one this test builds (desks as folders, reached with the local connection, plus one unreachable desk
over SSH to a closed loopback port), always run; and the demo fleet with playbooks/drift.yml, run when both exist.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import jsonschema
import pytest
import yaml

from playbook_runner import BIN, REPO, ansible_env

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCHEMA = json.load(open(os.path.join(REPO, "docs", "drift-report.schema.json"), encoding="utf-8"))
REGIONS = ("emea", "amer", "apac")
ENVS = ("prod", "uat")
KINDS = ("compliant", "drifted", "secret", "corrupt", "missing", "multi")
SECRET_PASSWORD = "Pw-9c2e7f41-never-in-a-report"
SECRET_TOKEN = "Tok-5d1b3a88-never-in-a-report"
STATUS = {"compliant": "compliant", "drifted": "drifted", "secret": "drifted", "corrupt": "failed",
          "missing": "not_installed", "multi": "drifted", "unreachable": "unreachable"}


def manager(region, env):
    return "https://mgr-%s-%s.example.com/api" % (region, env)


def desk_document(region, env, url):
    return {"region": region.upper(), "env": env.upper(), "gw": {"embedded": True},
            "server": {"enabled": True, "url": url}}


def build_fleet(root):
    """Desk folders and an inventory; returns (inventory path, {desk: expected}) ."""
    expected = {}
    hosts = {}
    for region in REGIONS:
        for env in ENVS:
            for kind in KINDS:
                name = "%s-%s-%s" % (region, env, kind)
                folder = os.path.join(root, name)
                os.makedirs(folder)
                path = os.path.join(folder, "system.json")
                files = [path]
                pointers = set()
                doc = desk_document(region, env, manager(region, env))
                if kind == "drifted":
                    doc["server"]["url"] = "https://old-manager.example.com/api"
                    pointers = {(path, "/server/url")}
                elif kind == "secret":
                    doc["server"]["url"] = "https://svc:%s@old-manager.example.com/api" % SECRET_PASSWORD
                    doc["crashReporter"] = {"enabled": True, "output": {"type": "backtrace", "backTraceConfig": {
                        "token": SECRET_TOKEN, "url": "https://bt.example.com"}}}
                    pointers = {(path, "/server/url"), (path, "/crashReporter/output/backTraceConfig")}
                elif kind == "multi":
                    other = os.path.join(folder, "profile2", "system.json")
                    os.makedirs(os.path.dirname(other))
                    with open(other, "w", encoding="utf-8") as handle:
                        json.dump(desk_document(region, env, "http://localhost:4356/api"), handle, indent=4)
                    files.append(other)
                    pointers = {(other, "/server/url")}
                if kind == "corrupt":
                    with open(path, "w", encoding="utf-8") as handle:
                        handle.write('{"region": "EMEA", // a comment\n}')
                elif kind != "missing":
                    with open(path, "w", encoding="utf-8") as handle:
                        json.dump(doc, handle, indent=4)
                hosts[name] = {"ioconnect_region": region, "ioconnect_env": env, "desk_files": files}
                expected[name] = {"status": STATUS[kind], "region": region, "env": env, "pointers": pointers}
    hosts["apac-prod-unreachable"] = {
        "ioconnect_region": "apac", "ioconnect_env": "prod", "desk_files": ["/nonexistent/system.json"],
        "ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1,
        "ansible_ssh_common_args": "-o ConnectTimeout=3 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
    }
    expected["apac-prod-unreachable"] = {"status": "unreachable", "region": "apac", "env": "prod", "pointers": set()}
    inventory = {"all": {"children": {"desks": {
        "hosts": hosts,
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
    }}}}
    path = os.path.join(root, "inventory.yml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(inventory, handle)
    return path, expected


PLAYBOOK = [{
    "name": "Drift check of the test fleet",
    "hosts": "desks",
    "gather_facts": False,
    "check_mode": True,
    "tasks": [{
        "name": "Check every install of the desk",
        "ioconnect.fleet.system_json": {
            "path": "{{ item }}",
            "server": {"enabled": True, "url": "https://mgr-{{ ioconnect_region }}-{{ ioconnect_env }}.example.com/api"},
            "remove": ["/crashReporter/output/backTraceConfig"],
            "when_missing": "skip",
        },
        "loop": "{{ desk_files }}",
        "register": "ioconnect_drift_results",
    }],
    "post_tasks": [{"name": "Summarise drift",
                    "ansible.builtin.import_tasks": os.path.join(REPO, "playbooks", "tasks", "drift_summary.yml")}],
}]


def run_playbook(workdir, inventory, playbook, *args, **env):
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", inventory, playbook, "--forks", "10"] + list(args)
    extra = {"ANSIBLE_CALLBACKS_ENABLED": "ioconnect.fleet.drift_report", "ANSIBLE_SHOW_CUSTOM_STATS": "1"}
    extra.update(env)
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, env=ansible_env(**extra), timeout=900,
                          check=False)
    try:
        data = json.loads(proc.stdout[proc.stdout.index("{"):])
    except ValueError:
        data = None
    return proc, data


@pytest.fixture(scope="module")
def fleet_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("drift-fleet")
    inventory, expected = build_fleet(str(root / "desks"))
    playbook = str(root / "drift.yml")
    with open(playbook, "w", encoding="utf-8") as handle:
        yaml.safe_dump(PLAYBOOK, handle, sort_keys=False)
    out = root / "report"
    proc, data = run_playbook(str(root), inventory, playbook, "-e", "ioconnect_drift_fail_on_drift=true",
                              IOCONNECT_DRIFT_REPORT_DIR=str(out))
    assert data is not None, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {"root": root, "out": out, "proc": proc, "data": data, "expected": expected, "inventory": inventory,
            "playbook": playbook}


def load(out, name):
    with open(os.path.join(str(out), name), encoding="utf-8") as handle:
        return handle.read()


def test_files_written(fleet_run):
    assert sorted(os.listdir(fleet_run["out"])) == [
        "drift-history.sqlite", "drift-report.html", "drift-report.json", "drift-report.junit.xml", "drift-report.md"]


def test_json_report_matches_the_fleet(fleet_run):
    report = json.loads(load(fleet_run["out"], "drift-report.json"))
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(report)
    expected = fleet_run["expected"]
    desks = {d["name"]: d for d in report["desks"]}
    assert set(desks) == set(expected)
    for name, want in expected.items():
        desk = desks[name]
        assert desk["status"] == want["status"], (name, desk)
        assert (desk["region"], desk["environment"]) == (want["region"], want["env"]), name
        assert {(e["path"], e["pointer"]) for e in desk["drift"]} == want["pointers"], name
    assert report["run"]["check_mode"] is True
    for status in ("drifted", "compliant", "failed", "unreachable", "not_installed", "not_checked"):
        names = sorted(n for n, w in expected.items() if w["status"] == status)
        assert sorted(report["desks_by_status"][status]) == names, status
        assert report["summary"][status] == len(names)
    for region in REGIONS:
        assert report["by_region"][region]["drifted"] == sum(
            1 for w in expected.values() if w["region"] == region and w["status"] == "drifted")
    secret = next(d for d in report["desks"] if d["name"] == "emea-prod-secret")
    by_pointer = {e["pointer"]: e for e in secret["drift"]}
    assert by_pointer["/server/url"]["before"] == "https://********@old-manager.example.com/api"
    assert by_pointer["/crashReporter/output/backTraceConfig"]["before"]["token"] == "********"
    assert by_pointer["/crashReporter/output/backTraceConfig"]["op"] == "remove"
    corrupt = next(d for d in report["desks"] if d["name"] == "amer-uat-corrupt")
    assert corrupt["installs"][0]["error_kind"] == "parse"


def test_report_agrees_with_the_task_results(fleet_run):
    """Cross-check against the stdout JSON callback: every system_json result lands in the report as it was."""
    report = json.loads(load(fleet_run["out"], "drift-report.json"))
    desks = {d["name"]: d for d in report["desks"]}
    seen = 0
    for play in fleet_run["data"]["plays"]:
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                if result.get("action") != "ioconnect.fleet.system_json":
                    continue
                seen += 1
                for item in result.get("results", [result]):
                    if item.get("unreachable"):
                        assert desks[host]["status"] == "unreachable"
                    elif item.get("failed"):
                        assert desks[host]["status"] == "failed"
                    elif item.get("drift"):
                        got = {e["pointer"] for e in desks[host]["drift"] if e["path"] == item["path"]}
                        assert got == {e["pointer"] for e in item["drift"]}
                        assert desks[host]["status"] == "drifted"
    assert seen == len(fleet_run["expected"])


def test_set_stats_artifacts_and_fail_on_drift(fleet_run):
    data, proc = fleet_run["data"], fleet_run["proc"]
    stats = data["global_custom_stats"]["ioconnect_drift"]
    report = json.loads(load(fleet_run["out"], "drift-report.json"))
    for key in ("drifted", "compliant", "failed", "unreachable", "not_installed", "not_checked", "desks"):
        assert stats[key] == report["summary"][key], key
    assert stats["desks_checked"] == report["summary"]["compliant"] + report["summary"]["drifted"]
    assert sorted(stats["drifted_desks"]) == sorted(report["desks_by_status"]["drifted"])
    assert proc.returncode != 0
    fail = [t for p in data["plays"] for t in p["tasks"] if t["task"]["name"] == "Fail the run when drift is found"]
    failed_here = [h for h, r in fail[0]["hosts"].items() if r.get("failed")]
    # Once, on a desk that drifted: never on a compliant one.
    assert len(failed_here) == 1 and failed_here[0] in report["desks_by_status"]["drifted"]
    assert "Drift found on %d desk(s)" % report["summary"]["drifted"] in fail[0]["hosts"][failed_here[0]]["msg"]
    failures = {h for h, s in data["stats"].items() if s["failures"]}
    assert failures == set(report["desks_by_status"]["failed"]) | set(failed_here)


def test_no_secret_in_any_file(fleet_run):
    for name in os.listdir(fleet_run["out"]):  # the history too: masked before it is stored
        data = (fleet_run["out"] / name).read_bytes()
        assert SECRET_PASSWORD.encode() not in data and SECRET_TOKEN.encode() not in data, name


def test_markdown_summary(fleet_run):
    text = load(fleet_run["out"], "drift-report.md")
    expected = fleet_run["expected"]
    drifted = text[text.index("## Drifted desks"):text.index("## Failed desks")]
    failed = text[text.index("## Failed desks"):text.index("## Unreachable desks")]
    unreachable = text[text.index("## Unreachable desks"):]
    for name, want in expected.items():
        if want["status"] == "drifted":
            assert "### %s " % name in drifted
            for _path, pointer in want["pointers"]:
                assert pointer in drifted
        else:
            assert "### %s " % name not in drifted
        assert (("| %s |" % name) in failed) == (want["status"] == "failed"), name
        assert (("| %s |" % name) in unreachable.split("## Not checked", maxsplit=1)[0]) == (want["status"] == "unreachable")
    emea = json.loads(load(fleet_run["out"], "drift-report.json"))["by_region"]["emea"]
    assert "| emea | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d |" % tuple(emea[k] for k in (
        "desks", "drifted", "changed", "compliant", "failed", "unreachable", "not_installed", "not_checked",
        "drifted_pointers", "pointers_on_failed_desks")) in text


def test_junit(fleet_run):
    root = ET.fromstring(load(fleet_run["out"], "drift-report.junit.xml").encode("utf-8"))
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == set(fleet_run["expected"])
    for name, want in fleet_run["expected"].items():
        case = cases[name]
        kinds = {child.tag for child in case} - {"system-out"}
        assert kinds == {"drifted": {"failure"}, "failed": {"error"}, "unreachable": {"error"},
                         "not_installed": {"skipped"}, "not_checked": {"skipped"}, "compliant": set()}[want["status"]], name
        assert case.get("classname") == "drift.%s.%s" % (want["region"], want["env"])


def test_ini_options_choose_folder_and_formats(fleet_run, tmp_path):
    cfg = tmp_path / "ansible.cfg"
    cfg.write_text("[defaults]\ncallbacks_enabled = ioconnect.fleet.drift_report\n\n[ioconnect_drift_report]\n"
                   "output_dir = %s\nformats = json,html\nbasename = fleet\n" % (tmp_path / "ini-out"))
    proc, _data = run_playbook(str(tmp_path), fleet_run["inventory"], fleet_run["playbook"], "--limit", "emea-*",
                               ANSIBLE_CONFIG=str(cfg))
    assert sorted(os.listdir(tmp_path / "ini-out")) == ["drift-history.sqlite", "fleet.html", "fleet.json"], \
        proc.stderr[-2000:]
    report = json.loads((tmp_path / "ini-out" / "fleet.json").read_text(encoding="utf-8"))
    assert report["summary"]["desks"] == 12
    assert proc.returncode != 0  # the corrupt desk fails the run; fail-on-drift is off


def chromium(tmp_path, url, *flags):
    profile = tmp_path / ("chromium-profile-%d" % len(list(tmp_path.glob("chromium-profile-*"))))
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--user-data-dir=%s" % profile, "--virtual-time-budget=2000"] + list(flags) + [url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def dom_number(dom, element_id):
    match = re.search(r'id="%s" data-count="(\d+)">(\d+)<' % element_id, dom)
    assert match and match.group(1) == match.group(2), element_id
    return int(match.group(1))


@pytest.mark.skipif(not os.path.exists(CHROMIUM),
                    reason="%s is absent: install the Debian package 'chromium' (apt-get install -y chromium)"
                    % CHROMIUM)
def test_html_in_headless_chromium(fleet_run, tmp_path):
    page = os.path.join(str(fleet_run["out"]), "drift-report.html")
    report = json.loads(load(fleet_run["out"], "drift-report.json"))
    summary = report["summary"]

    proc = chromium(tmp_path, "file://" + page, "--dump-dom")
    dom = proc.stdout
    assert "<table id=\"desks\"" in dom, proc.stderr[-2000:]
    for status in ("drifted", "compliant", "failed", "unreachable", "not-checked"):
        assert dom_number(dom, "count-" + status) == summary[status.replace("-", "_")], status
    assert dom_number(dom, "count-desks") == summary["desks"] == len(fleet_run["expected"])
    assert len(re.findall(r'<tr class="desk"', dom)) == summary["desks"]
    # Written by the page's script after it ran: proves the inline JS is allowed by its own CSP and works.
    assert '>%d of %d desks shown<' % (summary["desks"], summary["desks"]) in dom
    region_row = re.search(r'<tr data-group="emea">(.*?)</tr>', dom, re.S).group(1)
    assert 'data-status="drifted">%d<' % report["by_region"]["emea"]["drifted"] in region_row
    for name in report["desks_by_status"]["failed"]:
        section = dom[dom.index('id="failed-section"'):dom.index('id="unreachable-section"')]
        assert 'data-name="%s"' % name in section
    section = dom[dom.index('id="unreachable-section"'):]
    assert 'data-name="apac-prod-unreachable"' in section

    # A filtered, sorted view from the link: only drifted desks, most pointers first.
    proc = chromium(tmp_path, "file://" + page + "#status=drifted&sort=drift&dir=desc", "--dump-dom")
    dom = proc.stdout
    assert 'data-shown="%d"' % summary["drifted"] in dom
    visible = re.findall(r'<tr class="desk" data-name="([^"]+)"[^>]*data-drift="(\d+)">', dom)
    assert len(visible) == summary["drifted"]
    assert all(name in report["desks_by_status"]["drifted"] for name, _count in visible)
    counts = [int(count) for _name, count in visible]
    assert counts == sorted(counts, reverse=True)

    # A desk's story: the link (the same code as a click on its row) opens that desk's timeline, and no other.
    desk = report["desks_by_status"]["drifted"][0]
    proc = chromium(tmp_path, "file://" + page + "#desk=" + desk, "--dump-dom")
    opened = re.findall(r'<details class="timeline" id="timeline-([^"]+)" data-name="[^"]+" open', proc.stdout)
    assert opened == [desk], proc.stderr[-2000:]
    story = proc.stdout[proc.stdout.index('id="timeline-%s"' % desk):]
    story = story[:story.index("</details>")]
    assert re.search(r"<time [^>]*>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</time></td><td>drift scan</td>", story), story
    # Trend charts carry a time axis (the first round's day and time under the axis).
    assert re.search(r'<text class="lbl time"[^>]*>\d{4}-\d\d-\d\d</text>', proc.stdout)

    shot = tmp_path / "drift-report.png"
    proc = chromium(tmp_path, "file://" + page, "--screenshot=%s" % shot, "--window-size=1280,900",
                    "--hide-scrollbars")
    assert shot.exists() and shot.stat().st_size > 20000, proc.stderr[-2000:]
    keep = os.environ.get("IOCONNECT_DRIFT_SCREENSHOT")
    if keep:
        shutil.copyfile(str(shot), keep)


DEMO_INVENTORY = os.path.join(REPO, "inventories", "demo")
DRIFT_PLAYBOOK = os.path.join(REPO, "playbooks", "drift.yml")


@pytest.mark.skipif(not (os.path.exists(DEMO_INVENTORY) and os.path.exists(DRIFT_PLAYBOOK)),
                    reason="the demo fleet (inventories/demo) and playbooks/drift.yml are not there yet")
def test_drift_playbook_on_the_demo_fleet(tmp_path):
    """drift.yml on the demo fleet: the report agrees with every system_json result of the run."""
    out = tmp_path / "report"
    # A fresh clone has no demo desks yet: build them here, as `make demo` does, in this test's own folder.
    demo_root = tmp_path / "demo"
    subprocess.run([sys.executable, os.path.join(REPO, "tests", "support", "demo_fleet.py"), "generate",
                    "-i", DEMO_INVENTORY, "--root", str(demo_root)], cwd=REPO, check=True, capture_output=True,
                   env=ansible_env(), timeout=600)
    proc, data = run_playbook(REPO, DEMO_INVENTORY, DRIFT_PLAYBOOK, IOCONNECT_DRIFT_REPORT_DIR=str(out),
                              IOCONNECT_DEMO_ROOT=str(demo_root))
    assert data is not None, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((out / "drift-report.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(report)
    desks = {d["name"]: d for d in report["desks"]}
    checked = set()
    for play in data["plays"]:
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                if not str(result.get("action", "")).endswith("system_json"):
                    continue
                for item in result.get("results", [result]):
                    if item.get("skipped"):
                        continue
                    checked.add(host)
                    pointers = {e["pointer"] for e in item.get("drift") or []}
                    got = {e["pointer"] for e in desks[host]["drift"] if e.get("path") == item.get("path")}
                    assert pointers <= got, (host, item.get("path"))
                    if pointers:
                        assert desks[host]["status"] in ("drifted", "failed", "unreachable")
    assert checked, "drift.yml ran no ioconnect.fleet.system_json task"
    for desk in report["desks"]:
        if desk["status"] == "compliant":
            assert desk["drift"] == [] and desk["name"] in checked
    for name in os.listdir(out):
        assert (out / name).stat().st_size > 0


def test_limited_runs_one_after_another_keep_the_whole_fleet(fleet_run, tmp_path):
    """--limit emea, then --limit amer, then --limit one desk: each report shows every desk the history knows."""
    out = tmp_path / "limited"
    runs = []
    for limit in ("emea-*", "amer-*", "emea-prod-drifted"):
        proc, _data = run_playbook(str(tmp_path), fleet_run["inventory"], fleet_run["playbook"], "--limit", limit,
                                   IOCONNECT_DRIFT_REPORT_DIR=str(out))
        assert os.path.exists(out / "drift-report.json"), proc.stderr[-2000:]
        runs.append(json.loads((out / "drift-report.json").read_text(encoding="utf-8")))
    first, second, third = runs
    assert {d["name"] for d in first["desks"]} == {n for n in fleet_run["expected"] if n.startswith("emea-")}
    names = {n for n in fleet_run["expected"] if n.startswith(("emea-", "amer-"))}
    for report in (second, third):
        assert {d["name"] for d in report["desks"]} == names
        assert report["summary"]["desks"] == len(names) == report["history"]["desks_known"]
    desks = {d["name"]: d for d in third["desks"]}
    assert third["run"]["summary"]["desks"] == 1 and [n for n, d in desks.items() if d["in_this_run"]] == [
        "emea-prod-drifted"]
    again = desks["emea-prod-drifted"]
    assert again["history"]["scans"] == 2 and again["history"]["times_drifted"] == 1
    assert again["history"]["drifted_since"] == next(
        d["scanned_at"] for d in first["desks"] if d["name"] == "emea-prod-drifted")
    kept = desks["amer-prod-drifted"]
    assert not kept["in_this_run"] and kept["run_id"] == second["run"]["run_id"] and kept["status"] == "drifted"
    # One point per scan round for every region (the amer round carries emea's desks forward): rows of the same
    # length, whatever a round scanned.
    assert [p["drifted"] for p in third["trend"]["by_region"]["emea"]] == [
        sum(1 for n, w in fleet_run["expected"].items() if n.startswith("emea-") and w["status"] == "drifted")] * 3
    assert {len(points) for points in third["trend"]["by_region"].values()} == {len(third["trend"]["rounds"])}


def test_a_corrupt_history_file_never_fails_the_scan(fleet_run, tmp_path):
    out = tmp_path / "corrupt"
    out.mkdir()
    history = out / "drift-history.sqlite"
    history.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    clean, _data = run_playbook(str(tmp_path), fleet_run["inventory"], fleet_run["playbook"], "--limit", "emea-*",
                                IOCONNECT_DRIFT_REPORT_DIR=str(tmp_path / "clean"))
    proc, _data = run_playbook(str(tmp_path), fleet_run["inventory"], fleet_run["playbook"], "--limit", "emea-*",
                               IOCONNECT_DRIFT_REPORT_DIR=str(out))
    assert proc.returncode == clean.returncode  # the history changes nothing of the run's outcome
    report = json.loads((out / "drift-report.json").read_text(encoding="utf-8"))
    assert report["history"]["problem"] == "corrupt" and report["summary"]["desks"] == 12
    stderr = " ".join(proc.stderr.split())
    # ansible-core before 2.19 wraps warnings at 80 columns, breaking long paths after a "-": compare without spaces
    assert str(history) in re.sub(r"\s+", "", proc.stderr) and "is corrupt" in stderr \
        and "move the file aside" in stderr, proc.stderr[-3000:]
    assert "History not used." in (out / "drift-report.html").read_text(encoding="utf-8")
    assert history.read_bytes().startswith(b"SQLite format 3\x00\xff")  # left for a person to look at


HOSTILE = "<img src=x onerror=alert(1)>\"q\"'s&amp;"
HOSTILE_VALUE = "https://old.example/api\"></script><script>alert(2)</script><b>bold</b>"


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """A real run whose every column holds markup, quotes and </script>: desk, region, environment, profile,
    file, JSON pointer, values, message, task and playbook name."""
    root = tmp_path_factory.mktemp("hostile")
    hosts = {}
    for index, kind in enumerate(("drifted", "corrupt", "compliant")):
        name = "desk-%d-%s%s" % (index, kind, HOSTILE)
        profile = root / ("desk-%d" % index) / "Users" / ("kim%s" % HOSTILE.replace("/", ""))
        path = profile / "AppData" / "system.json"
        path.parent.mkdir(parents=True)
        doc = {"region": "EMEA", "env": "PROD", "gw": {"embedded": True},
               "server": {"enabled": True, "url": "https://new.example/api"}, "x</script>" + HOSTILE: 1}
        if kind == "drifted":
            doc["server"]["url"] = HOSTILE_VALUE
        if kind == "corrupt":
            path.write_text('{"region": "</script>' + HOSTILE + '", // comment\n}', encoding="utf-8")
        else:
            if kind == "compliant":
                del doc["x</script>" + HOSTILE]
            path.write_text(json.dumps(doc), encoding="utf-8")
        hosts[name] = {"ioconnect_region": "emea" + HOSTILE, "ioconnect_env": "prod</script>" + HOSTILE,
                       "desk_file": str(path)}
    inventory = root / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}), encoding="utf-8")
    playbook = root / ("drift-%s.yml" % HOSTILE.replace("/", ""))
    playbook.write_text(yaml.safe_dump([{
        "name": "Hostile drift check", "hosts": "all", "gather_facts": False, "check_mode": True,
        "tasks": [{"name": "Check " + HOSTILE + " </script>", "ioconnect.fleet.system_json": {
            "path": "{{ desk_file }}", "server": {"enabled": True, "url": "https://new.example/api"},
            "remove": ["/x<~1script>" + HOSTILE]}}]}], sort_keys=False), encoding="utf-8")
    out = root / "report"
    proc, _data = run_playbook(str(root), str(inventory), str(playbook), IOCONNECT_DRIFT_REPORT_DIR=str(out))
    report = json.loads((out / "drift-report.json").read_text(encoding="utf-8"))
    return {"out": out, "report": report, "proc": proc}


def test_hostile_values_in_every_column_stay_text(hostile_run):
    report = hostile_run["report"]
    assert {d["status"] for d in report["desks"]} == {"drifted", "failed", "compliant"}, hostile_run["proc"].stderr
    drifted = next(d for d in report["desks"] if d["status"] == "drifted")
    assert {e["pointer"] for e in drifted["drift"]} == {"/server/url", "/x<~1script>" + HOSTILE}
    assert drifted["profiles"] == ["kim" + HOSTILE.replace("/", "")]
    page = (hostile_run["out"] / "drift-report.html").read_text(encoding="utf-8")
    assert page.count("<script") == 1 and "<img" not in page and "<b>bold" not in page
    assert "onerror=alert(1)&gt;" in page


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="%s is absent: install the Debian package 'chromium'" % CHROMIUM)
def test_hostile_report_in_headless_chromium(hostile_run, tmp_path):
    report = hostile_run["report"]
    proc = chromium(tmp_path, "file://" + str(hostile_run["out"] / "drift-report.html"), "--dump-dom")
    dom = proc.stdout
    assert '<table id="desks"' in dom, proc.stderr[-2000:]
    # Nothing became markup: no element but the page's own script, no image, no bold; the script ran.
    assert dom.count("<script") == 1 and "<img" not in dom and "<b>" not in dom
    assert ">3 of 3 desks shown<" in dom
    for status in ("drifted", "failed", "compliant"):
        assert dom_number(dom, "count-" + status) == report["summary"][status] == 1
    assert len(re.findall(r'<tr class="desk"', dom)) == 3
    assert "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in dom  # the value, as text
