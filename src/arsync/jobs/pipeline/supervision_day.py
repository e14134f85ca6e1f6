"""The collectors' activity in a period, from the collector's-day tables of the run store
(:mod:`arsync.jobs.pipeline.daytables`): contacts, promises to pay, disputes, statements.

Long frames ``scope, currency, measure, value`` as :func:`arsync.jobs.engine.portfolio.flows`
(scope ``""`` = the team, else the collector).  A period is (start, end].  The rules:

- **contacts**: contact dates typed in the worksheet (field ``contact_date``, new or edited)
  that fall in the period, plus reminders sent in it (events of source ``reminder``).
- **promises**: ``promises_made`` / ``promises_made_amount`` — first seen in the period;
  promises *due* in the period (promised date in it) by their state now:
  ``promises_kept``, ``promises_kept_pending`` (paid on the portal, cash not yet applied),
  ``promises_broken`` (broken or partly kept, SAP's not-kept states), each with ``_amount``.
  Replaced or withdrawn promises are left out.
- **disputes**: ``disputes_opened``, ``disputes_resolved`` in the period; ``disputes_open`` at
  its end with ``disputes_open_age`` (mean days since opened) and ``disputes_resolved_age``
  (mean days from opened to resolved, of those resolved in the period).
- **statements**: ``statements_sent`` (issued in the period), ``statements_confirmed``
  (answered "confirmed" in it).

Counts without a currency of their own (contacts, statements, disputes' counts) are given under
``currency`` (the report's main currency); amounts under their own.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa

from arsync.jobs.pipeline.runstore import RunStore

COLS = ["scope", "currency", "measure", "value"]


def _read(store: RunStore, table) -> pd.DataFrame:
    with store.engine.connect() as c:
        rows = c.execute(sa.select(table)).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=[col.name for col in table.columns])


def _in(series: pd.Series, start: date, end: date) -> pd.Series:
    # dates, or ISO text as the history keeps typed dates; anything else is no date
    d = pd.to_datetime(series.astype(str).str[:10], format="%Y-%m-%d", errors="coerce")
    return d.gt(pd.Timestamp(start)) & d.le(pd.Timestamp(end))


def _per_scope(df: pd.DataFrame, mask: pd.Series, currency, measure: str, value=None) -> list:
    """(scope, currency, measure, value) rows for the team and each collector; ``value`` a
    column to sum (else a count); ``currency`` a fixed code or the name of a column."""
    sel = df[mask]
    out = []
    curs = [currency] if currency not in df.columns else sorted(set(df[currency]))
    for cur in curs:
        g = sel if currency not in df.columns else sel[sel[currency] == cur]
        allc = df if currency not in df.columns else df[df[currency] == cur]

        def agg(x: pd.DataFrame) -> float:
            return float(x[value].sum()) if value else float(len(x))

        out.append(("", str(cur), measure, agg(g)))
        for coll in sorted(set(allc["collector"])):
            if coll:
                out.append((str(coll), str(cur), measure, agg(g[g["collector"] == coll])))
    return out


def activity(store: RunStore, start: date, end: date, currency: str) -> pd.DataFrame:
    """The activity measures of (``start``, ``end``]; empty before the collector's day."""
    try:
        from arsync.jobs.pipeline.daytables import contact_history, disputes, promises, statements
    except ImportError:  # pragma: no cover - without the collector's day
        return pd.DataFrame(columns=COLS)
    rows: list = []
    h = _read(store, contact_history)
    if len(h):
        typed = (
            (h["source"] == "worksheet")
            & (h["field"] == "contact_date")
            & h["change"].isin(["new", "edit"])
            & _in(h["value"], start, end)
        )
        sent = (h["source"] == "reminder") & _in(h["as_of"], start, end)
        rows += _per_scope(h, typed | sent, currency, "contacts")
    p = _read(store, promises)
    if len(p):
        p = p[p["ended"].isna()]
        made = _in(p["made_on"], start, end)
        due = _in(p["promised_date"], start, end)
        rows += _per_scope(p, made, "currency", "promises_made")
        rows += _per_scope(p, made, "currency", "promises_made_amount", "promised_amount")
        for measure, states in (
            ("promises_kept", ["kept"]),
            ("promises_kept_pending", ["kept_pending"]),
            ("promises_broken", ["broken", "partly_kept"]),
        ):
            m = due & p["state"].isin(states)
            rows += _per_scope(p, m, "currency", measure)
            rows += _per_scope(p, m, "currency", f"{measure}_amount", "promised_amount")
    d = _read(store, disputes)
    if len(d):
        opened, resolved = _in(d["opened_on"], start, end), _in(d["resolved_on"], start, end)
        t = pd.Timestamp(end)
        on = pd.to_datetime(d["opened_on"])
        still = (on <= t) & (d["resolved_on"].isna() | (pd.to_datetime(d["resolved_on"]) > t))
        d = d.assign(
            _age=(t - on).dt.days,
            _took=(pd.to_datetime(d["resolved_on"]) - on).dt.days,
        )
        rows += _per_scope(d, opened, currency, "disputes_opened")
        rows += _per_scope(d, resolved, currency, "disputes_resolved")
        rows += _per_scope(d, still, currency, "disputes_open")
        rows += _mean(d, still, currency, "disputes_open_age", "_age")
        rows += _mean(d, resolved, currency, "disputes_resolved_age", "_took")
    s = _read(store, statements)
    if len(s):
        issued = _in(pd.to_datetime(s["issued_at"]).dt.normalize(), start, end)
        confirmed = (s["status"] == "confirmed") & _in(s["answered_on"], start, end)
        rows += _per_scope(s, issued, currency, "statements_sent")
        rows += _per_scope(s, confirmed, currency, "statements_confirmed")
    return pd.DataFrame(rows, columns=COLS)


def _mean(df: pd.DataFrame, mask: pd.Series, currency: str, measure: str, col: str) -> list:
    sel = df[mask]
    out = []
    if len(sel):
        out.append(("", currency, measure, float(sel[col].mean())))
    for coll, g in sel.groupby("collector"):
        if coll:
            out.append((str(coll), currency, measure, float(g[col].mean())))
    return out
