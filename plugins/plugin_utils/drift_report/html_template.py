# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Jinja2 template of the HTML report. Rendered with autoescape on and StrictUndefined (render_html.py): every
value below is escaped by Jinja2 itself, in text and in attributes; only the page's own CSS and script (constants,
html_assets.py) are marked safe. Kept in a Python module so that it ships inside the collection's plugins."""

from __future__ import annotations

TEMPLATE = r"""{% macro when(iso) -%}
{% if iso %}{% set c = clock(iso) %}<time datetime="{{ iso }}" title="{{ c.full }}">{{ c.short }}</time>{% endif %}
{%- endmacro %}
{% macro drift_table(drift) -%}
<table class="drift"><colgroup><col class="c-ptr"><col class="c-op"><col class="c-v"><col class="c-v"></colgroup><thead><tr><th>JSON pointer</th>
<th>op</th><th>before</th><th>after</th></tr></thead><tbody>
{% for e in drift %}<tr class="pointer" data-path="{{ e.path or '' }}"><td><code class="ptr">{{ breakable(e.pointer) }}</code></td>
<td class="op-{{ e.op }}">{{ e.op }}</td>{% for side in ('before', 'after') %}{% set v = value(e, side) %}
<td class="v {{ side }}">{% if v.missing %}<span class="absent">absent</span>{% else %}{{ v.text }}{% endif %}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{%- endmacro %}
{% macro details(d) -%}
{% for f in d.files %}
<div class="file" data-status="{{ f.status }}"><div class="file-head">
<span class="badge {{ f.status }}">{{ titles[f.status] }}</span>{% if f.profile %}<span class="profile">{{ f.profile }}</span>{% endif %}
<code class="path" title="{{ f.path }}">{{ breakable(f.shown) }}</code>{% if f.product %}<span class="note">{{ f.product }}{% if f.pair %}
, {{ f.pair }}{% endif %}</span>{% endif %}</div>
{% if f.drift %}<details{% if open_details %} open{% endif %}
><summary>{{ f.drift | length }} drifted pointer(s): <code>{{ f.drift[:3] | map(attribute='pointer') | join(', ') }}{% if f.drift | length > 3 %}
, ...{% endif %}</code></summary>{{ drift_table(f.drift) }}</details>
{% elif f.status in ('drifted', 'changed') %}<span class="empty">file would be rewritten; no drift details</span>
{% elif f.status in ('failed', 'unreachable') %}<div class="problem">{% if f.error_kind %}[{{ f.error_kind }}] {% endif %}{{ f.msg }}</div>
{% endif %}</div>
{% endfor %}
{% for e in d.errors %}<div class="problem">{{ e.kind }}{% if e.task %} in {{ e.task }}{% endif %}: {{ e.msg }}</div>{% endfor %}
{% if d.status in ('not_installed', 'not_checked') %}<span class="empty">{{ d.reason }}</span>{% endif %}
{% if d.not_reached %}<div class="not-reached" data-kind="{{ d.not_reached.kind }}">Not read by the run of {{ when(d.not_reached.at) }}
({{ d.not_reached.kind }}): {{ d.not_reached.reason }}. The desk keeps its last scan.</div>{% endif %}
<details class="timeline" id="timeline-{{ d.name }}" data-name="{{ d.name }}"><summary>Story of {{ d.name }}:
{{ d.history.scans }} scan(s) in the history{% if d.story_count %}, the latest {{ d.story_count }} event(s) below{% endif %}</summary>
<table class="story"><thead><tr><th>When (UTC)</th><th>What</th><th>Status</th><th>JSON pointers that differed / why</th><th>Run</th></tr></thead><tbody>
{{ d.story }}
</tbody></table></details>
{%- endmacro %}
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ioconnect.fleet.drift_report">
<title>io.Connect fleet drift report: {{ summary.drifted }} drifted of {{ summary.desks }} desks</title>
<style>{{ css }}</style>
</head><body>
<header><h1>io.Connect fleet drift report</h1>
<p class="meta">Generated {{ when(report.generated_at) }}, {{ mode }}{% if run.playbooks %}, playbook {{ run.playbooks | join(', ') }}{% endif %}
{% if run.run_id %}, run <code id="run-id">{{ run.run_id }}</code>{% endif %}.</p>
{% if run.outcome == 'incomplete' %}<div class="warning" id="run-incomplete" data-outcome="incomplete"><strong>This run did not read
every desk it targeted.</strong> {{ run.stop_reason }}. Those desks keep their last scan (see &ldquo;Not read&rdquo; in their row).</div>{% endif %}
<p class="meta" id="run-line" data-desks="{{ run.summary.desks }}">This run scanned {{ run.summary.desks }} desk(s): {{ run.summary.drifted }}
drifted, {{ run.summary.changed }} changed, {{ run.summary.compliant }} compliant, {{ run.summary.failed }} failed, {{ run.summary.unreachable }}
unreachable, {{ run.summary.not_installed }} without io.Connect Desktop.</p>
{% if history.status == 'unavailable' %}
<div class="warning" role="alert" id="history-warning" data-problem="{{ history.problem }}">
<strong>History not used.</strong> {{ history.message }}</div>
{% elif history.status == 'disabled' %}
<p class="meta" id="history-line" data-status="disabled">History is off: the fleet view is this run's desks only.</p>
{% else %}
<p class="meta" id="history-line" data-status="{{ history.status }}" data-desks="{{ history.desks_known }}"
data-rounds="{{ history.rounds }}">Fleet view from the drift history ({{ history.backend }}, <code>{{ history.location }}</code>):
{{ history.desks_known }} desk(s) known, {{ history.rounds }} scan round(s){% if history.pending_imported %}, {{ history.pending_imported }}
waiting run(s) added{% endif %}. Each desk shows its latest scan; &ldquo;times drifted&rdquo; counts separate drifts in its last
{{ history.window }} scans.</p>
{% endif %}
</header><main>
<section id="summary" class="cards" aria-label="Summary">
<button type="button" class="card" data-status="all">
<span class="n" id="count-desks" data-count="{{ summary.desks }}">{{ summary.desks }}</span>desks</button>
{% for status in card_statuses %}
<button type="button" class="card {{ status }}" data-status="{{ status }}">
{% set n = summary[status] %}
<span class="n" id="count-{{ status | replace('_', '-') }}" data-count="{{ n }}">{{ n }}</span>{{ titles[status] }}</button>
{% endfor %}
<div class="card">
<span class="n" id="count-pointers" data-count="{{ summary.drifted_pointers }}">{{ summary.drifted_pointers }}</span>drifted pointers</div>
{% if summary.pointers_on_failed_desks %}
<div class="card failed">
{% set n = summary.pointers_on_failed_desks %}
<span class="n" id="count-failed-pointers" data-count="{{ n }}">{{ n }}</span>pointers on failed desks</div>{% endif %}
{% if summary.changed_pointers %}<div class="card changed">
<span class="n" id="count-changed-pointers" data-count="{{ summary.changed_pointers }}">{{ summary.changed_pointers }}</span>pointers
changed</div>{% endif %}
</section>

<section id="trends-section"><h2>Drifted desks over the last scan rounds</h2>
{% for kind, title, charts in trends %}
<h3>By {{ title }}</h3>
<div class="trends" id="trend-{{ kind }}">
{% for chart in charts %}
<figure class="trend" data-kind="{{ kind }}" data-group="{{ chart.name }}" data-drifted="{{ chart.drifted | join(' ') }}"
data-desks="{{ chart.desks | join(' ') }}">
<figcaption>{{ chart.name }}: {{ chart.drifted[-1] }} of {{ chart.desks[-1] }} drifted</figcaption>
<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{{ chart.width }}" height="{{ chart.height }}"
viewBox="0 0 {{ chart.width }} {{ chart.height }}" role="img" aria-label="{{ chart.label }}">
<title>{{ chart.label }}</title>
<line class="axis" x1="{{ chart.left }}" y1="{{ chart.bottom }}" x2="{{ chart.right }}" y2="{{ chart.bottom }}"/>
<line class="axis" x1="{{ chart.left }}" y1="{{ chart.top }}" x2="{{ chart.left }}" y2="{{ chart.bottom }}"/>
<text class="lbl" x="2" y="{{ chart.top + 8 }}">{{ chart.max }}</text>
<text class="lbl" x="2" y="{{ chart.bottom }}">0</text>
{% if chart.points | length > 1 %}<polyline class="line" points="{{ chart.polyline }}"/>{% endif %}
{% for p in chart.points %}<circle class="dot" cx="{{ p.x }}" cy="{{ p.y }}" r="3"><title>{{ p.title }}</title></circle>{% endfor %}
{% for t in chart.ticks %}<line class="tick" x1="{{ t.x }}" y1="{{ chart.bottom }}" x2="{{ t.x }}" y2="{{ chart.bottom + 3 }}"/>{% endfor %}
{% for l in chart.labels %}<text class="lbl time" x="{{ l.x }}" y="{{ chart.bottom + 13 }}" text-anchor="{{ l.anchor }}">{{ l.day }}</text>
<text class="lbl time" x="{{ l.x }}" y="{{ chart.bottom + 24 }}" text-anchor="{{ l.anchor }}">{{ l.time }}</text>{% endfor %}
</svg></figure>
{% else %}<p class="empty">no scan yet</p>
{% endfor %}
</div>
{% endfor %}
</section>

<section id="groups" class="grid">
{% for table_id, title, groups in group_tables %}
<div><h2>By {{ title | lower }}</h2><table id="{{ table_id }}" class="counts"><thead><tr><th>{{ title }}</th>
<th class="num">desks</th>{% for s in columns %}<th class="num">{{ titles[s] }}</th>{% endfor %}
<th class="num">drifted pointers</th><th class="num">pointers on failed desks</th></tr></thead><tbody>
{% for name, counts in groups.items() %}
<tr data-group="{{ name }}"><th scope="row">{{ name }}</th><td class="num" data-status="desks">{{ counts.desks }}</td>{% for s in columns %}
<td class="num" data-status="{{ s }}">{{ counts[s] }}</td>{% endfor %}
<td class="num" data-status="drifted_pointers">{{ counts.drifted_pointers }}</td>
<td class="num" data-status="pointers_on_failed_desks">{{ counts.pointers_on_failed_desks }}</td></tr>
{% else %}<tr><td colspan="{{ columns | length + 4 }}" class="empty">none</td></tr>
{% endfor %}
</tbody></table></div>
{% endfor %}
<div><h2>Drifted / desks, region &times; environment</h2><table id="by-region-environment"><thead><tr>
<th>region \ environment</th>{% for env in matrix.envs %}<th>{{ env }}</th>{% endfor %}</tr></thead><tbody>
{% for row in matrix.rows %}<tr><th scope="row">{{ row.region }}</th>{% for cell in row.cells %}{% if cell %}
<td class="num" data-region="{{ row.region }}" data-environment="{{ cell.environment }}" data-drifted="{{ cell.drifted }}"
data-desks="{{ cell.desks }}">{{ cell.drifted }} / {{ cell.desks }}</td>{% else %}<td class="num empty">-</td>{% endif %}{% endfor %}</tr>
{% endfor %}
</tbody></table></div>
</section>

<section id="desks-section"><h2>Desks</h2>
<div class="filters" role="search">
<input id="filter-text" type="search" placeholder="Filter: desk, profile, file, JSON pointer, value" aria-label="Filter desks">
<select id="filter-status" aria-label="Status"><option value="">all statuses</option>{% for s in statuses %}
<option value="{{ s }}">{{ titles[s] }}</option>{% endfor %}</select>
<select id="filter-region" aria-label="Region"><option value="">all regions</option>{% for v in regions %}
<option value="{{ v }}">{{ v }}</option>{% endfor %}</select>
<select id="filter-environment" aria-label="Environment"><option value="">all environments</option>{% for v in envs %}
<option value="{{ v }}">{{ v }}</option>{% endfor %}</select>
<span id="shown-count" data-shown="{{ desks | length }}">{{ desks | length }} of {{ desks | length }} desks shown</span>
</div>
<table id="desks"><thead><tr>
<th data-key="name" data-type="text">Desk</th>
<th data-key="region" data-type="text">Region</th>
<th data-key="environment" data-type="text">Environment</th>
<th data-key="profiles" data-type="text">Profile</th>
<th data-key="status" data-type="status">Status</th>
<th data-key="drift" data-type="number" class="num">Drifted pointers</th>
<th data-key="scanned" data-type="text">Last scan</th>
<th data-key="since" data-type="text">Drifted since</th>
<th data-key="flaps" data-type="number" class="num">Times drifted</th>
<th data-key="compliant" data-type="text">Last compliant</th></tr></thead><tbody>
{% for d in desks %}
<tr class="desk" data-name="{{ d.name }}" data-region="{{ d.region }}" data-environment="{{ d.environment }}"
data-profiles="{{ d.profiles | join(', ') }}" data-status="{{ d.status }}" data-scanned="{{ d.scanned_at or '' }}"
data-since="{{ d.history.drifted_since or '' }}" data-flaps="{{ d.history.times_drifted }}"
data-compliant="{{ d.history.last_compliant_at or '' }}" data-this-run="{{ 'yes' if d.in_this_run else 'no' }}" data-drift="{{ d.drift_count }}">
<td class="name">{{ d.name }}</td><td>{{ d.region }}</td><td>{{ d.environment }}</td>
<td>{{ d.profiles | join(', ') if d.profiles else '' }}</td>
<td><span class="badge {{ d.status }}">{{ titles[d.status] }}</span></td>
<td class="num">{{ d.drift_count }}{% if d.drift_count and d.status in ('failed', 'unreachable') %}
 <span class="note">on a {{ titles[d.status] }} desk</span>{% endif %}</td>
<td>{{ when(d.scanned_at) }}{% if d.in_this_run %} <span class="this-run">this run</span>{% endif %}</td>
{% if d.fix.cell %}<td class="fix" title="{{ d.fix.tooltip }}">{{ d.fix.cell }}</td>
{% else %}<td{% if d.since_note %} title="{{ d.since_note }}"{% endif %}>{{ when(d.history.drifted_since) }}</td>{% endif %}
<td class="num flaps" title="{{ d.flap.tooltip }}" data-times="{{ d.flap.times }}" data-found="{{ d.flap.found }}"
data-window="{{ d.flap.window }}">{{ d.flap.times }}<span class="note"> in {{ d.flap.window }}</span></td>
<td>{% if d.history.last_compliant_at %}{{ when(d.history.last_compliant_at) }}{% else %}<span class="note">never seen</span>{% endif %}</td></tr>
<tr class="detail" data-for="{{ d.name }}"><td></td><td colspan="9">{{ details(d) }}</td></tr>
{% else %}
<tr><td colspan="10" class="empty">No desk was checked in this run, and the history knows none.</td></tr>
{% endfor %}
</tbody></table></section>

{% for status, title in problem_sections %}
{% set listed = desks | selectattr('status', 'equalto', status) | list %}
<section id="{{ status }}-section"><h2>{{ title }} ({{ listed | length }})</h2><table id="{{ status }}-desks"><thead><tr><th>Desk</th>
<th>Region</th><th>Environment</th><th>Profile</th><th>Task</th><th>File</th><th>Error</th><th>Message</th></tr></thead><tbody>
{% for d in listed %}
{% for p in problems(d, status) %}
<tr data-name="{{ d.name }}"><td>{{ d.name }}</td><td>{{ d.region }}</td><td>{{ d.environment }}</td><td>{{ p.profile or '' }}</td>
<td>{{ p.task or '' }}</td><td>{% if p.path %}<code class="path" title="{{ p.path }}">{{ breakable(p.shown) }}</code>{% endif %}
</td><td>{{ p.error_kind or '' }}</td><td>{{ p.msg or '' }}</td></tr>
{% endfor %}
{% if d.drift %}<tr>
<td colspan="8">Drift found on {{ d.name }}&#39;s other files ({{ d.drift_count }} pointer(s), counted under &ldquo;pointers on failed
desks&rdquo;): {{ drift_table(d.drift) }}</td></tr>{% endif %}
{% else %}<tr><td colspan="8" class="empty">none</td></tr>
{% endfor %}
</tbody></table></section>
{% endfor %}

{% for status, title in quiet_sections %}
{% set listed = desks | selectattr('status', 'equalto', status) | list %}
{% if listed %}<section id="{{ status | replace('_', '-') }}-section"><h2>{{ title }} ({{ listed | length }})</h2><ul>
{% for d in listed %}<li data-name="{{ d.name }}">{{ d.name }} ({{ d.region }} / {{ d.environment }}): {{ d.reason }}</li>
{% endfor %}</ul></section>{% endif %}
{% endfor %}
</main>
<script>{{ js }}</script>
</body></html>
"""
