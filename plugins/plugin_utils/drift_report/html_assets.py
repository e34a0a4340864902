# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTML report's own style sheet and script, inlined into the page and allowed by hash in its CSP.

Both are constants: no report data is ever put into them (the script reads the page's data-* attributes and writes
only textContent and attributes), so the hashes are stable and nothing untrusted can become code.
"""

from __future__ import annotations

import base64
import hashlib

from ansible_collections.ioconnect.fleet.plugins.plugin_utils.drift_report.aggregate import DESK_STATUSES

CSS = """
:root{--ok:#1b7f3b;--drift:#b35900;--fail:#c62828;--dark:#6a1b9a;--none:#607d8b;--changed:#1565c0;--absent:#8d6e63;
 --bg:#f6f7f9;--line:#d9dde3}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:var(--bg);color:#1d232a}
header,main{max-width:1500px;margin:0 auto;padding:12px 20px}
header h1{font-size:22px;margin:8px 0 2px}
.meta{color:#55606c;margin:2px 0}
.warning{background:#fff4e5;border:1px solid #f0b35a;border-left:6px solid var(--drift);border-radius:6px;padding:8px 12px;
 margin:10px 0}
h2{font-size:17px;margin:22px 0 8px}
h3{font-size:14px;margin:4px 0}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{background:#fff;border:1px solid var(--line);border-left:6px solid var(--none);border-radius:6px;
 padding:8px 14px;min-width:120px;cursor:pointer;text-align:left;font:inherit;color:inherit}
.card .n{display:block;font-size:26px;font-weight:700}
.card.compliant{border-left-color:var(--ok)}.card.drifted{border-left-color:var(--drift)}
.card.failed{border-left-color:var(--fail)}.card.unreachable{border-left-color:var(--dark)}
.card.changed{border-left-color:var(--changed)}.card.not_installed{border-left-color:var(--absent)}
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
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600;background:var(--none);
 white-space:nowrap}
.badge.compliant{background:var(--ok)}.badge.drifted{background:var(--drift)}.badge.changed{background:var(--changed)}
.badge.failed{background:var(--fail)}.badge.unreachable{background:var(--dark)}.badge.not_installed{background:var(--absent)}
.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0}
.filters input{min-width:280px;padding:5px 8px}
.filters select{padding:4px}
#shown-count{color:#55606c}
.note{color:#55606c;font-size:12px}
.this-run{color:var(--changed);font-size:12px;font-weight:600}
time{white-space:nowrap}
tr.detail td{background:#fbfcfd;border-bottom:2px solid var(--line);padding-top:2px}
tr.desk td{border-bottom:0}
.file{margin:4px 0 8px}
.file-head{display:flex;flex-wrap:wrap;gap:8px;align-items:baseline}
table.drift{border:0;margin-top:4px;width:100%;table-layout:fixed}
table.drift col.c-ptr{width:26%}table.drift col.c-op{width:8%}table.drift col.c-v{width:33%}
table.drift td,table.drift th{font-size:12px;padding:3px 6px}
code,.v{font-family:ui-monospace,SFMono-Regular,Consolas,monospace;font-size:12px}
.v{overflow-wrap:break-word}
.ptr,code.path{overflow-wrap:normal;word-break:normal}
code.path{cursor:help}
details.timeline{margin:6px 0 2px}
details.timeline[open]{background:#fff;border:1px solid var(--line);border-radius:6px;padding:4px 8px}
table.story{border:0;margin-top:4px}
table.story td,table.story th{font-size:12px;padding:3px 6px}
.not-reached{color:#7a4b00;background:#fff4e5;border-radius:4px;padding:2px 6px;margin:2px 0}
tr.desk{cursor:pointer}
.absent{color:#55606c;font-style:italic;font-family:inherit}
.op-add{color:var(--ok)}.op-remove{color:var(--fail)}.op-replace{color:var(--drift)}
details summary{cursor:pointer}
.empty{color:#55606c;font-style:italic}
tr[hidden]{display:none}
td.name{white-space:nowrap;font-weight:600}
.trends{display:flex;flex-wrap:wrap;gap:14px}
figure.trend{margin:0;background:#fff;border:1px solid var(--line);border-radius:6px;padding:6px 10px}
figure.trend figcaption{font-weight:600;font-size:13px}
svg.chart .axis{stroke:#9aa3ad;stroke-width:1}
svg.chart .line{fill:none;stroke:var(--drift);stroke-width:2}
svg.chart .dot{fill:var(--drift)}
svg.chart .lbl{font-size:10px;fill:#55606c}
svg.chart .tick{stroke:#9aa3ad;stroke-width:1}
"""

JS = """
(function () {
  'use strict';
  var RANK = %(rank)s;
  var table = document.getElementById('desks');
  if (!table) { return; }
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.querySelectorAll('tr.desk'));
  // Each desk row is followed by its details row: they move and hide together.
  rows.forEach(function (row) {
    var next = row.nextElementSibling;
    row.detailRow = (next && next.classList.contains('detail')) ? next : null;
  });
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
        (!q || (row.textContent + ' ' + (row.detailRow ? row.detailRow.textContent : '')).toLowerCase().indexOf(q) !== -1);
      row.hidden = !ok;
      if (row.detailRow) { row.detailRow.hidden = !ok; }
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
      rows.forEach(function (row) {
        tbody.appendChild(row);
        if (row.detailRow) { tbody.appendChild(row.detailRow); }
      });
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
    if (params.desk !== undefined) { openDesk(params.desk); }
  }
  // A desk's row opens its story (the same as a link with #desk=NAME).
  function openDesk(name) {
    var story = document.getElementById('timeline-' + name);
    if (!story) { return; }
    story.open = true;
    var row = rows.filter(function (r) { return r.dataset.name === name; })[0];
    if (row) { row.hidden = false; if (row.detailRow) { row.detailRow.hidden = false; } }
    if (story.scrollIntoView) { story.scrollIntoView({block: 'nearest'}); }
  }
  rows.forEach(function (row) {
    row.addEventListener('click', function () { openDesk(row.dataset.name); });
  });
  window.addEventListener('hashchange', fromHash);
  fromHash();
}());
""" % {"rank": "{%s}" % ", ".join("%s: %d" % (status, index) for index, status in enumerate(DESK_STATUSES))}


def _hash(text: str) -> str:
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


CSP = ("default-src 'none'; style-src %s; script-src %s; img-src 'none'; connect-src 'none'; "
       "base-uri 'none'; form-action 'none'" % (_hash(CSS), _hash(JS)))
