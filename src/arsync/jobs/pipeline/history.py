"""Contact history: what collectors type, recorded as dated changes in the run store.

At every refresh the entries of each collector's workbook (:func:`arsync.reports.entries.
read_all_entries`) are compared with the last value the history holds for the same collector,
item and field.  A value seen for the first time is ``new``, a different one an ``edit`` (with
the ``previous`` value), an emptied cell ``cleared``; an unchanged value adds nothing, so the
history never double-counts.  Events that are not typed (a statement issued or answered, a
reminder sent) are added with :func:`record_event`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd
import sqlalchemy as sa

from arsync.common import clock
from arsync.jobs.pipeline.daytables import contact_history as H
from arsync.jobs.pipeline.runstore import RunStore, runs

HISTORY_COLUMNS = [
    "entry_id",
    "run_id",
    "as_of",
    "collector",
    "customer",
    "item_key",
    "field",
    "value",
    "previous",
    "change",
    "source",
]


def latest_values(
    conn: sa.Connection, collectors: Iterable[str]
) -> dict[tuple[str, str, str], tuple[str | None, str]]:
    """(collector, item key, field) → (last value or None when cleared, customer), worksheet
    entries only."""
    names = list(collectors)
    if not names:
        return {}
    last = (
        sa.select(sa.func.max(H.c.entry_id).label("entry_id"))
        .where(H.c.source == "worksheet", H.c.collector.in_(names))
        .group_by(H.c.collector, H.c.item_key, H.c.field)
        .subquery()
    )
    rows = conn.execute(
        sa.select(H.c.collector, H.c.item_key, H.c.field, H.c.value, H.c.customer).join(
            last, H.c.entry_id == last.c.entry_id
        )
    )
    return {(r.collector, r.item_key, r.field): (r.value, r.customer) for r in rows}


def previous_as_of(conn: sa.Connection, as_of: date, run_id: str | None) -> date:
    """The as-of date of the last finished run up to ``as_of`` other than this one (``as_of``
    when there is none): what a collector typed since was typed on or after that day."""
    q = sa.select(sa.func.max(runs.c.as_of)).where(
        runs.c.as_of <= as_of, runs.c.status.in_(["ok", "partial"])
    )
    if run_id:
        q = q.where(runs.c.run_id != run_id)
    found = conn.execute(q).scalar()
    return found or as_of


def record_entries(
    store: RunStore,
    entries: pd.DataFrame,
    collectors: Iterable[str],
    *,
    run_id: str | None,
    as_of: date,
) -> pd.DataFrame:
    """Record what changed in ``entries`` (columns collector, item_key, customer, field, value)
    for the workbooks of ``collectors`` that were read; return the rows added.  All in one
    transaction: a run that dies half-way records nothing, and its resume records it all."""
    read = sorted(set(collectors))
    now = clock.now()
    added: list[dict] = []
    with store.engine.begin() as conn:
        before = latest_values(conn, read)
        seen = set()
        for rec in entries.to_dict("records"):
            k = (str(rec["collector"]), str(rec["item_key"]), str(rec["field"]))
            seen.add(k)
            old = before.get(k)
            if old is not None and old[0] == rec["value"]:
                continue
            change = "edit" if old is not None and old[0] is not None else "new"
            customer = rec["customer"] or (old[1] if old else "")
            added.append(
                _row(*k[:1], customer, k[1], k[2], rec["value"], old[0] if old else None, change)
            )
        for (collector, key, field), (value, customer) in sorted(before.items()):
            if value is not None and (collector, key, field) not in seen:
                added.append(_row(collector, customer, key, field, None, value, "cleared"))
        for row in added:
            row.update(run_id=run_id, as_of=as_of, recorded_at=now, source="worksheet")
        if added:
            conn.execute(H.insert(), added)
    return pd.DataFrame(added, columns=[c for c in HISTORY_COLUMNS if c != "entry_id"])


def record_event(
    store: RunStore,
    *,
    collector: str,
    customer: str,
    field: str,
    value: str,
    source: str,
    as_of: date,
    item_key: str = "",
    run_id: str | None = None,
) -> None:
    """Add one event to the history (``change = 'event'``): e.g. field ``statement_issued``
    with the statement number, or (communications) ``reminder_sent`` with its level."""
    with store.engine.begin() as conn:
        conn.execute(
            H.insert().values(
                run_id=run_id,
                as_of=as_of,
                recorded_at=clock.now(),
                collector=collector,
                customer=customer,
                item_key=item_key,
                field=field,
                value=value,
                previous=None,
                change="event",
                source=source,
            )
        )


def contact_log(
    store: RunStore, *, customer: str | None = None, item_key: str | None = None
) -> pd.DataFrame:
    """The history of a customer (every item and the customer as a whole) or of one item,
    oldest first (HISTORY_COLUMNS)."""
    q = sa.select(*(H.c[c] for c in HISTORY_COLUMNS)).order_by(H.c.entry_id)
    if customer is not None:
        q = q.where(H.c.customer == customer)
    if item_key is not None:
        q = q.where(H.c.item_key == item_key)
    with store.engine.connect() as conn:
        rows = conn.execute(q).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=HISTORY_COLUMNS)


def _row(collector, customer, key, field, value, previous, change) -> dict:
    return dict(
        collector=collector,
        customer=customer,
        item_key=key,
        field=field,
        value=value,
        previous=previous,
        change=change,
    )
