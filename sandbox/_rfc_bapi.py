"""BAPI_AR_ACC_GETOPENITEMS / GETBALANCEDITEMS over the sandbox tables, pre-indexed per
(company code, customer) so that one call costs only that customer's rows."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

Q4 = Decimal("0.0001")
INITIAL = "00000000"

# BAPI3007_2 field → (source column of BSID/BSAD, kind): C char, D date, A amount (doc. currency),
# L amount (local currency), K DEC days, X computed.
MAP = {
    "COMP_CODE": ("BUKRS", "C"), "CUSTOMER": ("KUNNR", "C"), "SP_GL_IND": ("UMSKZ", "C"),
    "CLEAR_DATE": ("AUGDT", "D"), "CLR_DOC_NO": ("AUGBL", "C"), "ALLOC_NMBR": ("ZUONR", "C"),
    "FISC_YEAR": ("GJAHR", "C"), "DOC_NO": ("BELNR", "C"), "ITEM_NUM": ("BUZEI", "C"),
    "PSTNG_DATE": ("BUDAT", "D"), "DOC_DATE": ("BLDAT", "D"), "ENTRY_DATE": ("CPUDT", "D"),
    "CURRENCY": ("WAERS", "C"), "LOC_CURRCY": ("HWAER", "C"), "REF_DOC_NO": ("XBLNR", "C"),
    "DOC_TYPE": ("BLART", "C"), "FIS_PERIOD": ("MONAT", "C"), "POST_KEY": ("BSCHL", "C"),
    "DB_CR_IND": ("SHKZG", "C"), "BUS_AREA": ("GSBER", "C"), "TAX_CODE": ("MWSKZ", "C"),
    "LC_AMOUNT": ("DMBTR", "L"), "AMT_DOCCUR": ("WRBTR", "A"), "ITEM_TEXT": ("SGTXT", "C"),
    "BLINE_DATE": ("ZFBDT", "D"), "PMNTTRMS": ("ZTERM", "C"), "DSCT_DAYS1": ("ZBD1T", "K"),
    "DSCT_DAYS2": ("ZBD2T", "K"), "NETTERMS": ("ZBD3T", "K"), "PMNT_BLOCK": ("ZLSPR", "C"),
    "INV_REF": ("REBZG", "C"), "INV_YEAR": ("REBZJ", "C"), "INV_ITEM": ("REBZZ", "C"),
    "DUNN_BLOCK": ("MANSP", "C"), "LAST_DUNN": ("MADAT", "D"), "DUNN_LEVEL": ("MANST", "C"),
    "DOC_STATUS": ("BSTAT", "C"), "SP_GL_TYPE": ("UMSKS", "C"),
    "REF_DOC_NO_LONG": ("XBLNR_ALT", "C"), "BILL_DOC": ("VBELN", "C"),
}


def bapireturn(type_: str = "", code: str = "", message: str = "", *v: str) -> dict:
    vs = list(v) + [""] * (4 - len(v))
    return {"TYPE": type_, "CODE": code, "MESSAGE": message, "LOG_NO": "", "LOG_MSG_NO": "000000",
            "MESSAGE_V1": vs[0], "MESSAGE_V2": vs[1], "MESSAGE_V3": vs[2], "MESSAGE_V4": vs[3]}


class ArBapis:
    def __init__(self, tables: dict[str, pd.DataFrame], decimals: dict[str, int]):
        items = pd.concat([tables["BSID"], tables["BSAD"]], ignore_index=True)
        bkpf = tables["BKPF"].set_index(["BUKRS", "BELNR", "GJAHR"])["XBLNR_ALT"]
        key = pd.MultiIndex.from_frame(items[["BUKRS", "BELNR", "GJAHR"]])
        items["XBLNR_ALT"] = bkpf.reindex(key).fillna("").to_numpy(dtype=object)
        t001 = tables["T001"].set_index("BUKRS")["WAERS"]
        items["HWAER"] = items["BUKRS"].map(t001).fillna("").to_numpy(dtype=object)
        self.cols = {c: items[c].to_numpy() for c in items.columns}
        self.groups = {k: np.asarray(v) for k, v in items.groupby(["BUKRS", "KUNNR"]).indices.items()}
        self.customers = set(tables["KNA1"]["KUNNR"])
        self.knb1 = set(zip(tables["KNB1"]["KUNNR"], tables["KNB1"]["BUKRS"]))
        self.company_codes = set(t001.index)
        self.decimals = decimals

    def _check(self, bukrs: str, kunnr: str) -> dict | None:
        if bukrs not in self.company_codes:
            return bapireturn("E", "FN510", f"Company code {bukrs} is not defined", bukrs)
        if kunnr not in self.customers:  # looked up as passed: no ALPHA conversion
            return bapireturn("E", "FN502", f"Customer {kunnr} does not exist", kunnr)
        if (kunnr, bukrs) not in self.knb1:
            return bapireturn("E", "FN503", f"Customer {kunnr} is not defined in company code {bukrs}",
                              kunnr, bukrs)
        return None

    def open_items(self, p: dict) -> dict:
        bukrs, kunnr, key = p.get("COMPANYCODE", ""), p.get("CUSTOMER", ""), p.get("KEYDATE") or INITIAL
        err = self._check(bukrs, kunnr)
        if err:
            return {"RETURN": err, "LINEITEMS": []}
        idx = self.groups.get((bukrs, kunnr), np.empty(0, dtype=np.int64))
        c = self.cols
        augdt = c["AUGDT"][idx]
        m = (c["BUDAT"][idx] <= key) & ((augdt == INITIAL) | (augdt > key))
        if p.get("NOTEDITEMS", "") != "X":
            m &= c["BSTAT"][idx] != "S"
        return self._result(idx[m])

    def balanced_items(self, p: dict) -> dict:
        bukrs, kunnr = p.get("COMPANYCODE", ""), p.get("CUSTOMER", "")
        lo, hi = p.get("DATE_FROM") or INITIAL, p.get("DATE_TO") or "99991231"
        err = self._check(bukrs, kunnr)
        if err:
            return {"RETURN": err, "LINEITEMS": []}
        idx = self.groups.get((bukrs, kunnr), np.empty(0, dtype=np.int64))
        augdt = self.cols["AUGDT"][idx]
        m = (augdt != INITIAL) & (augdt >= lo) & (augdt <= hi)
        return self._result(idx[m])

    def _result(self, idx: np.ndarray) -> dict:
        if not len(idx):
            return {"RETURN": bapireturn("I", "FN517", "No items selected"), "LINEITEMS": []}
        return {"RETURN": bapireturn(), "LINEITEMS": self._lineitems(idx)}

    def _lineitems(self, idx: np.ndarray) -> list[dict]:
        c, dec = self.cols, self.decimals
        cols: dict[str, list] = {}
        for name, (src, kind) in MAP.items():
            v = c[src][idx]
            if kind == "D":
                cols[name] = ["" if d == INITIAL else d for d in v]
            elif kind in "AL":
                cur = c["WAERS" if kind == "A" else "HWAER"][idx]
                cols[name] = [Decimal(int(h)).scaleb(-dec.get(k, 2)).quantize(Q4) for h, k in zip(v, cur)]
            elif kind == "K":
                cols[name] = [Decimal(int(x)) for x in v]
            else:
                cols[name] = list(v)
        names = list(cols)
        return [dict(zip(names, row)) for row in zip(*cols.values())]
