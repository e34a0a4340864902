# -*- coding: utf-8 -*-
"""The demo inventory outside `make demo`: `demo_fleet.py generate` leaves an ansible.cfg and the port base the
desks were built for beside them, so a plain `ansible-playbook -i inventories/demo playbooks/drift.yml` (with
ANSIBLE_CONFIG pointing there, no IOCONNECT_DEMO_PORT_BASE) finds the compliant desks compliant, not drifted."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from playbook_runner import BIN, REPO

FLEET = os.path.join(REPO, "tests", "support", "demo_fleet.py")


def test_demo_inventory_runs_with_the_generated_ansible_cfg(tmp_path):
    root = str(tmp_path / "demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "IOCONNECT_"))}
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    subprocess.run([sys.executable, FLEET, "generate", "-i", os.path.join(REPO, "inventories", "demo"), "--root", root,
                    "--port-base", "27990"], check=True, capture_output=True, env=env, timeout=300)
    cfg = os.path.join(root, "ansible.cfg")
    with open(cfg, encoding="utf-8") as handle:
        assert "ANSIBLE_CONFIG=%s" % cfg in handle.read()  # it says how to use it
    env.update(ANSIBLE_CONFIG=cfg, IOCONNECT_DEMO_ROOT=root)
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", os.path.join(REPO, "inventories", "demo"),
                           os.path.join(REPO, "playbooks", "drift.yml"), "--limit", "lon-prod-02,lon-prod-03,lon-prod-06"],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    with open(os.path.join(root, "report", "drift-report.json"), encoding="utf-8") as handle:
        report = json.load(handle)
    statuses = {d["name"]: d["status"] for d in report["desks"]}
    # lon-prod-03 and -06 were built compliant for port base 27990; lon-prod-02 points at the legacy io.Manager.
    assert statuses == {"lon-prod-02": "drifted", "lon-prod-03": "compliant", "lon-prod-06": "compliant"}
    # Not a terminal: the log still says where the report went.
    assert "drift report written to %s" % os.path.join(root, "report") in proc.stderr
