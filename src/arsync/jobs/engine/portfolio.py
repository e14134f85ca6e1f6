"""The AR measures of a portfolio on a date and over a period, from the canonical frames.

Pure functions of ``open_items`` and ``cleared_items`` (:mod:`arsync.common.frames`) and the
``customers`` master (for the collector).  Figures are in the company code's currency
(``local_amount`` / ``local_currency``), one set per currency, for the team (scope ``""``) and
per collector.  The rules, stated once:

- **AR on a date D**: customer items (no special G/L) posted on or before D and not cleared by D
  — open today, or cleared after D.  Open credits (payments on account, credit memos) net it.
  Exact for every D on or after the first day the cleared items were read for
  (``complete_from``; SAP's ``sap.cleared_days`` before the key date).
- **Current** (not past due): net due date on or after D — the worklist's "not due" bucket.
- **Credit sales**: invoices (``doc_type`` RV / DR, debit) by posting date, amounts incl. VAT
  (价税合计, as the AR holds them; the reference's advice), credit memos not netted.
- **Windows**: trailing calendar months ending on D, newest first: (D − 1 month, D],
  (D − 2 months, D − 1 month], …  Only windows that start on or after ``complete_from`` are used.
- **Collected** in a period (start, end]: the debit items cleared in SAP in it, at their amount.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import pandas as pd

from arsync.jobs.engine import measures as m
from arsync.jobs.engine.priority import aging, bucket_labels

SALES_TYPES = ("RV", "DR")
TEAM = ""
_COLS = [
    "company_code",
    "fiscal_year",
    "document_no",
    "line_item",
    "customer",
    "doc_type",
    "posting_date",
    "due_date",
    "local_amount",
    "local_currency",
    "clearing_date",
]


def ledger(open_items: pd.DataFrame, cleared_items: pd.DataFrame) -> pd.DataFrame:
    """Open and cleared customer items in one frame (``clearing_date`` NaT when open); special
    G/L items (down payments, noted items) left out.  A missing due date falls back to the
    baseline date, then the document date (as the worklist's days overdue)."""
    parts = []
    for df, cleared in ((open_items, False), (cleared_items, True)):
        if df is None or df.empty:
            continue
        d = df[df["special_gl"] == ""].copy()
        if not cleared:
            d["clearing_date"] = pd.NaT
        d["due_date"] = d["due_date"].fillna(d["baseline_date"]).fillna(d["document_date"])
        parts.append(d[_COLS])
    if not parts:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in _COLS})
        for c in ("posting_date", "due_date", "clearing_date"):
            out[c] = pd.Series(dtype="datetime64[ns]")
        out["local_amount"] = pd.Series(dtype=np.int64)
        return out
    out = pd.concat(parts, ignore_index=True)
    out["clearing_date"] = pd.to_datetime(out["clearing_date"])
    return out


def with_collector(items: pd.DataFrame, customers: pd.DataFrame | None) -> pd.DataFrame:
    """``items`` with the customer's ``collector`` (``""`` when the master does not know it)."""
    out = items.copy()
    if customers is None or customers.empty:
        out["collector"] = ""
        return out
    coll = customers.drop_duplicates("customer").set_index("customer")["collector"]
    out["collector"] = out["customer"].map(coll).fillna("").astype(object)
    return out


def open_on(items: pd.DataFrame, at: date) -> pd.Series:
    """Which rows were open on ``at`` (posted by then, not cleared by then)."""
    t = pd.Timestamp(at)
    return (items["posting_date"] <= t) & (
        items["clearing_date"].isna() | (items["clearing_date"] > t)
    )


def windows(
    items: pd.DataFrame, at: date, months: int, complete_from: date | None = None
) -> list[m.Window]:
    """Credit sales of the trailing calendar months ending on ``at``, newest first; a window
    starting before ``complete_from`` is left out (its invoices may have been cleared before
    the cleared items were read)."""
    t = pd.Timestamp(at)
    inv = items[items["doc_type"].isin(SALES_TYPES) & (items["local_amount"] > 0)]
    out = []
    for k in range(months):
        end = t - pd.DateOffset(months=k)
        start = t - pd.DateOffset(months=k + 1)
        if complete_from is not None and start < pd.Timestamp(complete_from) - pd.Timedelta(days=1):
            break
        sel = (inv["posting_date"] > start) & (inv["posting_date"] <= end)
        out.append(m.Window(int((end - start).days), int(inv.loc[sel, "local_amount"].sum())))
    return out


def _scopes(items: pd.DataFrame) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """(scope, currency, rows): the team, then each collector, per currency."""
    for cur, g in items.groupby("local_currency", sort=True):
        yield TEAM, str(cur), g
        for coll, gc in g.groupby("collector", sort=True):
            if coll != TEAM:
                yield str(coll), str(cur), gc


def position(
    items: pd.DataFrame,
    at: date,
    *,
    limits: list[int],
    months: int = 12,
    average_months: int = 3,
    complete_from: date | None = None,
) -> pd.DataFrame:
    """The point-in-time measures on ``at`` per scope (team ``""``, each collector) and currency.

    ``items``: :func:`ledger` with :func:`with_collector`.  Returns a long frame ``scope,
    currency, measure, value`` (float; money in minor units).  Measures: ``ar``, ``current``,
    ``overdue``, ``aging:<bucket>`` (amounts), ``sales_avg`` (sales of the last
    ``average_months`` months) and ``sales_days``; ``dso`` and ``bpdso`` (countback over up to
    ``months`` months; ``dso_complete`` 0 when the AR outlasted the windows read: a lower bound),
    ``dso_simple`` / ``bpdso_simple`` (average-sales over ``average_months``), ``add`` and
    ``add_simple``, ``pct_current``, ``pct_over_90`` (share of AR more than 90 days past due, the
    CRF's other figure).  A measure without meaning (no sales) is left out."""
    t = pd.Timestamp(at)
    labels = bucket_labels(limits)
    rows: list[tuple[str, str, str, float]] = []
    live = items[open_on(items, at)]
    days_over = (t - live["due_date"]).dt.days.fillna(0).astype("int64")
    live = live.assign(_days=days_over, _bucket=aging(days_over, limits))
    for scope, cur, g in _scopes_of(items, live):
        ar = int(g["local_amount"].sum())
        current = int(g.loc[g["_days"] <= 0, "local_amount"].sum())
        over90 = int(g.loc[g["_days"] > 90, "local_amount"].sum())
        base = items[(items["local_currency"] == cur)]
        if scope != TEAM:
            base = base[base["collector"] == scope]
        w = windows(base, at, months, complete_from)
        avg = w[:average_months]
        sales, days = sum(x.sales for x in avg), sum(x.days for x in avg)
        cb, bp = m.countback(ar, w), m.best_possible_countback(current, w)
        simple, bsimple = m.dso_simple(ar, sales, days), m.best_possible_dso(current, sales, days)
        vals: dict[str, float | None] = {
            "ar": ar,
            "current": current,
            "overdue": ar - current,
            "sales_avg": sales,
            "sales_days": days,
            "dso": cb.days if w else None,
            "dso_complete": float(cb.complete) if w else None,
            "bpdso": bp.days if w else None,
            "add": m.average_days_delinquent(cb.days, bp.days) if w else None,
            "dso_simple": simple,
            "bpdso_simple": bsimple,
            "add_simple": m.average_days_delinquent(simple, bsimple),
            "pct_current": m.percent_current(current, ar),
            "pct_over_90": m.percent_current(over90, ar),
        }
        by_bucket = g.groupby("_bucket")["local_amount"].sum()
        for b in labels:
            vals[f"aging:{b}"] = int(by_bucket.get(b, 0))
        rows += [(scope, cur, k, float(v)) for k, v in vals.items() if v is not None]
    return pd.DataFrame(rows, columns=["scope", "currency", "measure", "value"])


def _scopes_of(items: pd.DataFrame, live: pd.DataFrame) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """Every scope and currency that has items at all (an empty AR still has a position)."""
    for scope, cur, _ in _scopes(items):
        g = live[live["local_currency"] == cur]
        if scope != TEAM:
            g = g[g["collector"] == scope]
        yield scope, cur, g


def flows(
    items: pd.DataFrame,
    start: date,
    end: date,
    *,
    complete_from: date | None = None,
) -> pd.DataFrame:
    """What moved in the period (``start``, ``end``] per scope and currency (long frame as
    :func:`position`): ``collected`` and ``collected_items`` (debit items cleared in it),
    ``sales`` (invoices posted in it), ``opening_ar`` (AR on ``start``), ``ending_ar`` and
    ``ending_current`` (on ``end``), ``cei`` (total-sales form, :func:`measures.cei`).
    ``complete`` is 0 when ``start`` is before ``complete_from`` (the opening AR and what was
    collected may miss items cleared before the cleared items were read)."""
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    was_open, is_open = open_on(items, start), open_on(items, end)
    cleared = items["clearing_date"].between(s, e, inclusive="right") & (items["local_amount"] > 0)
    sold = (
        items["doc_type"].isin(SALES_TYPES)
        & (items["local_amount"] > 0)
        & items["posting_date"].between(s, e, inclusive="right")
    )
    current = is_open & (items["due_date"] >= e)
    complete = complete_from is None or pd.Timestamp(complete_from) <= s
    rows: list[tuple[str, str, str, float]] = []
    for scope, cur, g in _scopes(items):
        amt = g["local_amount"]
        opening = int(amt[was_open.loc[g.index]].sum())
        ending = int(amt[is_open.loc[g.index]].sum())
        ending_current = int(amt[current.loc[g.index]].sum())
        sales = int(amt[sold.loc[g.index]].sum())
        c = m.cei(opening, sales, ending, ending_current)
        vals: dict[str, float | None] = {
            "collected": int(amt[cleared.loc[g.index]].sum()),
            "collected_items": int(cleared.loc[g.index].sum()),
            "sales": sales,
            "opening_ar": opening,
            "ending_ar": ending,
            "ending_current": ending_current,
            "cei": c,
            "complete": float(complete),
        }
        rows += [(scope, cur, k, float(v)) for k, v in vals.items() if v is not None]
    return pd.DataFrame(rows, columns=["scope", "currency", "measure", "value"])


def top_overdue(
    items: pd.DataFrame, at: date, customers: pd.DataFrame | None = None, n: int = 10
) -> pd.DataFrame:
    """The ``n`` customers with the most overdue AR on ``at``, per currency: ``currency,
    customer, name, collector, overdue`` (minor units), ``items``, ``oldest_days`` (days past due
    of the oldest overdue item); largest first, then by customer."""
    t = pd.Timestamp(at)
    live = items[open_on(items, at)]
    days = (t - live["due_date"]).dt.days
    od = live[(days > 0) & (live["local_amount"] > 0)].assign(_days=days)
    cols = ["currency", "customer", "name", "collector", "overdue", "items", "oldest_days"]
    if od.empty:
        return pd.DataFrame(columns=cols)
    g = (
        od.groupby(["local_currency", "customer"])
        .agg(
            overdue=("local_amount", "sum"),
            items=("local_amount", "size"),
            oldest_days=("_days", "max"),
        )
        .reset_index()
        .rename(columns={"local_currency": "currency"})
    )
    names = (
        customers.drop_duplicates("customer").set_index("customer")
        if customers is not None and len(customers)
        else pd.DataFrame(columns=["name", "collector"])
    )
    g["name"] = g["customer"].map(names["name"]).fillna("").astype(object)
    g["collector"] = g["customer"].map(names["collector"]).fillna("").astype(object)
    g = g.sort_values(["currency", "overdue", "customer"], ascending=[True, False, True])
    out: pd.DataFrame = g.groupby("currency").head(n)[cols].reset_index(drop=True)
    return out
