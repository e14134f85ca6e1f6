"""The system columns' values of each item, in the worksheet's language.

Most come from the worklist; a column whose :class:`~arsync.reports.labels.Field` names a
``source`` comes from the customer master (``customers.<column>``: contact person, phone,
e-mail, when the customers frame has them) or is a link to the portal evidence file the
item's record was read from.  Such a column is shown only when its source is there.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd

from arsync.common.errors import DataError
from arsync.common.money import to_major
from arsync.reports import labels as L
from arsync.reports import vocabulary as V
from arsync.reports._read import make_key


@dataclass(frozen=True)
class Link:
    """A hyperlink cell: ``text`` shown, ``target`` a file path (relative to the workbook)."""

    target: str
    text: str


@dataclass(frozen=True)
class Sources:
    """What the system columns come from besides the worklist."""

    customers: pd.DataFrame | None = None  # the customers frame (master data)
    evidence: dict[tuple[str, str], str] | None = None  # (portal, record_id) → evidence file

    def has(self, f: L.Field) -> bool:
        if not f.source:
            return True
        if f.source == "evidence":
            return self.evidence is not None
        column = f.source.removeprefix("customers.")
        return self.customers is not None and column in self.customers.columns

    def shown(self) -> tuple[str, ...]:
        """The system field ids shown, in their declared order."""
        return tuple(f.id for f in L.SYSTEM if self.has(f))

    def master(self) -> dict[str, dict[str, object]]:
        """Customer → the master data columns the worksheets show (those the frame has)."""
        cust = self.customers
        if cust is None:
            return {}
        fields = L.SYSTEM + L.SUMMARY
        cols = list(
            dict.fromkeys(
                c for f in fields if (c := f.source.removeprefix("customers.")) and c in cust
            )
        )
        cols = [c for c in cols if c != "evidence"]
        if not cols:
            return {}
        df = cust[["customer", *cols]].drop_duplicates("customer")
        return {
            str(r["customer"]): {str(k): v for k, v in r.items()} for r in df.to_dict("records")
        }


def evidence_map(portal_records: pd.DataFrame | None) -> dict[tuple[str, str], str] | None:
    """(portal, record_id) → the evidence file the record was read from (first account's)."""
    if portal_records is None or "evidence" not in portal_records.columns:
        return None
    pr = portal_records[portal_records["evidence"].astype(str) != ""]
    pr = pr.drop_duplicates(["portal", "record_id"])
    return dict(zip(zip(pr["portal"], pr["record_id"]), pr["evidence"].astype(str)))


def system_rows(
    items: pd.DataFrame, language: str, sources: Sources = Sources(), folder: Path | None = None
) -> list[tuple[str, dict[str, object]]]:
    """Worklist rows (sorted by priority, then most overdue) as cell values keyed by field id."""
    items = items.sort_values(
        ["priority", "days_overdue", "customer", *L.KEY_FIELDS],
        ascending=[True, False, True, True, True, True, True],
        kind="mergesort",
    )
    master = sources.master()
    shown = [f for f in L.SYSTEM if sources.has(f)]
    out = []
    for rec in items.to_dict("records"):
        key = make_key(*(rec[k] for k in L.KEY_FIELDS))
        values: dict[str, object] = {}
        for f in shown:
            v: object
            if f.source == "evidence":
                v = _link(rec, sources.evidence or {}, folder, language)
            elif f.source:
                v = master.get(rec["customer"], {}).get(f.source.removeprefix("customers."))
            else:
                v = _value(f, rec, key, language)
            if v is None or v == "":
                continue
            values[f.id] = v
        out.append((key, values))
    return out


def _value(f: L.Field, rec: dict, key: str, language: str) -> object:
    v = rec[f.id]
    if f.kind == "date":
        return None if pd.isna(v) else pd.Timestamp(v).date()
    if f.kind == "money":
        try:
            return to_major(int(v), rec["currency"])
        except DataError as exc:
            raise DataError(f"worklist item {key}: {exc}") from None
    if f.kind == "int":
        return int(v)
    if not v:
        return v
    if f.id == "finding":
        return V.finding(v, language)
    if f.id == "next_action":
        return V.next_action(rec["finding"], v, language)
    if f.id == "reason":
        return V.reason(v, language)
    if f.id == "status":
        return V.status(v, language)
    if f.id == "aging_bucket":
        return V.aging(v, language)
    return v


def _link(rec: dict, evidence: dict, folder: Path | None, language: str) -> Link | None:
    path = evidence.get((rec["portal"], rec["record_id"]))
    if not path:
        return None
    target = path
    if folder is not None:
        try:
            target = os.path.relpath(path, folder)
        except ValueError:  # another drive (Windows): keep it absolute
            target = path
    return Link(target.replace(os.sep, "/"), V.pick("查看", "view", language))


def fingerprint(values: dict[str, object], fields: tuple[str, ...]) -> str:
    """Four hex digits per system field of an item as written, in ``fields``' order.

    Kept in the workbook's hidden history, it tells at the next refresh which system cells
    the collector typed into (a value that no longer matches), without keeping the values."""
    return "".join(_hash(values.get(f)) for f in fields)


def changed(values: dict[str, object], fields: tuple[str, ...], written: str) -> list[str]:
    """The fields whose value on the sheet differs from what the refresh wrote there."""
    if len(written) != 4 * len(fields):
        return []  # written under another column model: nothing to compare
    return [f for i, f in enumerate(fields) if _hash(values.get(f)) != written[4 * i : 4 * i + 4]]


def _hash(v: object) -> str:
    return hashlib.blake2b(_norm(v).encode(), digest_size=2).hexdigest()


def _norm(v: object) -> str:
    """A cell value as written and as read back (by openpyxl, after Excel or LibreOffice)."""
    if v is None or v == "":
        return ""
    if isinstance(v, Link):
        return v.text
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, float, Decimal)):
        return repr(round(float(v), 6))
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    text = getattr(v, "text", None)  # a formula typed over a system cell
    return str(text if text is not None else v)


def norm_equal(a: object, b: object) -> bool:
    """Two cell values that show the same (a number read back as a float, a date as a
    datetime, a link as its text)."""
    return _norm(a) == _norm(b)
