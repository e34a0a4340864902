# -*- coding: utf-8 -*-
"""One status vocabulary: every status word the results, the summary, the report and the docs say is one of
module_utils/common/status.py, read from the code itself (a scan) and from what the code returns (exercised)."""

from __future__ import annotations

import glob
import json
import os
import re

import pytest
import yaml

from ansible_collections.ioconnect.fleet.plugins.filter.drift_summary import drift_summary
from ansible_collections.ioconnect.fleet.plugins.module_utils.common import status as st
from ansible_collections.ioconnect.fleet.plugins.module_utils.desk import plan
from ansible_collections.ioconnect.fleet.plugins.modules import desk_system_json
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.aggregate import DriftCollector
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.display import COLUMNS, STATUS_TITLES

from ansible_collections.ioconnect.fleet.tests.unit.plugins.plugin_utils import drift_fixtures as fx

REPO = fx.REPO
# Other fields that are also called "status" in the code, with words of their own (not a desk's status).
OTHER_FIELDS = {
    "skipped": "a file check Ansible skipped (aggregate.classify_install): dropped, never a desk's status",
    "recorded": "the drift history's state (report history.status)",
    "read": "the drift history's state (report history.status)",
    "disabled": "the drift history's state (report history.status)",
    "unavailable": "the drift history's state (report history.status)",
}
# `status == "x"`, `"status": "x"`, `status="x"`, `default='x'` of a status attribute; `data-status` (an HTML
# attribute naming a column) is not a status.
_COMPARED = re.compile(r"""(?<![-\w])status["']?\]?\)?\s*(?:==|!=|=|:|,\s*default=)\s*\(?["']([a-z_]+)["']""")
_IN = re.compile(r"""(?<![-\w])status["']?\]?\)?\s+(?:not\s+)?in\s+[(\[]([^)\]]*)[)\]]""")


def _sources():
    patterns = ("plugins/**/*.py", "playbooks/**/*.yml", "roles/**/*.yml")
    return sorted(p for pattern in patterns for p in glob.glob(os.path.join(REPO, pattern), recursive=True))


def _words_in(path):
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            for match in _COMPARED.finditer(line):
                yield match.group(1), number
            for match in _IN.finditer(line):
                for word in re.findall(r"""["']([a-z_]+)["']""", match.group(1)):
                    yield word, number


def test_the_code_says_no_other_status_word():
    found = {}
    for path in _sources():
        for word, number in _words_in(path):
            found.setdefault(word, []).append("%s:%d" % (os.path.relpath(path, REPO), number))
    strangers = {w: where for w, where in found.items() if w not in st.DESK_STATUSES and w not in OTHER_FIELDS}
    assert not strangers, "status words outside module_utils/common/status.py: %s" % strangers
    # The scan does find the words (it is not vacuous): every status is written somewhere.
    assert set(st.DESK_STATUSES) <= set(found)


def test_the_scan_catches_a_stranger(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('row = {"desk": d, "status": "not_run"}\nif d["status"] in ("ok", "compliant"):\n    pass\n'
                   '<td data-status="desks">\n', encoding="utf-8")
    assert sorted(_words_in(str(bad))) == [("compliant", 2), ("not_run", 1), ("ok", 2)]


def test_one_definition_everyone_imports():
    assert set(st.MEANINGS) == set(st.TITLES) == set(st.DESK_STATUSES) == set(COLUMNS)
    assert STATUS_TITLES is st.TITLES
    assert plan.STATUSES == st.RESULT_STATUSES and set(st.RESULT_STATUSES) <= set(st.DESK_STATUSES)
    assert set(st.FILE_STATUSES) | {st.NOT_CHECKED} == set(st.DESK_STATUSES)
    assert st.worst([st.COMPLIANT, st.DRIFTED, st.CHANGED]) == st.DRIFTED and st.worst([]) == st.NOT_CHECKED
    # The module's RETURN documents the words its result says.
    assert tuple(yaml.safe_load(desk_system_json.RETURN)["status"]["choices"]) == st.RESULT_STATUSES


def test_the_report_schema_and_the_docs_list_the_vocabulary():
    with open(os.path.join(REPO, "docs", "drift-report.schema.json"), encoding="utf-8") as handle:
        schema = json.load(handle)
    assert tuple(schema["$defs"]["status"]["enum"]) == st.DESK_STATUSES
    with open(os.path.join(REPO, "docs", "drift-detection.md"), encoding="utf-8") as handle:
        page = handle.read()
    section = page[page.index('<a id="statuses"></a>'):]
    section = section[:section.index("\n## ")]
    assert tuple(re.findall(r"^\| `([a-z_]+)` \|", section, re.M)) == (
        st.DRIFTED, st.CHANGED, st.COMPLIANT, st.FAILED, st.UNREACHABLE, st.NOT_INSTALLED, st.NOT_CHECKED)
    assert "in this order: %s." % ", ".join(st.DESK_STATUSES) in " ".join(section.split())


@pytest.mark.parametrize("result, outcome", [
    (fx.compliant(), "ok"), (fx.drifted(), "ok"), (fx.not_installed(), "ok"), (fx.failed(), "failed"),
    ({"msg": "ssh", "unreachable": True}, "unreachable"), ({"skipped": True}, "skipped"),
    (dict(fx.drifted(), changed=True), "ok"),
])
def test_what_the_report_says_is_in_the_vocabulary(result, outcome):
    collector = DriftCollector()
    collector.add_result("d", result, "EMEA", "PROD", outcome=outcome, check_mode=False)
    report = collector.report()
    assert {d["status"] for d in report["desks"]} <= set(st.DESK_STATUSES)
    assert {i["status"] for d in report["desks"] for i in d["installs"]} <= set(st.FILE_STATUSES)
    assert set(report["desks_by_status"]) == set(st.DESK_STATUSES)


def test_what_the_summary_says_is_in_the_vocabulary():
    hostvars = {"a": {"r": fx.drifted()}, "b": {"r": fx.failed()}, "c": {"r": {"unreachable": True}}, "d": {}}
    out = drift_summary(hostvars, sorted(hostvars), active_hosts=["a", "c", "d"], result_vars=["r"], rows=True)
    assert tuple(out["counts"]) == st.DESK_STATUSES
    assert {r["status"] for r in out["rows"]} == {st.DRIFTED, st.FAILED, st.UNREACHABLE, st.NOT_CHECKED}
    assert all(out[s] == out["counts"][s] for s in st.DESK_STATUSES)
