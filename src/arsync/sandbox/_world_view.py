"""The world as it stands on an as-of date: the ledger (BSID ∪ BSAD) and the KNKK exposure.

Everything here is a filter over :class:`~arsync.sandbox._world_facts.Facts`: lines posted after
the as-of date do not exist yet, and a clearing after it has not happened yet (AUGDT NaT).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from arsync.sandbox._world_docs import zpad
from arsync.sandbox._world_facts import Facts, line_blart
from arsync.sandbox._world_master import COMPANY_CODES, JPY_TO_FEN
from arsync.sandbox._world_month import BLARTS, CM, INV, NOTE, RESID, NaT, _month_of

_BSCHL = np.array(["01", "15", "06", "15", "15", "15", "11", "09"], dtype=object)  # by line kind
_SHKZG = np.array(["S", "H", "S", "H", "H", "H", "H", "S"], dtype=object)
_SGTXT = np.array(
    ["货款", "回款", "剩余款项", "部分回款", "未清分回款", "回款", "销售折让", "预收款申请"],
    dtype=object,
)


def frame(cols: dict) -> pd.DataFrame:
    """A DataFrame from equal-length arrays without pandas' block consolidation (a 3x copy)."""
    return pd.concat(
        [pd.Series(v, name=k, copy=False) for k, v in cols.items()], axis=1, copy=False
    )


_MANST = np.array(["0", "1", "2", "3"], dtype=object)
_MONAT = np.array([f"{i:02d}" for i in range(1, 13)], dtype=object)
_BUZEI = np.array([f"{i:03d}" for i in range(1000)], dtype=object)
_ZTERM = np.array([f"Z{i:03d}" for i in range(1000)], dtype=object)


def pick(cond: np.ndarray, text: str, other: str = "") -> np.ndarray:
    """``text`` where ``cond`` else ``other``, sharing two str objects (np.where would make one per row)."""
    return np.array([other, text], dtype=object)[np.asarray(cond, dtype=np.intp)]


def _obj(values, n: int) -> np.ndarray:
    return np.full(n, values, dtype=object)


def _dt(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype="datetime64[D]").astype("datetime64[ns]")


def doc_strings(f: Facts) -> tuple[np.ndarray, np.ndarray]:
    """(BELNR, GJAHR) strings per document."""
    years, pos = np.unique(f.doc["gjahr"], return_inverse=True)
    gjahr = np.array([f"{y:04d}" for y in years], dtype=object)[pos.reshape(-1)]
    return zpad(f.doc["belnr"], 10), gjahr


def ledger(
    f: Facts, as_of: np.datetime64, belnr: np.ndarray, gjahr: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The ledger frame, plus each row's line kind and line index (for the truth)."""
    ln, inv = f.lines, f.inv
    vis = np.flatnonzero(ln["budat"] <= as_of)
    kind = ln["kind"][vis]
    ii = ln["inv"][vis]
    doc = ln["doc"][vis]
    ref = ln["ref"][vis]
    n = len(vis)
    budat = ln["budat"][vis]
    cleared = ln["clear"][vis] <= as_of
    augdt = np.where(cleared, ln["clear"][vis], NaT)
    cdoc = ln["clear_doc"][vis]
    bukrs = inv["bukrs"][ii]
    cur = COMPANY_CODES.WAERS.to_numpy()[bukrs]
    is_inv = kind == INV
    has_ref = ref >= 0
    refdoc = inv["doc"][np.where(has_ref, ref, 0)]
    with_terms = is_inv | ((kind == CM) & has_ref)
    zfbdt = np.where(with_terms, inv["bldat"][ii], budat)
    zbd3t = np.where(with_terms, inv["terms"][ii], 0).astype(np.int64)
    mansp = is_inv & inv["mansp"][ii]
    # dunning: level by days overdue on as-of (or on the clearing day), every 30 days after 14
    due = zfbdt + zbd3t.astype("timedelta64[D]")
    upto = np.where(cleared, augdt, as_of)
    over = (upto - due).astype(np.int64)
    dunnable = (is_inv | (kind == RESID)) & ~mansp
    level = np.where(dunnable & (over > 14), np.minimum((over - 15) // 30 + 1, 3), 0)
    madat = np.where(level > 0, due + (15 + 30 * (level - 1)).astype("timedelta64[D]"), NaT)
    xref = is_inv | (kind == RESID) | ((kind == CM) & has_ref)
    blart = line_blart({"kind": kind, "inv": ii}, inv)
    kunnr = f.cust.kunnr[inv["cust"][ii]]
    df = frame(
        {
            "BUKRS": COMPANY_CODES.BUKRS.to_numpy()[bukrs],
            "KUNNR": kunnr,
            "UMSKS": pick(kind == NOTE, "A"),
            "UMSKZ": pick(kind == NOTE, "F"),
            "AUGDT": _dt(augdt),
            "AUGBL": np.where(cleared, belnr[np.maximum(cdoc, 0)], "").astype(object),
            "ZUONR": np.where(is_inv | (kind == RESID), inv["order_no"][ii], "").astype(object),
            "GJAHR": gjahr[doc],
            "BELNR": belnr[doc],
            "BUZEI": _BUZEI[ln["buzei"][vis]],
            "BUDAT": _dt(budat),
            "BLDAT": _dt(np.where(is_inv, inv["bldat"][ii], budat)),
            "CPUDT": _dt(budat),
            "WAERS": cur,
            "HWAER": cur,
            "XBLNR": np.where(xref, inv["xblnr"][ii], "").astype(object),
            "XBLNR_LONG": np.where(xref, inv["xlong"][ii], "").astype(object),
            "BLART": np.array(BLARTS, dtype=object)[blart],
            "MONAT": _MONAT[_month_of(budat)],
            "BSCHL": _BSCHL[kind],
            "SHKZG": _SHKZG[kind],
            "GSBER": _obj("", n),
            "MWSKZ": pick(is_inv, "J2"),
            "DMBTR": ln["amount"][vis].astype(np.int64),
            "WRBTR": ln["amount"][vis].astype(np.int64),
            "SGTXT": _SGTXT[kind],
            "ZFBDT": _dt(zfbdt),
            "ZTERM": np.where(with_terms, _ZTERM[zbd3t], "").astype(object),
            "ZBD1T": np.zeros(n, np.int64),
            "ZBD2T": np.zeros(n, np.int64),
            "ZBD3T": zbd3t,
            "ZLSPR": pick(is_inv & inv["zlspr"][ii], "A"),
            "REBZG": np.where(has_ref, belnr[refdoc], "").astype(object),
            "REBZJ": np.where(has_ref, gjahr[refdoc], "").astype(object),
            "REBZZ": pick(has_ref, "001"),
            "MANSP": pick(mansp, "A"),
            "MANST": _MANST[level],
            "MADAT": _dt(madat),
            "BSTAT": pick(kind == NOTE, "S"),
            "HKONT": _obj("0011220000", n),
            "VBELN": np.where(is_inv & (blart == 0), belnr[doc], "").astype(object),
        }
    )
    return df, kind, vis


def knkk(f: Facts, led: pd.DataFrame) -> pd.DataFrame:
    """KNKK on as-of: SKFOR = open receivables, SSOBL = open noted down-payment requests (CNY fen)."""
    open_ = led["AUGDT"].isna().to_numpy()
    sign = np.where(led["SHKZG"].to_numpy() == "S", 1, -1)
    fen = led["DMBTR"].to_numpy() * np.where(led["HWAER"].to_numpy() == "JPY", JPY_TO_FEN, 1.0)
    noted = led["BSTAT"].to_numpy() == "S"
    cidx = pd.Index(f.cust.kunnr).get_indexer(pd.Index(led["KUNNR"]))
    n = len(f.cust.kunnr)
    skfor = np.bincount(cidx, weights=np.where(open_ & ~noted, sign * fen, 0.0), minlength=n)
    ssobl = np.bincount(cidx, weights=np.where(open_ & noted, fen, 0.0), minlength=n)
    k = f.cust.knkk_static
    skfor = np.round(skfor).astype(np.int64)
    ssobl = np.round(ssobl).astype(np.int64)
    blocked = k["_blocked"].to_numpy() | (skfor + ssobl > k["KLIMK"].to_numpy())
    return pd.DataFrame(
        {
            "KUNNR": k["KUNNR"],
            "KKBER": k["KKBER"],
            "KLIMK": k["KLIMK"].astype(np.int64),
            "SKFOR": skfor,
            "SSOBL": ssobl,
            "CTLPC": k["CTLPC"],
            "CRBLB": pick(blocked, "X"),
            "DBRTG": k["DBRTG"],
        }
    )
