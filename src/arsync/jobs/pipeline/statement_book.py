"""Statements (对账单) issued and answered: numbers, what each contained, the customer's answer.

- **Numbers** are ``<prefix><year><6-digit sequence>`` (``DZD2026000001``), the sequence per
  year of the as-of date; a number is taken, its statement and lines recorded and its files
  written in one transaction, so that no number is given twice and none is recorded for a
  statement that was not written (a unique constraint guards the sequence across processes).
- **Answers**: :func:`confirm` records confirmed / disputed with a note and keeps the signed
  file beside the statement (``<number>.signed<ext>``); a disputed answer with lines opens a
  dispute on each of them (source ``statement``).
- **By rule** in the nightly (:func:`due_today`, :func:`chosen_customers`): ``statements.
  nightly`` says when (daily, the first run of each ISO week or month, never) and
  ``statements.customers`` for whom (every customer with items overdue at least
  ``min_days_overdue`` days, or every customer with open items).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from arsync.common import clock
from arsync.common.errors import DataError
from arsync.config.settings import Settings
from arsync.jobs.engine.priority import bucket_labels
from arsync.jobs.pipeline.daytables import statement_lines as SL
from arsync.jobs.pipeline.daytables import statements as S
from arsync.jobs.pipeline.dispute_book import open_dispute
from arsync.jobs.pipeline.history import record_event
from arsync.jobs.pipeline.runstore import RunStore
from arsync.reports.statements import Statement, build_statements, statement_scopes, write_statement

ANSWERS = ("confirmed", "disputed")


@dataclass(frozen=True)
class Issued:
    """A statement written: ``new`` is False when the same statement (customer, company code,
    as-of date and lines) had been issued before and its number was given again."""

    number: str
    customer: str
    company_code: str
    collector: str
    items: int
    totals: dict[str, int]  # balance per currency, minor units
    xlsx: Path
    pdf: Path
    new: bool = True


def issue_statements(
    store: RunStore,
    worklist: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    settings: Settings,
    as_of: date,
    folder: str | Path,
    only: list[str] | None = None,
    language: str | None = None,
    run_id: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Issued]:
    """Number, write and record a statement per customer and company code with open items in
    ``worklist`` (``only``: these customers).  Files go to ``folder``.

    Nothing is issued twice: a statement whose customer, company code, as-of date and lines
    (item, reference, dates, amount, currency) equal one issued before gets that number again
    and its files written again in ``folder`` (in ``language``), with no new number, record or
    history entry (``Issued.new`` is False)."""
    lang = language or settings.statements.language or settings.reports.language
    wl = worklist if only is None else worklist[worklist["customer"].isin(only)]
    scopes = statement_scopes(wl)
    if not scopes:
        return []
    year = as_of.year
    prefix = settings.statements.number_prefix
    issued: list[Issued] = []
    with store.engine.begin() as conn:
        last = conn.execute(sa.select(sa.func.max(S.c.seq)).where(S.c.year == year)).scalar() or 0
        drafts = list(
            build_statements(
                wl,
                customers,
                scopes,
                {sc: "" for sc in scopes},
                as_of=as_of,
                company=settings.company,
                settings=settings.statements,
                language=lang,
                buckets=bucket_labels(settings.reconcile.aging_limits),
            )
        )
        before = _issued_before(conn, drafts, as_of)
        statements, seqs = [], {}
        for st in drafts:
            number = before.get(_content(st))
            if number is None:
                last += 1
                number = f"{prefix}{year}{last:06d}"
                seqs[number] = last
            statements.append(replace(st, number=number))
        rows, lines = [], []
        now = clock.now()
        written = write_statements(
            statements,
            folder,
            font=settings.statements.font or None,
            templates_dir=settings.statements.templates_dir,
            workers=settings.statements.workers,
        )
        for i, (st, (xlsx, pdf)) in enumerate(written, 1):
            totals = {c: t["balance"] for c, t in st.totals().items()}
            new = st.number in seqs
            issued.append(
                Issued(
                    st.number,
                    st.customer,
                    st.company_code,
                    st.collector,
                    len(st.items) + len(st.credits),
                    totals,
                    xlsx,
                    pdf,
                    new,
                )
            )
            if new:
                rows.append(_row(st, year, seqs[st.number], now, run_id, totals, xlsx, pdf))
                lines.extend(_lines(st))
            if progress:
                progress(i, len(scopes))
        if rows:
            conn.execute(S.insert(), rows)
            conn.execute(SL.insert(), lines)
    for it in issued:
        if not it.new:
            continue
        record_event(
            store,
            collector=it.collector,
            customer=it.customer,
            field="statement_issued",
            value=it.number,
            source="statement",
            as_of=as_of,
            run_id=run_id,
        )
    return issued


def _content(st: Statement) -> tuple:
    """What makes two statements the same: customer, company code, as-of date and lines."""
    return (st.customer, st.company_code, st.as_of, _line_set(_lines(st)))


def _line_set(lines) -> tuple:
    keys = ("item_key", "reference", "document_date", "due_date", "amount", "currency")
    return tuple(
        sorted(tuple(str(ln[k]) if ln[k] is not None else "" for k in keys) for ln in lines)
    )


def _issued_before(conn, drafts: list[Statement], as_of: date) -> dict[tuple, str]:
    """The numbers of statements already issued as of ``as_of`` to these customers, by content
    (the first issued when, before this rule, one was issued twice)."""
    customers = sorted({st.customer for st in drafts})
    found = conn.execute(
        sa.select(S.c.statement_no, S.c.customer, S.c.company_code, S.c.as_of)
        .where(S.c.as_of == as_of, S.c.customer.in_(customers))
        .order_by(S.c.year, S.c.seq)
    ).all()
    if not found:
        return {}
    held: dict[str, list[dict]] = {}
    for ln in conn.execute(
        sa.select(SL).where(SL.c.statement_no.in_([r[0] for r in found]))
    ).mappings():
        held.setdefault(ln["statement_no"], []).append(ln)
    out: dict[tuple, str] = {}
    for number, customer, code, day in found:
        out.setdefault((customer, code, day, _line_set(held.get(number, []))), number)
    return out


#: Fewer statements than this are drawn in the job's own process: starting workers (each
#: imports ReportLab and reads the font) costs more than it saves.
POOL_FROM = 200


def write_statements(
    statements: list[Statement],
    folder: str | Path,
    *,
    font: str | None = None,
    templates_dir: str = "",
    workers: int = 0,
    pool_from: int = POOL_FROM,
) -> Iterator[tuple[Statement, tuple[Path, Path]]]:
    """Write each statement's xlsx and PDF into ``folder``, yielding ``(statement, (xlsx,
    pdf))`` in order as they are done.  From ``pool_from`` statements on and with ``workers``
    ≠ 1 (0: one per core), worker processes draw them (spawned, never forked: the nightly's
    process runs threads); drawing is CPU-bound (ReportLab, openpyxl) and the GIL keeps
    threads to one core.  A worker's error is raised here as it would be in process."""
    n = workers or os.cpu_count() or 1
    if n <= 1 or len(statements) < max(pool_from, 2):
        for st in statements:
            yield st, write_statement(st, folder, font, templates_dir)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    draw = partial(write_statement, folder=folder, font=font, templates_dir=templates_dir)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(n, len(statements)), mp_context=ctx) as pool:
        chunk = max(1, min(32, len(statements) // (4 * n)))
        yield from zip(statements, pool.map(draw, statements, chunksize=chunk))


def confirm(
    store: RunStore,
    customer: str,
    number: str,
    status: str,
    *,
    as_of: date,
    settings: Settings,
    note: str = "",
    signed_file: str | Path | None = None,
    lines: list[str] = (),  # type: ignore[assignment]
    reason: str = "other",
) -> list[int]:
    """Record the customer's answer to statement ``number``; return the disputes it opened.

    ``lines`` (for ``disputed``): invoice numbers or item keys of the statement in question.
    Raises :class:`DataError` for an unknown statement, another customer's, an unknown
    status or a line the statement does not hold."""
    if status not in ANSWERS:
        raise DataError(f"status {status!r}: use one of {', '.join(ANSWERS)}")
    with store.engine.connect() as conn:
        st = conn.execute(sa.select(S).where(S.c.statement_no == number)).mappings().first()
        held = conn.execute(sa.select(SL).where(SL.c.statement_no == number)).mappings().all()
    if st is None:
        raise DataError(f"no statement {number}")
    if st["customer"] != customer:
        raise DataError(f"statement {number} is customer {st['customer']}'s, not {customer}'s")
    by_ref = {}
    for ln in held:
        by_ref[ln["item_key"]] = ln
        by_ref.setdefault(ln["reference"], ln)
    missing = [x for x in lines if x not in by_ref]
    if missing:
        raise DataError(f"statement {number} holds no line {', '.join(missing)}")
    kept = None
    if signed_file:
        src = Path(signed_file)
        if not src.is_file():
            raise DataError(f"signed file {src} not found")
        kept = Path(st["pdf_path"]).with_name(f"{number}.signed{src.suffix.lower()}")
        shutil.copyfile(src, kept)
    with store.engine.begin() as conn:
        conn.execute(
            S.update()
            .where(S.c.statement_no == number)
            .values(
                status=status,
                answered_on=as_of,
                answer_note=note,
                signed_file=str(kept) if kept else None,
            )
        )
    opened = []
    if status == "disputed":
        for x in lines:
            ln = by_ref[x]
            opened.append(
                open_dispute(
                    store,
                    item_key=ln["item_key"],
                    customer=customer,
                    collector=st["collector"],
                    reference=ln["reference"],
                    amount=int(ln["amount"]),
                    currency=ln["currency"],
                    reason=reason,
                    reasons=settings.disputes.reasons,
                    as_of=as_of,
                    source="statement",
                    statement_no=number,
                    note=note,
                )
            )
    record_event(
        store,
        collector=st["collector"],
        customer=customer,
        field="statement_answer",
        value=f"{number} {status}" + (f": {note}" if note else ""),
        source="statement",
        as_of=as_of,
    )
    return opened


def due_today(store: RunStore, as_of: date, when: str) -> bool:
    """Whether the nightly makes statements today: ``daily``; ``weekly`` / ``monthly`` when no
    nightly statement was made yet in the as-of date's ISO week / month; ``never``."""
    if when == "never":
        return False
    if when == "daily":
        return True
    with store.engine.connect() as conn:
        days = [
            r[0]
            for r in conn.execute(sa.select(S.c.as_of).where(S.c.run_id.is_not(None)).distinct())
        ]
    if when == "weekly":
        return all(d.isocalendar()[:2] != as_of.isocalendar()[:2] for d in days)
    return all((d.year, d.month) != (as_of.year, as_of.month) for d in days)


def chosen_customers(worklist: pd.DataFrame, rule: str, min_days_overdue: int) -> list[str]:
    """Customers a nightly statement goes to: ``overdue`` (an item at least ``min_days_overdue``
    days past due) or ``open`` (any open item)."""
    if rule == "open":
        return sorted(set(worklist["customer"]))
    late = worklist[
        (worklist["amount"] > 0) & (worklist["days_overdue"] >= max(1, min_days_overdue))
    ]
    return sorted(set(late["customer"]))


def statements_of(store: RunStore, customer: str | None = None) -> pd.DataFrame:
    """Recorded statements (newest first)."""
    q = sa.select(S).order_by(S.c.issued_at.desc(), S.c.statement_no.desc())
    if customer:
        q = q.where(S.c.customer == customer)
    with store.engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in S.columns])


def latest_files(store: RunStore) -> dict[str, tuple[Path, ...]]:
    """Customer → the files (PDF first, then xlsx) of its newest statement still on disk: what
    a reminder attaches.  A customer with statements for several company codes gets each
    company code's newest."""
    df = statements_of(store)
    out: dict[str, tuple[Path, ...]] = {}
    for rec in df.drop_duplicates(["customer", "company_code"]).to_dict("records"):
        files = tuple(p for p in (Path(rec["pdf_path"]), Path(rec["xlsx_path"])) if p.is_file())
        if files:
            out[rec["customer"]] = out.get(rec["customer"], ()) + files
    return out


def _row(st: Statement, year, seq, now, run_id, totals, xlsx, pdf) -> dict:
    return dict(
        statement_no=st.number,
        year=year,
        seq=seq,
        customer=st.customer,
        company_code=st.company_code,
        collector=st.collector,
        as_of=st.as_of,
        issued_at=now,
        run_id=run_id,
        language=st.language,
        items=len(st.items) + len(st.credits),
        totals=json.dumps(totals, sort_keys=True),
        xlsx_path=str(xlsx),
        pdf_path=str(pdf),
        status="issued",
        answered_on=None,
        answer_note=None,
        signed_file=None,
    )


def _lines(st: Statement) -> list[dict]:
    out = []
    for i, ln in enumerate(st.items + st.credits, 1):
        out.append(
            dict(
                statement_no=st.number,
                line=i,
                item_key=ln.item_key,
                reference=ln.reference,
                document_date=ln.document_date,
                due_date=ln.due_date,
                amount=ln.amount,
                currency=ln.currency,
                kind="item" if ln.amount > 0 else "credit",
            )
        )
    return out
