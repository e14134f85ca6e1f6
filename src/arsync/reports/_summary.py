"""The Summary sheet: per customer and currency, what is open, overdue and promised, when the
customer was last contacted, and a total per currency.

Amounts are computed from the worklist's integer minor units and shown in major units, so
they reconcile exactly with the items (tested).  Promised amounts and contact dates come
from what the collector typed on the open items: numbers and dates, and a formula that is
arithmetic over its own row's amounts (``=J5*0.5`` → half the item's amount, as the office
program shows it); another formula or text is not summed.  A promise date without an amount
promises the whole item, as the promise book (``jobs/pipeline/promise_book``) counts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd

from arsync.common.frames import FINDINGS
from arsync.common.money import to_major, to_minor
from arsync.reports import _formulas as F
from arsync.reports import labels as L
from arsync.reports import vocabulary as V
from arsync.reports._read import Formula, Row, as_date

TOTAL = "total"


def summary_rows(
    items: pd.DataFrame,
    plan_rows: list[Row],
    master: dict[str, dict[str, object]],
    as_of: date,
) -> tuple[list[dict], list[str]]:
    """Per customer and currency: items, open and overdue amounts, promised amount, next
    promise and last contact, items per finding; then one total row per currency."""
    findings = list(FINDINGS) + sorted(set(items["finding"]) - set(FINDINGS))
    if items.empty:
        return [], findings
    df = items.assign(overdue=items["amount"].where(items["days_overdue"] > 0, 0))
    keys = ["customer", "customer_name", "currency"]
    sums = (
        df.groupby(keys, sort=False)
        .agg(items=("amount", "size"), open_amount=("amount", "sum"), overdue=("overdue", "sum"))
        .reset_index()
    )
    counts = df.pivot_table(
        index=keys, columns="finding", values="amount", aggfunc="size", fill_value=0
    )
    typed = _typed(plan_rows, as_of)
    out = []
    for rec in sums.to_dict("records"):
        k = (rec["customer"], rec["customer_name"], rec["currency"])
        t = typed.get((rec["customer"], rec["currency"]), _Typed())
        m = master.get(rec["customer"], {})
        row: dict[str, object] = {
            "customer": rec["customer"],
            "customer_name": rec["customer_name"],
            "customer_contact": m.get("contact_person") or None,
            "customer_phone": m.get("phone") or None,
            "currency": rec["currency"],
            "items": int(rec["items"]),
            "open_amount": to_major(int(rec["open_amount"]), rec["currency"]),
            "overdue_amount": to_major(int(rec["overdue"]), rec["currency"]),
            "promised_amount": t.promised,
            "next_promise": t.next_promise,
            "last_contact": t.last_contact,
        }
        for fid in ("dunning", "reminder_email"):  # shown when the run's communications say
            if fid in m:
                row[fid] = str(m[fid] or "") or None
        for code in findings:
            n = int(counts.loc[k, code]) if code in counts.columns else 0
            row[f"finding:{code}"] = n or None
        out.append(row)
    out.sort(key=_order)
    return out + _totals(out, findings), findings


@dataclass
class _Typed:
    promised: Decimal | None = None
    next_promise: date | None = None
    last_contact: date | None = None


def _order(r: dict) -> tuple:
    return (-r["overdue_amount"], -r["open_amount"], r["customer"], r["currency"])


def _typed(rows: list[Row], as_of: date) -> dict[tuple[str, str], _Typed]:
    """Promised amount, the next promise date (on or after ``as_of``) and the last contact per
    customer and currency, from the collector's entries on the open items."""
    out: dict[tuple[str, str], _Typed] = {}
    for r in rows:
        cust, cur = r.values.get("customer"), r.values.get("currency")
        if not isinstance(cust, str) or not isinstance(cur, str):
            continue
        t = out.setdefault((cust, cur), _Typed())
        amount = r.values.get("promise_amount")
        if isinstance(amount, Formula):
            own = {f: v for f, v in r.values.items() if isinstance(v, Decimal)}
            amount = F.evaluate(amount.text, own)  # rounded to the cent, as it is shown
            amount = None if amount is None else to_major(to_minor(amount, cur), cur)
        promise = as_date(r.values.get("promise_date"))
        if amount is None and isinstance(promise, date):
            # a promise without an amount is for the whole item, as the promise book counts it
            amount = r.values.get("amount")
        if isinstance(amount, (int, float, Decimal)) and not isinstance(amount, bool):
            t.promised = (t.promised or Decimal(0)) + Decimal(str(amount))
        if isinstance(promise, date) and promise >= as_of:
            t.next_promise = min(promise, t.next_promise or promise)
        contact = as_date(r.values.get("contact_date"))
        if isinstance(contact, date):
            t.last_contact = max(contact, t.last_contact or contact)
    return out


def _totals(rows: list[dict], findings: list[str]) -> list[dict]:
    out = []
    for cur in sorted({r["currency"] for r in rows}):
        mine = [r for r in rows if r["currency"] == cur]
        total: dict[str, object] = {"customer": TOTAL, "currency": cur}
        total["items"] = sum(r["items"] for r in mine)
        for f in ("open_amount", "overdue_amount", "promised_amount"):
            vals = [r[f] for r in mine if r[f] is not None]
            total[f] = sum(vals, Decimal(0)) if vals else None
        for code in findings:
            total[f"finding:{code}"] = sum(r[f"finding:{code}"] or 0 for r in mine) or None
        out.append(total)
    return out


def total_label(language: str) -> str:
    return V.pick("合计", "Total", language)


def columns(master_shown: set[str], findings: list[str]) -> list[str]:
    return [f.id for f in L.SUMMARY if not f.source or f.id in master_shown] + [
        f"finding:{code}" for code in findings
    ]
