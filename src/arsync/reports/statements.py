"""AR statements (对账单): what one statement holds, built from the worklist, and its files.

A statement is per customer and company code (each company code is its own legal entity and
speaks for its own books), as of a date: every open item of the customer in that company
code — invoices and other debits listed with their due date, days overdue and the portal
status where known; open credits (credit memos, payments on account, partial payments) listed
apart — with subtotals per currency (never adding CNY to JPY), an aging summary of the
invoices in the worksheets' buckets, and a reply slip for the customer to confirm the balance
or name the lines in question (reference/collections-kpis.md §7).  Files:
:func:`write_statement` writes ``<number>.xlsx`` and ``<number>.pdf``
(:mod:`arsync.reports._statement_pdf`, :mod:`arsync.reports._statement_xlsx`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from arsync.config.settings import CompanySettings, StatementSettings

#: Credit items by document type: how the statement names them.
CREDIT_KINDS = {
    "DG": ("贷项通知单", "Credit memo"),
    "DZ": ("付款", "Payment"),
}


@dataclass(frozen=True)
class Company:
    """Our company as it heads the statement."""

    name_zh: str
    name_en: str
    address_zh: str = ""
    address_en: str = ""
    tax_id: str = ""
    phone: str = ""
    email: str = ""
    bank: str = ""

    @classmethod
    def for_code(cls, settings: CompanySettings, company_code: str) -> Company:
        base = settings.model_dump(exclude={"codes"})
        base.update(settings.codes.get(company_code, {}))
        return cls(**{k: str(v) for k, v in base.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Line:
    item_key: str
    reference: str  # invoice number (or the document number when there is none)
    document_date: date | None
    due_date: date | None
    amount: int  # signed minor units (+ owed to us)
    currency: str
    days_overdue: int
    aging_bucket: str
    portal_status: str  # normalized status ('' when no portal record)
    doc_type: str


@dataclass(frozen=True)
class Statement:
    number: str
    as_of: date
    language: str  # zh | en | both
    company_code: str
    company: Company
    customer: str
    customer_name: str
    customer_tax_id: str
    customer_city: str
    collector: str
    items: tuple[Line, ...]  # debits: invoices, residuals, ...
    credits: tuple[Line, ...]  # open credits, listed apart
    buckets: tuple[str, ...]  # aging bucket labels, in order
    reply_days: int = 10
    contact: dict[str, str] = field(default_factory=dict)  # the customer's contact, if known

    @property
    def currencies(self) -> list[str]:
        return sorted({ln.currency for ln in self.items + self.credits})

    def totals(self) -> dict[str, dict[str, int]]:
        """Per currency: ``items`` (debits), ``credits`` (≤ 0) and ``balance``, minor units."""
        out: dict[str, dict[str, int]] = {}
        for cur in self.currencies:
            debit = sum(ln.amount for ln in self.items if ln.currency == cur)
            credit = sum(ln.amount for ln in self.credits if ln.currency == cur)
            out[cur] = {"items": debit, "credits": credit, "balance": debit + credit}
        return out

    def aging(self) -> dict[str, dict[str, int]]:
        """Per currency and bucket: the debits' amounts (minor units)."""
        out: dict[str, dict[str, int]] = {}
        for cur in sorted({ln.currency for ln in self.items}):
            row = dict.fromkeys(self.buckets, 0)
            for ln in self.items:
                if ln.currency == cur:
                    row[ln.aging_bucket] = row.get(ln.aging_bucket, 0) + ln.amount
            out[cur] = row
        return out


def statement_scopes(worklist: pd.DataFrame) -> list[tuple[str, str]]:
    """(customer, company code) pairs with open items, sorted."""
    pairs = worklist[["customer", "company_code"]].drop_duplicates()
    return sorted(map(tuple, pairs.to_numpy().tolist()))


def build_statements(
    worklist: pd.DataFrame,
    customers: pd.DataFrame,
    scopes: list[tuple[str, str]],
    numbers: dict[tuple[str, str], str],
    *,
    as_of: date,
    company: CompanySettings,
    settings: StatementSettings,
    language: str,
    buckets: list[str],
) -> Iterator[Statement]:
    """One :class:`Statement` per (customer, company code) of ``scopes``, numbered from
    ``numbers``; items from ``worklist`` (WORKLIST frame), customer data from ``customers``."""
    info = customers.drop_duplicates("customer").set_index("customer")
    wl = worklist.sort_values(["customer", "company_code", "due_date", "reference"], kind="stable")
    groups = dict(tuple(wl.groupby(["customer", "company_code"], sort=False)))
    contact_cols = [c for c in ("contact_person", "phone", "email") if c in info.columns]
    for customer, code in scopes:
        rows = groups.get((customer, code))
        if rows is None:
            continue
        lines = [_line(r) for r in rows.to_dict("records")]
        c = info.loc[customer] if customer in info.index else None
        yield Statement(
            number=numbers[customer, code],
            as_of=as_of,
            language=language,
            company_code=code,
            company=Company.for_code(company, code),
            customer=customer,
            customer_name=str(rows["customer_name"].iloc[0]),
            customer_tax_id=str(c["tax_id"]) if c is not None else "",
            customer_city=str(c["city"]) if c is not None else "",
            collector=str(rows["collector"].iloc[0]),
            items=tuple(ln for ln in lines if ln.amount > 0),
            credits=tuple(ln for ln in lines if ln.amount <= 0),
            buckets=tuple(buckets),
            reply_days=settings.reply_days,
            contact={k: str(c[k]) for k in contact_cols if c is not None and str(c[k])},
        )


def write_statement(
    st: Statement, folder: str | Path, font: str | None = None, templates_dir: str = ""
) -> tuple[Path, Path]:
    """Write ``<number>.xlsx`` and ``<number>.pdf`` into ``folder``; return their paths.
    ``font``: the TrueType file to embed (default: Debian's CJK fonts); ``templates_dir``:
    overrides of the statement's texts."""
    from arsync.reports._statement_pdf import statement_pdf
    from arsync.reports._statement_xlsx import statement_xlsx

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    xlsx, pdf = out / f"{st.number}.xlsx", out / f"{st.number}.pdf"
    _atomic_write(xlsx, statement_xlsx(st))
    _atomic_write(pdf, statement_pdf(st, font, templates_dir))
    return xlsx, pdf


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _line(r: dict) -> Line:
    key = "|".join(str(r[k]) for k in ("company_code", "fiscal_year", "document_no", "line_item"))
    return Line(
        item_key=key,
        reference=str(r["reference"] or r["document_no"]),
        document_date=_date(r["document_date"]),
        due_date=_date(r["due_date"]),
        amount=int(r["amount"]),
        currency=str(r["currency"]),
        days_overdue=int(r["days_overdue"]),
        aging_bucket=str(r["aging_bucket"]),
        portal_status=str(r["status"] or ""),
        doc_type=str(r["doc_type"]),
    )


def _date(v) -> date | None:
    return None if v is None or pd.isna(v) else pd.Timestamp(v).date()
