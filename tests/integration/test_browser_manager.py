# -*- coding: utf-8 -*-
"""ioconnect.fleet.browser_manager_config and the browser_manager role, driven by real ansible-playbook runs on
localhost (local connection, temp dirs), plus one end-to-end run: a test Main app served on 127.0.0.1 loads
the deployed files in headless Chromium and hands them to the real IOBrowserPlatform() (test_browser_platform.py
does that for every shape of file the module writes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml

import browser_platform as bp
from playbook_runner import BIN, REPO, Run, ansible_env, run_tasks

MODULE = "ioconnect.fleet.browser_manager_config"
URL = "https://manager-emea.example.com/api"
PASSWORD = "Vault-Pw-7Q9x-zz"
BEARER = "bearer-tok-5K2m-yy"


def basic(password=PASSWORD):
    return {"basic": {"username": "main-app", "password": password}}


def task(name, path, manager, **args):
    return {"name": name, MODULE: dict(path=str(path), manager=manager, **args), "ignore_errors": True}


def read(path):
    with open(path, "rb") as handle:
        return handle.read()


def everything(run: Run) -> str:
    return run.stdout + run.stderr


# -- the module ---------------------------------------------------------------------------------------------

def test_create_then_unchanged(tmp_path):
    target = tmp_path / "manager.json"
    tasks = [task("deploy", target, {"url": URL, "auth": basic(), "fetchIntervalMS": 30000})]
    first = run_tasks(tasks, tmp_path)
    result = first.result("deploy")
    assert first.rc == 0 and result["changed"] is True, everything(first)[-3000:]
    doc = json.loads(read(target))
    assert doc == {
        "url": URL,
        "auth": {"basic": {"username": "main-app", "password": PASSWORD}},
        "fetchIntervalMS": 30000,
        "tokenRefreshIntervalMS": 3600000,
        "requests": {"timeout": 10000, "openSessionTimeout": 10000, "closeSessionTimeout": 10000},
    }
    assert read(target).endswith(b"}\n") and not read(target).startswith(b"\xef\xbb\xbf")
    assert result["manager"]["auth"]["basic"]["password"] == "********"
    assert PASSWORD not in first.stdout

    before, mtime = read(target), os.stat(target).st_mtime_ns
    second = run_tasks(tasks, tmp_path)
    assert second.result("deploy")["changed"] is False
    assert read(target) == before and os.stat(target).st_mtime_ns == mtime


def test_check_mode_writes_nothing(tmp_path):
    target = tmp_path / "manager.json"
    run = run_tasks([task("deploy", target, {"url": URL, "auth": basic()})], tmp_path, check=True)
    assert run.result("deploy")["changed"] is True
    assert not target.exists()
    # on an existing file, a change is reported and not made
    run_tasks([task("deploy", target, {"url": URL, "auth": basic()})], tmp_path)
    before = read(target)
    run = run_tasks([task("deploy", target, {"url": URL, "auth": basic(), "fetchIntervalMS": 1}, backup=True)],
                    tmp_path, check=True)
    assert run.result("deploy")["changed"] is True
    assert read(target) == before and sorted(os.listdir(tmp_path)) == sorted(
        p for p in os.listdir(tmp_path) if not p.startswith("manager.json.")
    )


def test_diff_is_masked_in_what_users_see(tmp_path):
    target = tmp_path / "manager.json"
    run_tasks([task("deploy", target, {"url": URL, "auth": basic()})], tmp_path)
    rotated = {"url": URL, "auth": basic("rotated-" + PASSWORD), "headers": {"X-Api-Key": BEARER}}
    run = run_tasks([task("deploy", target, rotated)], tmp_path, diff=True,
                    env={"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"})
    out = everything(run)
    assert run.rc == 0, out[-3000:]
    assert '+    "X-Api-Key": "********"' in out
    assert '-      "password": "********"' in out and '+      "password": "******** (changed)"' in out
    assert PASSWORD not in out and BEARER not in out
    assert json.loads(read(target))["auth"]["basic"]["password"] == "rotated-" + PASSWORD


INVALID = [
    ("no url", {"auth": basic()}, "manager.url: is required"),
    ("no auth", {"url": URL}, "manager.auth: is required"),
    ("both basic and token", {"url": URL, "auth": dict(basic(), token={"bearer": BEARER})},
     "manager.auth: holds more than one authentication method (basic, token)"),
    ("empty password", {"url": URL, "auth": basic("")}, "manager.auth.basic.password: must be a non-empty string"),
    ("negative interval", {"url": URL, "auth": basic(), "fetchIntervalMS": -1},
     "manager.fetchIntervalMS: must be a positive integer (milliseconds, at least 1), got -1"),
    ("zero interval", {"url": URL, "auth": basic(), "tokenRefreshIntervalMS": 0},
     "manager.tokenRefreshIntervalMS: must be a positive integer (milliseconds, at least 1), got 0 "
     "(the platform reads 0 as its default, 3600000 ms"),
    ("authorization header beside basic", {"url": URL, "auth": basic(), "headers": {"authorization": "Bearer " + BEARER}},
     "manager.headers.authorization: would replace the Authorization header that the platform builds from "
     "manager.auth.basic"),
    ("authorization header beside token", {"url": URL, "auth": {"token": {"bearer": BEARER}},
                                           "headers": {"Authorization": "Basic " + PASSWORD}},
     "manager.headers.Authorization: would replace the Authorization header that the platform builds from "
     "manager.auth.token"),
    ("negative timeout", {"url": URL, "auth": basic(), "requests": {"closeSessionTimeout": -10}},
     "manager.requests.closeSessionTimeout: must be a non-negative integer (milliseconds), got -10"),
    ("misspelt key", {"url": URL, "auth": basic(), "fetchIntervalMs": 1000},
     "manager.fetchIntervalMs: is not a setting of manager"),
    ("plain http", {"url": "http://manager.example.com/api", "auth": basic()},
     "manager.url: plain http:// to a non-loopback host (manager.example.com)"),
    ("credentials in url", {"url": "https://main-app:%s@manager.example.com/api" % PASSWORD, "auth": {}},
     "manager.url: must not carry credentials"),
]


def test_invalid_objects_fail_with_clear_messages(tmp_path):
    tasks = [task(name, tmp_path / ("%d.json" % i), manager) for i, (name, manager, _msg) in enumerate(INVALID)]
    run = run_tasks(tasks, tmp_path)
    for i, (name, _manager, expected) in enumerate(INVALID):
        result = run.result(name)
        assert result.get("failed") is True, (name, result)
        assert result["error_kind"] == "schema"
        assert expected in result["msg"], (name, result["msg"])
        assert str(tmp_path / ("%d.json" % i)) in result["msg"] and "nothing was written" in result["msg"]
        assert not (tmp_path / ("%d.json" % i)).exists()
    assert PASSWORD not in everything(run) and BEARER not in everything(run)


def test_allow_plain_http_and_loopback(tmp_path):
    tasks = [
        task("loopback", tmp_path / "a.json", {"url": "http://127.0.0.1:4356/api", "auth": {"username": "u"}}),
        task("allowed", tmp_path / "b.json", {"url": "http://manager.example.com/api", "auth": {}},
             allow_plain_http=True),
    ]
    run = run_tasks(tasks, tmp_path)
    assert run.result("loopback")["changed"] is True and run.result("allowed")["changed"] is True


def test_deprecated_keys_warn_and_are_written(tmp_path):
    target = tmp_path / "manager.json"
    run = run_tasks([task("deploy", target, {"url": URL, "auth": {}, "critical": True, "responseTimeoutMS": 5})],
                    tmp_path, env={"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"})
    out = everything(run)
    assert run.rc == 0, out[-3000:]
    assert "manager.critical is deprecated" in out and "use manager.requests.timeout instead" in out
    doc = json.loads(read(target))
    assert doc["critical"] is True and doc["responseTimeoutMS"] == 5


def test_backup(tmp_path):
    target = tmp_path / "manager.json"
    run_tasks([task("deploy", target, {"url": URL, "auth": basic()})], tmp_path)
    first = read(target)
    run = run_tasks([task("deploy", target, {"url": URL, "auth": basic(), "fetchIntervalMS": 5000}, backup=True)],
                    tmp_path)
    result = run.result("deploy")
    assert result["changed"] is True and read(result["backup_file"]) == first
    assert json.loads(read(target))["fetchIntervalMS"] == 5000


def test_esm_variants(tmp_path):
    tasks = [
        task("default", tmp_path / "default.js", {"url": URL, "auth": {"token": {"bearer": BEARER}}}, format="esm"),
        task("named", tmp_path / "named.js", {"url": URL, "auth": {}}, format="esm", esm_export="named",
             mode="0640"),
    ]
    run = run_tasks(tasks, tmp_path)
    assert run.result("default")["changed"] and run.result("named")["changed"]
    default = read(tmp_path / "default.js").decode()
    assert "export default {" in default and BEARER in default
    assert "export const manager = {" in read(tmp_path / "named.js").decode()
    assert oct(os.stat(tmp_path / "named.js").st_mode & 0o777) == "0o640"
    assert BEARER not in everything(run)
    again = run_tasks(tasks, tmp_path)
    assert not again.result("default")["changed"] and not again.result("named")["changed"]


def test_vault_password_never_appears_at_vvvv(tmp_path):
    """The password comes from a Vault-encrypted vars file; -vvvv output (module args, invocation, results)
    must not show it, in a normal run, a diff run and a failing run."""
    vault_pass = tmp_path / "vault-pass"
    vault_pass.write_text("test-vault-passphrase\n")
    secrets = tmp_path / "secrets.yml"
    secrets.write_text(yaml.safe_dump({"vault_manager_password": PASSWORD, "vault_manager_bearer": BEARER}))
    env = ansible_env()
    subprocess.run([os.path.join(BIN, "ansible-vault"), "encrypt", "--vault-password-file", str(vault_pass),
                    str(secrets)], check=True, env=env, capture_output=True)
    assert PASSWORD.encode() not in read(secrets)

    target = tmp_path / "manager.json"
    tasks = [
        task("deploy", target, {"url": URL, "auth": basic("{{ vault_manager_password }}"),
                                "headers": {"X-Api-Key": "{{ vault_manager_bearer }}"}}),
        task("invalid", tmp_path / "bad.json",
             {"url": URL, "auth": dict(basic("{{ vault_manager_password }}"),
                                       token={"bearer": "{{ vault_manager_bearer }}"})}),
    ]
    args = ["-e", "@%s" % secrets, "--vault-password-file", str(vault_pass), "-vvvv"]
    for diff in (True, False):
        target.unlink(missing_ok=True)
        run = run_tasks(tasks, tmp_path, args=args, diff=diff, env={"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"})
        out = everything(run)
        assert "TASK [deploy]" in out and "manager.auth: holds more than one authentication method" in out, out[-3000:]
        assert PASSWORD not in out and BEARER not in out
        assert json.loads(read(target))["auth"]["basic"]["password"] == PASSWORD
        assert json.loads(read(target))["headers"]["X-Api-Key"] == BEARER


# -- the role and the playbook ------------------------------------------------------------------------------

TOPOLOGY = {
    "PROD": {
        "EMEA": {"url": "https://manager-emea.example.com/api", "auth": basic("{{ vault_prod_emea_password }}")},
        "APAC": {"url": "https://manager-apac.example.com/api", "auth": {"token": {"bearer": BEARER}},
                 "fetchIntervalMS": 120000},
    },
    "UAT": {"EMEA": {"url": "http://127.0.0.1:4356/api", "auth": {"username": "tester"}}},
}


def write_inventory(tmp_path, hosts: dict, **group_vars) -> str:
    inventory = {"all": {"children": {"ioconnect_browser": {
        "hosts": hosts,
        "vars": dict({
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "browser_manager_config_path": str(tmp_path / "www" / "{{ inventory_hostname }}" / "ioconnect" / "manager.json"),
            "browser_manager_owner": "{{ omit }}",
            "browser_manager_group": "{{ omit }}",
            "browser_manager_topology": TOPOLOGY,
            "browser_manager_common": {"headers": {"X-Client": "main-app"}, "fetchIntervalMS": 45000},
            "vault_prod_emea_password": PASSWORD,
        }, **group_vars),
    }}}}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return str(path)


def run_playbook(inventory, *args, env=None) -> Run:
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", inventory, os.path.join(REPO, "playbooks", "browser.yml")]
    cmd.extend(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ansible_env(**(env or {})), timeout=600,
                          check=False)
    return Run(proc)


def host_results(run: Run, task_name_start: str) -> dict:
    for play in run.data["plays"]:
        for task_ in play["tasks"]:
            if task_name_start in task_["task"]["name"]:
                return task_["hosts"]
    return {}


def test_role_deploys_each_pair_and_is_idempotent(tmp_path):
    hosts = {
        "web-prod-emea": {"ioconnect_env": "PROD", "ioconnect_region": "EMEA"},
        "web-prod-apac": {"ioconnect_env": "PROD", "ioconnect_region": "APAC"},
        "web-uat-emea": {"ioconnect_env": "UAT", "ioconnect_region": "EMEA"},
    }
    inventory = write_inventory(tmp_path, hosts)
    first = run_playbook(inventory)
    assert first.rc == 0, everything(first)[-4000:]
    stats = first.data["stats"]
    assert all(stats[h]["changed"] == 2 and stats[h]["failures"] == 0 for h in hosts), stats
    # Task names are rendered once, from the first host: none may name a pair, or every host would show that one.
    names = [t["task"]["name"] for play in first.data["plays"] for t in play["tasks"]]
    assert "ioconnect.fleet.browser_manager : Write the manager configuration of the host's env and region pair" \
        in names, names
    assert not [n for n in names if "PROD" in n or "UAT" in n or "EMEA" in n or "APAC" in n], names

    def doc(host):
        return json.loads(read(tmp_path / "www" / host / "ioconnect" / "manager.json"))

    assert doc("web-prod-emea")["url"] == "https://manager-emea.example.com/api"
    assert doc("web-prod-emea")["auth"]["basic"]["password"] == PASSWORD
    assert doc("web-prod-emea")["fetchIntervalMS"] == 45000  # from browser_manager_common
    assert doc("web-prod-apac")["fetchIntervalMS"] == 120000  # the pair wins
    assert doc("web-prod-apac")["auth"] == {"token": {"bearer": BEARER}}
    assert doc("web-uat-emea")["auth"] == {"username": "tester"}
    assert all(doc(h)["headers"] == {"X-Client": "main-app"} for h in hosts)
    assert PASSWORD not in first.stdout and BEARER not in first.stdout

    second = run_playbook(inventory)
    assert second.rc == 0 and all(second.data["stats"][h]["changed"] == 0 for h in hosts), second.data["stats"]

    check = run_playbook(inventory, "--check", "--diff", "-e", "browser_manager_format=esm",
                         "-e", "browser_manager_config_path=%s" % (tmp_path / "esm" / "{{ inventory_hostname }}.js"))
    assert check.rc == 0, everything(check)[-3000:]
    assert not (tmp_path / "esm").exists()


def test_role_unknown_pair_fails_before_touching_anything(tmp_path):
    hosts = {
        "web-good": {"ioconnect_env": "PROD", "ioconnect_region": "EMEA"},
        "web-mars": {"ioconnect_env": "PROD", "ioconnect_region": "MARS"},
        "web-nowhere": {},
    }
    run = run_playbook(write_inventory(tmp_path, hosts))
    assert run.rc != 0
    pair = host_results(run, "Check that the env and region pair")
    assert pair["web-mars"]["failed"] is True
    msg = pair["web-mars"]["msg"]
    assert "PROD/MARS is not a pair of browser_manager_topology" in msg and "nothing was changed" in msg
    assert "PROD/EMEA" in msg and "PROD/APAC" in msg and "UAT/EMEA" in msg
    assert PASSWORD not in everything(run) and BEARER not in everything(run)
    named = host_results(run, "Check that this host names")
    assert named["web-nowhere"]["failed"] is True and "set ioconnect_env and ioconnect_region" in named["web-nowhere"]["msg"]
    assert not (tmp_path / "www" / "web-mars").exists() and not (tmp_path / "www" / "web-nowhere").exists()
    assert (tmp_path / "www" / "web-good" / "ioconnect" / "manager.json").exists()


def test_role_invalid_pair_names_the_field(tmp_path):
    hosts = {"web-broken": {"ioconnect_env": "PROD", "ioconnect_region": "EMEA"}}
    broken = {"PROD": {"EMEA": {"url": "https://m.example.com/api", "auth": basic(""), "fetchIntervalMS": -5}}}
    run = run_playbook(write_inventory(tmp_path, hosts, browser_manager_topology=broken))
    assert run.rc != 0
    result = host_results(run, "Write the manager configuration")["web-broken"]
    assert result["errors"] == ["manager.auth.basic.password: must be a non-empty string",
                                "manager.fetchIntervalMS: must be a positive integer (milliseconds, at least 1), got -5 "
                                "(the platform reads 0 as its default, 60000 ms; leave the key out for the default)"]
    assert not (tmp_path / "www" / "web-broken" / "ioconnect" / "manager.json").exists()


def test_role_argument_specs_reject_bad_types(tmp_path):
    hosts = {"web": {"ioconnect_env": "PROD", "ioconnect_region": "EMEA"}}
    run = run_playbook(write_inventory(tmp_path, hosts, browser_manager_format="yaml"))
    assert run.rc != 0
    out = json.dumps(run.data)
    assert "browser_manager_format" in out and "json, esm" in out


# -- end to end: the role's files in a Main app that calls the real IOBrowserPlatform() -----------------------

def test_end_to_end_main_app_in_headless_chromium(tmp_path):
    """The role deploys JSON and an ES module into a web root; the test Main app loads each as docs/browser.md
    shows and hands it to IOBrowserPlatform() of @interopio/browser-platform (tests/integration/browser_platform.py):
    the platform's decoder accepts it (its licence error comes after the decoder)."""
    root = bp.webroot(tmp_path / "webroot")
    topology = {"PROD": {"EMEA": {"url": "https://manager-emea.example.com/api", "auth": basic(),
                                  "fetchIntervalMS": 42000}}}
    common = {"requests": {"timeout": 15000}}
    hosts = {"web-e2e": {"ioconnect_env": "PROD", "ioconnect_region": "EMEA"}}
    inventory = write_inventory(tmp_path, hosts, browser_manager_topology=topology, browser_manager_common=common,
                                browser_manager_config_path=os.path.join(root, "ioconnect", "manager.json"))
    deployed = run_playbook(inventory)
    assert deployed.rc == 0, everything(deployed)[-3000:]
    esm = run_playbook(inventory, "-e", "browser_manager_format=esm",
                       "-e", "browser_manager_config_path=%s" % os.path.join(root, "ioconnect", "manager.js"))
    assert esm.rc == 0, everything(esm)[-3000:]

    sources = ["/ioconnect/manager.json", "/ioconnect/manager.js"]
    shot = tmp_path / "main-app.png"
    with bp.serve(root) as (base, requested):
        assert base.startswith("http://127.0.0.1:")
        pages = bp.open_pages(["%s/?config=%s" % (base, source) for source in sources], str(tmp_path / "profiles"))
        picture = bp.chromium(base + "/", str(tmp_path / "profiles"), "--screenshot=%s" % shot,
                              "--window-size=800,600", "--hide-scrollbars")
    for source, page in zip(sources, pages):
        assert page.get("status") == "done", (source, {k: v for k, v in page.items() if k != "dom"})
        assert page["source"] == source
        assert page["shown"] == {"url": "https://manager-emea.example.com/api", "fetchIntervalMS": 42000,
                                 "tokenRefreshIntervalMS": 3600000, "auth": "basic (user main-app)",
                                 "requestsTimeout": 15000}
        assert page["platform"] == {"settled": "rejected", "name": "Error", "message": bp.LICENCE_ERROR}
        assert page["digest"] == bp.digest(json.loads(read(os.path.join(root, "ioconnect", "manager.json"))))
        assert '<dd id="auth">basic (user main-app)</dd>' in page["dom"]
        assert PASSWORD not in page["dom"]
    assert set(sources) <= set(requested) and "/lib/browser.platform.es.js" in requested
    assert picture.returncode == 0, picture.stderr[-3000:]
    assert read(shot).startswith(b"\x89PNG\r\n\x1a\n") and shot.stat().st_size > 1000
