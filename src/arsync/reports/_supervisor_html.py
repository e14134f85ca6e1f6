"""``supervisor.html``: the report on one A4 landscape page — the headline measures against the
previous period, the collectors' table and the four PNG charts (Jinja2, autoescaped: names come
from SAP)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jinja2

from arsync.reports._supervisor_words import BY_ID, HEADLINE, PER_COLLECTOR, measure_name, word

if TYPE_CHECKING:
    from arsync.reports.supervisor import SupervisorData

_PAGE = """<!doctype html>
<html lang="{{ 'en' if lang == 'en' else 'zh' }}"><head><meta charset="utf-8">
<title>{{ w('title') }} {{ d.as_of }}</title>
<style>
@page { size: A4 landscape; margin: 10mm; }
body { font-family: "Noto Sans CJK SC", "Noto Sans", sans-serif; font-size: 9.5pt; margin: 0;
       color: #222; }
h1 { font-size: 15pt; margin: 0 0 2px 0; color: #1f5f99; }
.sub { color: #555; margin-bottom: 6px; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccd; padding: 2px 5px; }
th { background: #1f5f99; color: #fff; font-weight: normal; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
td:first-child { white-space: nowrap; }
.row { display: flex; gap: 10px; align-items: flex-start; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 2px; margin-top: 6px;
          justify-items: center; }
.charts img { height: 46mm; max-width: 100%; }
.good { color: #2e7d32; } .bad { color: #c62828; }
.notes { color: #7a4b00; font-size: 8.5pt; margin-top: 4px; }
</style></head><body>
<h1>{{ w('title') }}</h1>
<div class="sub">{{ w('as_of') }} {{ d.as_of }} · {{ w('period') }} {{ w(d.period) }}
 ({{ d.start }}, {{ d.as_of }}] · {{ w('currency') }} {{ d.main_currency }} · {{ w('run') }} {{ d.run_id }}</div>
<div class="row">
<table>
<tr><th>{{ w('measure') }}</th><th>{{ w('this') }}</th><th>{{ w('previous') }}</th><th>{{ w('change') }}</th></tr>
{% for r in headline %}
<tr><td>{{ r.name }}</td><td class="n">{{ r.now }}</td><td class="n">{{ r.before }}</td>
<td class="n {{ r.tone }}">{{ r.change }}</td></tr>
{% endfor %}
</table>
<table>
<tr><th>{{ w('collector') }}</th>{% for h in coll_heads %}<th>{{ h }}</th>{% endfor %}</tr>
{% for r in collectors %}
<tr><td>{{ r.name }}</td>{% for v in r.cells %}<td class="n">{{ v }}</td>{% endfor %}</tr>
{% endfor %}
</table>
</div>
<div class="charts">
{% for name, src in charts %}<img src="{{ src }}" alt="{{ name }}">{% endfor %}
</div>
{% if d.notes %}<div class="notes">{% for n in d.notes %}<div>{{ w('notes') }}: {{ n }}</div>{% endfor %}</div>{% endif %}
</body></html>
"""

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
_TEMPLATE = _ENV.from_string(_PAGE)
_COLL = (
    "collected",
    "ar",
    "overdue",
    "pct_current",
    "dso",
    "add",
    "cei",
    "contacts",
    "promises_kept",
    "promises_broken",
)


def _fmt(data: SupervisorData, mid: str, v: float | None) -> str:
    if v is None:
        return "–"
    unit = BY_ID[mid].unit if mid in BY_ID else "money"
    if unit == "money":
        return f"{data.major(v) or 0:,.0f}"
    if unit == "int":
        return f"{v:,.0f}"
    return f"{v:.1f}" + ("%" if unit == "pct" else "")


def _tone(mid: str, delta: float) -> str:
    better = BY_ID[mid].better if mid in BY_ID else ""
    if not better or delta == 0:
        return ""
    return "good" if (delta > 0) == (better == "up") else "bad"


def write(data: SupervisorData, path: str, charts: dict[str, str]) -> None:
    lang = data.language
    headline = []
    for mid in HEADLINE:
        now, before = data.value(mid), data.value(mid, which="previous")
        if now is None and before is None:
            continue
        delta = None if now is None or before is None else now - before
        headline.append(
            {
                "name": measure_name(mid, lang),
                "now": _fmt(data, mid, now),
                "before": _fmt(data, mid, before),
                "change": "" if delta is None else _fmt(data, mid, delta),
                "tone": "" if delta is None else _tone(mid, delta),
            }
        )
    cols = [m for m in _COLL if m in PER_COLLECTOR]
    rows = [
        {
            "name": s or word("team", lang),
            "cells": [_fmt(data, m, data.value(m, s)) for m in cols],
        }
        for s in [*data.collectors, ""]
    ]
    html = _TEMPLATE.render(
        d=data,
        lang=lang,
        w=lambda k: word(k, lang),
        headline=headline,
        coll_heads=[measure_name(m, lang) for m in cols],
        collectors=rows,
        charts=list(charts.items()),
    )
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(html)
