"""The collector's-day stages of a run: ``history`` (entries → contact history, promises judged,
disputes kept) and the worksheet's view of them.  Plain functions over the stage context, as
in :mod:`arsync.jobs.pipeline.stages`."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import sqlalchemy as sa

from arsync.common.parse import ParseError
from arsync.jobs.engine.promises import raise_priority
from arsync.jobs.pipeline.daytables import statements as S
from arsync.jobs.pipeline.dispute_book import register, sync_disputes
from arsync.jobs.pipeline.history import record_entries
from arsync.jobs.pipeline.promise_book import item_facts, judge_promises, not_kept_keys, read_day
from arsync.reports.worksheet_day import DayView

#: Resolved disputes stay on the Disputes sheet this many days.
RESOLVED_SHOWN_DAYS = 30


def history_stage(ctx) -> tuple[dict, str]:
    """Read what collectors typed, record what changed, judge promises, keep disputes, and move
    items with a broken or partly kept promise up in priority."""
    from arsync.reports.entries import read_all_entries

    store, s = ctx.store, ctx.settings
    entries, read = read_all_entries(ctx.out / "worksheets")
    changes = record_entries(store, entries, read, run_id=ctx.run_id, as_of=ctx.as_of)
    oi, ci, wl = ctx.frames["open_items"], ctx.frames["cleared_items"], ctx.frames["worklist"]
    book = judge_promises(
        store,
        entries,
        read,
        open_items=oi,
        cleared_items=ci,
        worklist=wl,
        as_of=ctx.as_of,
        run_id=ctx.run_id,
        settings=s.promises,
    )
    disputes = sync_disputes(
        store,
        entries,
        read,
        facts=item_facts(oi, ci),
        cleared_items=ci,
        as_of=ctx.as_of,
        run_id=ctx.run_id,
        reasons=s.disputes.reasons,
    )
    keys = (
        wl["company_code"]
        + "|"
        + wl["fiscal_year"]
        + "|"
        + wl["document_no"]
        + "|"
        + wl["line_item"]
    )
    bumped = keys.isin(not_kept_keys(book.promises))
    wl = wl.assign(
        priority=raise_priority(wl["priority"], bumped, s.promises.broken_priority_steps)
    )
    ctx.frames["worklist"] = wl
    ctx.frames["promises"] = book.promises
    ctx.frames["promise_problems"] = book.problems
    ctx.frames["follow_ups"] = _follow_ups(entries, ctx.as_of)
    ctx.frames["disputes"] = _with_names(
        register(store, resolved_since=ctx.as_of - timedelta(days=RESOLVED_SHOWN_DAYS)),
        ctx.frames.get("customers"),
    )
    for p in book.problems.itertuples(index=False):
        ctx.echo(f"  history: {p.collector}, item {p.item_key}, {p.field} {p.value!r}: {p.problem}")
    states = book.promises["state"].value_counts().to_dict() if len(book.promises) else {}
    counts = {
        "workbooks": len(read),
        "changes": len(changes),
        "promises": len(book.promises),
        "new_promises": book.new,
        **{f"promises_{k}": int(v) for k, v in sorted(states.items())},
        "disputes_open": int(disputes.open_disputes["resolution"].isna().sum()),
        "disputes_opened": disputes.opened,
        "disputes_resolved": disputes.resolved,
        "priority_raised": int(bumped.sum()),
    }
    return counts, "ok"


def statements_stage(ctx) -> tuple[dict, str]:
    """Statements by rule (``[statements] nightly`` and ``customers``) into the run folder's
    ``statements/``: numbered, recorded, in the contact history."""
    from arsync.jobs.pipeline.statement_book import chosen_customers, due_today, issue_statements

    s = ctx.settings.statements
    if ctx.scope.narrowed or not due_today(ctx.store, ctx.as_of, s.nightly):
        return {"statements": 0}, "ok"
    wl = ctx.frames["worklist"]
    chosen = chosen_customers(wl, s.customers, s.min_days_overdue)
    folder = ctx.folder / "statements"
    # one statement per customer and company code: a customer of two company codes gets two
    customers = int(wl.loc[wl["customer"].isin(chosen), "customer"].nunique())

    def progress(done: int, total: int) -> None:
        if done == total:  # the summary's statements= and customers= explained
            ctx.echo(
                f"  statements: {done}/{total} (one per customer and company code, "
                f"{customers} customers)"
            )
        elif done % max(1, total // 5) == 0:
            ctx.echo(f"  statements: {done}/{total}")

    issued = issue_statements(
        ctx.store,
        wl,
        ctx.frames["customers"],
        settings=ctx.settings,
        as_of=ctx.as_of,
        folder=folder,
        only=chosen,
        run_id=ctx.run_id,
        progress=progress,
    )
    if issued:
        ctx.summary["statements_dir"] = str(folder)
    counts = {
        "statements": sum(i.new for i in issued),
        "customers": len({i.customer for i in issued}),
    }
    if any(not i.new for i in issued):  # issued before (a resumed run): the same numbers
        counts["issued_before"] = sum(not i.new for i in issued)
    return counts, "ok"


def summary_lines(ctx) -> list[str]:
    """The run summary's lines on promises (per collector and state) and disputes."""
    from arsync.jobs.pipeline.promise_book import promise_counts

    lines = []
    counts = promise_counts(ctx.frames["promises"])
    for collector, g in counts.groupby("collector", sort=True):
        per = ", ".join(f"{r['state']} {r['promises']}" for r in g.to_dict("records"))
        lines.append(f"  promises {collector}: {per}")
    d = ctx.frames.get("disputes")
    if d is not None and len(d):
        still = d[d["resolution"].isna()]
        lines.append(f"  disputes open: {len(still)} ({still['collector'].nunique()} collectors)")
    return lines


def day_view(ctx) -> DayView:
    """What the worksheets show of promises, disputes and statements."""
    language = ctx.settings.reports.language
    reasons = {
        r.code: {"zh": r.zh, "en": r.en}.get(language, f"{r.zh} {r.en}")
        for r in ctx.settings.disputes.reasons
    }
    return DayView(
        promises=ctx.frames.get("promises", pd.DataFrame()),
        follow_ups=ctx.frames.get("follow_ups", pd.DataFrame()),
        problems=ctx.frames.get("promise_problems", pd.DataFrame()),
        disputes=ctx.frames.get("disputes", pd.DataFrame()),
        statements=last_statements(ctx.store),
        reason_labels=reasons,
    )


def last_statements(store) -> pd.DataFrame:
    """The newest statement per customer: customer, statement_no, as_of, status."""
    cols = ["customer", "statement_no", "as_of", "status"]
    if store is None:
        return pd.DataFrame(columns=cols)
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(S.c.customer, S.c.statement_no, S.c.as_of, S.c.status).order_by(
                S.c.issued_at, S.c.statement_no
            )
        ).all()
    df = pd.DataFrame([tuple(r) for r in rows], columns=cols)
    return df.drop_duplicates("customer", keep="last").reset_index(drop=True)


def _follow_ups(entries: pd.DataFrame, as_of) -> pd.DataFrame:
    """Next follow-up dates typed on items (cells that are no date are left out)."""
    rows = []
    for key, value in zip(
        *(entries.loc[entries["field"] == "next_follow_up", c] for c in ("item_key", "value"))
    ):
        try:
            day = read_day(value, as_of)
        except ParseError:
            continue
        if day is not None:
            rows.append((key, pd.Timestamp(day)))
    return pd.DataFrame(rows, columns=["item_key", "next_follow_up"])


def _with_names(register_df: pd.DataFrame, customers) -> pd.DataFrame:
    names = (
        customers.drop_duplicates("customer").set_index("customer")["name"]
        if customers is not None and len(customers)
        else pd.Series(dtype=object)
    )
    return register_df.assign(
        customer_name=register_df["customer"].map(names).fillna("").astype(object)
    )
