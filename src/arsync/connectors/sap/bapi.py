"""The BAPI strategy: BAPI_AR_ACC_GETOPENITEMS and GETBALANCEDITEMS per customer × company code.

BAPIs do not raise on business errors: RETURN carries them, so every answer is checked here.
FN517 (type I, no items) is an empty result; FN503 (customer not in that company code) too,
since configured customers are asked in every company code; E/A otherwise is an error.
A call only collects its LINEITEMS; they are converted afterwards in bulk (one frame for all
customers, amounts through Arrow's decimal type), which keeps per-call Python work near zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from operator import itemgetter

import numpy as np
import pandas as pd
import pyarrow as pa
from loguru import logger

from arsync.common.errors import DataError
from arsync.common.money import decimals as currency_decimals
from arsync.connectors.sap.assemble import RAW, empty_raw
from arsync.connectors.sap.connection import RfcClient
from arsync.connectors.sap.convert import external_to_minor

OPEN = "BAPI_AR_ACC_GETOPENITEMS"
BALANCED = "BAPI_AR_ACC_GETBALANCEDITEMS"

# BAPI3007_2 → raw (SAP table) names
FIELDS = {
    "COMP_CODE": "BUKRS",
    "CUSTOMER": "KUNNR",
    "SP_GL_IND": "UMSKZ",
    "CLEAR_DATE": "AUGDT",
    "CLR_DOC_NO": "AUGBL",
    "ALLOC_NMBR": "ZUONR",
    "FISC_YEAR": "GJAHR",
    "DOC_NO": "BELNR",
    "ITEM_NUM": "BUZEI",
    "PSTNG_DATE": "BUDAT",
    "DOC_DATE": "BLDAT",
    "CURRENCY": "WAERS",
    "LOC_CURRCY": "HWAER",
    "REF_DOC_NO": "XBLNR",
    "REF_DOC_NO_LONG": "XBLNR_LONG",
    "DOC_TYPE": "BLART",
    "DB_CR_IND": "SHKZG",
    "AMT_DOCCUR": "WRBTR",
    "LC_AMOUNT": "DMBTR",
    "ITEM_TEXT": "SGTXT",
    "BLINE_DATE": "ZFBDT",
    "DSCT_DAYS1": "ZBD1T",
    "DSCT_DAYS2": "ZBD2T",
    "NETTERMS": "ZBD3T",
    "PMNT_BLOCK": "ZLSPR",
    "INV_REF": "REBZG",
    "DUNN_BLOCK": "MANSP",
    "DUNN_LEVEL": "MANST",
    "DOC_STATUS": "BSTAT",
}
_GET = itemgetter(*FIELDS)
_DAYS = ("ZBD1T", "ZBD2T", "ZBD3T")
_DEC4 = pa.decimal128(38, 4)
_REQUIRED = set(FIELDS) - {"REF_DOC_NO_LONG"}  # older releases have no long reference


def check_return(ret: dict, func: str, bukrs: str, kunnr: str) -> bool:
    """False when the BAPI found nothing; raise on E/A; True otherwise."""
    typ, code = (ret or {}).get("TYPE", ""), (ret or {}).get("CODE", "")
    if code == "FN517":
        return False
    if code == "FN503":
        logger.debug("{}: customer {} is not defined in company code {}", func, kunnr, bukrs)
        return False
    if typ in ("E", "A"):
        raise DataError(
            f"SAP {func} (customer {kunnr} in company code {bukrs}): "
            f"{code} {ret.get('MESSAGE', '').strip()}"
        )
    return True


def lineitems_raw(items: list[dict], decimals: dict[str, int], where: str) -> pd.DataFrame:
    """LINEITEMS (BAPI3007_2), of one call or many → the raw item shape; amounts → minor units."""
    if not items:
        return empty_raw()
    try:
        cols: dict[str, Sequence[object]] = dict(zip(FIELDS.values(), zip(*map(_GET, items))))
    except KeyError:  # some rows lack a field: older releases have no long reference
        df = pd.DataFrame(items)
        if "REF_DOC_NO_LONG" not in df.columns:
            df["REF_DOC_NO_LONG"] = ""
        missing = [f for f in FIELDS if f not in df.columns]
        if missing:
            raise DataError(f"{where}: LINEITEMS lacks {', '.join(missing)}") from None
        cols = {FIELDS[f]: df[f].tolist() for f in FIELDS}
    raw = pd.DataFrame(
        {
            c: np.array(v, dtype=object)
            for c, v in cols.items()
            if c not in ("WRBTR", "DMBTR", *_DAYS)
        }
    )
    raw = raw.fillna("").astype(str)
    for col, cur in (("WRBTR", "WAERS"), ("DMBTR", "HWAER")):
        raw[col] = _minor(list(cols[col]), raw[cur], decimals, raw, f"{where} {col}")
    for col in _DAYS:
        raw[col] = _days(list(cols[col]), f"{where} {col}")
    return raw[RAW]


def _scaled4(values: list) -> np.ndarray | None:
    """Decimals × 10⁴ as int64, exactly (Arrow decimal128); None if any has more places or is huge."""
    try:
        arr = pa.array(values, type=_DEC4)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None
    if arr.null_count:
        arr = arr.fill_null(Decimal(0))
    words = np.frombuffer(arr.buffers()[1], dtype=np.int64)[
        2 * arr.offset : 2 * (arr.offset + len(arr))
    ]
    lo, hi = words[0::2], words[1::2]
    if (hi != (lo >> 63)).any():  # beyond int64: leave it to the exact slow path
        return None
    return lo.copy()


def _minor(
    values: list, currency: pd.Series, decimals: dict[str, int], raw: pd.DataFrame, what: str
) -> np.ndarray:
    """External (BAPI) amounts → unsigned minor units, rounding half up; negative is an error."""
    codes, uniq = pd.factorize(currency)
    dec = np.array(
        [_decimals_of(c, i, codes, decimals, raw, what) for i, c in enumerate(uniq)] + [0],
        dtype=np.int64,
    )[codes]
    x = _scaled4(values)
    if x is None or (dec > 4).any():
        out = []
        for i, (v, c) in enumerate(zip(values, currency)):
            d = v if isinstance(v, Decimal) else Decimal(str(v))
            if d < 0:
                _negative(raw, i, d, what)
            out.append(external_to_minor(d, c, decimals))
        return np.array(out, dtype=np.int64)
    neg = np.flatnonzero(x < 0)
    if len(neg):
        _negative(raw, int(neg[0]), Decimal(int(x[neg[0]])).scaleb(-4), what)
    q = 10 ** (4 - dec)
    return (x + q // 2) // q


def _decimals_of(c: str, i: int, codes, decimals: dict[str, int], raw, what: str) -> int:
    """Decimals of currency ``c`` (TCURX, else ISO, else 2); a blank key names its document."""
    try:
        return currency_decimals(c, decimals)
    except DataError:
        row = raw.iloc[int(np.flatnonzero(codes == i)[0])]
        return currency_decimals(
            c,
            decimals,
            f"{what}: currency of document {row['BELNR']} (customer {row['KUNNR']} in company "
            f"code {row['BUKRS']})",
        )


def _negative(raw: pd.DataFrame, i: int, d: Decimal, what: str):
    row = raw.iloc[i]
    raise DataError(
        f"{what}: amount {d.normalize()} of document {row['BELNR']} (customer "
        f"{row['KUNNR']} in company code {row['BUKRS']}) is negative; BAPI amounts "
        "are unsigned"
    )


def _days(values: list, what: str) -> np.ndarray:
    x = _scaled4([v if v not in ("", None) else 0 for v in values])
    if x is None:
        try:
            return np.array([int(Decimal(v or 0)) for v in values], dtype=np.int64)
        except (ArithmeticError, ValueError, TypeError):
            raise DataError(f"{what}: a value is not a number of days") from None
    return np.sign(x) * (np.abs(x) // 10_000)  # int() truncates toward zero


def fetch_customer(
    client: RfcClient, bukrs: str, kunnr: str, key_date: date, cleared_from: date, noted: bool
) -> tuple[list[dict], list[dict]]:
    """LINEITEMS (checked, not converted) open at the key date and cleared in [cleared_from, key]."""
    where = f"customer {kunnr} in company code {bukrs}"
    key = key_date.strftime("%Y%m%d")
    r = client.call(
        OPEN, where, COMPANYCODE=bukrs, CUSTOMER=kunnr, KEYDATE=key, NOTEDITEMS="X" if noted else ""
    )
    open_ = r.get("LINEITEMS", []) if check_return(r.get("RETURN", {}), OPEN, bukrs, kunnr) else []
    _has_fields(open_, f"{OPEN} {where}")
    r = client.call(
        BALANCED,
        where,
        COMPANYCODE=bukrs,
        CUSTOMER=kunnr,
        DATE_FROM=cleared_from.strftime("%Y%m%d"),
        DATE_TO=key,
    )
    cleared = (
        r.get("LINEITEMS", []) if check_return(r.get("RETURN", {}), BALANCED, bukrs, kunnr) else []
    )
    _has_fields(cleared, f"{BALANCED} {where}")
    return open_, cleared


def _has_fields(items: list[dict], where: str) -> None:
    """A release without a field fails here, naming the call (the bulk conversion cannot)."""
    missing = _REQUIRED - items[0].keys() if items else ()
    if missing:
        raise DataError(f"{where}: LINEITEMS lacks {', '.join(sorted(missing))}")


def read_customer(
    client: RfcClient,
    bukrs: str,
    kunnr: str,
    key_date: date,
    cleared_from: date,
    noted: bool,
    decimals: dict[str, int],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One customer's open and cleared items in the raw shape (for callers that read one)."""
    o, c = fetch_customer(client, bukrs, kunnr, key_date, cleared_from, noted)
    where = f"customer {kunnr} in company code {bukrs}"
    return (
        lineitems_raw(o, decimals, f"{OPEN} {where}"),
        lineitems_raw(c, decimals, f"{BALANCED} {where}"),
    )
