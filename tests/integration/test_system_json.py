# -*- coding: utf-8 -*-
"""ioconnect.fleet.system_json driven by real ansible-playbook runs on localhost: every option, every error case,
and conformance with io.Connect Desktop's own schema (@interopio/schemas 10.2.0, fetched with npm pack)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

import pytest

from playbook_runner import REPO, run_tasks

BOM = b"\xef\xbb\xbf"
URL = "https://iomanager-emea.example.com/api"
CRASHES = URL + "/crashes"

# A vendor-valid system.json of the shape io.Connect Desktop ships: BOM, CRLF, 4-space indent.
DESK = ("{\r\n"
        "    \"region\": \"EMEA\",\r\n"
        "    \"env\": \"PROD\",\r\n"
        "    \"gw\": {\r\n"
        "        \"embedded\": true,\r\n"
        "        \"configuration\": {\"port\": 8385}\r\n"
        "    },\r\n"
        "    \"appStores\": [\r\n"
        "        {\r\n"
        "            \"type\": \"path\",\r\n"
        "            \"details\": {\"path\": \"./config/apps\"}\r\n"
        "        }\r\n"
        "    ],\r\n"
        "    \"folders\": {\"cache\": \"%IO_CD_USER_DATA_DIR%/Büro – Zürich\"},\r\n"
        "    \"server\": {\r\n"
        "        \"enabled\": false,\r\n"
        "        \"url\": \"http://localhost:4356/api\"\r\n"
        "    },\r\n"
        "    \"crashReporter\": {\r\n"
        "        \"enabled\": true,\r\n"
        "        \"folderPath\": \"%IO_CD_USER_DATA_DIR%/crashes\",\r\n"
        "        \"companyName\": \"Interop Inc\",\r\n"
        "        \"productName\": \"io.Connect Desktop\",\r\n"
        "        \"output\": {\"type\": \"local\"}\r\n"
        "    }\r\n"
        "}\r\n").encode("utf-8")
DESK_FILE = BOM + DESK

SERVER = {"enabled": True, "url": URL}
CRASH = {"output": {"type": "server", "serverUrl": CRASHES}}


def task(name, path, **args):
    return {"name": name, "ioconnect.fleet.system_json": dict(path=str(path), **args), "ignore_errors": True}


@pytest.fixture(scope="session")
def vendor_schemas():
    """The schemas/ folder of @interopio/schemas 10.2.0, fetched once with npm and kept in .cache/."""
    folder = os.path.join(REPO, ".cache", "vendor", "interopio-schemas-10.2.0")
    schemas = os.path.join(folder, "package", "schemas")
    if not os.path.isfile(os.path.join(schemas, "system.json")):
        if shutil.which("npm") is None:
            pytest.fail("npm is needed to fetch @interopio/schemas@10.2.0 (apt-get install npm)")
        os.makedirs(folder, exist_ok=True)
        subprocess.run(["npm", "pack", "--silent", "@interopio/schemas@10.2.0"], cwd=folder, check=True,
                       capture_output=True, timeout=300)
        with tarfile.open(os.path.join(folder, "interopio-schemas-10.2.0.tgz")) as archive:
            archive.extractall(folder, filter="data")
    return schemas


@pytest.fixture(scope="session")
def vendor_validator(vendor_schemas):
    from ansible_collections.ioconnect.fleet.plugins.plugin_utils.validation import document_errors, load_schema_set
    validator = load_schema_set(vendor_schemas)
    return lambda data: document_errors(validator, json.loads(data.decode("utf-8-sig")))


@pytest.fixture
def desk(tmp_path):
    folder = tmp_path / "desk" / "config"
    folder.mkdir(parents=True)
    path = folder / "system.json"
    path.write_bytes(DESK_FILE)
    return path


def test_first_run_changes_only_the_values_second_run_changes_nothing(desk, tmp_path, vendor_validator):
    tasks = [task("apply", desk, server=SERVER, crash_reporter=CRASH, backup=True),
             task("again", desk, server=SERVER, crash_reporter=CRASH, backup=True)]
    run = run_tasks(tasks, tmp_path)
    first, second = run.result("apply"), run.result("again")
    assert first["changed"] is True, run.stdout
    assert [d["pointer"] for d in first["drift"]] == [
        "/server/enabled", "/server/url", "/crashReporter/output/type", "/crashReporter/output/serverUrl"]
    expected = DESK_FILE.replace(b'"enabled": false', b'"enabled": true').replace(
        b"http://localhost:4356/api", URL.encode()).replace(
        b'"output": {"type": "local"}', ('"output": {"type": "server", "serverUrl": "%s"}' % CRASHES).encode())
    assert desk.read_bytes() == expected, "BOM, CRLF, indent, order and non-ASCII are kept; only values moved"
    assert open(first["backup_file"], "rb").read() == DESK_FILE
    assert second["changed"] is False and second["drift"] == [] and "backup_file" not in second
    assert vendor_validator(desk.read_bytes()) == []


def test_a_compliant_file_is_not_rewritten_whatever_its_formatting(desk, tmp_path):
    compliant = json.dumps({"region": "EMEA", "env": "PROD", "gw": {}, "server": {"url": URL, "enabled": True}},
                           indent="\t", separators=(" ,", " : ")).encode()
    desk.write_bytes(compliant)
    before = os.stat(desk)
    run = run_tasks([task("apply", desk, server=SERVER)], tmp_path)
    after = os.stat(desk)
    assert run.result("apply")["changed"] is False
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert desk.read_bytes() == compliant


def test_check_mode_never_writes_and_names_the_drifted_pointers(desk, tmp_path):
    run = run_tasks([task("scan", desk, server=SERVER, crash_reporter=CRASH, app_stores=[],
                          settings={"auth": {"password": "hunter2-secret"}})],
                    tmp_path, check=True, diff=True)
    result = run.result("scan")
    assert result["changed"] is True
    assert {d["pointer"] for d in result["drift"]} == {
        "/server/enabled", "/server/url", "/crashReporter/output/type", "/crashReporter/output/serverUrl",
        "/appStores", "/auth"}
    assert desk.read_bytes() == DESK_FILE
    assert "hunter2-secret" not in run.stdout + run.stderr
    assert '"password": "********"' in result["diff"]["prepared"]


def test_app_store_modes(desk, tmp_path):
    rest = {"type": "rest", "details": {"url": "https://apps.example.com/api", "auth": "negotiate"}}
    run = run_tasks([
        task("present", desk, app_stores=[rest], app_stores_mode="present"),
        task("present again", desk, app_stores=[rest], app_stores_mode="present"),
        # A POSIX desk: folder paths are case-sensitive, so ./CONFIG/apps is another folder than ./config/apps.
        task("absent, other case", desk, app_stores=[{"type": "path", "details": {"path": "./CONFIG/apps/"}}],
             app_stores_mode="absent"),
        task("absent", desk, app_stores=[{"type": "path", "details": {"path": "./config/apps/"}}],
             app_stores_mode="absent"),
        task("only io.Manager", desk, server=SERVER, app_stores=[]),
    ], tmp_path)
    assert run.result("present")["changed"] and not run.result("present again")["changed"]
    assert not run.result("absent, other case")["changed"]
    assert run.result("absent")["drift"][0]["after"] == [rest]
    assert run.result("only io.Manager")["changed"]
    assert json.loads(desk.read_bytes().decode("utf-8-sig"))["appStores"] == []


def test_remove_disconnects_a_desk(desk, tmp_path):
    run = run_tasks([task("disconnect", desk, remove=["/server", "/nothing"]),
                     task("again", desk, remove=["/server"])], tmp_path)
    assert run.result("disconnect")["drift"][0]["pointer"] == "/server"
    assert not run.result("again")["changed"]
    assert "server" not in json.loads(desk.read_bytes().decode("utf-8-sig"))


UAT_AMER = {"env": "UAT", "region": "AMER"}


def test_when_missing(tmp_path):
    missing = tmp_path / "config" / "system.json"
    (tmp_path / "config").mkdir()
    run = run_tasks([
        task("fail", missing, server=SERVER),
        task("skip", missing, server=SERVER, when_missing="skip"),
        task("create", missing, server=SERVER, when_missing="create", settings=UAT_AMER),
        task("create again", missing, server=SERVER, when_missing="create", settings=UAT_AMER),
        task("no folder", tmp_path / "nowhere" / "system.json", server=SERVER, when_missing="create"),
    ], tmp_path)
    failed = run.result("fail")
    assert failed["failed"] and failed["error_kind"] == "missing" and "when_missing=skip" in failed["msg"]
    skipped = run.result("skip")
    assert skipped["changed"] is False and skipped["exists"] is False and "not installed" in skipped["msg"]
    assert run.result("create")["changed"] and not run.result("create again")["changed"]
    assert missing.read_bytes() == (b'{\n    "server": {\n        "enabled": true,\n        "url": "%s"\n    },\n'
                                    b'    "env": "UAT",\n    "region": "AMER"\n}\n' % URL.encode()) or \
        json.loads(missing.read_bytes()) == {"env": "UAT", "region": "AMER", "server": SERVER}
    nowhere = run.result("no folder")
    assert nowhere["failed"] and "does not exist" in nowhere["msg"]
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("content, kind, fragment", [
    (b'{\n    "server": {"url": "x",}\n}\n', "parse", "line 2, column"),
    (b'[{"server": {}}]', "root", "an array"),
    (b"", "parse", "empty"),
    ('{"about": "\u00e9"}'.encode("utf-16"), "encoding", "UTF-16"),
    (b'{"server": {"url": "a"}, "server": {"url": "b"}}', "duplicate", "twice"),
])
def test_bad_files_fail_clearly_and_stay_byte_identical(tmp_path, content, kind, fragment):
    path = tmp_path / "system.json"
    path.write_bytes(content)
    run = run_tasks([task("apply", path, server=SERVER, backup=True)], tmp_path)
    result = run.result("apply")
    assert result["failed"] is True and result["error_kind"] == kind
    assert fragment in result["msg"] and str(path) in result["msg"]
    assert path.read_bytes() == content
    leftovers = [name for name in os.listdir(tmp_path) if not name.startswith("play-")]
    assert leftovers == ["system.json"], "no backup, no temp file"


@pytest.mark.parametrize("args, fragment", [
    (dict(server={"enabled": "yes please", "url": URL}), "server.enabled: must be a boolean"),
    (dict(server={"url": "ftp://iomanager/api"}), "server.url: must be an http:// or https:// URL"),
    (dict(server={"url": "http://iomanager.corp:4356/api"}), "plain http"),
    (dict(server={"url": "https://u:p4ssw0rd@iomanager/api"}), "credentials inside the URL"),
    (dict(server={"url": URL}, remove=["/server"]), "would delete /server/url"),
    (dict(app_stores=[{"type": "rest", "details": {"path": "x"}}]), "app_stores[0]"),
    (dict(server={"url": URL}, when_missing="sometimes"), "when_missing"),
    (dict(server={"url": URL, "fetchInterval": -5}), "server.fetchInterval: must be greater than 0"),
    (dict(server={"url": URL, "requests": {"openSessionTimeout": 0}}),
     "server.requests.openSessionTimeout: must be greater than 0"),
    (dict(app_stores=[{"type": "rest", "details": {"url": URL, "requestTimeout": 0}}]),
     "app_stores[0].details.requestTimeout: must be greater than 0"),
])
def test_bad_settings_fail_before_any_desk_is_read(desk, tmp_path, args, fragment):
    desk.chmod(0o000)  # would fail differently if the desk were read (root ignores this; the check is the msg)
    run = run_tasks([task("apply", desk, **args)], tmp_path)
    desk.chmod(0o644)
    result = run.result("apply")
    assert result["failed"] is True
    assert fragment in result["msg"], result["msg"]
    assert "p4ssw0rd" not in run.stdout
    assert desk.read_bytes() == DESK_FILE


def test_the_request_schema_is_what_the_generator_makes_of_the_vendor_schema(vendor_schemas):
    """Regenerating plugins/plugin_utils/request_schema.py from @interopio/schemas 10.2.0 gives the committed file:
    the fleet rules live in the generator, so a regeneration keeps them, and nobody edited the output by hand."""
    made = subprocess.run([sys.executable, os.path.join(REPO, "hacking", "update_request_schema.py"),
                           os.path.join(vendor_schemas, "system.json")], capture_output=True, text=True, check=True)
    with open(os.path.join(REPO, "plugins", "plugin_utils", "request_schema.py"), encoding="utf-8") as handle:
        assert made.stdout == handle.read()
    assert len(re.findall(r'"\$comment": "fleet rule: [a-z]', made.stdout)) == 12


def test_validate_with_vendor_schema(desk, tmp_path, vendor_schemas):
    run = run_tasks([
        task("unknown top-level key", desk, server=SERVER, settings={"bogusKey": 1}, validate_with=vendor_schemas),
        task("valid", desk, server=SERVER, validate_with=vendor_schemas),
        task("valid again", desk, server=SERVER, validate_with=vendor_schemas),
    ], tmp_path)
    refused = run.result("unknown top-level key")
    assert refused["failed"] and refused["error_kind"] == "schema" and "bogusKey" in refused["msg"]
    assert run.result("valid")["changed"] and not run.result("valid again")["changed"]


def test_validate_with_check_mode_reads_only(desk, tmp_path, vendor_schemas):
    run = run_tasks([task("scan", desk, server=SERVER, validate_with=vendor_schemas)], tmp_path, check=True)
    assert run.result("scan")["changed"] is True
    assert desk.read_bytes() == DESK_FILE


REQUESTS = [
    dict(server=SERVER),
    dict(server=dict(SERVER, clientAuth="negotiate", fetchInterval=60, features={"commands": False},
                     requests={"timeout": 30000}, cache={"enabled": True})),
    dict(server=SERVER, crash_reporter=CRASH, app_stores=[]),
    dict(app_stores=[{"type": "server"}, {"type": "rest", "details": {"url": "https://apps/api"}}],
         app_stores_mode="present"),
    dict(app_stores=[{"type": "path", "details": {"path": "./config/apps"}}], app_stores_mode="absent"),
    dict(remove=["/server", "/crashReporter/output"], crash_reporter={"output": {"type": "local"}}),
    dict(settings={"env": "UAT", "region": "AMER", "layouts": {"store": {"type": "server"}},
                   "applicationPreferences": {"store": {"type": "server"}}}),
]


@pytest.mark.parametrize("style", ["bom-crlf-4", "lf-2", "tabs", "compact"])
def test_conformance_every_written_file_still_validates_against_the_vendor_schema(tmp_path, style,
                                                                                  vendor_validator):
    value = json.loads(DESK.decode())
    content = {
        "bom-crlf-4": DESK_FILE,
        "lf-2": json.dumps(value, indent=2, ensure_ascii=False).encode() + b"\n",
        "tabs": json.dumps(value, indent="\t").encode(),
        "compact": json.dumps(value, separators=(",", ":")).encode(),
    }[style]
    assert vendor_validator(content) == []
    tasks = []
    for idx, request in enumerate(REQUESTS):
        if "remove" in request:
            request = dict(request)
            del request["crash_reporter"]
            request["remove"] = ["/server"]
        path = tmp_path / ("system-%d.json" % idx)
        path.write_bytes(content)
        tasks.append(task("request %d" % idx, path, **request))
    run = run_tasks(tasks, tmp_path)
    for idx in range(len(REQUESTS)):
        result = run.result("request %d" % idx)
        assert not result.get("failed"), result
        written = (tmp_path / ("system-%d.json" % idx)).read_bytes()
        assert vendor_validator(written) == [], (idx, written)
        assert written.startswith(BOM) == content.startswith(BOM)


# -- the diff is the file's own text -----------------------------------------------------------------------------
_MASKED = re.compile(r'"\*{8}(?: \(changed\))?"')
_JSON_SCALAR = r'(?:"(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null)'
DIFF_DESK = {"region": "EMEA", "env": "PROD", "gw": {"embedded": True},
             "server": {"enabled": False, "url": "http://localhost:4356/api"},
             "auth": {"user": "svc", "password": "old-pw-DIFF-SECRET"},
             "layouts": {"store": {"type": "rest", "headers": [
                 {"name": "Authorization", "value": "Bearer old-DIFF-SECRET"}]}}}
DIFF_FORMATS = {
    "2-space": lambda d: json.dumps(d, indent=2) + "\n",
    "4-space": lambda d: json.dumps(d, indent=4) + "\n",
    "tab": lambda d: json.dumps(d, indent="\t") + "\n",
    "crlf-bom": lambda d: "\ufeff" + (json.dumps(d, indent=4) + "\n").replace("\n", "\r\n"),
    "compact": lambda d: json.dumps(d, separators=(",", ":")),
}


def _same_lines(shown, real):
    """shown is real line for line, except inside masked values."""
    shown_lines, real_lines = shown.splitlines(True), real.splitlines(True)
    assert len(shown_lines) == len(real_lines)
    for line, file_line in zip(shown_lines, real_lines):
        if line != file_line:
            parts = _MASKED.split(line)
            assert len(parts) > 1, "not the file's line: %r != %r" % (line, file_line)
            assert re.fullmatch(_JSON_SCALAR.join(re.escape(p) for p in parts), file_line, re.DOTALL), (line, file_line)


def _hunks_are_file_lines(prepared, before, after):
    """Every line of the diff's hunks is the file's line at its number (before for context and -, after for +),
    masked values aside; a line cut around its change ("…") shows pieces of it."""
    old, new = before.split("\n"), after.split("\n")
    lines = prepared.split("\n")
    assert lines[0].startswith("--- ") and lines[1].startswith("+++ ")
    hunks, pos = 0, 2
    while pos < len(lines) and lines[pos]:
        header = re.fullmatch(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", lines[pos])
        assert header, lines[pos]
        hunks += 1
        b_pos, a_pos = int(header.group(1)) - 1, int(header.group(3)) - 1
        pos += 1
        while pos < len(lines) and lines[pos] and not lines[pos].startswith("@@ "):
            mark, line = lines[pos][0], lines[pos][1:]
            pos += 1
            if mark == "\\":
                continue
            for side, number in ((old, b_pos), (new, a_pos)):
                if (mark in " -" and side is old) or (mark in " +" and side is new):
                    real = side[number]
                    for piece in line.split("\N{HORIZONTAL ELLIPSIS}"):
                        parts = _MASKED.split(piece)
                        assert re.search(_JSON_SCALAR.join(re.escape(p) for p in parts), real), (line, real)
                    if "\N{HORIZONTAL ELLIPSIS}" not in line:
                        _same_lines(line + "\n", real + "\n")
            b_pos += mark in " -"
            a_pos += mark in " +"
    return hunks


def test_the_diff_is_the_written_file_line_by_line(tmp_path):
    """Through a real ansible-playbook --diff run: the diff's hunks are lines of the desk's file as it was (context,
    removed) and of the file as written (added), at their numbers, in 2-space, 4-space, tab, CRLF+BOM and compact
    files; no secret shows."""
    tasks, desks = [], {}
    for name, render in DIFF_FORMATS.items():
        path = tmp_path / ("%s.json" % name)
        path.write_bytes(render(DIFF_DESK).encode("utf-8"))
        desks[name] = (path, path.read_bytes())
        tasks.append(task(name, path, secret_keys=["deskPin"], server=SERVER, settings={
            "auth": {"password": "new-pw-DIFF-SECRET", "deskPin": "pin-DIFF-SECRET"},
            "layouts": {"store": {"type": "rest", "headers": [{"name": "Authorization",
                                                               "value": "Bearer new-DIFF-SECRET"}]}}}))
    run = run_tasks(tasks, tmp_path, diff=True)
    for name, (path, original) in desks.items():
        result = run.result(name)
        assert result["changed"] is True, result
        diff = result["diff"]
        assert _hunks_are_file_lines(diff["prepared"], original.decode("utf-8"), path.read_bytes().decode("utf-8"))
        assert '"******** (changed)"' in diff["prepared"] and diff["prepared"].count("pin-") == 0
        assert diff["before_header"] == "%s (before)" % path
    assert "DIFF-SECRET" not in run.stdout + run.stderr
