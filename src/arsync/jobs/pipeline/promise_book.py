"""Promises to pay typed on the worksheets, kept in the run store and judged at every run.

A promise is the promise date (and, optionally, amount) on an item row: no amount means the
item's full amount.  Promises on several items of one customer for the same date are also
judged together, as the customer's promise (``group_state``).  The rule itself is the pure
:func:`arsync.jobs.engine.promises.judge`; this module finds the promises, keeps their life
in the ``promises`` table and asks the rule for each one the run can see:

- a date or amount seen for the first time on an item is a **new promise**; if the item had
  one, that one ends as ``replaced`` and the new one's ``level`` (SAP's count of promises not
  kept, plus one) goes up unless the old one was kept;
- a promise whose cells were emptied ends as ``withdrawn``;
- a promise is made, at the earliest, on the as-of date of the run before the one that first
  sees it (the collector typed it after that refresh), or on the contact date typed on the
  row when that falls between the two; money paid before does not count for it, and a
  promise without an amount is for what was still open then;
- promises on items the run does not see (another customer's, in a narrowed run, or cleared
  before the cleared-items window) keep their last judgement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import sqlalchemy as sa

from arsync.common.errors import DataError
from arsync.common.money import to_major, to_minor
from arsync.common.parse import ParseError, exact_minor, parse_amount, parse_date
from arsync.config.settings import PromiseSettings
from arsync.jobs.engine.promises import NOT_KEPT, item_payments, judge, judge_group, paid_before
from arsync.jobs.pipeline.daytables import promises as P
from arsync.jobs.pipeline.history import previous_as_of
from arsync.jobs.pipeline.runstore import RunStore
from arsync.reports.entries import formula_shown, formula_value

PROMISE_COLUMNS = [
    "item_key",
    "customer",
    "collector",
    "promised_date",
    "promised_amount",
    "currency",
    "amount_typed",
    "level",
    "state",
    "paid_amount",
    "short_amount",
    "group_key",
    "group_state",
    "made_on",
    "judged_on",
]
PROBLEM_COLUMNS = ["collector", "item_key", "field", "value", "problem"]
KEY_FIELDS = ("company_code", "fiscal_year", "document_no", "line_item")


@dataclass(frozen=True)
class PromiseBook:
    promises: pd.DataFrame  # every live promise after this run (PROMISE_COLUMNS)
    problems: pd.DataFrame  # entries that could not be read as a promise (PROBLEM_COLUMNS)
    judged: int  # promises judged by this run
    new: int  # promises seen for the first time


def item_facts(open_items: pd.DataFrame, cleared_items: pd.DataFrame) -> pd.DataFrame:
    """Items the run can see, by item key: customer, reference, amount, currency, open."""
    cols = ["customer", "reference", "amount", "currency", *KEY_FIELDS]
    both = pd.concat(
        [open_items[cols].assign(open=True), cleared_items[cols].assign(open=False)],
        ignore_index=True,
    )
    both["item_key"] = _key_series(both)
    return both.drop_duplicates("item_key").set_index("item_key")


def judge_promises(
    store: RunStore,
    entries: pd.DataFrame,
    collectors: list[str],
    *,
    open_items: pd.DataFrame,
    cleared_items: pd.DataFrame,
    worklist: pd.DataFrame,
    as_of: date,
    run_id: str | None,
    settings: PromiseSettings | None = None,
) -> PromiseBook:
    """Find the promises in ``entries`` (read from ``collectors``' workbooks), keep their life
    in the store, judge every promise the run's frames can see; one transaction."""
    settings = settings or PromiseSettings()
    facts = item_facts(open_items, cleared_items)
    typed, problems = _typed_promises(entries, facts, as_of)
    seen_keys = set(facts.index)
    pays = item_payments(
        [_split(k) for k in {t["item_key"] for t in typed}], open_items, cleared_items, worklist
    )
    with store.engine.begin() as conn:
        since = previous_as_of(conn, as_of, run_id)
        latest = _latest(conn, seen_keys)
        inserts, updates = [], []
        live: dict[str, dict] = {}
        for key, old in latest.items():
            if old["ended"] is None:
                live[key] = dict(old)
        new = 0
        for t in typed:
            old = latest.get(t["item_key"]) or {}
            contacted = t.pop("contact_date", None)
            live_old = bool(old) and old["ended"] is None
            if (
                live_old
                and old["promised_date"] == t["promised_date"]
                and old["amount_typed"] == t["amount_typed"]
            ):
                made_on = old["made_on"]  # the same promise: judged from when it was made
            elif contacted is not None and since <= contacted <= as_of:
                made_on = contacted
            else:
                made_on = since
            if not t["amount_typed"]:
                t["promised_amount"] -= paid_before(pays[_split(t["item_key"])], made_on)
                if t["promised_amount"] <= 0:
                    continue  # nothing was left to promise: the item was paid before
            same = (
                live_old
                and old["promised_date"] == t["promised_date"]
                and old["promised_amount"] == t["promised_amount"]
            )
            if same:
                live[t["item_key"]]["collector"] = t["collector"]
                continue
            if live_old:
                updates.append({"promise_id": old["promise_id"], "ended": "replaced"})
            level = 1 if not old else old["level"] + (old["state"] not in ("kept", "kept_pending"))
            rec = {
                **t,
                "level": level,
                "made_on": made_on,
                "made_run": run_id,
                "ended": None,
                "group_key": f"{t['customer']}|{t['promised_date'].isoformat()}|{t['currency']}",
            }
            live[t["item_key"]] = rec
            new += 1
        typed_keys = {t["item_key"] for t in typed}
        read = set(collectors)
        for key, rec in list(live.items()):
            if key not in typed_keys and rec["collector"] in read:
                if "promise_id" in rec:
                    updates.append({"promise_id": rec["promise_id"], "ended": "withdrawn"})
                del live[key]
        _judge_all(live, worklist, open_items, cleared_items, as_of, settings)
        for rec in live.values():
            row = {c: rec[c] for c in PROMISE_COLUMNS if c != "item_key"} | {
                "item_key": rec["item_key"],
                "made_run": rec.get("made_run"),
                "ended": None,
            }
            if "promise_id" in rec:
                updates.append({"promise_id": rec["promise_id"], **row})
            else:
                inserts.append(row)
        for u in updates:
            conn.execute(
                P.update()
                .where(P.c.promise_id == u["promise_id"])
                .values(**{k: v for k, v in u.items() if k != "promise_id"})
            )
        if inserts:
            conn.execute(P.insert(), inserts)
        judged = len(live)
    return PromiseBook(live_promises(store), problems, judged, new)


def live_promises(store: RunStore) -> pd.DataFrame:
    """Every promise not replaced or withdrawn, one per item (PROMISE_COLUMNS)."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(*(P.c[c] for c in PROMISE_COLUMNS))
            .where(P.c.ended.is_(None))
            .order_by(P.c.promise_id)
        ).all()
    df = pd.DataFrame([tuple(r) for r in rows], columns=PROMISE_COLUMNS)
    return df.drop_duplicates("item_key", keep="last").reset_index(drop=True)


def promise_counts(promises: pd.DataFrame) -> pd.DataFrame:
    """Per collector and state: promises and their promised amount per currency (minor units)."""
    if promises.empty:
        return pd.DataFrame(columns=["collector", "state", "currency", "promises", "promised"])
    g = promises.groupby(["collector", "state", "currency"], sort=True)
    return g.agg(promises=("item_key", "size"), promised=("promised_amount", "sum")).reset_index()


def not_kept_keys(promises: pd.DataFrame) -> set[str]:
    """Items whose live promise is partly kept or broken (they move up in priority)."""
    return set(promises.loc[promises["state"].isin(NOT_KEPT), "item_key"])


# --- internals ---------------------------------------------------------------------------------


def read_day(text: object, as_of: date) -> date | None:
    """A date a collector typed (``2026-12-05``, ``2026/12/5``, ``12月5日`` in the as-of year,
    ...; :func:`arsync.common.parse.parse_date`); raises ``ParseError`` quoting it."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return None
    return parse_date(text, year=as_of.year)


def _typed_promises(
    entries: pd.DataFrame, facts: pd.DataFrame, as_of: date
) -> tuple[list[dict], pd.DataFrame]:
    """The promises typed on items the run sees, and the cells that could not be read."""
    fields = ["promise_date", "promise_amount", "contact_date"]
    e = entries[entries["field"].isin(fields) & entries["item_key"].isin(facts.index)]
    wide = e.pivot_table(
        index=["collector", "item_key"], columns="field", values="value", aggfunc="last"
    )
    problems: list[tuple] = []
    out: list[dict] = []
    if wide.empty:
        return out, pd.DataFrame(problems, columns=PROBLEM_COLUMNS)
    for rec in wide.reindex(columns=fields).reset_index().to_dict("records"):
        key, collector = rec["item_key"], rec["collector"]
        fact = facts.loc[key]
        field = "promise_date"
        try:
            day = read_day(rec["promise_date"], as_of)
            if day is None:
                if not pd.isna(rec["promise_amount"]):
                    raise ParseError("a promise", rec["promise_amount"], "an amount without a date")
                continue
            field = "promise_amount"
            typed_amount = _typed_amount(rec["promise_amount"], fact)
            amount = int(abs(fact["amount"]))
            if typed_amount is not None:
                computed = str(rec["promise_amount"]).startswith("=")  # rounded as shown
                amount = (to_minor if computed else exact_minor)(typed_amount, fact["currency"])
                if amount <= 0:
                    raise ParseError("an amount", rec["promise_amount"], "not a positive amount")
            try:
                contacted = read_day(rec["contact_date"], as_of)
            except ParseError:
                contacted = None  # a contact date that is not a date only loses its precision
        except (ParseError, DataError) as exc:
            problems.append((collector, key, field, rec[field], str(exc)))
            continue
        out.append(
            {
                "item_key": key,
                "customer": fact["customer"],
                "collector": collector,
                "promised_date": day,
                "promised_amount": amount,
                "currency": fact["currency"],
                "amount_typed": typed_amount is not None,
                "contact_date": contacted,
            }
        )
    return out, pd.DataFrame(problems, columns=PROBLEM_COLUMNS)


def _typed_amount(raw: object, fact: pd.Series) -> Decimal | None:
    """A promise amount as typed (``¥12,000.00``), or computed from a formula on the item's own
    row (``=J5*0.5`` kept as ``=⟦amount⟧*0.5``: half the item's amount); raises
    ``ParseError`` for what cannot be read, showing a formula as the collector reads it."""
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return None
    text = str(raw)
    if not text.startswith("="):
        return parse_amount(raw)
    amount = to_major(int(fact["amount"]), fact["currency"])
    value = formula_value(text, {"amount": amount})
    if value is None:
        raise ParseError("an amount", formula_shown(text), "a formula arsync cannot compute")
    return value


def _latest(conn: sa.Connection, keys: set[str]) -> dict[str, dict]:
    """The newest promise row per item key among ``keys``."""
    if not keys:
        return {}
    out: dict[str, dict] = {}
    ordered = sorted(keys)
    for i in range(0, len(ordered), 500):
        chunk = ordered[i : i + 500]
        rows = conn.execute(
            sa.select(P).where(P.c.item_key.in_(chunk)).order_by(P.c.promise_id)
        ).mappings()
        for r in rows:
            out[r["item_key"]] = dict(r)
    return out


def _split(key: str) -> tuple[str, str, str, str]:
    cc, year, doc, line = key.split("|")
    return cc, year, doc, line


def _judge_all(
    live: dict[str, dict], worklist, open_items, cleared_items, as_of: date, s: PromiseSettings
) -> None:
    pays = item_payments([_split(k) for k in live], open_items, cleared_items, worklist)
    groups: dict[str, list[str]] = {}
    for key, rec in live.items():
        j = judge(
            rec["promised_amount"],
            rec["promised_date"],
            as_of,
            pays[_split(key)],
            grace_days=s.grace_days,
            tolerance=s.amount_tolerance,
            made_on=rec["made_on"],
        )
        rec.update(state=j.state, paid_amount=j.paid, short_amount=j.short, judged_on=as_of)
        groups.setdefault(rec["group_key"], []).append(key)
    for members in groups.values():
        first = live[members[0]]
        if len(members) == 1:
            first["group_state"] = first["state"]
            continue
        g = judge_group(
            [live[k]["promised_amount"] for k in members],
            first["promised_date"],
            as_of,
            [p for k in members for p in pays[_split(k)]],
            grace_days=s.grace_days,
            tolerance=s.amount_tolerance,
            made_on=min(live[k]["made_on"] for k in members),
        )
        for k in members:
            live[k]["group_state"] = g.state


def _key_series(df: pd.DataFrame) -> pd.Series:
    return (
        df["company_code"].astype(str)
        + "|"
        + df["fiscal_year"].astype(str)
        + "|"
        + df["document_no"].astype(str)
        + "|"
        + df["line_item"].astype(str)
    )


def window_end(promised_date: date, settings: PromiseSettings) -> date:
    return promised_date + timedelta(days=settings.grace_days)
