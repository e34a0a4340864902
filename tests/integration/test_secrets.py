# -*- coding: utf-8 -*-
"""No io.Manager credential in any output: playbooks carrying known secrets run at -vvvv, with --diff, in check mode
and for real, with the drift_report callback writing every format; then every byte of output and every file the run
wrote (reports, logs, temp files; not the desk's own file, its backups and the browser app's file, which belong to
the user) is searched, plain, JSON-escaped and base64.

Every secret shape the collection's one masking policy knows reaches the modules: secret key names
(crash_reporter.output.backTraceConfig.token; settings password, apiKey, clientSecret, sharedKey), a firm's own name
given in secret_keys (deskPin), header-style {name, value} pairs (Authorization with a Bearer token, X-Api-Key and
Proxy-Authorization with raw values), header maps (X-Api-Key, Cookie), credentials inside a URL that is no io.Manager
URL (allowed, masked) and inside io.Manager URLs (refused), a Bearer token and a password=... pair in free text, a
credential shape typed as a settings key (which also makes a warning), secrets already in the desk's file that the
task changes or keeps, wrong-typed values holding secrets (error messages must not quote them), a header-style pair
in a wrong-typed value, a value the validate_with schema rejects, a corrupt file, and the browser_manager_config
module with Basic auth, header secrets and secret_keys.
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
SHARED_KEY = "shk-1a2b3c-SECRET-shared"
DESK_PIN = "pin-4d5e6f-SECRET-firm"
HEADER_BEARER = "hdr-7a8b9c-SECRET-bearer"
HEADER_API_KEY = "hdr-0d1e2f-SECRET-xapikey"
PROXY_AUTH = "hdr-3a4b5c-SECRET-proxyauth"
MAP_API_KEY = "map-6d7e8f-SECRET-apikey"
MAP_COOKIE = "map-9a0b1c-SECRET-cookie"
PROXY_PASSWORD = "proxy-2d3e4f-SECRET-userinfo"
FREE_BEARER = "free-5a6b7c-SECRET-bearer"
FREE_PAIR = "free-8d9e0f-SECRET-pair"
KEY_SHAPE = "keyshape-1b2c3d-SECRET"
TYPED_PAIR = "typedpair-4e5f6a-SECRET"
FILE_HEADER = "old-7b8c9d-SECRET-fileheader"
FILE_SHARED = "old-0e1f2a-SECRET-fileshared"
BROWSER_PASSWORD = "bpw-3b4c5d-SECRET-basic"
BROWSER_HEADER = "bhdr-6e7f8a-SECRET-auth"
BROWSER_FIRM = "bfirm-9b0c1d-SECRET-sig"
# The drift history's PostgreSQL DSN (unreachable: 127.0.0.1 port 1): a quoted password with a space, ;, &, a raw @
# and an escaped quote, whose every word must be hidden in the warning, the log and the reports.
DSN_FIRST = "dsn-6c5b4a-SECRET-first"
DSN_SECOND = "dsn-3f2e1d-SECRET-second"
HISTORY_DSN = ("host=127.0.0.1 port=1 dbname=drift user=fleet password = '%s %s;&@x\\'q' connect_timeout=1"
               % (DSN_FIRST, DSN_SECOND))
SECRETS = [TOKEN, FILE_TOKEN, PASSWORD, API_KEY, CLIENT_SECRET, URL_PASSWORD, TYPED_SECRET, SCHEMA_SECRET, SHARED_KEY,
           DESK_PIN, HEADER_BEARER, HEADER_API_KEY, PROXY_AUTH, MAP_API_KEY, MAP_COOKIE, PROXY_PASSWORD, FREE_BEARER,
           FREE_PAIR, KEY_SHAPE, TYPED_PAIR, FILE_HEADER, FILE_SHARED, BROWSER_PASSWORD, BROWSER_HEADER, BROWSER_FIRM,
           DSN_FIRST, DSN_SECOND]

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
    # Secrets already on the desk: a header pair the task replaces, a shared key it keeps.
    "applicationPreferences": {"store": {"type": "rest", "rest": {
        "headers": [{"name": "Authorization", "value": "Bearer " + FILE_HEADER}]}}},
    "ssoAuth": {"sharedKey": FILE_SHARED, "enabled": True},
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
    "vault_shared_key": SHARED_KEY, "vault_desk_pin": DESK_PIN, "vault_header_bearer": HEADER_BEARER,
    "vault_header_api_key": HEADER_API_KEY, "vault_proxy_auth": PROXY_AUTH, "vault_map_api_key": MAP_API_KEY,
    "vault_map_cookie": MAP_COOKIE, "vault_proxy_password": PROXY_PASSWORD, "vault_free_bearer": FREE_BEARER,
    "vault_free_pair": FREE_PAIR, "vault_key_shape": KEY_SHAPE, "vault_typed_pair": TYPED_PAIR,
    "vault_browser_password": BROWSER_PASSWORD, "vault_browser_header": BROWSER_HEADER,
    "vault_browser_firm": BROWSER_FIRM,
}

SECRET_SETTINGS = {
    "auth": {"password": "{{ vault_password }}", "apiKey": "{{ vault_api_key }}",
             "clientSecret": "{{ vault_client_secret }}", "deskPin": "{{ vault_desk_pin }}"},
    "ssoAuth": {"sharedKey": "{{ vault_shared_key }}"},
    # Header-style pairs, replacing the pair already in the file.
    "applicationPreferences": {"store": {"type": "rest", "rest": {"headers": [
        {"name": "Authorization", "value": "Bearer {{ vault_header_bearer }}"},
        {"name": "X-Api-Key", "value": "{{ vault_header_api_key }}"},
        {"key": "Proxy-Authorization", "value": "{{ vault_proxy_auth }}"}]}}},
    # A header map.
    "layouts": {"store": {"type": "rest", "headers": {"X-Api-Key": "{{ vault_map_api_key }}",
                                                      "Cookie": "sid={{ vault_map_cookie }}", "X-Client": "desk"}}},
    # Credentials in a URL that is not an io.Manager URL: allowed, and masked.
    "proxy": {"url": "http://svc:{{ vault_proxy_password }}@proxy.example.com:8080"},
    # Free text.
    "envVars": {"JAVA_OPTS": "-Dproxy.password={{ vault_free_pair }} -Xmx1g",
                "NOTE": "send Authorization: Bearer {{ vault_free_bearer }} to the gateway"},
}


def _tasks(desk, broken, schemas, browser_file):
    crash = {"output": {"type": "backtrace", "backTraceConfig": {"url": "https://bt.example.com",
                                                                 "token": "{{ vault_token }}"}}}
    manager = {"url": "https://manager.example.com/api",
               "auth": {"basic": {"username": "main-app", "password": "{{ vault_browser_password }}"}},
               "headers": {"X-Client": "main-app", "X-Api-Key": "{{ vault_browser_header }}",
                           "X-Desk-Signature": "{{ vault_browser_firm }}"}}
    common = {"ignore_errors": True}
    firm = {"secret_keys": ["deskPin"]}
    return [
        dict(common, name="apply secrets", register="applied", **{"ioconnect.fleet.system_json": dict(firm, **{
            "path": desk, "server": {"enabled": True, "url": URL}, "crash_reporter": crash,
            "settings": SECRET_SETTINGS, "backup": True})}),
        {"name": "show the registered result", "ansible.builtin.debug": {"var": "applied"}},
        dict(common, name="apply again", **{"ioconnect.fleet.system_json": dict(firm, **{
            "path": desk, "server": {"enabled": True, "url": URL}, "crash_reporter": crash,
            "settings": SECRET_SETTINGS})}),
        dict(common, name="a credential typed as a settings key", **{"ioconnect.fleet.system_json": dict(firm, **{
            # Ansible does not template mapping keys, so the whole mapping is one template.
            "path": desk, "settings": "{{ {('apiToken=' ~ vault_key_shape): true} }}"})}),
        dict(common, name="credentials in the URL", **{"ioconnect.fleet.system_json": {
            "path": desk, "server": {"enabled": True,
                                     "url": "https://admin:{{ vault_url_password }}@iomanager.example.com/api"}}}),
        dict(common, name="credentials in an app store URL", **{"ioconnect.fleet.system_json": {
            "path": desk, "app_stores": [{"type": "rest", "details": {
                "url": "https://svc:{{ vault_url_password }}@apps.example.com/api"}}]}}),
        dict(common, name="secret in a wrong-typed value", **{"ioconnect.fleet.system_json": {
            "path": desk, "app_stores": [{"type": "rest", "details": {
                "url": {"user": "svc", "password": "{{ vault_typed }}"}}}]}}),
        dict(common, name="header pair in a wrong-typed value", **{"ioconnect.fleet.system_json": {
            "path": desk, "app_stores": [{"type": "rest", "details": {
                "url": {"name": "Authorization", "value": "{{ vault_typed_pair }}"}}}]}}),
        dict(common, name="secret in a value the vendor schema rejects", **{"ioconnect.fleet.system_json": {
            "path": desk, "settings": {"layouts": {"store": {"password": "{{ vault_schema }}"}}},
            "validate_with": schemas}}),
        dict(common, name="secrets against a corrupt file", **{"ioconnect.fleet.system_json": dict(firm, **{
            "path": broken, "crash_reporter": crash, "settings": SECRET_SETTINGS})}),
        dict(common, name="browser app", register="browser", **{"ioconnect.fleet.browser_manager_config": {
            "path": browser_file, "manager": manager, "secret_keys": ["X-Desk-Signature"]}}),
        {"name": "show the browser result", "ansible.builtin.debug": {"var": "browser"}},
        dict(common, name="browser app, rotated password", **{"ioconnect.fleet.browser_manager_config": {
            "path": browser_file, "secret_keys": ["X-Desk-Signature"],
            "manager": dict(manager, auth={"basic": {"username": "main-app",
                                                     "password": "{{ vault_browser_password }}-2"}})}}),
    ]


def _run(tmp_path, label, extra_args, stdout_callback):
    desk_dir = tmp_path / label / "desk"
    desk_dir.mkdir(parents=True)
    desk = desk_dir / "system.json"
    desk.write_text(json.dumps(DESK, indent=4) + "\n")
    broken = desk_dir / "broken.json"
    broken.write_text('{"crashReporter": {"output": {"backTraceConfig": {"token": "%s"}}},}' % FILE_TOKEN)
    browser_file = desk_dir / "manager.json"
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
             "tasks": _tasks(str(desk), str(broken), str(schemas), str(browser_file))}]
    playbook = tmp_path / label / "play.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    env = ansible_env(
        ANSIBLE_STDOUT_CALLBACK=stdout_callback,
        ANSIBLE_CALLBACKS_ENABLED="ioconnect.fleet.drift_report",
        IOCONNECT_DRIFT_REPORT_DIR=str(reports),
        IOCONNECT_DRIFT_REPORT_FORMATS="json,markdown,html,junit",
        IOCONNECT_DRIFT_REPORT_HISTORY_DSN=HISTORY_DSN,
        IOCONNECT_DRIFT_REPORT_HISTORY_TIMEOUT="2",
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
            if os.path.dirname(path) == str(desk.parent) and name.startswith(
                    ("system.json", "broken.json", "manager.json")):
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
    """The run is meaningful: the real run wrote the secrets into the desk's file and the browser app's file (they
    are their settings), both runs refused the URLs with credentials before any desk was touched, showed masks
    (a changed secret as changed), and warned about the credential typed as a key, masked."""
    label, (proc, _folder, desk) = secret_run
    data = json.loads(desk.read_text())
    shown = proc.stdout + proc.stderr
    if label == "real":
        assert data["crashReporter"]["output"]["backTraceConfig"]["token"] == TOKEN
        assert data["auth"] == {"password": PASSWORD, "apiKey": API_KEY, "clientSecret": CLIENT_SECRET,
                                "deskPin": DESK_PIN}
        assert data["ssoAuth"] == {"sharedKey": SHARED_KEY, "enabled": True}
        headers = data["applicationPreferences"]["store"]["rest"]["headers"]
        assert headers[0] == {"name": "Authorization", "value": "Bearer " + HEADER_BEARER}
        assert data["layouts"]["store"]["headers"]["Cookie"] == "sid=" + MAP_COOKIE
        assert data["envVars"]["NOTE"] == "send Authorization: Bearer %s to the gateway" % FREE_BEARER
        assert data["apiToken=" + KEY_SHAPE] is True
        browser = json.loads((desk.parent / "manager.json").read_text())
        assert browser["auth"]["basic"]["password"] == BROWSER_PASSWORD + "-2"
        assert browser["headers"]["X-Desk-Signature"] == BROWSER_FIRM
    else:
        assert data == DESK
    assert URL_PASSWORD not in json.dumps(data)
    assert proc.stdout.count("credentials inside the URL are refused") >= 2, proc.stdout[-3000:]
    assert "********" in proc.stdout, "masked values are shown as ********"
    assert "******** (changed)" in proc.stdout, "a changed secret looks changed"
    assert "apiToken=********" in shown, "the warning names the key, masked"
    assert "must be a string, not" in proc.stdout, "the wrong-typed values were refused"
    assert "password = '********' connect_timeout=1" in shown, "the history's DSN is shown, masked whole"
