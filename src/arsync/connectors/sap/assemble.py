"""Raw SAP item rows → the canonical ``open_items`` / ``cleared_items`` frames.

Both strategies first bring their rows into one raw shape (SAP field names, text as SAP gives
it, amounts already unsigned minor units), so that everything after — sign, due date, reference,
noted items, ordering — is the same code and the two strategies cannot drift apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from arsync.common.errors import SchemaError
from arsync.common.frames import CLEARED_ITEMS, ITEM_KEY, OPEN_ITEMS
from arsync.common.parse import alpha_series
from arsync.common.schema import Schema
from arsync.connectors.sap.convert import dats_series, net_due, sign

RAW = [
    "BUKRS",
    "KUNNR",
    "UMSKZ",
    "AUGDT",
    "AUGBL",
    "ZUONR",
    "GJAHR",
    "BELNR",
    "BUZEI",
    "BUDAT",
    "BLDAT",
    "WAERS",
    "HWAER",
    "XBLNR",
    "XBLNR_LONG",
    "BLART",
    "SHKZG",
    "WRBTR",
    "DMBTR",
    "SGTXT",
    "ZFBDT",
    "ZBD1T",
    "ZBD2T",
    "ZBD3T",
    "ZLSPR",
    "REBZG",
    "MANSP",
    "MANST",
    "BSTAT",
]
_INTS = ("WRBTR", "DMBTR", "ZBD1T", "ZBD2T", "ZBD3T")


def empty_raw() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=np.int64 if c in _INTS else object) for c in RAW})


def items_frame(raw: pd.DataFrame, schema: Schema, *, noted: bool, where: str) -> pd.DataFrame:
    """Canonical item frame, validated, sorted by its key."""
    df = _canonical(raw, schema, noted=noted, where=where)
    return df.sort_values(list(ITEM_KEY), kind="stable").reset_index(drop=True)


def _canonical(raw: pd.DataFrame, schema: Schema, *, noted: bool, where: str) -> pd.DataFrame:
    """Canonical item frame, validated, in the raw rows' order."""
    if not noted:
        raw = raw[raw["BSTAT"] != "S"]
    raw = raw.reset_index(drop=True)
    if not len(raw):
        return schema.empty()
    sg = sign(raw["SHKZG"], f"{where} DB_CR_IND/SHKZG")
    doc_date = dats_series(raw["BLDAT"], f"{where} DOC_DATE/BLDAT")
    baseline = dats_series(raw["ZFBDT"], f"{where} BLINE_DATE/ZFBDT")
    long_ref = raw["XBLNR_LONG"].astype(str).str.strip()
    manst = raw["MANST"].astype(str).str.strip().replace("", "0")
    df = pd.DataFrame(
        {
            "company_code": raw["BUKRS"],
            "fiscal_year": raw["GJAHR"],
            "document_no": alpha_series(raw["BELNR"]),
            "line_item": raw["BUZEI"],
            "customer": alpha_series(raw["KUNNR"]),
            "doc_type": raw["BLART"],
            "reference": long_ref.where(long_ref != "", raw["XBLNR"]),
            "assignment": raw["ZUONR"],
            "document_date": doc_date,
            "posting_date": dats_series(raw["BUDAT"], f"{where} PSTNG_DATE/BUDAT"),
            "baseline_date": baseline.where(baseline.notna(), doc_date),
            "due_date": net_due(
                baseline,
                doc_date,
                raw["ZBD1T"],
                raw["ZBD2T"],
                raw["ZBD3T"],
                raw["SHKZG"],
                raw["REBZG"],
            ),
            "amount": raw["WRBTR"].astype(np.int64).to_numpy() * sg,
            "currency": raw["WAERS"],
            "local_amount": raw["DMBTR"].astype(np.int64).to_numpy() * sg,
            "local_currency": raw["HWAER"],
            "dunning_level": manst.astype(np.int64),
            "dunning_block": raw["MANSP"],
            "payment_block": raw["ZLSPR"],
            "special_gl": raw["UMSKZ"],
            "invoice_ref": alpha_series(raw["REBZG"]),
            "text": raw["SGTXT"],
        }
    )
    if schema is CLEARED_ITEMS:
        df["clearing_date"] = dats_series(raw["AUGDT"], f"{where} CLEAR_DATE/AUGDT")
        df["clearing_doc"] = alpha_series(raw["AUGBL"])
    return _typed(df, schema, where)


def _typed(df: pd.DataFrame, schema: Schema, where: str) -> pd.DataFrame:
    """Validated frame; coerce() maps every text cell in Python, so only a frame that fails runs it."""
    try:
        return schema.validate(df, where)
    except SchemaError:
        return schema.validate(schema.coerce(df), where)


def open_and_cleared(
    raw_open: pd.DataFrame, raw_cleared: pd.DataFrame, *, noted: bool, where: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (
        items_frame(raw_open, OPEN_ITEMS, noted=noted, where=f"{where} open items"),
        items_frame(raw_cleared, CLEARED_ITEMS, noted=True, where=f"{where} cleared items"),
    )


class ItemBatches:
    """Raw item rows converted batch by batch into one canonical frame, for a pull that reads a
    large portfolio: each batch becomes canonical rows at once (its raw text is let go), text
    that repeats (company codes, currencies, customers, document types …) is kept once for all
    batches instead of once a row, and :meth:`frame` puts the batches together column by column
    in key order.  The result is what :func:`items_frame` gives for all rows at once."""

    #: A column is pooled when a batch holds at most this share of distinct values.
    POOL_SHARE = 0.25

    def __init__(self, schema: Schema, *, noted: bool, where: str):
        self.schema, self.noted, self.where = schema, noted, where
        self._parts: list[pd.DataFrame] = []
        self._pool: dict[str, str] = {}

    def add(self, raw: pd.DataFrame) -> None:
        df = _canonical(raw, self.schema, noted=self.noted, where=self.where)
        if not len(df):
            return
        for c in df.columns:
            if self.schema.kind(c) == "str":
                codes, uniq = pd.factorize(df[c])
                if len(uniq) <= self.POOL_SHARE * len(df):
                    pooled = np.array([self._pool.setdefault(u, u) for u in uniq], dtype=object)
                    df[c] = pooled[codes]
        self._parts.append(df)

    def frame(self) -> pd.DataFrame:
        """Every row added, validated, sorted by the item key (stable: ties keep their order)."""
        parts, self._parts, self._pool = self._parts, [], {}
        if not parts:
            return self.schema.empty()
        if len(parts) == 1:
            df = parts[0].sort_values(list(ITEM_KEY), kind="stable").reset_index(drop=True)
        else:
            keys = pd.concat([p[list(ITEM_KEY)] for p in parts], ignore_index=True)
            order = keys.sort_values(list(ITEM_KEY), kind="stable").index.to_numpy()
            del keys
            df = pd.DataFrame(index=pd.RangeIndex(len(order)))
            for c in self.schema.names:  # a column at a time: never two copies of the frame
                df[c] = np.concatenate([p.pop(c).to_numpy() for p in parts])[order]
        return self.schema.validate(df, self.where)
