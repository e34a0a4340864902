# -*- coding: utf-8 -*-
"""No io.Manager credential in any output: playbooks carrying known secrets run at -vvvv, with --diff, in check mode
and for real, with the drift_report callback writing every format; then every byte of output and every file the run
wrote (reports, logs, temp files; not the desk's own file and its backups, which belong to the user) is searched.

Secrets reach the module through every door: crash_reporter.output.backTraceConfig.token, settings with password,
apiKey and clientSecret keys, a secret already in the desk's file that the task changes, credentials inside an
io.Manager URL (refused), and wrong-typed values holding secrets (schema errors must not quote them).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import pytest
import yaml

from playbook_runner import BIN, ansible_env

TOKEN = "tok-7f3a9c-SECRET-backtrace"
FILE_TOKEN = "old-41d0e2-SECRET-infile"
PASSWORD = "pw-c0ffee-SECRET-settings"
API_KEY = "key-9e8d7c-SECRET-apikey"
CLIENT_SECRET = "cs-5b4a39-SECRET-client"
URL_PASSWORD = "urlpw-77aa11-SECRET"
TYPED_SECRET = "typed-3f2e1d-SECRET-schema"
SCHEMA_SECRET = "vendor-8a7b6c-SECRET-schema"
SECRETS = [TOKEN, FILE_TOKEN, PASSWORD, API_KEY, CLIENT_SECRET, URL_PASSWORD, TYPED_SECRET, SCHEMA_SECRET]

URL = "https://iomanager.example.com/api"

DESK = {
    "region": "EMEA",
    "env": "PROD",
    "gw": {"embedded": True},
    "crashReporter": {
        "enabled": True, "folderPath": "%IO_CD_USER_DATA_DIR%/crashes", "companyName": "Interop Inc",
        "productName": "io.Connect Desktop",
        "output": {"type": "backtrace", "backTraceConfig": {"url": "https://bt.example.com", "token": FILE_TOKEN}},
    },
}


def _encodings(secret):
    """The secret as it could appear: plain, JSON-escaped, and base64 at every alignment (module content)."""
    forms = {secret, json.dumps(secret)[1:-1]}
    raw = secret.encode()
    for shift in range(3):
        # Only whole 3-byte groups of the secret encode the same whatever surrounds them.
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        forms.add(encoded[4 if shift else 0:4 * ((shift + len(raw)) // 3)])
    return {f for f in forms if len(f) >= 12}


# As a real inventory would hold them: in variables (a vault in production), referenced from the tasks. Literal
# secrets in a playbook are shown by ansible-core itself, which quotes playbook lines near a failed task.
SECRET_VARS = {
    "vault_token": TOKEN, "vault_password": PASSWORD, "vault_api_key": API_KEY, "vault_client_secret": CLIENT_SECRET,
    "vault_url_password": URL_PASSWORD, "vault_typed": TYPED_SECRET, "vault_schema": SCHEMA_SECRET,
}


def _tasks(desk, broken, schemas):
    secret_settings = {"auth": {"password": "{{ vault_password }}", "apiKey": "{{ vault_api_key }}",
                                "clientSecret": "{{ vault_client_secret }}"}}
    crash = {"output": {"type": "backtrace", "backTraceConfig": {"url": "https://bt.example.com",
                                                                 "token": "{{ vault_token }}"}}}
    common = {"ignore_errors": True}
    return [
        dict(common, name="apply secrets", register="applied", **{"ioconnect.fleet.system_json": {
            "path": desk, "server": {"enabled": True, "url": URL}, "crash_reporter": crash,
            "settings": secret_settings, "backup": True}}),
        {"name": "show the registered result", "ansible.builtin.debug": {"var": "applied"}},
        dict(common, name="apply again", **{"ioconnect.fleet.system_json": {
            "path": desk, "server": {"enabled": True, "url": URL}, "crash_reporter": crash,
            "settings": secret_settings}}),
        dict(common, name="credentials in the URL", **{"ioconnect.fleet.system_json": {
            "path": desk, "server": {"enabled": True, "url": "https://admin:{{ vault_url_password }}@iomanager.example.com/api"}}}),
        dict(common, name="credentials in an app store URL", **{"ioconnect.fleet.system_json": {
            "path": desk, "app_stores": [{"type": "rest", "details": {
                "url": "https://svc:{{ vault_url_password }}@apps.example.com/api"}}]}}),
        dict(common, name="secret in a wrong-typed value", **{"ioconnect.fleet.system_json": {
            "path": desk, "app_stores": [{"type": "rest", "details": {
                "url": {"user": "svc", "password": "{{ vault_typed }}"}}}]}}),
        dict(common, name="secret in a value the vendor schema rejects", **{"ioconnect.fleet.system_json": {
            "path": desk, "settings": {"layouts": {"store": {"password": "{{ vault_schema }}"}}},
            "validate_with": schemas}}),
        dict(common, name="secrets against a corrupt file", **{"ioconnect.fleet.system_json": {
            "path": broken, "crash_reporter": crash, "settings": secret_settings}}),
    ]


def _run(tmp_path, label, extra_args, stdout_callback):
    desk_dir = tmp_path / label / "desk"
    desk_dir.mkdir(parents=True)
    desk = desk_dir / "system.json"
    desk.write_text(json.dumps(DESK, indent=4) + "\n")
    broken = desk_dir / "broken.json"
    broken.write_text('{"crashReporter": {"output": {"backTraceConfig": {"token": "%s"}}},}' % FILE_TOKEN)
    schemas = tmp_path / label / "schemas"
    schemas.mkdir()
    (schemas / "system.json").write_text(json.dumps({
        "type": "object", "properties": {"layouts": {"type": "object", "properties": {
            "store": {"type": "string"}}}}}))
    reports = tmp_path / label / "reports"
    log = tmp_path / label / "ansible.log"
    local_tmp = tmp_path / label / "local-tmp"
    remote_tmp = tmp_path / label / "remote-tmp"
    secrets_file = tmp_path / label / "secrets.yml"
    secrets_file.write_text(yaml.safe_dump(SECRET_VARS))
    play = [{"name": "secrets", "hosts": "localhost", "gather_facts": False, "vars_files": [str(secrets_file)],
             "vars": {"ioconnect_region": "EMEA", "ioconnect_env": "PROD"},
             "tasks": _tasks(str(desk), str(broken), str(schemas))}]
    playbook = tmp_path / label / "play.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    env = ansible_env(
        ANSIBLE_STDOUT_CALLBACK=stdout_callback,
        ANSIBLE_CALLBACKS_ENABLED="ioconnect.fleet.drift_report",
        IOCONNECT_DRIFT_REPORT_DIR=str(reports),
        IOCONNECT_DRIFT_REPORT_FORMATS="json,markdown,html,junit",
        ANSIBLE_LOG_PATH=str(log),
        ANSIBLE_LOCAL_TEMP=str(local_tmp),
        ANSIBLE_REMOTE_TEMP=str(remote_tmp),
        ANSIBLE_KEEP_REMOTE_FILES="0",
    )
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", "-vvvv", "--diff",
           "-e", "ansible_python_interpreter=%s" % sys.executable, str(playbook)] + list(extra_args)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, check=False)
    return proc, tmp_path / label, desk


def _written_files(folder, desk):
    """Every file under folder the run wrote, except the desk's own files and their backups."""
    out = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            if os.path.dirname(path) == str(desk.parent) and name.startswith(("system.json", "broken.json")):
                continue
            if name in ("play.yml", "secrets.yml") or os.path.basename(root) == "schemas":
                continue  # the inputs: they hold the secrets on purpose
            out.append(path)
    return out


@pytest.fixture(scope="module", params=["real", "check"])
def secret_run(request, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("secrets")
    if request.param == "real":
        return request.param, _run(tmp_path, "real", [], "ansible.builtin.default")
    return request.param, _run(tmp_path, "check", ["--check"], "ansible.posix.json")


def test_no_secret_in_any_output_or_written_file(secret_run):
    label, (proc, folder, desk) = secret_run
    assert "apply secrets" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]
    haystacks = {"stdout": proc.stdout, "stderr": proc.stderr}
    for path in _written_files(str(folder), desk):
        with open(path, "rb") as handle:
            haystacks[path] = handle.read().decode("utf-8", "replace")
    assert any(p.endswith("ansible.log") for p in haystacks), "the log file was written"
    assert any("drift-report" in os.path.basename(p) for p in haystacks), "the drift report was written"
    leaks = []
    for secret in SECRETS:
        for form in _encodings(secret):
            for where, text in haystacks.items():
                if form in text:
                    line = next(ln for ln in text.splitlines() if form in ln)
                    leaks.append("%s (as %r) in %s: %s" % (secret, form, where, line.strip()[:300]))
    assert leaks == [], "%s run leaked:\n%s" % (label, "\n".join(leaks))


def test_the_secrets_did_reach_the_desk_and_urls_with_credentials_were_refused(secret_run):
    """The run is meaningful: the real run wrote the secrets into the desk's file (they are the desk's settings),
    and both runs refused the URLs with credentials before any desk was touched."""
    label, (proc, _folder, desk) = secret_run
    data = json.loads(desk.read_text())
    if label == "real":
        assert data["crashReporter"]["output"]["backTraceConfig"]["token"] == TOKEN
        assert data["auth"] == {"password": PASSWORD, "apiKey": API_KEY, "clientSecret": CLIENT_SECRET}
    else:
        assert data == DESK
    assert URL_PASSWORD not in json.dumps(data)
    assert proc.stdout.count("credentials inside the URL are refused") >= 2, proc.stdout[-3000:]
    assert "********" in proc.stdout, "masked values are shown as ********"
