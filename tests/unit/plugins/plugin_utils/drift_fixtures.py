# -*- coding: utf-8 -*-
"""system_json results as the module returns them, and secrets that must never reach a report."""

from __future__ import annotations

import json
import os
import random

import jsonschema

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
REPORT_SCHEMA = json.load(open(os.path.join(REPO, "docs", "drift-report.schema.json"), encoding="utf-8"))


def validate(report):
    """The report against its published schema (docs/drift-report.schema.json), formats checked."""
    jsonschema.Draft202012Validator(REPORT_SCHEMA, format_checker=jsonschema.FormatChecker()).validate(
        json.loads(json.dumps(report)))


SECRETS = ("hunter2-PASSWORD", "tok-3f9a8b7c6d", "sekret-client", "AKIAXYZ-apikey", "bearer-abc123def", "urlpass99")


def compliant(path="/desk/config/system.json"):
    return {"changed": False, "path": path, "exists": True, "drift": [], "msg": "%s already holds it" % path}


def drifted(path="/desk/config/system.json", pointers=("/server/url",)):
    drift = [{"pointer": p, "op": "replace", "before": "https://old.example/api", "after": "https://new.example/api"}
             for p in pointers]
    return {"changed": True, "path": path, "exists": True, "drift": drift, "msg": "%s updated" % path}


def failed(path="/desk/config/system.json", kind="parse"):
    return {"changed": False, "failed": True, "path": path, "error_kind": kind,
            "msg": "%s is not valid JSON at line 1, column 3: fix it by hand or restore a backup" % path}


def not_installed(path="/desk/config/system.json"):
    return {"changed": False, "path": path, "exists": False, "drift": [],
            "msg": "%s does not exist: io.Connect Desktop is not installed there" % path}


def leaky(path="/desk/config/system.json"):
    """A result as a buggy module could send it: secrets unmasked in drift values and the message."""
    return {
        "changed": True, "path": path, "exists": True,
        "msg": "updated, password=%s, Authorization: Bearer %s" % (SECRETS[0], SECRETS[4]),
        "drift": [
            {"pointer": "/server/token", "op": "replace", "before": SECRETS[1], "after": "new-" + SECRETS[1]},
            {"pointer": "/server", "op": "add", "before": None,
             "after": {"url": "https://admin:%s@mgr.example/api" % SECRETS[5], "clientSecret": SECRETS[2]}},
            {"pointer": "/appStores", "op": "replace", "before": [],
             "after": [{"type": "rest", "details": {"url": "https://apps.example", "apiKey": SECRETS[3],
                                                    "headers": [{"name": "Authorization",
                                                                 "value": "Basic " + SECRETS[0]}]}}]},
            {"pointer": "/crashReporter/output/backTraceConfig", "op": "add", "before": None,
             "after": {"token": SECRETS[1], "url": "https://bt.example"}},
        ],
    }


def loop(*items):
    """A loop's final result: one item per install, as core hands it to v2_runner_on_ok."""
    results = []
    for index, item in enumerate(items):
        results.append(dict(item, item=item.get("path", index), ansible_loop_var="item",
                            _ansible_item_label=item.get("path", index)))
    return {"changed": any(i.get("changed") for i in items), "msg": "All items completed", "results": results}


def fleet(size, seed=4):
    """(name, region, env, kind) for a fleet of mixed states, deterministic."""
    rnd = random.Random(seed)
    kinds = ["compliant"] * 5 + ["drifted"] * 3 + ["failed", "unreachable", "not_installed", "loop_mixed"]
    out = []
    for i in range(size):
        out.append(("desk-%04d" % i, rnd.choice(["emea", "amer", "apac"]), rnd.choice(["prod", "uat", "dev"]),
                    rnd.choice(kinds)))
    return out


KIM = "C:\\Users\\kim"
KIM_SYSTEM_JSON = KIM + "\\AppData\\Local\\interop.io\\io.Connect Desktop\\Desktop\\config\\system.json"
MACHINE_ROOT = "C:\\Program Files\\interop.io\\io.Connect Desktop"


def desk_file(path=KIM_SYSTEM_JSON, profile="kim", root=KIM, drift=(), failed=False, exists=True, changed=None,
              product="io.Connect Desktop 9", kind="base", pair="PROD-EMEA"):
    """One item of a desk_system_json result's `files` (the contract the desk plugin follows)."""
    item = {"path": path, "profile": profile, "root": root, "product": product, "kind": kind, "pair": pair,
            "exists": exists, "changed": bool(drift) if changed is None else changed, "drift": list(drift),
            "failed": failed, "msg": "%s: %s" % (path, "failed" if failed else "checked")}
    if failed:
        item.update(error_kind="parse", changed=False, drift=[])
    return item


def desk_result(name="lon-prod-01", files=(), status=None, check_mode=True, error=""):
    """A desk_system_json result: one desk, one item of `files` per file it handled."""
    files = list(files)
    if status is None:
        if any(f["failed"] for f in files) or error:
            status = "failed"
        elif not files:
            status = "not_installed"
        elif any(f["changed"] for f in files):
            status = "drifted" if check_mode else "changed"
        else:
            status = "compliant"
    return {
        "changed": any(f["changed"] for f in files), "failed": status == "failed", "status": status,
        "check_mode": check_mode, "desk": name, "env_region": ["PROD-EMEA"], "layout": "base",
        "msg": "%s: %s" % (name, status), "files": files,
        "installs": [{"user": f["profile"], "product": f["product"], "system_json": f["path"], "files": [f["path"]],
                      "changed": f["changed"], "drift": [d["pointer"] for d in f["drift"]]} for f in files],
        "profiles": [{"name": f["profile"], "path": f["root"], "readable": True, "reason": ""} for f in files],
        "changed_files": [f["path"] for f in files if f["changed"]], "restart_pending": False, "error": error,
    }


URL_DRIFT = {"pointer": "/server/url", "op": "replace", "before": "https://old.example/api",
             "after": "https://iomanager-emea.example.com/api"}
PATH_DRIFT = {"pointer": "/appStores/0/details/path", "op": "replace", "before": "C:\\kim\\apps",
              "after": "\\\\share\\apps"}
