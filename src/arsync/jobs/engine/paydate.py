"""When will an open item be collected (cleared in SAP)?  One pure estimate from what is known.

:func:`learn` builds a :class:`PayModel` from the history — cleared and open invoices (each
customer's days to pay) and the portal stage history (when each item entered each portal
status, kept by the run store from run to run); :func:`estimate` gives every open debit item
an expected collection date, the source it comes from, and how sure it is.  The date is the
SAP clearing date, as the supervisor report counts collections.

Rules, in order (the first that applies):

1. **portal** — the item's portal record is at a stage (ACCEPTED … PAID) the history knows: the
   entry date of that stage plus the time items of the segment took from that stage to clearing,
   *given the time already spent in it* (the conditional median of a Kaplan–Meier curve, so
   items still waiting count as "at least this long"; :mod:`.survival`).  PAID is a stage too:
   what is left is cash application.
2. **promise** — an open promise to pay: its date (not before tomorrow).
3. **history** — the customer's days to pay from the document date: the segment's curve,
   conditional on the item's age, scaled by the customer's own speed (the ratio of its mean log
   days to pay to the segment's, shrunk towards 1 with few payments: weight n / (n + 5)).
4. **due date** — nothing known: the due date, or tomorrow when it has passed.

The stage curves keep every item still waiting (an item stuck at a stage is flagged by the
reconciliation, not forecast); the days-to-pay curves set apart the share that never pays (the
curve's floor: disputed, never submitted), so an old item gets the payers' remaining wait.

Seasons: the curves are learned over a year of history (``sap.cleared_days``), so the slow first
quarter and the year-end rush are in them on average; every date is then rolled to a working
day of the Chinese calendar (:mod:`arsync.common.workdays`: Spring Festival and National Day
weeks closed, nobody pays then).  A month-by-month seasonal factor is not modelled (a first
try — the Q1 median against the rest — made the estimate worse: it mixes the cohorts the year-end
rush takes out).  Confidence: the learned probability that the item is collected within
14 days of its expected date, given that it is still open (0 for the due-date rule).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from arsync.common.workdays import roll_workday
from arsync.jobs.engine.survival import Survival

KEY = ["company_code", "fiscal_year", "document_no", "line_item"]
STAGES = ("ACCEPTED", "UNDER_REVIEW", "APPROVED", "PAYING", "PAID")
SALES_TYPES = ("RV", "DR")
MIN_EVENTS = 20  # fewer payments than this: the segment borrows the whole portfolio's curve
SHRINK = 5.0
WINDOW = 14  # confidence: collected within this many days of the expected date


@dataclass(frozen=True)
class PayModel:
    """What :func:`learn` found: survival curves and the customers' speeds."""

    as_of: date
    days_to_pay: dict[str, Survival]  # segment ("" = all) → days from document date to clearing
    stage_left: dict[tuple[str, str], Survival]  # (segment or "", status) → days entry → clearing
    speed: dict[str, float] = field(default_factory=dict)  # customer → factor (1 = segment pace)

    def curve(self, segment: str) -> Survival:
        s = self.days_to_pay.get(segment)
        return s if s is not None and s.events >= MIN_EVENTS else self.days_to_pay[""]

    def stage_curve(self, segment: str, status: str) -> Survival | None:
        for key in ((segment, status), ("", status)):
            s = self.stage_left.get(key)
            if s is not None and s.events >= MIN_EVENTS:
                return s
        return None


def learn(
    open_items: pd.DataFrame,
    cleared_items: pd.DataFrame,
    customers: pd.DataFrame,
    stages: pd.DataFrame | None,
    as_of: date,
    complete_from: date,
) -> PayModel:
    """Learn from invoices posted since ``complete_from`` (the first day the cleared items were
    read for: every such invoice is either open or among the cleared items, so nothing that paid
    fast is missing) and from stage entries since then.  ``stages``: ``KEY + status, entered``
    (the run store's stage history)."""
    t = pd.Timestamp(as_of)
    since = pd.Timestamp(complete_from)
    seg = customers.drop_duplicates("customer").set_index("customer")["segment"]
    inv = _invoices(open_items, cleared_items)
    inv = inv[inv["document_date"] >= since]
    inv["segment"] = inv["customer"].map(seg).fillna("").astype(object)
    end = inv["clearing_date"].fillna(t)
    inv["days"] = (end - inv["document_date"]).dt.days.clip(lower=0)
    inv["paid"] = inv["clearing_date"].notna()

    curves = {"": Survival.fit(inv["days"].to_numpy(), inv["paid"].to_numpy())}
    for s, g in inv.groupby("segment"):
        curves[str(s)] = Survival.fit(g["days"].to_numpy(), g["paid"].to_numpy())

    paid = inv[inv["paid"] & (inv["days"] > 0)]
    logd = pd.Series(np.log(paid["days"].to_numpy(dtype=float)), index=paid.index)
    seg_mean = logd.groupby(paid["segment"]).mean()
    by_c = logd.groupby(paid["customer"]).agg(["mean", "size"])
    c_seg = paid.drop_duplicates("customer").set_index("customer")["segment"]
    w = by_c["size"] / (by_c["size"] + SHRINK)
    rel = by_c["mean"] - c_seg.reindex(by_c.index).map(seg_mean)
    speed = {str(c): float(v) for c, v in np.exp(w * rel).items()}

    stage_left: dict[tuple[str, str], Survival] = {}
    if stages is not None and len(stages):
        st = stages[stages["status"].isin(STAGES) & (stages["entered"] >= since)].copy()
        cleared_on = _clearing_dates(cleared_items)
        st = st.merge(cleared_on, on=KEY, how="left")
        st["segment"] = st["customer"].map(seg).fillna("").astype(object)
        st["days"] = (st["clearing_date"].fillna(t) - st["entered"]).dt.days.clip(lower=0)
        st["done"] = st["clearing_date"].notna()
        for status, g in st.groupby("status"):
            stage_left[("", str(status))] = Survival.fit(g["days"].to_numpy(), g["done"].to_numpy())
            for s, gs in g.groupby("segment"):
                stage_left[(str(s), str(status))] = Survival.fit(
                    gs["days"].to_numpy(), gs["done"].to_numpy()
                )
    return PayModel(as_of, curves, stage_left, speed)


def _invoices(open_items: pd.DataFrame, cleared_items: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for df, with_date in ((open_items, False), (cleared_items, True)):
        d = df[df["doc_type"].isin(SALES_TYPES) & (df["amount"] > 0) & (df["special_gl"] == "")]
        cols = ["customer", "document_date"]
        if with_date:
            d = d[[*cols, "clearing_date"]]
        else:
            d = d[cols].assign(
                clearing_date=pd.Series(pd.NaT, index=d.index, dtype="datetime64[ns]")
            )
        parts.append(d)
    out = pd.concat(parts, ignore_index=True)
    out["clearing_date"] = pd.to_datetime(out["clearing_date"])
    return out


def _clearing_dates(cleared_items: pd.DataFrame) -> pd.DataFrame:
    return cleared_items[[*KEY, "clearing_date"]].drop_duplicates(KEY)


def estimate(
    items: pd.DataFrame,
    model: PayModel,
    *,
    stages: pd.DataFrame | None = None,
    promises: pd.DataFrame | None = None,
    horizon: date | None = None,
) -> pd.DataFrame:
    """The expected collection date of each row of ``items`` (worklist rows: ``KEY + customer,
    segment, document_date, due_date, status, status_date``).

    ``stages`` (``KEY + status, entered``) gives the entry date of the item's current status
    (else the row's ``status_date``); ``promises`` (``KEY + promise_date``) the open promises.
    Returns ``KEY + expected_date, source`` (portal / promise / history / due_date), ``basis``
    (the words behind it), ``confidence`` (0..1) and ``p_by_horizon`` (the learned probability
    of being collected by ``horizon``, when given).  Rows keep their order."""
    t = pd.Timestamp(model.as_of)
    tomorrow = t + pd.Timedelta(days=1)
    cols = [*KEY, "customer", "segment", "document_date", "due_date", "status", "status_date"]
    none = pd.Series(pd.NaT, index=items.index, dtype="datetime64[ns]")
    planned = items["expected_pay_date"] if "expected_pay_date" in items.columns else none
    df = items[cols].assign(portal_date=planned)
    df = df.reset_index(drop=True)
    entered = df["status_date"]
    if stages is not None and len(stages):
        first = stages.groupby([*KEY, "status"], as_index=False)["entered"].min()
        got = df[[*KEY, "status"]].merge(first, on=[*KEY, "status"], how="left")["entered"]
        entered = got.fillna(df["status_date"])
    promised = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    if promises is not None and len(promises):
        p = promises.groupby(KEY, as_index=False)["promise_date"].max()
        promised = df[KEY].merge(p, on=KEY, how="left")["promise_date"]

    out_date, source, basis, conf, p_h = [], [], [], [], []
    h = pd.Timestamp(horizon) if horizon is not None else None
    # rows as plain dicts: a Series per row (df.iloc[i]) was most of a plan's CPU
    for r, ent, prom in zip(df.to_dict("records"), list(entered), list(promised)):
        one = _one(r, ent, prom, model, t, tomorrow, h)
        out_date.append(one[0])
        source.append(one[1])
        basis.append(one[2])
        conf.append(one[3])
        p_h.append(one[4])
    dates = pd.to_datetime(pd.Series(out_date, dtype="datetime64[ns]"))
    rolled = roll_workday(dates.to_numpy().astype("datetime64[D]"))
    return df[KEY].assign(
        expected_date=pd.to_datetime(rolled).astype("datetime64[ns]"),
        source=pd.Series(source, dtype=object),
        basis=pd.Series(basis, dtype=object),
        confidence=pd.Series(conf, dtype=float),
        p_by_horizon=pd.Series(p_h, dtype=float),
    )


_Estimate = tuple[pd.Timestamp, str, str, float, float]


def _one(
    r: Mapping[Any, Any],
    entered: pd.Timestamp,
    promised: pd.Timestamp,
    model: PayModel,
    t: pd.Timestamp,
    tomorrow: pd.Timestamp,
    h: pd.Timestamp | None,
) -> _Estimate:
    seg = str(r["segment"])
    status = str(r["status"])
    planned = r["portal_date"]
    if status in ("APPROVED", "PAYING") and pd.notna(planned) and planned >= t:
        lag = model.stage_curve(seg, "PAID")
        left = lag.quantile_after(0.0, cured=False) if lag is not None else None
        if lag is not None and left is not None:
            when = planned + pd.Timedelta(days=left)
            return (
                when,
                "portal",
                f"{status}, the portal plans payment on {planned.date()}; "
                f"{int(left)} days to cash application",
                lag.between(0.0, left - WINDOW, left + WINDOW),
                _p_by(lag, 0.0, planned, h),
            )
    if status in STAGES and pd.notna(entered):
        curve = model.stage_curve(seg, status)
        if curve is not None:
            elapsed = float((t - entered).days)
            left = curve.quantile_after(elapsed, cured=False)
            if left is not None:
                when = max(entered + pd.Timedelta(days=left), tomorrow)
                days = float((when - entered).days)
                return (
                    when,
                    "portal",
                    f"{status} since {entered.date()}: {int(left)} days to clearing ({seg or 'all'})",
                    curve.between(elapsed, days - WINDOW, days + WINDOW),
                    _p_by(curve, elapsed, entered, h),
                )
    if pd.notna(promised):
        when = max(promised, tomorrow)
        return when, "promise", f"promised for {promised.date()}", 0.6, _p_promise(when, h)
    curve = model.curve(seg)
    f = model.speed.get(str(r["customer"]), 1.0)
    doc = r["document_date"]
    if pd.notna(doc) and curve.n:
        age = float((t - doc).days)
        left = curve.quantile_after(age / f)
        if left is not None:
            when = max(doc + pd.Timedelta(days=left * f), tomorrow)
            d = float((when - doc).days) / f
            return (
                when,
                "history",
                f"{seg or 'customer'} pays in {int(left * f)} days (customer pace ×{f:.2f})",
                curve.between(age / f, d - WINDOW / f, d + WINDOW / f),
                _p_by(curve, age / f, doc, h, f),
            )
    due = r["due_date"] if pd.notna(r["due_date"]) else doc
    when = max(due, tomorrow) if pd.notna(due) else tomorrow
    return when, "due_date", "no history: the due date", 0.0, _p_promise(when, h) * 0.5


def _p_by(
    curve: Survival, elapsed: float, start: pd.Timestamp, h: pd.Timestamp | None, f: float = 1.0
) -> float:
    if h is None:
        return float("nan")
    return curve.between(elapsed, elapsed, float((h - start).days) / f)


def _p_promise(when: pd.Timestamp, h: pd.Timestamp | None) -> float:
    if h is None:
        return float("nan")
    return 1.0 if when <= h else 0.0
