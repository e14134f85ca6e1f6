"""Disputes: opened from the worksheets (or a disputed statement, or a command), each with a
reason code from the closed list in ``[disputes] reasons``, an owner, an opening date and, in
the end, a resolution.

- **Opened** when a collector marks an item as disputed (the dispute column says yes, or a
  reason is typed and the column does not say no), when a customer disputes statement lines
  (``arsync statements confirm --status disputed --line ...``), or by ``arsync disputes open``.
  The owner is the item's collector until ``arsync disputes assign`` names another.
- **Opening date**: the contact date typed on the row when it lies between the previous run
  and this one, else the as-of date of the run that first sees the mark.
- **Reason**: the typed reason is matched against the list's codes and labels in both
  languages (``价格不符``, ``Price``, ``price``, or a label followed by more words); anything
  else is ``other``, with the words kept.
- **Resolved** as ``paid`` or ``credit_memo`` when the item is cleared in SAP (a credit memo
  in the same clearing: ``credit_memo``), as ``withdrawn`` when the collector takes the mark
  off a still-open item, or by ``arsync disputes resolve`` (``rebill``, any resolution).

Disputed items leave the reminder flow: :func:`disputed_keys` is what communications asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa

from arsync.common.errors import DataError
from arsync.common.parse import ParseError, parse_date
from arsync.config.settings import DisputeReason
from arsync.jobs.pipeline.daytables import disputes as D
from arsync.jobs.pipeline.history import previous_as_of
from arsync.jobs.pipeline.runstore import RunStore

RESOLUTIONS = ("credit_memo", "rebill", "withdrawn", "paid")
RESOLUTION_LABELS = {
    "credit_memo": ("开红字/贷项通知单", "Credit memo"),
    "rebill": ("重开发票", "Rebill"),
    "withdrawn": ("客户撤回", "Withdrawn"),
    "paid": ("已付款", "Paid"),
}
REGISTER_COLUMNS = [
    "dispute_id",
    "item_key",
    "customer",
    "collector",
    "reference",
    "amount",
    "currency",
    "reason_code",
    "reason_text",
    "owner",
    "opened_on",
    "source",
    "statement_no",
    "resolution",
    "resolved_on",
    "note",
]
_YES = {"是", "yes", "y", "x", "true", "1", "有"}
_NO = {"否", "no", "n", "false", "0", "无"}


@dataclass(frozen=True)
class DisputeBook:
    opened: int
    resolved: int
    open_disputes: pd.DataFrame  # REGISTER_COLUMNS, every dispute still open


def reason_of(text: str, reasons: list[DisputeReason]) -> str:
    """The reason code for what a collector typed (``other`` when nothing on the list fits)."""
    t = re.sub(r"\s+", " ", text).strip().casefold()
    if not t:
        return "other"
    labels = []
    for r in reasons:
        for label in (r.code, r.zh, r.en, f"{r.zh} {r.en}"):
            labels.append((label.casefold(), r.code))
    for label, code in labels:
        if t == label:
            return code
    for label, code in sorted(labels, key=lambda x: -len(x[0])):
        if t.startswith(label) and (
            len(t) == len(label) or not t[len(label)].isalnum() or not label.isascii()
        ):
            return code
    return "other"


def reason_label(code: str, reasons: list[DisputeReason], language: str) -> str:
    for r in reasons:
        if r.code == code:
            return {"zh": r.zh, "en": r.en}.get(language, f"{r.zh} {r.en}")
    return code


def is_flagged(dispute: object, reason: object) -> bool:
    """A dispute mark on a worksheet row: the dispute column says yes (any language), or a
    reason is typed and the column does not say no."""
    first = str(dispute or "").strip().split(" ")[0].casefold()
    if first in _YES:
        return True
    return bool(str(reason or "").strip()) and first not in _NO


def sync_disputes(
    store: RunStore,
    entries: pd.DataFrame,
    collectors: list[str],
    *,
    facts: pd.DataFrame,
    cleared_items: pd.DataFrame,
    as_of: date,
    run_id: str | None,
    reasons: list[DisputeReason],
) -> DisputeBook:
    """Open, update and resolve disputes from the worksheet entries and the run's items
    (``facts``: :func:`promise_book.item_facts`); one transaction."""
    fields = ["dispute", "dispute_reason", "contact_date"]
    e = entries[entries["field"].isin(fields) & entries["item_key"].isin(facts.index)]
    wide = e.pivot_table(
        index=["collector", "item_key"], columns="field", values="value", aggfunc="last"
    )
    wide = (
        wide.reindex(columns=fields).reset_index()
        if not wide.empty
        else pd.DataFrame(columns=["collector", "item_key", *fields])
    )
    marked = {
        r["item_key"]: (r["collector"], _str(r["dispute_reason"]), _day(r["contact_date"], as_of))
        for r in wide.to_dict("records")
        if is_flagged(_str(r["dispute"]), _str(r["dispute_reason"]))
    }
    credit_cleared = _cleared_with_credit_memo(cleared_items)
    read = set(collectors)
    opened = resolved = 0
    with store.engine.begin() as conn:
        since = previous_as_of(conn, as_of, run_id)
        current = {
            r["item_key"]: dict(r)
            for r in conn.execute(sa.select(D).where(D.c.resolution.is_(None))).mappings()
            if r["item_key"] in facts.index
        }
        for key, row in current.items():
            fact = facts.loc[key]
            resolution = None
            if not fact["open"]:
                resolution = "credit_memo" if key in credit_cleared else "paid"
            elif row["source"] == "worksheet" and key not in marked and row["collector"] in read:
                resolution = "withdrawn"
            if resolution:
                conn.execute(
                    D.update()
                    .where(D.c.dispute_id == row["dispute_id"])
                    .values(resolution=resolution, resolved_on=as_of)
                )
                resolved += 1
            elif key in marked:
                text = marked[key][1]
                code = reason_of(text, reasons)
                if text and (code, text) != (row["reason_code"], row["reason_text"]):
                    conn.execute(
                        D.update()
                        .where(D.c.dispute_id == row["dispute_id"])
                        .values(reason_code=code, reason_text=text)
                    )
        for key, (collector, text, contacted_on) in sorted(marked.items()):
            fact = facts.loc[key]
            if key in current or not fact["open"]:
                continue
            opened_on = as_of
            if contacted_on is not None and since <= contacted_on <= as_of:
                opened_on = contacted_on  # the day the customer raised it
            conn.execute(
                D.insert().values(
                    _new(key, fact, collector, text, reasons, opened_on, run_id, "worksheet", None)
                )
            )
            opened += 1
    return DisputeBook(opened, resolved, register(store))


def open_dispute(
    store: RunStore,
    *,
    item_key: str,
    customer: str,
    collector: str,
    reference: str,
    amount: int,
    currency: str,
    reason: str,
    reasons: list[DisputeReason],
    as_of: date,
    source: str,
    statement_no: str | None = None,
    owner: str | None = None,
    note: str = "",
) -> int:
    """Open a dispute on an item (unless one is open already: its id is returned)."""
    with store.engine.begin() as conn:
        have = conn.execute(
            sa.select(D.c.dispute_id).where(D.c.item_key == item_key, D.c.resolution.is_(None))
        ).first()
        if have:
            return int(have[0])
        fact = pd.Series(
            {"customer": customer, "reference": reference, "amount": amount, "currency": currency}
        )
        row = _new(item_key, fact, collector, reason, reasons, as_of, None, source, statement_no)
        row.update(owner=owner or collector, note=note)
        pk = conn.execute(D.insert().values(row)).inserted_primary_key
        assert pk is not None
        return int(pk[0])


def resolve(
    store: RunStore, dispute_id: int, resolution: str, *, as_of: date, note: str = ""
) -> None:
    if resolution not in RESOLUTIONS:
        raise DataError(f"resolution {resolution!r}: use one of {', '.join(RESOLUTIONS)}")
    with store.engine.begin() as conn:
        row = conn.execute(sa.select(D).where(D.c.dispute_id == dispute_id)).mappings().first()
        if row is None:
            raise DataError(f"no dispute {dispute_id}")
        if row["resolution"]:
            raise DataError(
                f"dispute {dispute_id} was resolved on {row['resolved_on']} ({row['resolution']})"
            )
        notes = "; ".join(x for x in (row["note"], note) if x)
        conn.execute(
            D.update()
            .where(D.c.dispute_id == dispute_id)
            .values(resolution=resolution, resolved_on=as_of, note=notes)
        )


def assign(store: RunStore, dispute_id: int, owner: str) -> None:
    with store.engine.begin() as conn:
        n = conn.execute(
            D.update().where(D.c.dispute_id == dispute_id).values(owner=owner)
        ).rowcount
    if not n:
        raise DataError(f"no dispute {dispute_id}")


def register(
    store: RunStore,
    *,
    collector: str | None = None,
    customer: str | None = None,
    include_resolved: bool = False,
    resolved_since: date | None = None,
) -> pd.DataFrame:
    """Disputes across collectors (REGISTER_COLUMNS), oldest first: the open ones, plus the
    resolved ones when asked (all, or those resolved on or after ``resolved_since``)."""
    q = sa.select(*(D.c[c] for c in REGISTER_COLUMNS)).order_by(D.c.opened_on, D.c.dispute_id)
    if not include_resolved:
        cond: sa.ColumnElement[bool] = D.c.resolution.is_(None)
        if resolved_since is not None:
            cond = sa.or_(cond, D.c.resolved_on >= resolved_since)
        q = q.where(cond)
    if collector:
        q = q.where(D.c.collector == collector)
    if customer:
        q = q.where(D.c.customer == customer)
    with store.engine.connect() as conn:
        rows = conn.execute(q).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=REGISTER_COLUMNS)


def disputed_keys(store: RunStore) -> set[str]:
    """Items with an open dispute: they get no reminder."""
    with store.engine.connect() as conn:
        return {r[0] for r in conn.execute(sa.select(D.c.item_key).where(D.c.resolution.is_(None)))}


def _str(v: object) -> str:
    return "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)


def _day(v: object, as_of: date) -> date | None:
    try:
        return parse_date(_str(v) or None, year=as_of.year)
    except ParseError:
        return None


def _new(key, fact, collector, text, reasons, as_of, run_id, source, statement_no) -> dict:
    return dict(
        item_key=key,
        customer=str(fact["customer"]),
        collector=collector,
        reference=str(fact["reference"]),
        amount=int(fact["amount"]),
        currency=str(fact["currency"]),
        reason_code=reason_of(text, reasons),
        reason_text=text,
        owner=collector,
        opened_on=as_of,
        opened_run=run_id,
        source=source,
        statement_no=statement_no,
        resolution=None,
        resolved_on=None,
        note="",
    )


def _cleared_with_credit_memo(cleared: pd.DataFrame) -> set[str]:
    """Keys of cleared items whose clearing also cleared a credit memo (doc type DG)."""
    if cleared.empty:
        return set()
    dg = cleared.loc[
        cleared["doc_type"].eq("DG"), ["company_code", "clearing_doc"]
    ].drop_duplicates()
    hit = cleared.merge(dg, on=["company_code", "clearing_doc"])
    hit = hit[hit["clearing_doc"].ne("")]
    return set(
        hit["company_code"]
        + "|"
        + hit["fiscal_year"]
        + "|"
        + hit["document_no"]
        + "|"
        + hit["line_item"]
    )
