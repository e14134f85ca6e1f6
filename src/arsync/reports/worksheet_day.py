"""The collector's day on the worksheet: promise status and date alerts per item, the Disputes
sheet, and the last statement per customer on the Summary.

The pipeline hands these in as plain frames (:class:`DayView`); this module only turns them
into cell values in the workbook's language.  Colours are in :mod:`arsync.reports._layout`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from arsync.common.errors import DataError
from arsync.common.money import to_major
from arsync.reports import labels as L


@dataclass(frozen=True)
class DayView:
    """What the run store knows beyond the worklist, for the worksheets.

    - ``promises``: item_key, state, short_amount (minor units), currency, promised_date;
    - ``follow_ups``: item_key, next_follow_up (date) — from the collector's own entries;
    - ``problems``: item_key, problem — promise cells that could not be read;
    - ``disputes``: the dispute register (open, and recently resolved) with customer_name;
    - ``statements``: customer, statement_no, as_of, status — the last statement per customer;
    - ``reason_labels``: dispute reason code → label in the workbook's language.
    """

    promises: pd.DataFrame = field(default_factory=pd.DataFrame)
    follow_ups: pd.DataFrame = field(default_factory=pd.DataFrame)
    problems: pd.DataFrame = field(default_factory=pd.DataFrame)
    disputes: pd.DataFrame = field(default_factory=pd.DataFrame)
    statements: pd.DataFrame = field(default_factory=pd.DataFrame)
    reason_labels: dict[str, str] = field(default_factory=dict)


STATEMENT_ANSWERS = {
    "issued": ("待回函", "awaiting reply"),
    "confirmed": ("已确认", "confirmed"),
    "disputed": ("有异议", "disputed"),
}
RESOLUTIONS = {
    "credit_memo": ("红字/贷项", "credit memo"),
    "rebill": ("重开发票", "rebill"),
    "withdrawn": ("撤回", "withdrawn"),
    "paid": ("已付款", "paid"),
}


def annotate(items: pd.DataFrame, day: DayView | None, as_of: date, language: str) -> pd.DataFrame:
    """``items`` (worklist rows) with the ``promise_status`` and ``due`` columns filled."""
    keys = (
        items["company_code"]
        + "|"
        + items["fiscal_year"]
        + "|"
        + items["document_no"]
        + "|"
        + items["line_item"]
    )
    status = pd.Series("", index=items.index, dtype=object)
    due = pd.Series("", index=items.index, dtype=object)
    if day is not None:
        texts, alerts = _by_key(day, as_of, language)
        status = keys.map(texts).fillna("").astype(object)
        due = keys.map(alerts).fillna("").astype(object)
    return items.assign(promise_status=status, due=due)


def _by_key(day: DayView, as_of: date, language: str) -> tuple[dict[str, str], dict[str, str]]:
    texts: dict[str, str] = {}
    alerts: dict[str, list[str]] = {}
    p = day.promises
    if not p.empty:
        for key, state, short, currency, promised in zip(
            p["item_key"], p["state"], p["short_amount"], p["currency"], p["promised_date"]
        ):
            text = L.promise_label(state, language)
            if state == "partly_kept" and short:
                text += f" ({L.text('差', 'short', language)} {_money(short, currency)})"
            texts[key] = text
            if state == "open":
                day_ = pd.Timestamp(promised).date()
                if day_ == as_of:
                    alerts.setdefault(key, []).append("promise_today")
                elif day_ < as_of:
                    alerts.setdefault(key, []).append("promise_overdue")
    if not day.problems.empty:
        for key, problem in zip(day.problems["item_key"], day.problems["problem"]):
            texts[key] = f"? {L.text('无法识别', 'not understood', language)}: {problem}"
    f = day.follow_ups
    if not f.empty:
        for key, when in zip(f["item_key"], f["next_follow_up"]):
            if pd.isna(when):
                continue
            d = pd.Timestamp(when).date()
            if d == as_of:
                alerts.setdefault(key, []).append("follow_up_today")
            elif d < as_of:
                alerts.setdefault(key, []).append("follow_up_overdue")
    shown = {k: "; ".join(_pair(L.DUE_ALERTS, a, language) for a in v) for k, v in alerts.items()}
    return texts, shown


def dispute_rows(day: DayView | None, collector: str, as_of: date, language: str) -> list[dict]:
    """Rows of the collector's Disputes sheet: open disputes first (oldest first), then the
    recently resolved ones."""
    if day is None or day.disputes.empty:
        return []
    d = day.disputes[day.disputes["collector"] == collector]
    out = []
    for rec in d.to_dict("records"):
        opened = pd.Timestamp(rec["opened_on"]).date()
        resolved = (
            None if pd.isna(rec.get("resolved_on")) else pd.Timestamp(rec["resolved_on"]).date()
        )
        resolution = rec.get("resolution") or ""
        out.append(
            {
                "dispute_id": int(rec["dispute_id"]),
                "customer": rec["customer"],
                "customer_name": rec.get("customer_name", ""),
                "reference": rec["reference"],
                "amount": _major(int(rec["amount"]), rec["currency"]),
                "currency": rec["currency"],
                "reason_label": day.reason_labels.get(rec["reason_code"], rec["reason_code"]),
                "reason_text": rec["reason_text"],
                "opened_on": opened,
                "dispute_age": ((resolved or as_of) - opened).days,
                "owner": rec["owner"],
                "statement_no": rec.get("statement_no") or "",
                "resolution": L.text(*RESOLUTIONS[resolution], language)
                if resolution in RESOLUTIONS
                else "",
                "resolved_on": resolved,
            }
        )
    out.sort(key=lambda r: (r["resolution"] != "", r["opened_on"], r["dispute_id"]))
    return out


def statement_cells(day: DayView | None, language: str) -> dict[str, dict[str, object]]:
    """Customer → the Summary's last-statement cells."""
    if day is None or day.statements.empty:
        return {}
    out = {}
    for rec in day.statements.to_dict("records"):
        out[rec["customer"]] = {
            "last_statement": rec["statement_no"],
            "statement_date": pd.Timestamp(rec["as_of"]).date(),
            "statement_answer": _pair(STATEMENT_ANSWERS, rec["status"], language),
        }
    return out


def _pair(words: dict[str, tuple[str, str]], code: str, language: str) -> str:
    zh, en = words.get(code, (code, code))
    return L.text(zh, en, language)


def _major(minor: int, currency: str) -> object:
    try:
        return to_major(minor, currency)
    except DataError:
        return minor


def _money(minor: int, currency: str) -> str:
    v = _major(int(minor), currency)
    return f"{v:,} {currency}"
