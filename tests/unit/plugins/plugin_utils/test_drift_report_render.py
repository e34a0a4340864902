# -*- coding: utf-8 -*-
"""Renderers of the drift report (JSON, Markdown, HTML, JUnit), the writer and the progress meter."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt
from markupsafe import escape

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.aggregate import DriftCollector
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.progress import ProgressMeter
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.render_html import render_html
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.render_json import render_json
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.render_junit import render_junit
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.render_markdown import (
    code,
    render_markdown,
)
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report import write as write_module
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.write import normalize_formats, write_reports

from ansible_collections.ioconnect.fleet.tests.unit.plugins.plugin_utils import drift_fixtures as fx

EVIL = '<script>alert("x")</script>|`*_[a](http://evil.example/)'
RENDERERS = [render_json, render_markdown, render_html, render_junit]


def sample_report():
    collector = DriftCollector()
    collector.add_result("desk-ok", fx.compliant(), "emea", "prod")
    collector.add_result("desk-drift", fx.drifted(pointers=("/server/url", "/crashReporter/output/serverUrl")),
                         "emea", "prod")
    collector.add_result("desk-leaky", fx.leaky(), "amer", "uat")
    collector.add_result("desk-broken", {k: v for k, v in fx.failed().items() if k != "failed"}, "amer", "uat",
                         task_name="ioconnect.fleet.desktop : system.json", outcome="failed")
    collector.add_error("desk-away", "unreachable", "ssh: connect to host 127.0.0.1 port 1: Connection refused",
                        "Gathering Facts", "apac", "prod")
    collector.add_result("desk-none", fx.not_installed(), "apac", "dev")
    collector.add_result(EVIL, dict(fx.drifted(), drift=[{"pointer": "/x" + EVIL, "op": "replace", "before": EVIL,
                                                          "after": "</td></tr></table>" + EVIL}]), EVIL, EVIL)
    return collector.report(run={"check_mode": True, "playbooks": ["drift.yml"]})


@pytest.fixture(scope="module")
def report():
    return sample_report()


@pytest.mark.parametrize("render", RENDERERS)
def test_no_secret_in_any_format(report, render):
    text = render(report)
    for secret in fx.SECRETS:
        assert secret not in text


@pytest.mark.parametrize("render", RENDERERS)
def test_every_drifted_pointer_in_every_format(report, render):
    text = render(report)
    if render is render_html:
        text = text.replace("<wbr>", "")  # paths and pointers may wrap after a separator only: same visible text
    for desk in report["desks"]:
        for entry in desk["drift"]:
            pointer = entry["pointer"]
            if render is render_markdown:
                pointer = code(pointer)
            elif render is render_html:
                pointer = str(escape(pointer))
            elif render is render_junit:
                pointer = pointer.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            elif render is render_json:
                pointer = json.dumps(pointer)[1:-1]
            assert pointer in text, (render.__name__, pointer)


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self.attrs = []
        self.scripts = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def test_html_escapes_untrusted_text(report):
    page = render_html(report)
    parser = _Collect()
    parser.feed(page)
    assert parser.tags.count("script") == 1  # only the page's own
    assert "alert" not in "".join(parser.scripts)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "</td></tr></table><script" not in page


def test_html_is_self_contained_and_locked_down(report):
    page = render_html(report)
    parser = _Collect()
    parser.feed(page)
    names = {name for name, _value in parser.attrs}
    assert not names & {"src", "href", "srcset", "action", "style", "onclick", "onload"}
    assert "link" not in parser.tags and "img" not in parser.tags and "iframe" not in parser.tags
    assert not re.search(r"url\(|@import|fetch\(|XMLHttpRequest", page)
    csp = next(v for n, v in parser.attrs if n == "content" and "default-src" in v)
    assert "default-src 'none'" in csp
    for tag in ("style", "script"):
        body = re.search(r"<%s>(.*?)</%s>" % (tag, tag), page, re.S).group(1)
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        assert "'sha256-%s'" % digest in csp, tag


def test_html_counts_and_sections(report):
    page = render_html(report)
    summary = report["summary"]
    for status in ("drifted", "compliant", "failed", "unreachable"):
        assert 'id="count-%s" data-count="%d"' % (status, summary[status]) in page
    assert 'id="count-desks" data-count="%d"' % summary["desks"] in page
    failed = page[page.index('id="failed-section"'):page.index('id="unreachable-section"')]
    unreachable = page[page.index('id="unreachable-section"'):]
    assert "desk-broken" in failed and "desk-away" not in failed
    assert "desk-away" in unreachable and "desk-broken" not in unreachable.split("not-checked-section", maxsplit=1)[0]
    assert page.count('<tr class="desk"') == summary["desks"]


def test_markdown_lists_failed_and_unreachable_apart(report):
    text = render_markdown(report)
    failed = text[text.index("## Failed desks"):text.index("## Unreachable desks")]
    unreachable = text[text.index("## Unreachable desks"):]
    assert "desk\\-broken" not in failed  # '-' is not escaped
    assert "desk-broken" in failed and "desk-away" not in failed
    assert "desk-away" in unreachable
    # Untrusted text is inert: rendered as GitHub does (CommonMark, tables), no markup of its own comes out.
    html = MarkdownIt("commonmark").enable("table").render(text)
    parser = _Collect()
    parser.feed(html)
    assert not set(parser.tags) & {"script", "a", "img", "del"}
    assert parser.tags.count("em") == text.count("*absent*")  # the only emphasis is the report's own
    assert parser.tags.count("strong") == 1  # "**N drifted**"; masks (********) sit in code spans
    assert "&lt;script&gt;" in html
    drifted = text[text.index("## Drifted desks"):text.index("## Failed desks")]
    assert "desk-ok" not in drifted and "desk-none" not in drifted


def test_junit_one_testcase_per_desk(report):
    root = ET.fromstring(render_junit(report).encode("utf-8"))
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert len(cases) == report["summary"]["desks"]
    assert cases["desk-drift"].find("failure") is not None
    assert "/server/url" in cases["desk-drift"].find("failure").text
    assert cases["desk-broken"].find("error").get("type") == "parse"
    assert cases["desk-away"].find("error").get("type") == "unreachable"
    assert cases["desk-none"].find("skipped") is not None
    ok = cases["desk-ok"]
    assert ok.find("failure") is None and ok.find("error") is None and ok.find("skipped") is None
    assert root.get("tests") == str(report["summary"]["desks"])
    assert root.get("failures") == str(report["summary"]["drifted"])
    assert root.get("errors") == "2"
    assert EVIL in cases


def test_junit_survives_control_characters():
    collector = DriftCollector()
    collector.add_result("d\x01\x02", dict(fx.drifted(), msg="bad \x0b\x0c text"), "r\x07", "e")
    ET.fromstring(render_junit(collector.report()).encode("utf-8"))


def test_empty_report_renders():
    report = DriftCollector().report()
    for render in RENDERERS:
        assert render(report)
    assert "No desk was checked" in render_html(report)


def test_write_reports(tmp_path, report):
    written = write_reports(report, str(tmp_path / "out"), "json, md,html,xml", basename="fleet")
    assert sorted(written) == ["html", "json", "junit", "markdown"]
    assert sorted(os.listdir(tmp_path / "out")) == ["fleet.html", "fleet.json", "fleet.junit.xml", "fleet.md"]
    assert json.loads((tmp_path / "out" / "fleet.json").read_text(encoding="utf-8"))["summary"] == report["summary"]
    with pytest.raises(ValueError, match="unknown drift report format"):
        normalize_formats(["pdf"])
    assert normalize_formats(["JSON", "json", ""]) == ["json"]


def test_report_files_are_replaced_whole_and_keep_their_mode(tmp_path, report, monkeypatch):
    out = tmp_path / "out"
    old_umask = os.umask(0o027)
    try:
        write_reports(report, str(out), "json")
    finally:
        os.umask(old_umask)
    target = out / "drift-report.json"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640, "a new report gets the umask's mode, not mkstemp's 0600"
    target.chmod(0o644)
    before = target.read_bytes()

    def broken(_report):
        raise RuntimeError("renderer crashed")
    monkeypatch.setitem(write_module.FORMATS, "json", (".json", broken))
    with pytest.raises(RuntimeError):
        write_reports(report, str(out), "json")
    assert target.read_bytes() == before and os.listdir(out) == ["drift-report.json"]
    monkeypatch.undo()
    write_reports(dict(report, summary=dict(report["summary"], desks=99)), str(out), "json")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644, "a rewritten report keeps its mode"
    assert json.loads(target.read_text(encoding="utf-8"))["summary"]["desks"] == 99
    assert os.listdir(out) == ["drift-report.json"], "no temporary file stays"


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_does_not_flood():
    clock = Clock()
    meter = ProgressMeter(total=800, clock=clock)
    lines = []
    for done in range(1, 801):
        clock.now += 0.05  # 20 desks a second
        if meter.due(done):
            lines.append(meter.line(done, {"drifted": done // 10}))
    if meter.due(800, final=True):
        lines.append(meter.line(800, {}))
    assert 5 <= len(lines) <= 12
    assert lines[-1].startswith("drift: 800 / 800 desks done (100%)")


def test_progress_time_based_when_slow():
    clock = Clock()
    meter = ProgressMeter(total=1000, every=0, interval=10, clock=clock)
    printed = 0
    for done in range(1, 40):
        clock.now += 3  # slow desks: lines come from the interval, not the count
        if meter.due(done):
            meter.line(done, {})
            printed += 1
    assert 8 <= printed <= 12  # 117 s at one line per 10 s at most
    assert not meter.due(39)  # nothing moved, nothing printed
