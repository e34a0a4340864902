# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift report as one self-contained HTML page: inline CSS and JS, no network fetch, readable without JS.

Every desk name and value is untrusted and goes through ``esc``. The page also carries a Content-Security-Policy
that allows nothing but its own inline style and script (by hash): no fetch, no image, no injected script can run
even if some text were to slip through unescaped.
"""

from __future__ import annotations

import base64
import hashlib
import html

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.aggregate import DESK_STATUSES
from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.render_markdown import value_text

STATUS_TITLES = {
    "unreachable": "unreachable",
    "failed": "failed",
    "drifted": "drifted",
    "compliant": "compliant",
    "not_checked": "not checked",
}
# Sort rank of the status column: worst first when sorted ascending.
STATUS_RANK = {status: index for index, status in enumerate(DESK_STATUSES)}
# Column order of the count tables: what a reader looks for first.
COLUMNS = ("drifted", "compliant", "failed", "unreachable", "not_checked")

CSS = """
:root{--ok:#1b7f3b;--drift:#b35900;--fail:#c62828;--dark:#6a1b9a;--none:#607d8b;--bg:#f6f7f9;--line:#d9dde3}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:var(--bg);color:#1d232a}
header,main{max-width:1400px;margin:0 auto;padding:12px 20px}
header h1{font-size:22px;margin:8px 0 2px}
.meta{color:#55606c;margin:0}
h2{font-size:17px;margin:22px 0 8px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{background:#fff;border:1px solid var(--line);border-left:6px solid var(--none);border-radius:6px;
 padding:8px 14px;min-width:130px;cursor:pointer;text-align:left;font:inherit;color:inherit}
.card .n{display:block;font-size:26px;font-weight:700}
.card.compliant{border-left-color:var(--ok)}.card.drifted{border-left-color:var(--drift)}
.card.failed{border-left-color:var(--fail)}.card.unreachable{border-left-color:var(--dark)}
.card.active{outline:2px solid #1d232a}
.grid{display:flex;flex-wrap:wrap;gap:24px}
table{border-collapse:collapse;background:#fff;border:1px solid var(--line)}
th,td{padding:5px 9px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#eceff3;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
#desks{width:100%}
#desks th[data-key]{cursor:pointer;user-select:none}
#desks th[aria-sort=ascending]::after{content:" \\25B2"}
#desks th[aria-sort=descending]::after{content:" \\25BC"}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600;background:var(--none)}
.badge.compliant{background:var(--ok)}.badge.drifted{background:var(--drift)}
.badge.failed{background:var(--fail)}.badge.unreachable{background:var(--dark)}
.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0}
.filters input{min-width:280px;padding:5px 8px}
.filters select{padding:4px}
#shown-count{color:#55606c}
table.drift{border:0;margin-top:4px;width:100%}
table.drift td,table.drift th{font-size:12px;padding:3px 6px}
code,.v{font-family:ui-monospace,SFMono-Regular,Consolas,monospace;font-size:12px;word-break:break-all}
.op-add{color:var(--ok)}.op-remove{color:var(--fail)}.op-replace{color:var(--drift)}
details summary{cursor:pointer}
.empty{color:#55606c;font-style:italic}
tr[hidden]{display:none}
td.name{white-space:nowrap;font-weight:600}
"""

JS = """
(function () {
  'use strict';
  var RANK = %(rank)s;
  var table = document.getElementById('desks');
  if (!table) { return; }
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var text = document.getElementById('filter-text');
  var status = document.getElementById('filter-status');
  var region = document.getElementById('filter-region');
  var env = document.getElementById('filter-environment');
  var shown = document.getElementById('shown-count');
  var cards = Array.prototype.slice.call(document.querySelectorAll('.card[data-status]'));
  function apply() {
    var q = text.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (row) {
      var ok = (!status.value || row.dataset.status === status.value) &&
        (!region.value || row.dataset.region === region.value) &&
        (!env.value || row.dataset.environment === env.value) &&
        (!q || row.textContent.toLowerCase().indexOf(q) !== -1);
      row.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = n + ' of ' + rows.length + ' desks shown';
    shown.dataset.shown = String(n);
    cards.forEach(function (card) {
      card.classList.toggle('active', !!status.value && card.dataset.status === status.value);
    });
  }
  function key(row, name, type) {
    var v = row.dataset[name] || '';
    if (type === 'number') { return parseFloat(v) || 0; }
    if (type === 'status') { return RANK[v] === undefined ? 99 : RANK[v]; }
    return v.toLowerCase();
  }
  var headers = Array.prototype.slice.call(table.tHead.querySelectorAll('th[data-key]'));
  headers.forEach(function (th) {
    th.tabIndex = 0;
    function sort() {
      var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
      headers.forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
      var name = th.dataset.key, type = th.dataset.type;
      rows.sort(function (a, b) {
        var x = key(a, name, type), y = key(b, name, type);
        if (x < y) { return -dir; }
        if (x > y) { return dir; }
        return a.dataset.name < b.dataset.name ? -1 : (a.dataset.name > b.dataset.name ? 1 : 0);
      });
      rows.forEach(function (row) { tbody.appendChild(row); });
    }
    th.addEventListener('click', sort);
    th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); } });
  });
  cards.forEach(function (card) {
    card.addEventListener('click', function () {
      var s = card.dataset.status;
      status.value = (s === 'all' || status.value === s) ? '' : s;
      apply();
    });
  });
  [text, status, region, env].forEach(function (el) {
    el.addEventListener('input', apply);
    el.addEventListener('change', apply);
  });
  // A link can carry a view: #status=drifted&region=emea&environment=prod&q=server&sort=drift&dir=desc
  function fromHash() {
    var params = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (pair) {
      var i = pair.indexOf('=');
      if (i > 0) { params[decodeURIComponent(pair.slice(0, i))] = decodeURIComponent(pair.slice(i + 1)); }
    });
    [['status', status], ['region', region], ['environment', env]].forEach(function (p) {
      if (params[p[0]] !== undefined) {
        var known = Array.prototype.some.call(p[1].options, function (o) { return o.value === params[p[0]]; });
        p[1].value = known ? params[p[0]] : '';
      }
    });
    if (params.q !== undefined) { text.value = params.q; }
    var th = headers.filter(function (h) { return h.dataset.key === params.sort; })[0];
    if (th) {
      th.setAttribute('aria-sort', params.dir === 'desc' ? 'ascending' : 'descending');
      th.click();
    }
    apply();
  }
  window.addEventListener('hashchange', fromHash);
  fromHash();
}());
""" % {"rank": "{%s}" % ", ".join("%s: %d" % (s, i) for s, i in STATUS_RANK.items())}


def esc(text) -> str:
    """Untrusted text for an HTML element or a quoted attribute."""
    return html.escape("" if text is None else str(text), quote=True)


def _hash(text: str) -> str:
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


CSP = ("default-src 'none'; style-src %s; script-src %s; img-src 'none'; connect-src 'none'; "
       "base-uri 'none'; form-action 'none'" % (_hash(CSS), _hash(JS)))


def render_html(report: dict) -> str:
    """The whole page as text."""
    summary = report["summary"]
    run = report.get("run", {})
    mode = {True: "check mode (no desk changed)", False: "applied run"}.get(run.get("check_mode"), "mode unknown")
    desks = report["desks"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="%s">' % esc(CSP),
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="ioconnect.fleet.drift_report">',
        "<title>io.Connect fleet drift report: %d drifted of %d desks</title>" % (summary["drifted"], summary["desks"]),
        "<style>%s</style>" % CSS,
        "</head><body>",
        "<header><h1>io.Connect fleet drift report</h1>",
        '<p class="meta">Generated <time id="generated-at">%s</time>, %s%s.</p>' % (
            esc(report.get("generated_at")), esc(mode),
            (", playbook " + esc(", ".join(run.get("playbooks") or []))) if run.get("playbooks") else ""),
        "</header><main>",
        _cards(summary),
        '<section id="groups" class="grid">',
        _counts_table("by-region", "Region", report["by_region"]),
        _counts_table("by-environment", "Environment", report["by_environment"]),
        _matrix(report["by_region_environment"]),
        "</section>",
        _desk_table(desks),
        _problem_section("failed", "Failed desks", desks),
        _problem_section("unreachable", "Unreachable desks", desks),
        _unchecked_section(desks),
        "</main>",
        "<script>%s</script>" % JS,
        "</body></html>",
        "",
    ]
    return "\n".join(parts)


def _cards(summary: dict) -> str:
    cards = ['<section id="summary" class="cards" aria-label="Summary">',
             '<button type="button" class="card" data-status="all"><span class="n" id="count-desks" data-count="%d">%d'
             "</span>desks</button>" % (summary["desks"], summary["desks"])]
    for status in ("drifted", "compliant", "failed", "unreachable", "not_checked"):
        cards.append('<button type="button" class="card %s" data-status="%s"><span class="n" id="count-%s" '
                     'data-count="%d">%d</span>%s</button>' % (
                         status, status, status.replace("_", "-"), summary[status], summary[status],
                         STATUS_TITLES[status]))
    cards.append('<div class="card"><span class="n" id="count-pointers" data-count="%d">%d</span>drifted pointers'
                 "</div>" % (summary["drifted_pointers"], summary["drifted_pointers"]))
    cards.append("</section>")
    return "".join(cards)


def _counts_table(table_id: str, title: str, groups: dict) -> str:
    head = "".join('<th class="num">%s</th>' % STATUS_TITLES[s] for s in COLUMNS)
    rows = []
    for name, counts in groups.items():
        cells = "".join('<td class="num" data-status="%s">%d</td>' % (s, counts[s]) for s in COLUMNS)
        rows.append('<tr data-group="%s"><th scope="row">%s</th><td class="num" data-status="desks">%d</td>%s'
                    '<td class="num" data-status="drifted_pointers">%d</td></tr>' % (
                        esc(name), esc(name), counts["desks"], cells, counts["drifted_pointers"]))
    return ('<div><h2>By %s</h2><table id="%s" class="counts"><thead><tr><th>%s</th><th class="num">desks</th>%s'
            '<th class="num">drifted pointers</th></tr></thead><tbody>%s</tbody></table></div>' % (
                title.lower(), table_id, title, head, "".join(rows) or '<tr><td colspan="9" class="empty">none</td></tr>'))


def _matrix(pairs: list) -> str:
    regions = sorted({p["region"] for p in pairs})
    envs = sorted({p["environment"] for p in pairs})
    index = {(p["region"], p["environment"]): p for p in pairs}
    head = "".join("<th>%s</th>" % esc(e) for e in envs)
    rows = []
    for region in regions:
        cells = []
        for env in envs:
            pair = index.get((region, env))
            if pair is None:
                cells.append('<td class="num empty">-</td>')
            else:
                cells.append('<td class="num" data-region="%s" data-environment="%s" data-drifted="%d" '
                             'data-desks="%d">%d / %d</td>' % (esc(region), esc(env), pair["drifted"], pair["desks"],
                                                               pair["drifted"], pair["desks"]))
        rows.append('<tr><th scope="row">%s</th>%s</tr>' % (esc(region), "".join(cells)))
    return ('<div><h2>Drifted / desks, region &times; environment</h2><table id="by-region-environment">'
            "<thead><tr><th>region \\ environment</th>%s</tr></thead><tbody>%s</tbody></table></div>" % (
                head, "".join(rows)))


def _options(values) -> str:
    return "".join('<option value="%s">%s</option>' % (esc(v), esc(v)) for v in values)


def _desk_table(desks: list) -> str:
    regions = sorted({d["region"] for d in desks})
    envs = sorted({d["environment"] for d in desks})
    status_opts = "".join('<option value="%s">%s</option>' % (s, STATUS_TITLES[s]) for s in DESK_STATUSES)
    out = [
        '<section id="desks-section"><h2>Desks</h2>',
        '<div class="filters" role="search">',
        '<input id="filter-text" type="search" placeholder="Filter: desk, file, JSON pointer, value" '
        'aria-label="Filter desks">',
        '<select id="filter-status" aria-label="Status"><option value="">all statuses</option>%s</select>' % status_opts,
        '<select id="filter-region" aria-label="Region"><option value="">all regions</option>%s</select>'
        % _options(regions),
        '<select id="filter-environment" aria-label="Environment"><option value="">all environments</option>%s'
        "</select>" % _options(envs),
        '<span id="shown-count" data-shown="%d">%d of %d desks shown</span>' % (len(desks), len(desks), len(desks)),
        "</div>",
        '<table id="desks"><thead><tr>'
        '<th data-key="name" data-type="text">Desk</th>'
        '<th data-key="region" data-type="text">Region</th>'
        '<th data-key="environment" data-type="text">Environment</th>'
        '<th data-key="status" data-type="status">Status</th>'
        '<th data-key="drift" data-type="number" class="num">Drifted pointers</th>'
        "<th>Details</th></tr></thead><tbody>",
    ]
    # What needs attention first; the JSON keeps region/environment/name order.
    attention = {status: index for index, status in enumerate(("drifted", "failed", "unreachable", "not_checked"))}
    for desk in sorted(desks, key=lambda d: attention.get(d["status"], len(attention))):
        out.append(
            '<tr class="desk" data-name="%s" data-region="%s" data-environment="%s" data-status="%s" data-drift="%d">'
            '<td class="name">%s</td><td>%s</td><td>%s</td><td><span class="badge %s">%s</span></td>'
            '<td class="num">%d</td><td>%s</td></tr>' % (
                esc(desk["name"]), esc(desk["region"]), esc(desk["environment"]), desk["status"],
                desk["drift_count"], esc(desk["name"]), esc(desk["region"]), esc(desk["environment"]),
                desk["status"], STATUS_TITLES[desk["status"]], desk["drift_count"], _details(desk)))
    if not desks:
        out.append('<tr><td colspan="6" class="empty">No desk was checked in this run.</td></tr>')
    out.append("</tbody></table></section>")
    return "\n".join(out)


def _details(desk: dict) -> str:
    bits = []
    if desk["drift"]:
        shown = ", ".join(e["pointer"] for e in desk["drift"][:3]) + (", ..." if desk["drift_count"] > 3 else "")
        bits.append("<details><summary>%d drifted pointer(s): <code>%s</code></summary>%s</details>" % (
            desk["drift_count"], esc(shown), _drift_table(desk["drift"])))
    elif desk["status"] == "drifted":
        bits.append('<span class="empty">file would be rewritten; no drift details</span>')
    problems = [i for i in desk["installs"] if i["status"] in ("failed", "unreachable")] + desk["errors"]
    for problem in problems:
        bits.append('<div class="problem">%s%s%s</div>' % (
            "<code>%s</code>: " % esc(problem["path"]) if problem.get("path") else "",
            "[%s] " % esc(problem["error_kind"]) if problem.get("error_kind") else "",
            esc(problem.get("msg"))))
    if desk["status"] == "compliant":
        bits.append('<span class="files">%s</span>' % esc(", ".join(i["path"] for i in desk["installs"])))
    if desk["status"] == "not_checked":
        bits.append('<span class="empty">%s</span>' % esc(desk.get("reason")))
    return "".join(bits)


def _drift_table(drift: list) -> str:
    rows = "".join(
        '<tr class="pointer"><td><code>%s</code></td><td><code class="ptr">%s</code></td><td class="op-%s">%s</td>'
        '<td class="v before">%s</td><td class="v after">%s</td></tr>' % (
            esc(e.get("path", "")), esc(e["pointer"]), esc(e["op"]), esc(e["op"]), esc(value_text(e["before"], 400)),
            esc(value_text(e["after"], 400)))
        for e in drift)
    return ('<table class="drift"><thead><tr><th>file</th><th>JSON pointer</th><th>op</th><th>before</th>'
            "<th>after</th></tr></thead><tbody>%s</tbody></table>" % rows)


def _problem_section(status: str, title: str, desks: list) -> str:
    listed = [d for d in desks if d["status"] == status]
    rows = []
    for desk in listed:
        problems = [i for i in desk["installs"] if i["status"] == status]
        problems += [e for e in desk["errors"] if e["kind"] == status]
        for problem in problems or [{"msg": desk.get("reason", "")}]:
            rows.append('<tr data-name="%s"><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td><code>%s</code></td>'
                        "<td>%s</td><td>%s</td></tr>" % (
                            esc(desk["name"]), esc(desk["name"]), esc(desk["region"]), esc(desk["environment"]),
                            esc(problem.get("task")), esc(problem.get("path", "")), esc(problem.get("error_kind") or ""),
                            esc(problem.get("msg"))))
        if desk["drift"]:
            rows.append('<tr><td colspan="7">Drift found on %s&#39;s other files: %s</td></tr>' % (
                esc(desk["name"]), _drift_table(desk["drift"])))
    body = "".join(rows) or '<tr><td colspan="7" class="empty">none</td></tr>'
    return ('<section id="%s-section"><h2>%s (%d)</h2><table id="%s-desks"><thead><tr><th>Desk</th><th>Region</th>'
            "<th>Environment</th><th>Task</th><th>File</th><th>Error</th><th>Message</th></tr></thead><tbody>%s"
            "</tbody></table></section>" % (status, title, len(listed), status, body))


def _unchecked_section(desks: list) -> str:
    listed = [d for d in desks if d["status"] == "not_checked"]
    if not listed:
        return ""
    items = "".join("<li>%s (%s / %s): %s</li>" % (esc(d["name"]), esc(d["region"]), esc(d["environment"]),
                                                   esc(d["reason"])) for d in listed)
    return '<section id="not-checked-section"><h2>Not checked (%d)</h2><ul>%s</ul></section>' % (len(listed), items)
