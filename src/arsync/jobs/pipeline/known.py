"""Which customers and collectors a run store knows, so that a command can tell a name it has
never seen (an input error, exit 2) from one that simply has nothing to show ("no history").

A name is known when the newest finished whole-portfolio run's customers frame holds it
(``customer``, ``collector``: KNB1-BUSAB or the person it is mapped to), or when a table of the
collector's day names it (contact history, promises, disputes — owners too —, statements, the
outbox): a customer that paid everything since still has its history.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import sqlalchemy as sa

from arsync.common.errors import InputError
from arsync.jobs.pipeline import daytables as dt
from arsync.jobs.pipeline.day_jobs import newest_customers
from arsync.jobs.pipeline.outboxtables import outbox
from arsync.jobs.pipeline.runstore import RunStore, where

#: how many known names an error lists before "… and N more"
SHOWN = 8


def known_customers(store: RunStore) -> set[str]:
    """Customer numbers (internal form) of the newest run and of the collector's-day tables."""
    names = set(newest_customers(store).get("customer", pd.Series(dtype=str)))
    return names | _column_values(
        store,
        dt.contact_history.c.customer,
        dt.promises.c.customer,
        dt.disputes.c.customer,
        dt.statements.c.customer,
        outbox.c.customer,
    )


def known_collectors(store: RunStore) -> set[str]:
    """Collectors of the newest run's customers and of the collector's-day tables (dispute
    owners included)."""
    names = set(newest_customers(store).get("collector", pd.Series(dtype=str)))
    return names | _column_values(
        store,
        dt.contact_history.c.collector,
        dt.promises.c.collector,
        dt.disputes.c.collector,
        dt.disputes.c.owner,
        dt.statements.c.collector,
        outbox.c.collector,
    )


def check_customers(store: RunStore, customers: Iterable[str]) -> None:
    """An unknown customer (internal form) is an :class:`InputError` naming the known ones."""
    check_known(
        store,
        "customer",
        "--customer",
        customers,
        known_customers(store),
        "`arsync aging --by customer` lists the customers with open items",
    )


def check_collectors(store: RunStore, collectors: Iterable[str]) -> None:
    """An unknown collector is an :class:`InputError` naming the known ones."""
    check_known(
        store,
        "collector",
        "--collector",
        collectors,
        known_collectors(store),
        "the names of the worksheets in `<runs.out_dir>/worksheets/`",
    )


def check_known(
    store: RunStore, what: str, option: str, values: Iterable[str], known: set[str], hint: str
) -> None:
    """Raise :class:`InputError` naming the ``values`` not in ``known``, the store, the known
    names (the first :data:`SHOWN`) and, when there are more, ``hint`` (how to list them)."""
    missing = [v for v in values if v and v not in known]
    if not missing:
        return
    listed = sorted(known)
    names = ", ".join(listed[:SHOWN]) + (
        f" … and {len(listed) - SHOWN} more" if len(listed) > SHOWN else ""
    )
    raise InputError(
        f"{option} {', '.join(missing)}: no such {what} in the run store at {where(store)}"
        + (f"; known: {names}" if listed else f"; it knows no {what} yet")
        + (f" ({hint})" if hint and len(listed) > SHOWN else "")
    )


def _column_values(store: RunStore, *columns: sa.Column) -> set[str]:
    out: set[str] = set()
    with store.engine.connect() as conn:
        for col in columns:
            out |= {r[0] for r in conn.execute(sa.select(col).distinct()) if r[0]}
    return out
