"""Collection plans: the collections expected in the coming week (per day) or month (per week),
per collector and customer, and plan against actual once the period has run.

``arsync plan`` and the nightly's ``reports`` stage call :func:`make_plan`.  A plan made on the
run's as-of date D covers (D, D + 7 days] (``week``) or D + 1 to the last day of the calendar
month after D's (``month``: made at a month's end, the whole next month, as collectors plan a
month; made mid-month, the rest of this month with it).  Every open
debit item gets an expected collection date from :mod:`arsync.jobs.engine.paydate` (portal
stage, promise to pay, the customer's history, else the due date — each with its basis and
confidence) and the learned probability of being collected within the period; the items whose
date falls in the period are the plan — except an item nothing is known of whose due date has
passed (the estimate says "tomorrow" for want of anything better: no plan, probability 0).  The plan is kept in the run store (``plans``,
``plan_items``); :func:`measure_actuals` compares each plan with what SAP cleared since.

Targets per collector come from ``plans.targets.<week|month>`` (major units of
``plans.currency``).  To close a gap, the items to work are ranked by the expected value of a
contact: amount × (1 − probability of being collected in the period anyway) × the share a
contact moves (``REACH``: our convention, not a published figure).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from arsync.common.errors import DataError
from arsync.common.money import decimals
from arsync.jobs.engine import paydate
from arsync.jobs.pipeline import supervision_store as ss
from arsync.jobs.pipeline.runstore import RunStore
from arsync.jobs.pipeline.supervision import RunFrames, complete_from
from arsync.reports.plan_data import PlanData
from arsync.reports.plan_data import buckets as buckets  # the plan's columns, for callers

KINDS = ("week", "month")
KEY = paydate.KEY
#: the share of an item's chance a contact moves, by where its date comes from [our convention]
REACH = {"promise": 0.6, "history": 0.4, "due_date": 0.4, "portal": 0.2}
#: findings a contact does not move (a person must act first)
NOT_WORKABLE = ("AMBIGUOUS", "UNAPPLIED_CREDIT")


def period(as_of: date, kind: str) -> tuple[date, date]:
    """The plan's first and last day: (D + 1, D + 7) for a week; for a month (D + 1, the last
    day of the calendar month after D's) — as of 2026-11-30 the plan is 12-01 … 12-31, as of
    2026-11-16 it is 11-17 … 12-31 (a month plan is a calendar month's: collectors plan the
    coming month at a month's end)."""
    if kind not in KINDS:
        raise DataError(f"plan {kind!r}: use one of {', '.join(KINDS)}")
    first = as_of + timedelta(days=1)
    if kind == "week":
        return first, as_of + timedelta(days=7)
    after_next = date(as_of.year + as_of.month // 12, as_of.month % 12 + 1, 1) + timedelta(days=32)
    return first, after_next.replace(day=1) - timedelta(days=1)


def promises_of(store: RunStore) -> pd.DataFrame | None:
    """Open promises to pay from the collector's-day tables: ``KEY + promise_date``."""
    try:
        from arsync.jobs.pipeline.daytables import promises
    except ImportError:  # pragma: no cover - before the collector's day
        return None
    import sqlalchemy as sa

    q = sa.select(promises.c.item_key, promises.c.promised_date).where(
        promises.c.ended.is_(None), promises.c.state == "open"
    )
    with store.engine.connect() as c:
        got = c.execute(q).all()
    if not got:
        return None
    df = pd.DataFrame(got, columns=["item_key", "promise_date"])
    parts = df["item_key"].str.split("|", expand=True)
    for i, k in enumerate(KEY):
        df[k] = parts[i]
    df["promise_date"] = pd.to_datetime(df["promise_date"])
    return df[[*KEY, "promise_date"]]


def make_plan(
    settings, store: RunStore, frames: RunFrames, kind: str = "week", *, keep: bool = True
) -> PlanData:
    """Estimate every open debit item of the run and keep the plan in the run store."""
    first, last = period(frames.as_of, kind)
    since = complete_from(settings, frames.as_of, frames.cleared_items)
    stages = ss.read_stages(store)
    model = paydate.learn(
        frames.open_items, frames.cleared_items, frames.customers, stages, frames.as_of, since
    )
    wl = frames.worklist
    wl = wl[(wl["local_amount"] > 0) & (wl["special_gl"] == "")].reset_index(drop=True)
    est = paydate.estimate(wl, model, stages=stages, promises=promises_of(store), horizon=last)
    items = wl[
        [
            *KEY,
            "customer",
            "customer_name",
            "collector",
            "segment",
            "local_currency",
            "local_amount",
            "finding",
            "due_date",
        ]
    ].rename(
        columns={"customer_name": "name", "local_currency": "currency", "local_amount": "amount"}
    )
    items = items.merge(est, on=KEY, how="left")
    items["probability"] = items.pop("p_by_horizon").fillna(0.0).clip(0, 1)
    # nothing known and the due date passed: the estimate's "tomorrow" is no plan
    unknown = (items["source"] == "due_date") & (items["due_date"] < pd.Timestamp(first))
    items.loc[unknown, "probability"] = 0.0
    items["in_plan"] = ~unknown & items["expected_date"].between(
        pd.Timestamp(first), pd.Timestamp(last), inclusive="both"
    )
    cur = settings.plans.currency
    scale = 10 ** decimals(cur)
    targets = {
        str(k): round(float(v) * scale) for k, v in settings.plans.targets.get(kind, {}).items()
    }
    plan_id = f"{kind}-{frames.as_of.isoformat()}"
    data = PlanData(
        plan_id,
        kind,
        frames.as_of,
        first,
        last,
        items,
        targets,
        cur,
        run_id=frames.run.run_id,
        language=settings.reports.language,
    )
    data.work = to_work(data)
    if keep:
        ss.save_plan(
            store, plan_id, kind, first, last, frames.as_of, frames.run.run_id, data.planned
        )
        data.actual = latest_actual(store, kind, frames.as_of)
    return data


def to_work(data: PlanData, n: int = 50) -> pd.DataFrame:
    """The items to contact to close each collector's gap to target, highest expected value of
    a contact first: ``collector, KEY, customer, name, amount, expected_date, source,
    probability, value`` (minor units); only collectors below target (all when no target)."""
    it = data.items[
        ~data.items["finding"].isin(NOT_WORKABLE) & (data.items["currency"] == data.currency)
    ]
    it = it.assign(
        value=(it["amount"] * (1 - it["probability"]) * it["source"].map(REACH).fillna(0.3))
    )
    expected = (it["amount"] * it["probability"]).groupby(it["collector"]).sum()
    short = {c: t - int(expected.get(c, 0)) for c, t in data.targets.items()}
    if data.targets:
        it = it[it["collector"].map(lambda c: short.get(c, 0) > 0)]
    cols = [
        "collector",
        *KEY,
        "customer",
        "name",
        "amount",
        "expected_date",
        "source",
        "probability",
        "value",
    ]
    it = it.sort_values(["collector", "value"], ascending=[True, False])
    return it.groupby("collector").head(n)[cols].reset_index(drop=True)


def measure_actuals(store: RunStore, frames: RunFrames) -> list[str]:
    """Bring plan against actual up to date for every plan whose period has begun: per
    collector, customer and currency what was planned, expected (weighted by probability) and
    collected (debit items cleared in SAP from the plan's first day to the earlier of its last
    day and the run's as-of date).  Returns the plan ids measured."""
    cleared = frames.cleared_items
    cleared = cleared[(cleared["local_amount"] > 0) & (cleared["special_gl"] == "")]
    coll = frames.customers.drop_duplicates("customer").set_index("customer")["collector"]
    done = []
    for p in ss.open_plans(store, frames.as_of):
        if p["period_start"] <= frames.as_of - timedelta(days=400):
            break
        lo, hi = pd.Timestamp(p["period_start"]), pd.Timestamp(min(p["period_end"], frames.as_of))
        got = cleared[cleared["clearing_date"].between(lo, hi)]
        got = got.assign(
            collector=got["customer"].map(coll).fillna("").astype(object),
            currency=got["local_currency"],
        )
        items = ss.plan_rows(store, p["plan_id"])
        actual = actuals(items, got)
        ss.write_actuals(store, p["plan_id"], frames.as_of, actual)
        done.append(p["plan_id"])
    return done


def actuals(plan_items: pd.DataFrame, cleared: pd.DataFrame) -> pd.DataFrame:
    """Plan against actual from a plan's items and the items cleared in its period (both with
    ``KEY, customer, collector, currency``; amounts in ``amount`` / ``local_amount``)."""
    by = ["collector", "customer", "currency"]
    p = plan_items.assign(expected=plan_items["amount"] * plan_items["probability"])
    planned = p.groupby(by)[["amount", "expected"]].sum().rename(columns={"amount": "planned"})
    c = cleared.assign(amount=cleared["local_amount"])
    in_plan = c.merge(plan_items[KEY], on=KEY, how="inner")
    collected = c.groupby(by)["amount"].sum().rename("collected")
    collected_planned = in_plan.groupby(by)["amount"].sum().rename("collected_planned")
    out = pd.concat([planned, collected, collected_planned], axis=1).fillna(0).reset_index()
    for col in ("planned", "expected", "collected", "collected_planned"):
        out[col] = out[col].round().astype("int64")
    return out[[*by, "planned", "expected", "collected", "collected_planned"]]


def latest_actual(store: RunStore, kind: str, as_of: date) -> pd.DataFrame | None:
    """Plan against actual of the newest earlier plan of ``kind`` (``None`` when none)."""
    for p in ss.open_plans(store, as_of):
        if p["kind"] == kind and p["as_of"] < as_of:
            a = ss.read_actuals(store, p["plan_id"])
            return a.assign(plan_id=p["plan_id"]) if len(a) else None
    return None
