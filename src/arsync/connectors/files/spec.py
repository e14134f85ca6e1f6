"""What each input file must and may contain, and the parse of raw cells into a frame.

A spec row is ``(column, kind, need)``: ``need`` is ``"column"`` (the header must be
there, blanks allowed), ``"value"`` (header and a value in every row: keys, amounts,
currency, due date) or ``""`` (optional; a missing column takes its default).
Defaults that depend on other columns: posting/baseline date ← document date, local
amount/currency ← document amount/currency, and for FBL5N exports fiscal year ← year of
the posting date and line item ← '001'.

Every problem is reported with its file, row and column, and says what happened to the row
(``outcome``): ``left out`` when a key, amount, date or currency cannot be read; ``kept`` when
the cell only helps matching (a reference or order number in scientific notation: the record
stays eligible for the other rules) or is free text (control characters removed, an over-long
cell cut), and for a zero amount.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from arsync.common import parse
from arsync.common.errors import DataError
from arsync.common.frames import STATUSES
from arsync.connectors.files.cells import CELL_LIMIT

Spec = tuple[tuple[str, str, str], ...]

_ITEM: Spec = (
    ("company_code", "id", "value"),
    ("fiscal_year", "id4", "value"),
    ("document_no", "id10", "value"),
    ("line_item", "id3", "value"),
    ("customer", "id10", "value"),
    ("doc_type", "text", ""),
    ("reference", "id", "column"),
    ("assignment", "id", ""),
    ("document_date", "date", ""),
    ("posting_date", "date", ""),
    ("baseline_date", "date", ""),
    ("due_date", "date", "value"),
    ("amount", "amount", "value"),
    ("currency", "currency", "value"),
    ("local_amount", "local_amount", ""),
    ("local_currency", "local_currency", ""),
    ("dunning_level", "int", ""),
    ("dunning_block", "text", ""),
    ("payment_block", "text", ""),
    ("special_gl", "text", ""),
    ("invoice_ref", "id10", ""),
    ("text", "text", ""),
)

SPECS: dict[str, Spec] = {
    "open_items": _ITEM,
    "cleared_items": (*_ITEM, ("clearing_date", "date", "value"), ("clearing_doc", "id10", "")),
    "fbl5n": (
        *tuple(
            (c, k, "" if c in ("fiscal_year", "line_item", "reference") else n) for c, k, n in _ITEM
        ),
        ("clearing_date", "date", ""),
        ("clearing_doc", "id10", ""),
    ),
    "customers": (
        ("customer", "id10", "value"),
        ("name", "text", "column"),
        ("segment", "text", ""),
        ("city", "text", ""),
        ("tax_id", "id", ""),
        ("contact_person", "text", ""),
        ("phone", "text", ""),
        ("email", "text", ""),
        ("collector", "text", ""),
        ("portals", "portals", ""),
        ("credit_limit", "credit_amount", ""),
        ("credit_exposure", "credit_amount", ""),
        ("credit_currency", "credit_currency", ""),
        ("risk_class", "text", ""),
        ("credit_blocked", "bool", ""),
    ),
    "portal_records": (
        ("portal", "id", "value"),
        ("account", "id", ""),
        ("record_id", "id", "value"),
        ("buyer", "text", ""),
        ("customer", "id10", ""),
        ("invoice_no", "id", "column"),
        ("order_no", "id", ""),
        ("contract_no", "id", ""),
        ("amount", "amount?", ""),
        ("paid_amount", "amount?", ""),
        ("currency", "currency?", ""),
        ("status", "status", "value"),
        ("status_text", "text", ""),
        ("status_column", "text", ""),
        ("action_by", "text", ""),
        ("status_date", "date", ""),
        ("expected_pay_date", "date", ""),
        ("paid_date", "date", ""),
        ("payment_ref", "id", ""),
        ("reason", "text", ""),
        ("fetched_at", "datetime", ""),
        ("evidence", "text", ""),
    ),
}
_WIDTH = {"id": 0, "id3": 3, "id4": 4, "id10": 10}
#: ID columns that only help matching: a bad cell there is reported, blanked, the row kept
SOFT = {
    "reference",
    "assignment",
    "invoice_ref",
    "tax_id",
    "invoice_no",
    "order_no",
    "contract_no",
    "payment_ref",
}
ERROR_COLUMNS = ["file", "row", "column", "value", "problem", "outcome"]
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
# amounts whose notation says which separator is the decimal one
_EU = r"-?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+-?|-?\d{1,3}(?:\.\d{3}){2,}-?"
_EN = r"-?(?:\d{1,3}(?:,\d{3})+|\d+)\.(?:\d{1,2}|\d{4,})-?|-?\d{1,3}(?:,\d{3}){2,}-?"
_DOTTED = r"-?\d{1,3}(?:\.\d{3})+-?"  # 1.234: one thousand two hundred … or 1.234?


def parse_frame(
    raw: pd.DataFrame, rows: pd.Series, spec: Spec, *, file: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed columns (plus ``_row``) for the good rows, and one error row per bad cell.

    Cells are read by :mod:`arsync.common.parse`; a workbook's number cells (``file`` ends
    in .xlsx / .xlsm) may hold whole-number IDs and Excel serial dates.
    """
    excel = file.lower().endswith((".xlsx", ".xlsm"))
    missing = [c for c, _, need in spec if need and c not in raw.columns]
    if missing:
        raise DataError(f"{file}: missing column(s) {', '.join(missing)}")
    n = len(raw)
    blank = pd.Series([""] * n, dtype=object)

    def cells(c: str) -> pd.Series:
        return raw[c].reset_index(drop=True) if c in raw.columns else blank

    out: dict[str, pd.Series] = {}
    problems: dict[str, pd.Series] = {}
    decimals: dict[str, pd.Series] = {}
    comma = _decimal_comma(raw, [c for c, k, _ in spec if "amount" in k])
    for col, kind, need in spec:
        req = need == "value"
        x = cells(col)
        if kind in _WIDTH:
            v, p = parse.id_cells(x, width=_WIDTH[kind], required=req, excel=excel)
            if col in SOFT:  # reported, and the record stays eligible for the other rules
                v = v.where(p.eq(""), "")
        elif kind == "text":
            v = parse.text_cells(x)
            ctrl = v.str.contains(_CONTROL, regex=True)
            long = v.str.len().gt(CELL_LIMIT)
            p = _none(n).mask(ctrl, "holds control characters (removed)")
            p = p.mask(long, f"longer than {CELL_LIMIT:,} characters, Excel's limit (cut)")
            v = v.str.replace(_CONTROL, "", regex=True).str.slice(0, CELL_LIMIT)
        elif kind == "portals":
            v = (
                parse.text_cells(x)
                .str.replace(r"\s*[;,、，；\s]\s*", ";", regex=True)
                .str.strip(";")
            )
            p = _none(n)
        elif kind == "date":
            v, p = parse.date_cells(x, required=req, excel=excel)
        elif kind == "datetime":
            v = pd.to_datetime(parse.text_cells(x).replace("", None), errors="coerce")
            p = _none(n).mask(v.isna() & parse.text_cells(x).ne(""), "not a date-time (use ISO)")
        elif kind.startswith(("amount", "local_amount", "credit_amount")):
            if comma:  # 1.234 in a file written 1.234.567,89 is one thousand two hundred …
                t = parse.text_cells(x)
                x = x.where(~t.str.fullmatch(_DOTTED), t.str.replace(".", "", regex=False))
            decimals[col], p = parse.amount_cells(x, required=req)
            v = blank  # keeps the column's place; minor units are filled in below
        elif kind in ("currency", "local_currency", "credit_currency", "currency?"):
            text = parse.text_cells(x)
            if kind == "local_currency":
                text = text.where(text.ne(""), out["currency"])
            elif kind == "credit_currency":
                text = text.where(text.ne(""), "CNY")
            elif kind == "currency?":
                text = text.where(text.ne(""), "CNY")  # every Chinese portal shows CNY
            v, p = parse.currency_cells(text)
            if kind != "currency":  # a blank default is reported on its source
                p = p.where(parse.text_cells(x).ne(""), "")
        elif kind == "int":
            v, p = parse.integer_cells(x)
        elif kind == "bool":
            v, p = parse.flag_cells(x)
        elif kind == "status":
            v = parse.text_cells(x).str.upper()
            p = _none(n).mask(
                ~v.isin(STATUSES), f"not a status word; use one of {', '.join(STATUSES)}"
            )
        else:  # pragma: no cover - spec typo
            raise AssertionError(kind)
        out[col] = v
        problems[col] = p
    # Amounts need their row's currency to become minor units (never rounded).
    pairs = {
        "amount": "currency",
        "paid_amount": "currency",
        "local_amount": "local_currency",
        "credit_limit": "credit_currency",
        "credit_exposure": "credit_currency",
    }
    for col, dec in decimals.items():
        m, p = parse.minor_cells(dec, out[pairs[col]])
        problems[col] = problems[col].where(problems[col].ne(""), p)
        if col == "local_amount":
            m = m.where(dec.notna(), out["amount"])
        elif col.startswith("credit_"):
            m = m.fillna(0)
        out[col] = m
    frame = pd.DataFrame(out)
    bad = np.zeros(n, dtype=bool)
    for c, p in problems.items():
        if not _soft(c, spec):
            bad |= p.ne("").to_numpy(dtype=bool)
    if "amount" in out and any(c == "due_date" for c, _, _ in spec):  # items, not records
        zero = out["amount"].eq(0).fillna(False).to_numpy(dtype=bool) & ~bad
        problems["amount"] = problems["amount"].mask(zero, "zero amount: nothing is owed")
    err = _errors(raw, problems, rows, file, bad)
    frame["_row"] = rows.to_numpy()
    frame = frame.loc[~bad].reset_index(drop=True)
    _derive(frame)
    return frame, err


def _soft(col: str, spec: Spec) -> bool:
    kind = next(k for c, k, _ in spec if c == col)
    return col in SOFT or kind == "text"


def _decimal_comma(raw: pd.DataFrame, columns: list[str]) -> bool:
    """Whether this file writes amounts with a decimal comma (``1.234.567,89``, SAP GUI's
    default notation and Excel's in German locales): some cell shows it and none shows a
    decimal point.  Then ``1.234`` is 1234 — in JPY too, never 1.234."""
    parts = [parse.text_cells(raw[c]) for c in columns if c in raw.columns]
    if not parts:
        return False
    text = pd.concat(parts, ignore_index=True)
    return bool(text.str.fullmatch(_EU).any()) and not bool(text.str.fullmatch(_EN).any())


def _derive(f: pd.DataFrame) -> None:
    if "document_date" in f:
        for c in ("posting_date", "baseline_date"):
            f[c] = f[c].fillna(f["document_date"])
        f["document_date"] = f["document_date"].fillna(f["posting_date"])
        year = f["posting_date"].fillna(f["due_date"]).dt.year.astype("Int64").astype(str)
        f["fiscal_year"] = f["fiscal_year"].where(f["fiscal_year"].ne(""), year)
        f["line_item"] = f["line_item"].where(f["line_item"].ne(""), "001")


def _none(n: int) -> pd.Series:
    return pd.Series([""] * n, dtype=object)


def _shown(v: pd.Series) -> pd.Series:
    """A bad cell's value as errors.csv can show it: control characters as �, 200 characters."""
    v = v.str.replace(_CONTROL, "\ufffd", regex=True)
    return v.where(v.str.len().le(200), v.str.slice(0, 200) + "…")


def _errors(
    raw: pd.DataFrame, problems: dict[str, pd.Series], rows: pd.Series, file: str, bad
) -> pd.DataFrame:
    parts = []
    for col, p in problems.items():
        hit = p.ne("").to_numpy()
        if not hit.any():
            continue
        value = (
            raw[col].reset_index(drop=True)[hit]
            if col in raw.columns
            else pd.Series([""] * hit.sum())
        )
        parts.append(
            pd.DataFrame(
                {
                    "file": file,
                    "row": rows.to_numpy()[hit],
                    "column": col,
                    "value": _shown(parse.text_cells(value)).to_numpy(),
                    "problem": p.to_numpy()[hit],
                    "outcome": np.where(bad[hit], "left out", "kept"),
                }
            )
        )
    cols = ERROR_COLUMNS
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
