"""``worklist.xlsx`` of a file run, laid out as readably as a collector worksheet.

The columns of the collector worksheet's Open items sheet first (same headers in
``reports.language``, same widths, :mod:`arsync.reports.labels`), then the collector, the portal's
own words, the status age, the match rule and the proposed clearing (``MORE``); the SAP-only
columns (posting date, dunning, item text …) are in ``worklist.csv``.  Rows are sorted as the
worksheet sorts them (priority, then most overdue, customer, item key); the finding cell is
coloured by finding and the aging cells by days overdue (the worksheet's colours); amounts are
numbers with their currency's decimals, dates are Excel dates, IDs and any text are text.
Written in constant memory (:mod:`arsync.reports._xlsx`): 500 000 rows stay far under 1 GB.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from arsync.common.frames import WORKLIST
from arsync.reports import _styles, _xlsx
from arsync.reports import labels as L
from arsync.reports import vocabulary as V

#: worklist columns the collector worksheet does not show but a file run's reader needs (the
#: whole team's items: whose, what the portal said, how it matched); the rest is in worklist.csv
MORE = (
    L.Field("collector", "催收专员", "Collector", "text", 10),
    L.Field("status_text", "平台原文状态", "Status as shown", "text", 14),
    L.Field("status_age_days", "状态天数", "Status age (days)", "int", 8),
    L.Field("stuck", "停滞", "Stuck", "text", 6),
    L.Field("portal_amount", "平台金额", "Portal amount", "money", 14),
    L.Field("match_rule", "匹配规则", "Match rule", "text", 12),
    L.Field("proposed_clearing", "建议清账凭证", "Proposed clearing", "id", 24),
)
TITLE = ("工作清单", "Worklist")
_CURRENCY = {"amount": "currency", "portal_amount": "currency"}


def columns(language: str, rows: pd.DataFrame | None = None) -> list[_xlsx.Col]:
    """The sheet's columns, in order, with headers in ``language`` (zh / en / both); text
    columns as wide as ``rows``' values need (a sample of them; at most 60)."""
    out = []
    seen = set()
    for f in (*L.SYSTEM, *MORE):
        if f.id in seen or f.id not in WORKLIST.names:
            continue
        seen.add(f.id)
        kind = {"choice": "text"}.get(f.kind, f.kind)
        head = L.text(f.zh, f.en, language)
        width = f.width + 10 if f.id == "finding" and language == "both" else f.width
        width = max(width, *(_styles.text_width(w) + 1.5 for w in head.split()))  # words whole
        if rows is not None and kind in ("text", "id") and len(rows):
            sample = rows[f.id].iloc[:: max(1, len(rows) // 2000)].astype(str)
            need = sample.map(_styles.text_width).max() * 1.1 + 1
            width = max(width, min(float(need), 60.0))
        out.append(_xlsx.Col(f.id, head, kind, width, _CURRENCY.get(f.id)))
    return out


def ordered(worklist: pd.DataFrame, language: str) -> pd.DataFrame:
    """Rows in the worksheet's order; finding, status, aging, next action and reason in the
    worksheet's words for ``language`` (:mod:`arsync.reports.vocabulary`), each distinct value
    translated once."""
    wl = worklist.sort_values(
        ["priority", "days_overdue", "customer", *L.KEY_FIELDS],
        ascending=[True, False, True, True, True, True, True],
        kind="mergesort",
    ).reset_index(drop=True)
    wl["_finding"] = wl["finding"].astype(str)
    for col, word in (
        ("status", V.status),
        ("aging_bucket", V.aging),
        ("reason", V.reason),
        ("finding", V.finding),
    ):
        text = wl[col].astype(str)
        wl[col] = text.map({t: word(t, language) if t else t for t in text.unique()})
    pairs = pd.Series(list(zip(wl["_finding"], wl["next_action"].astype(str))), index=wl.index)
    wl["next_action"] = pairs.map(
        {p: V.next_action(p[0], p[1], language) if p[1] else "" for p in set(pairs)}
    )
    # "stuck" only where it is: the yes of the worksheet's yes/no words, else blank
    wl["stuck"] = wl["stuck"].map({True: L.choices(L.YES_NO, language)[0]}).fillna("")
    return wl


def write_worklist_xlsx(
    worklist: pd.DataFrame, path: str | Path, *, language: str = "both"
) -> None:
    """Write the readable worklist workbook to ``path`` (one sheet; more past 1 048 575 rows)."""
    wl = ordered(worklist, language)
    style = _xlsx.Style(
        header_bg=_styles.HEADER,
        header_fg=_styles.text_on(_styles.HEADER),
        header_height={"zh": 20, "en": 32}.get(language, 45),  # wrapped labels: 1, 2, 3 lines
        freeze=(1, 2),
        print_wide=True,
        fills=(
            (("finding",), "_finding", lambda code: _styles.FINDING.get(str(code))),
            (("days_overdue", "aging_bucket"), "days_overdue", _styles.aging),
        ),
    )
    _xlsx.write_sheets(str(path), L.text(*TITLE, language), wl, columns(language, wl), style)
