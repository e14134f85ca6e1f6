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
from arsync.reports import _xlsx
from arsync.reports import labels as L
from arsync.reports._layout import AGING_FILLS, FINDING_FILLS, HEADER_FILL

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


def columns(language: str) -> list[_xlsx.Col]:
    """The sheet's columns, in order, with headers in ``language`` (zh / en / both)."""
    out = []
    seen = set()
    for f in (*L.SYSTEM, *MORE):
        if f.id in seen or f.id not in WORKLIST.names:
            continue
        seen.add(f.id)
        kind = {"choice": "text"}.get(f.kind, f.kind)
        head = L.text(f.zh, f.en, language)
        width = f.width + 8 if f.id == "finding" and language == "both" else f.width
        width = max(width, *(_span(w) + 1.5 for w in head.split()))  # no word cut in two
        out.append(_xlsx.Col(f.id, head, kind, width, _CURRENCY.get(f.id)))
    return out


def _span(word: str) -> float:
    """Column-width units a word needs: a CJK character takes two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in word)


def ordered(worklist: pd.DataFrame, language: str) -> pd.DataFrame:
    """Rows in the worksheet's order; the finding shown by its label in ``language``."""
    wl = worklist.sort_values(
        ["priority", "days_overdue", "customer", *L.KEY_FIELDS],
        ascending=[True, False, True, True, True, True, True],
        kind="mergesort",
    ).reset_index(drop=True)
    codes = wl["finding"].astype(str)
    labels = {c: L.finding_label(c, language) for c in codes.unique()}
    wl["finding"] = codes.map(labels)
    # "stuck" only where it is: the yes of the worksheet's yes/no words, else blank
    wl["stuck"] = wl["stuck"].map({True: L.choices(L.YES_NO, language)[0]}).fillna("")
    return wl


def write_worklist_xlsx(
    worklist: pd.DataFrame, path: str | Path, *, language: str = "both"
) -> None:
    """Write the readable worklist workbook to ``path`` (one sheet; more past 1 048 575 rows)."""
    wl = ordered(worklist, language)
    colour = {L.finding_label(c, language): fill for c, fill in FINDING_FILLS.items()}
    style = _xlsx.Style(
        header_bg=HEADER_FILL.fgColor.rgb[-6:],
        header_fg="FFFFFF",
        header_height={"zh": 20, "en": 32}.get(language, 45),  # wrapped labels: 1, 2, 3 lines
        freeze=(1, 2),
        print_wide=True,
        fills=(
            (("finding",), "finding", lambda label: colour.get(str(label))),
            (("days_overdue", "aging_bucket"), "days_overdue", aging_colour),
        ),
    )
    _xlsx.write_sheets(str(path), L.text(*TITLE, language), wl, columns(language), style)


def aging_colour(days: object) -> str | None:
    """The worksheet's aging colour for a number of days overdue."""
    if not isinstance(days, (int, float)) or days != days:
        return None
    for limit, fill in AGING_FILLS:
        if limit is None or days <= limit:
            return fill
    return None
