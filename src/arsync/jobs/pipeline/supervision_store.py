"""Reading and writing the supervisor report's and the plans' rows in the run store.

Plain functions over a :class:`~arsync.jobs.pipeline.runstore.RunStore` (SQLAlchemy Core; SQLite
or PostgreSQL).  A run writes its snapshot and its stage history once: writing again (a resumed
stage) replaces the snapshot and keeps the first entry date of each stage.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa

from arsync.common import clock
from arsync.jobs.pipeline.runstore import RunStore
from arsync.jobs.pipeline.supervisiontables import (
    plan_actuals,
    plan_items,
    plans,
    snapshots,
    stage_history,
)

KEY = ["company_code", "fiscal_year", "document_no", "line_item"]


def _rows(df: pd.DataFrame) -> Iterator[Any]:
    """The rows of ``df`` as named tuples (typed loosely: the columns are the frame's)."""
    return iter(df.itertuples(index=False))


def write_snapshot(store: RunStore, run_id: str, as_of: date, position: pd.DataFrame) -> int:
    """The run's measures (``scope, currency, measure, value``) as its snapshot; rows written."""
    rows = [
        dict(
            run_id=run_id,
            as_of=as_of,
            scope=r.scope,
            currency=r.currency,
            measure=r.measure,
            value=float(r.value),
        )
        for r in _rows(position)
    ]
    with store.engine.begin() as c:
        c.execute(snapshots.delete().where(snapshots.c.run_id == run_id))
        if rows:
            c.execute(snapshots.insert(), rows)
    return len(rows)


def read_snapshots(store: RunStore, until: date, limit: int = 26) -> pd.DataFrame:
    """The snapshots of the last ``limit`` runs on or before ``until`` (one run per as-of date:
    the latest), oldest first: ``run_id, as_of, scope, currency, measure, value``."""
    with store.engine.connect() as c:
        runs = c.execute(
            sa.select(snapshots.c.run_id, snapshots.c.as_of)
            .where(snapshots.c.as_of <= until)
            .distinct()
        ).all()
    latest: dict[date, str] = {}
    for run_id, as_of in sorted(runs, key=lambda r: (r[1], r[0])):
        latest[as_of] = run_id
    chosen = [latest[d] for d in sorted(latest)[-limit:]]
    cols = ["run_id", "as_of", "scope", "currency", "measure", "value"]
    if not chosen:
        return pd.DataFrame(columns=cols)
    with store.engine.connect() as c:
        got = c.execute(sa.select(snapshots).where(snapshots.c.run_id.in_(chosen))).mappings()
        df = pd.DataFrame([dict(r) for r in got], columns=cols)
    df["as_of"] = pd.to_datetime(df["as_of"])
    return df.sort_values(["as_of", "scope", "currency", "measure"]).reset_index(drop=True)


def record_stages(store: RunStore, run_id: str, as_of: date, worklist: pd.DataFrame) -> int:
    """Add the portal status each item is at, with the date it entered it (the status date the
    portal shows, else the run's date), unless that item's status is already known; returns the
    rows added."""
    wl = worklist[worklist["status"].isin(_TRACKED) & (worklist["record_id"] != "")]
    if wl.empty:
        return 0
    entered = wl["status_date"].fillna(pd.Timestamp(as_of)).dt.date
    new = pd.DataFrame(
        {
            **{k: wl[k].astype(str) for k in KEY},
            "status": wl["status"].astype(str),
            "customer": wl["customer"].astype(str),
            "entered": entered,
        }
    ).drop_duplicates([*KEY, "status"])
    have = read_stages(store, items=new[KEY].drop_duplicates())
    if len(have):
        known = pd.MultiIndex.from_frame(have[[*KEY, "status"]])
        new = new[~pd.MultiIndex.from_frame(new[[*KEY, "status"]]).isin(known)]
    rows = [dict(r._asdict(), first_run=run_id) for r in _rows(new)]
    with store.engine.begin() as c:
        for i in range(0, len(rows), 5000):
            c.execute(stage_history.insert(), rows[i : i + 5000])
    return len(rows)


_TRACKED = ("SUBMITTED", "ACCEPTED", "UNDER_REVIEW", "APPROVED", "PAYING", "PAID", "REJECTED")


def read_stages(store: RunStore, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """The stage history (``KEY + status, customer, entered, first_run``), of ``items`` (rows
    with the key columns) or of every item."""
    cols = [*KEY, "status", "customer", "entered", "first_run"]
    with store.engine.connect() as c:
        if items is None:
            got = c.execute(sa.select(stage_history)).mappings().all()
        else:
            got = []
            docs = sorted(set(items["document_no"]))
            for i in range(0, len(docs), 500):
                q = sa.select(stage_history).where(
                    stage_history.c.document_no.in_(docs[i : i + 500])
                )
                got += c.execute(q).mappings().all()
    df = pd.DataFrame([dict(r) for r in got], columns=cols)
    if items is not None and len(df):
        df = df.merge(items[KEY].drop_duplicates(), on=KEY)
    df["entered"] = pd.to_datetime(df["entered"])
    return df.reset_index(drop=True)


def save_plan(
    store: RunStore,
    plan_id: str,
    kind: str,
    start: date,
    end: date,
    as_of: date,
    run_id: str | None,
    items: pd.DataFrame,
) -> None:
    """Keep a plan and its items (``KEY + customer, collector, currency, amount,
    expected_date, source, confidence, probability``), replacing a plan of the same id (a plan
    made again the same day)."""
    rows = []
    for r in _rows(items):
        rows.append(
            dict(
                plan_id=plan_id,
                **{k: getattr(r, k) for k in KEY},
                customer=r.customer,
                collector=r.collector,
                currency=r.currency,
                amount=int(r.amount),
                expected_date=pd.Timestamp(r.expected_date).date(),
                source=r.source,
                confidence=float(r.confidence),
                probability=float(r.probability),
            )
        )
    with store.engine.begin() as c:
        for t in (plan_actuals, plan_items, plans):
            c.execute(t.delete().where(t.c.plan_id == plan_id))
        c.execute(
            plans.insert().values(
                plan_id=plan_id,
                kind=kind,
                period_start=start,
                period_end=end,
                as_of=as_of,
                run_id=run_id,
                made_at=clock.now(),
            )
        )
        for i in range(0, len(rows), 5000):
            c.execute(plan_items.insert(), rows[i : i + 5000])


def open_plans(store: RunStore, as_of: date) -> list[dict]:
    """Plans whose period has begun by ``as_of``, newest first (their actuals can be measured)."""
    with store.engine.connect() as c:
        got = c.execute(
            sa.select(plans)
            .where(plans.c.period_start <= as_of)
            .order_by(plans.c.period_start.desc())
        ).mappings()
        return [dict(r) for r in got]


def plan_rows(store: RunStore, plan_id: str) -> pd.DataFrame:
    with store.engine.connect() as c:
        got = c.execute(sa.select(plan_items).where(plan_items.c.plan_id == plan_id)).mappings()
        df = pd.DataFrame([dict(r) for r in got], columns=[c.name for c in plan_items.columns])
    df["expected_date"] = pd.to_datetime(df["expected_date"])
    return df


def write_actuals(store: RunStore, plan_id: str, measured_on: date, actuals: pd.DataFrame) -> None:
    """Plan against actual per collector, customer and currency (``planned, expected,
    collected, collected_planned``), measured on ``measured_on``; replaces earlier figures."""
    rows = [
        dict(
            plan_id=plan_id,
            collector=r.collector,
            customer=r.customer,
            currency=r.currency,
            planned=int(r.planned),
            expected=int(r.expected),
            collected=int(r.collected),
            collected_planned=int(r.collected_planned),
            measured_on=measured_on,
        )
        for r in _rows(actuals)
    ]
    with store.engine.begin() as c:
        c.execute(plan_actuals.delete().where(plan_actuals.c.plan_id == plan_id))
        if rows:
            c.execute(plan_actuals.insert(), rows)


def read_actuals(store: RunStore, plan_id: str) -> pd.DataFrame:
    with store.engine.connect() as c:
        got = c.execute(sa.select(plan_actuals).where(plan_actuals.c.plan_id == plan_id)).mappings()
        return pd.DataFrame([dict(r) for r in got], columns=[c.name for c in plan_actuals.columns])
