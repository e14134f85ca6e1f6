"""The supervisor report: the AR measures of a period against the previous one, from a run.

``arsync report supervisor`` and the nightly's ``reports`` stage call :func:`supervisor_report`.
It reads the frames of the last full run on or before the report date (the run folder's SAP and
reconcile outputs), computes the measures with the pure engine (:mod:`arsync.jobs.engine.
portfolio`), takes the trend from the run store's snapshots and the portal movements from its
stage history, and hands one :class:`~arsync.reports.supervisor.SupervisorData` to the writers.

A period ends on the run's as-of date D: ``week`` is (D − 7 days, D], ``month`` (D − 1 month,
D], ``quarter`` (D − 3 months, D]; the previous period is the one before it.  Figures that need
cleared items from before the first day SAP was read for (``sap.cleared_days``) come from the
snapshot of the run on that date when there is one, and are marked incomplete otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from arsync.common.errors import DataError, InputError
from arsync.common.frames import CLEARED_ITEMS, CUSTOMERS, OPEN_ITEMS, PORTAL_RECORDS, WORKLIST
from arsync.jobs.engine import portfolio as pf
from arsync.jobs.pipeline import supervision_store as ss
from arsync.jobs.pipeline.runstore import RunInfo, RunStore, runs

PERIODS = ("week", "month", "quarter")


def period_start(end: date, period: str) -> date:
    """The day before the period's first day: a period is (start, end]."""
    if period not in PERIODS:
        raise DataError(f"period {period!r}: use one of {', '.join(PERIODS)}")
    if period == "week":
        return end - timedelta(days=7)
    months = 1 if period == "month" else 3
    return (pd.Timestamp(end) - pd.DateOffset(months=months)).date()


@dataclass
class RunFrames:
    """What one finished run read and found, from its folder."""

    run: RunInfo
    open_items: pd.DataFrame
    cleared_items: pd.DataFrame
    customers: pd.DataFrame
    worklist: pd.DataFrame
    portal_records: pd.DataFrame | None = None

    @property
    def as_of(self) -> date:
        return self.run.as_of


def last_run(store: RunStore, as_of: date | None = None) -> RunInfo:
    """The latest full run (nightly, whole portfolio, SAP and reconcile finished) on or before
    ``as_of``; :class:`InputError` (exit 2) naming the date, the store and the first date it
    has a full run of when there is none."""
    full = [
        r
        for r in store.recent(500, kind="nightly")
        if not (
            r.scope and any(r.scope.get(k) for k in ("customers", "collectors", "company_codes"))
        )
        and {"sap", "reconcile"} <= set(r.finished_stages())
    ]
    for r in full:
        if as_of is None or r.as_of <= as_of:
            return r
    from arsync.jobs.pipeline.runstore import where

    when = f" on or before {as_of}" if as_of else ""
    have = (
        f"; its first is as of {min(r.as_of for r in full)}: give --as-of that date or later"
        if full
        else ": run `arsync nightly` first"
    )
    raise InputError(f"no finished nightly run{when} in the run store at {where(store)}{have}")


def load_run(run: RunInfo) -> RunFrames:
    folder = Path(run.folder)

    def read(stage: str, name: str, schema) -> pd.DataFrame:
        p = folder / stage / f"{name}.parquet"
        if not p.exists():
            raise DataError(f"run {run.run_id}: {p} is missing")
        return schema.coerce(pd.read_parquet(p))

    records = folder / "portals" / "portal_records.parquet"
    return RunFrames(
        run,
        read("sap", "open_items", OPEN_ITEMS),
        read("sap", "cleared_items", CLEARED_ITEMS),
        read("sap", "customers", CUSTOMERS),
        read("reconcile", "worklist", WORKLIST),
        PORTAL_RECORDS.coerce(pd.read_parquet(records)) if records.exists() else None,
    )


def items_of(frames: RunFrames) -> pd.DataFrame:
    return pf.with_collector(pf.ledger(frames.open_items, frames.cleared_items), frames.customers)


def snapshot(settings, store: RunStore, frames: RunFrames) -> pd.DataFrame:
    """Compute the run's position and keep it, with its portal stages, in the run store."""
    pos = pf.position(
        items_of(frames),
        frames.as_of,
        limits=settings.reconcile.aging_limits,
        complete_from=complete_from(settings, frames.as_of, frames.cleared_items),
    )
    ss.write_snapshot(store, frames.run.run_id, frames.as_of, pos)
    ss.record_stages(store, frames.run.run_id, frames.as_of, frames.worklist)
    paid = cleared_paid(frames, complete_from(settings, frames.as_of, frames.cleared_items))
    ss.record_stages(store, frames.run.run_id, frames.as_of, paid)
    return pos


def cleared_paid(frames: RunFrames, since: date) -> pd.DataFrame:
    """Cleared items whose portal record shows them paid: the stage PAID with its paid date,
    so that the time from PAID to cash application is learned from the first run on (the
    worklist only holds open items).  Matched on the invoice number (the record's against the
    item's reference, normalized as the reconciliation does) within the customer; a number that
    fits more than one item or record is left out."""
    from arsync.jobs.engine.invoice_no import invoice_keys

    cols = [*ss.KEY, "status", "customer", "status_date", "record_id"]
    r, c = frames.portal_records, frames.cleared_items
    if r is None or r.empty or c.empty:
        return pd.DataFrame(columns=cols)
    r = r[(r["status"] == "PAID") & (r["customer"] != "")].reset_index(drop=True)
    c = c[c["clearing_date"] >= pd.Timestamp(since)].reset_index(drop=True)
    rk = invoice_keys(r["invoice_no"])
    rk = rk.assign(customer=r["customer"].to_numpy()[rk["pos"]]).rename(columns={"pos": "r"})
    ck = invoice_keys(c["reference"])
    ck = ck.assign(customer=c["customer"].to_numpy()[ck["pos"]]).rename(columns={"pos": "c"})
    m = rk.merge(ck, on=["key", "customer"])
    m = m[~m.duplicated("r", keep=False) & ~m.duplicated("c", keep=False)]
    if m.empty:
        return pd.DataFrame(columns=cols)
    rec = r.iloc[m["r"].to_numpy()].reset_index(drop=True)
    when = rec["paid_date"].fillna(rec["status_date"])
    out = c.iloc[m["c"].to_numpy()][ss.KEY].reset_index(drop=True)
    return out.assign(
        status="PAID",
        customer=rec["customer"].to_numpy(),
        status_date=when.to_numpy(),
        record_id=rec["record_id"].to_numpy(),
    )[cols]


def complete_from(settings, as_of: date, cleared: pd.DataFrame | None = None) -> date:
    """The first day whose clearings the run's cleared items hold: the earliest clearing date
    among ``cleared`` (what that run read, whatever ``sap.cleared_days`` says today; a day or
    two late at worst, which only leaves a sales window out), else ``as_of`` minus
    ``sap.cleared_days``."""
    if cleared is not None and len(cleared) and cleared["clearing_date"].notna().any():
        return min(pd.Timestamp(cleared["clearing_date"].min()).date(), as_of)
    return as_of - timedelta(days=settings.sap.cleared_days)


def supervisor_data(settings, store: RunStore, frames: RunFrames, period: str, language: str):
    """Everything the supervisor report shows, computed (no file written)."""
    from arsync.reports.supervisor import SupervisorData

    end = frames.as_of
    start = period_start(end, period)
    prev = period_start(start, period)
    since = complete_from(settings, end, frames.cleared_items)
    items = items_of(frames)
    limits = settings.reconcile.aging_limits
    notes: list[str] = []

    now = pf.position(items, end, limits=limits, complete_from=since)
    before = _position_at(settings, store, items, start, since, notes)
    flows = pf.flows(items, start, end, complete_from=since)
    prev_flows = pf.flows(items, prev, start, complete_from=since)
    if prev < since:
        notes.append(
            f"cleared items were read from {since} (sap.cleared_days = "
            f"{settings.sap.cleared_days}): the previous period's collections and CEI are incomplete"
        )
    moves = portal_moves(store, frames, start, end, prev)
    from arsync.jobs.pipeline.supervision_day import activity

    main = str(items["local_currency"].mode().iloc[0]) if len(items) else "CNY"
    day = (activity(store, start, end, main), activity(store, prev, start, main))
    figures = _figures([(now, before), (flows, prev_flows), moves, day])
    if (now["measure"].eq("dso_complete") & now["value"].eq(0)).any():
        notes.append(
            "DSO countback ran out of sales history for some scopes: their DSO is a lower bound "
            "(raise sap.cleared_days)"
        )
    trend = ss.read_snapshots(store, end)
    return SupervisorData(
        as_of=end,
        period=period,
        start=start,
        previous_start=prev,
        figures=figures,
        trend=trend,
        top=pf.top_overdue(items, end, frames.customers, n=10),
        aging_labels=_aging_labels(limits),
        notes=notes,
        run_id=frames.run.run_id,
        language=language,
    )


def _aging_labels(limits: list[int]) -> list[str]:
    from arsync.jobs.engine.priority import bucket_labels

    return bucket_labels(limits)


def _position_at(settings, store, items, at: date, since: date, notes: list[str]) -> pd.DataFrame:
    """The position on an earlier date: from the frames when they cover it, else from the
    snapshot of a run on that date, else empty (with a note)."""
    if at >= since:
        return pf.position(items, at, limits=settings.reconcile.aging_limits, complete_from=since)
    snaps = ss.read_snapshots(store, at, limit=1)
    if len(snaps) and snaps["as_of"].iloc[0] >= pd.Timestamp(at - timedelta(days=3)):
        return snaps[["scope", "currency", "measure", "value"]]
    notes.append(
        f"no run on {at} and no cleared items that old: the previous position is not known"
    )
    return pd.DataFrame(columns=["scope", "currency", "measure", "value"])


def _figures(pairs) -> pd.DataFrame:
    """``scope, currency, measure, current, previous`` from (current, previous) long frames."""
    parts = []
    for cur, prev in pairs:
        a = cur.rename(columns={"value": "current"})
        b = prev.rename(columns={"value": "previous"})
        both = a.merge(b, on=["scope", "currency", "measure"], how="outer")
        if len(both):
            parts.append(both)
    cols = ["scope", "currency", "measure", "current", "previous"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def portal_moves(
    store: RunStore, frames: RunFrames, start: date, end: date, prev: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Items moved along by portal status (stage entries in the period, PAID apart), and
    PAID_NOT_APPLIED cash: *found* — items a run in the period saw paid on the portal while SAP
    still had them open; *applied* — such items cleared in SAP in the period; per scope and
    currency; (current, previous)."""
    st = ss.read_stages(store)
    items = items_of(frames)
    cols = [*ss.KEY, "collector", "local_currency", "local_amount", "clearing_date"]
    keys = items.drop_duplicates(ss.KEY)[cols]
    st = st.merge(keys, on=ss.KEY, how="inner")
    with store.engine.connect() as c:
        run_day = dict(c.execute(sa.select(runs.c.run_id, runs.c.as_of)).all())
    seen = pd.to_datetime(st["first_run"].map(run_day))
    paid = st["status"] == "PAID"
    pna = paid & seen.notna() & (st["clearing_date"].isna() | (st["clearing_date"] > seen))
    out = []
    for a, b in ((start, end), (prev, start)):
        lo, hi = pd.Timestamp(a), pd.Timestamp(b)
        entered = st["entered"].between(lo, hi, inclusive="right")
        found = pna & seen.between(lo, hi, inclusive="right")
        applied = pna & st["clearing_date"].between(lo, hi, inclusive="right")
        rows = []
        for scope, cur, g in _scopes(st):
            e, p = entered.loc[g.index], paid.loc[g.index]
            f, ap = found.loc[g.index], applied.loc[g.index]
            rows += [
                (scope, cur, "moved_items", float((e & ~p).sum())),
                (scope, cur, "pna_found", float(g.loc[f, "local_amount"].sum())),
                (scope, cur, "pna_found_items", float(f.sum())),
                (scope, cur, "pna_applied", float(g.loc[ap, "local_amount"].sum())),
            ]
        out.append(pd.DataFrame(rows, columns=["scope", "currency", "measure", "value"]))
    return out[0], out[1]


def _scopes(df: pd.DataFrame):
    for cur, g in df.groupby("local_currency", sort=True):
        yield "", str(cur), g
        for coll, gc in g.groupby("collector", sort=True):
            if coll:
                yield str(coll), str(cur), gc


def supervisor_report(
    settings,
    store: RunStore,
    *,
    as_of: date | None = None,
    period: str = "week",
    out_dir: str | Path,
    language: str | None = None,
    frames: RunFrames | None = None,
) -> dict[str, Path]:
    """Write ``supervisor.xlsx`` and the one-page ``supervisor.html`` (with its PNG charts) into
    ``out_dir``; returns the paths by name."""
    from arsync.reports.supervisor import write_supervisor

    frames = frames or load_run(last_run(store, as_of))
    data = supervisor_data(settings, store, frames, period, language or settings.reports.language)
    return write_supervisor(data, Path(out_dir))
