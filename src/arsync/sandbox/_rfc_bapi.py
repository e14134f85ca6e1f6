"""BAPI_AR_ACC_GETOPENITEMS / GETBALANCEDITEMS over the sandbox tables, indexed per
(company code, customer) so that one call costs only the rows it returns."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import cast

import numpy as np
import pandas as pd

INITIAL = "00000000"

# BAPI3007_2 field → (source column of BSID/BSAD, kind): C char, D date, A amount (doc. currency),
# L amount (local currency), K DEC days, X computed.
MAP = {
    "COMP_CODE": ("BUKRS", "C"),
    "CUSTOMER": ("KUNNR", "C"),
    "SP_GL_IND": ("UMSKZ", "C"),
    "CLEAR_DATE": ("AUGDT", "D"),
    "CLR_DOC_NO": ("AUGBL", "C"),
    "ALLOC_NMBR": ("ZUONR", "C"),
    "FISC_YEAR": ("GJAHR", "C"),
    "DOC_NO": ("BELNR", "C"),
    "ITEM_NUM": ("BUZEI", "C"),
    "PSTNG_DATE": ("BUDAT", "D"),
    "DOC_DATE": ("BLDAT", "D"),
    "ENTRY_DATE": ("CPUDT", "D"),
    "CURRENCY": ("WAERS", "C"),
    "LOC_CURRCY": ("HWAER", "C"),
    "REF_DOC_NO": ("XBLNR", "C"),
    "DOC_TYPE": ("BLART", "C"),
    "FIS_PERIOD": ("MONAT", "C"),
    "POST_KEY": ("BSCHL", "C"),
    "DB_CR_IND": ("SHKZG", "C"),
    "BUS_AREA": ("GSBER", "C"),
    "TAX_CODE": ("MWSKZ", "C"),
    "LC_AMOUNT": ("DMBTR", "L"),
    "AMT_DOCCUR": ("WRBTR", "A"),
    "ITEM_TEXT": ("SGTXT", "C"),
    "BLINE_DATE": ("ZFBDT", "D"),
    "PMNTTRMS": ("ZTERM", "C"),
    "DSCT_DAYS1": ("ZBD1T", "K"),
    "DSCT_DAYS2": ("ZBD2T", "K"),
    "NETTERMS": ("ZBD3T", "K"),
    "PMNT_BLOCK": ("ZLSPR", "C"),
    "INV_REF": ("REBZG", "C"),
    "INV_YEAR": ("REBZJ", "C"),
    "INV_ITEM": ("REBZZ", "C"),
    "DUNN_BLOCK": ("MANSP", "C"),
    "LAST_DUNN": ("MADAT", "D"),
    "DUNN_LEVEL": ("MANST", "C"),
    "DOC_STATUS": ("BSTAT", "C"),
    "SP_GL_TYPE": ("UMSKS", "C"),
    "REF_DOC_NO_LONG": ("XBLNR_ALT", "C"),
    "BILL_DOC": ("VBELN", "C"),
}


def bapireturn(type_: str = "", code: str = "", message: str = "", *v: str) -> dict:
    vs = list(v) + [""] * (4 - len(v))
    return {
        "TYPE": type_,
        "CODE": code,
        "MESSAGE": message,
        "LOG_NO": "",
        "LOG_MSG_NO": "000000",
        "MESSAGE_V1": vs[0],
        "MESSAGE_V2": vs[1],
        "MESSAGE_V3": vs[2],
        "MESSAGE_V4": vs[3],
    }


class ArBapis:
    """The two BAPIs.  Items of BSID ∪ BSAD are grouped per (company code, customer) on first use,
    each output column is prepared once for all items (DATS '' when initial, DEC days as Decimal),
    and a call only takes its rows: its cost is that of the rows it returns."""

    def __init__(self, tables: dict, decimals: dict[str, int], missing: set[str] | None = None):
        self.tables, self.decimals = tables, decimals
        self.fields = [f for f in MAP if f not in (missing or set())]  # an older release lacks some
        self.customers = set(tables["KNA1"]["KUNNR"])
        self.knb1 = set(zip(tables["KNB1"]["KUNNR"], tables["KNB1"]["BUKRS"]))
        self.company_codes = set(tables["T001"]["BUKRS"])
        self._lock = threading.RLock()
        self._cols: dict[str, np.ndarray] = {}
        self._groups: dict[tuple[str, str], np.ndarray] | None = None

    def col(self, name: str) -> np.ndarray:
        """A column of BSID ∪ BSAD (plus BKPF's XBLNR_ALT and T001's HWAER), in output form."""
        a = self._cols.get(name)
        if a is None:
            with self._lock:
                a = self._cols.get(name)
                if a is None:
                    a = self._cols[name] = self._build(name)
        return a

    def _build(self, name: str) -> np.ndarray:
        t = self.tables
        if name == "XBLNR_ALT":
            bkpf = t["BKPF"]
            ref = pd.Series(
                bkpf["XBLNR_ALT"],
                index=pd.MultiIndex.from_arrays([bkpf["BUKRS"], bkpf["BELNR"], bkpf["GJAHR"]]),
            )
            key = pd.MultiIndex.from_arrays(
                [self.col("BUKRS"), self.col("BELNR"), self.col("GJAHR")]
            )
            return ref.reindex(key).fillna("").to_numpy(dtype=object)
        if name == "HWAER":
            t001 = dict(zip(t["T001"]["BUKRS"], t["T001"]["WAERS"]))
            return pd.Series(self.col("BUKRS")).map(t001).fillna("").to_numpy(dtype=object)
        if name.startswith("out:"):
            return self._output(name[4:])
        return np.concatenate([t["BSID"][name], t["BSAD"][name]])

    def _output(self, field: str) -> np.ndarray:
        src, kind = MAP[field]
        v = self.col(src)
        if kind == "D":
            return np.where(v == INITIAL, "", v).astype(object)
        if kind == "K":
            codes, uniq = pd.factorize(v)
            return np.array([Decimal(int(x)) for x in uniq] + [Decimal(0)], dtype=object)[codes]
        if kind in "AL":  # the amounts stay ints here: Decimals are made per call, for its rows
            cur = pd.Series(self.col("WAERS" if kind == "A" else "HWAER"))
            dec = cur.map(lambda k: self.decimals.get(k, 2)).to_numpy(dtype=np.int64)
            if (dec > 4).any() or (dec < 0).any():
                raise ValueError(f"sandbox: currency decimals {sorted(set(dec))} out of 0..4")
            return v.astype(np.int64) * 10 ** (4 - dec)  # external value × 10⁴ (4 decimals out)
        return v

    def groups(self) -> dict[tuple[str, str], np.ndarray]:
        with self._lock:
            if self._groups is None:
                keys = pd.DataFrame({"B": self.col("BUKRS"), "K": self.col("KUNNR")})
                by_key = keys.groupby(["B", "K"]).indices  # (company code, customer) → rows
                self._groups = {cast(tuple[str, str], k): np.asarray(v) for k, v in by_key.items()}
            return self._groups

    def _check(self, bukrs: str, kunnr: str) -> dict | None:
        if bukrs not in self.company_codes:
            return bapireturn("E", "FN510", f"Company code {bukrs} is not defined", bukrs)
        if kunnr not in self.customers:  # looked up as passed: no ALPHA conversion
            return bapireturn("E", "FN502", f"Customer {kunnr} does not exist", kunnr)
        if (kunnr, bukrs) not in self.knb1:
            return bapireturn(
                "E",
                "FN503",
                f"Customer {kunnr} is not defined in company code {bukrs}",
                kunnr,
                bukrs,
            )
        return None

    def _rows(self, bukrs: str, kunnr: str) -> np.ndarray:
        return self.groups().get((bukrs, kunnr), _NONE)

    def open_items(self, p: dict) -> dict:
        bukrs, kunnr, key = (
            p.get("COMPANYCODE", ""),
            p.get("CUSTOMER", ""),
            p.get("KEYDATE") or INITIAL,
        )
        err = self._check(bukrs, kunnr)
        if err:
            return {"RETURN": err, "LINEITEMS": []}
        idx = self._rows(bukrs, kunnr)
        augdt = self.col("AUGDT")[idx]
        m = (self.col("BUDAT")[idx] <= key) & ((augdt == INITIAL) | (augdt > key))
        if p.get("NOTEDITEMS", "") != "X":
            m &= self.col("BSTAT")[idx] != "S"
        return self._result(idx[m])

    def balanced_items(self, p: dict) -> dict:
        bukrs, kunnr = p.get("COMPANYCODE", ""), p.get("CUSTOMER", "")
        lo, hi = p.get("DATE_FROM") or INITIAL, p.get("DATE_TO") or "99991231"
        err = self._check(bukrs, kunnr)
        if err:
            return {"RETURN": err, "LINEITEMS": []}
        idx = self._rows(bukrs, kunnr)
        augdt = self.col("AUGDT")[idx]
        m = (augdt != INITIAL) & (augdt >= lo) & (augdt <= hi)
        return self._result(idx[m])

    def _result(self, idx: np.ndarray) -> dict:
        if not len(idx):
            return {"RETURN": bapireturn("I", "FN517", "No items selected"), "LINEITEMS": []}
        return {"RETURN": bapireturn(), "LINEITEMS": self._lineitems(idx)}

    def _lineitems(self, idx: np.ndarray) -> list[dict]:
        """Fresh dicts per call, as pyrfc gives them: amounts Decimal with 4 places (CURR23,4)."""
        cols = []
        for name in self.fields:
            kind = MAP[name][1]
            v = self.col("out:" + name)[idx]
            cols.append([_dec4(x) for x in v.tolist()] if kind in "AL" else v.tolist())
        names = self.fields
        return [dict(zip(names, row)) for row in zip(*cols)]


_NONE = np.empty(0, dtype=np.int64)


def _dec4(scaled: int) -> Decimal:
    return Decimal(scaled).scaleb(-4)
