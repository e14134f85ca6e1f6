"""Raw portal rows (key → text) → typed ``portal_records`` rows, by the family's declaration.

The status of a row is decided per column (``待付款`` differs between columns) and the most
advanced money column that says something wins.  A word the map does not know is layout
drift: the portal changed its vocabulary, and guessing would misreport money.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd

from arsync.common.errors import DataError, LayoutDriftError
from arsync.common.frames import PORTAL_RECORDS
from arsync.common.parse import (
    amount_to_minor,
    normalize_text,
    parse_date,
    parse_id,
    unit_from_header,
)

from .definitions import Family, Portal

#: who acts next when a word does not say (reference/portals-cn.md §1)
DEFAULT_ACTION_BY = {
    "SUBMITTED": "BUYER",
    "ACCEPTED": "BUYER",
    "UNDER_REVIEW": "BUYER",
    "APPROVED": "PAYER",
    "PAYING": "PAYER",
    "PAID": "",
    "REJECTED": "SUPPLIER",
    "CANCELLED": "",
    "UNKNOWN": "",
}


def decide_status(spec: Family, raw: dict[str, Any], where: str) -> tuple[str, str, str, str]:
    """(status, status_text, status_column, action_by) from the row's status columns."""
    texts = []
    for col in spec.status:
        word = normalize_text(raw.get(col.key) or "")
        if word in ("--", "-", "—"):
            word = ""
        if word not in col.words:
            raise LayoutDriftError(
                f"{where}: status word {word!r} in column {col.name} is not in the status map "
                f"(known: {', '.join(w for w in col.words if w) or 'none'})"
            )
        texts.append(f"{col.name}:{word}" if word else "")
        w = col.words[word]
        if w.status is not None:
            return (
                w.status,
                word,
                col.name,
                w.action_by if w.action_by is not None else DEFAULT_ACTION_BY[w.status],
            )
    return "UNKNOWN", ";".join(t for t in texts if t), "", ""


def check_keys(spec: Family, keys: set[str] | list[str], where: str) -> None:
    """Every declared field and status key must be present (renamed/moved ⇒ drift)."""
    need = [f.key for f in spec.fields.values()] + [c.key for c in spec.status]
    missing = [k for k in need if k not in keys]
    if missing:
        raise LayoutDriftError(
            f"{where}: expected column(s)/key(s) missing: {', '.join(missing)}; "
            f"found: {', '.join(map(str, keys))}"
        )


def to_record(
    portal: Portal,
    account: str,
    raw: dict[str, Any],
    *,
    evidence: str,
    fetched_at: datetime,
    where: str,
) -> dict[str, Any]:
    """One typed record; a cell that does not parse is a data error naming the cell."""
    spec = portal.spec
    assert spec is not None
    rec: dict[str, Any] = {n: "" for n in PORTAL_RECORDS.names}
    rec.update(
        portal=portal.id,
        account=account,
        currency=spec.currency,
        amount=None,
        paid_amount=None,
        status_date=None,
        expected_pay_date=None,
        paid_date=None,
    )
    for name, f in spec.fields.items():
        value = raw.get(f.key)
        try:
            if f.type == "id":
                rec[name] = parse_id(value)
            elif f.type == "amount":
                unit = f.unit or unit_from_header(f.key)
                rec[name] = amount_to_minor(value, spec.currency, unit=unit)
            elif f.type == "date":
                rec[name] = parse_date(value, spec.date_formats or None)
            else:
                rec[name] = "" if value is None else str(value).strip()
        except DataError as exc:
            raise DataError(f"{where}: field {name} ({f.key}): {exc}") from None
    if not rec["record_id"]:
        raise DataError(f"{where}: a row without {spec.fields['record_id'].key}")
    rec["status"], rec["status_text"], rec["status_column"], rec["action_by"] = decide_status(
        spec, raw, where
    )
    buyers = portal.buyers if isinstance(portal.buyers, dict) else {}
    rec["customer"] = buyers.get(rec["buyer"], "")
    rec["fetched_at"], rec["evidence"] = fetched_at, evidence
    return rec


def frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Typed rows → the validated ``portal_records`` frame."""
    if not records:
        return PORTAL_RECORDS.empty()
    df = pd.DataFrame(records, columns=PORTAL_RECORDS.names)
    for c in ("status_date", "expected_pay_date", "paid_date"):
        df[c] = pd.to_datetime(df[c].map(lambda d: d if isinstance(d, date) else None))
    df = PORTAL_RECORDS.coerce(df)
    return PORTAL_RECORDS.validate(df, "portal runner")
