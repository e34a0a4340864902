# -*- coding: utf-8 -*-
"""The URL policy of io.Manager URLs (tests/unit/plugins/plugin_utils/test_url_policy.py) through a real playbook run:
refused requests fail on the controller with error_kind request, and never reach the desk."""

from __future__ import annotations

from playbook_runner import run_tasks


def test_url_policy_through_a_playbook(tmp_path):
    desk = tmp_path / "system.json"
    original = b'{\n    "region": "EMEA",\n    "env": "PROD",\n    "gw": {}\n}\n'
    desk.write_bytes(original)

    def task(name, url, **extra):
        return {"name": name, "ioconnect.fleet.system_json": dict(path=str(desk), server={"url": url}, **extra),
                "ignore_errors": True}

    run = run_tasks([
        task("plain http elsewhere", "http://iomanager.example.com/api"),
        task("credentials", "https://admin:pw-url-s3cr3t@iomanager.example.com/api", allow_plain_http=True),
        task("ftp", "ftp://iomanager.example.com/api", allow_plain_http=True),
        task("loopback", "http://127.0.0.1:4356/api"),
        task("allowed", "http://iomanager.example.com/api", allow_plain_http=True),
        task("https", "https://iomanager.example.com/api"),
    ], tmp_path, check=True)
    for name, fragment in (("plain http elsewhere", "allow_plain_http"), ("credentials", "credentials inside"),
                           ("ftp", "http:// or https://")):
        result = run.result(name)
        assert result["failed"] and result["error_kind"] == "request", result
        assert fragment in result["msg"] and "server.url" in result["msg"], result["msg"]
    for name in ("loopback", "allowed", "https"):
        result = run.result(name)
        assert not result.get("failed") and result["changed"], result
    assert "pw-url-s3cr3t" not in run.stdout + run.stderr
    assert desk.read_bytes() == original  # check mode, and refused requests never reach the desk
