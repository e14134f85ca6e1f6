"""The BAPI strategy: BAPI_AR_ACC_GETOPENITEMS and GETBALANCEDITEMS per customer × company code.

BAPIs do not raise on business errors: RETURN carries them, so every answer is checked here.
FN517 (type I, no items) is an empty result; FN503 (customer not in that company code) too,
since configured customers are asked in every company code; E/A otherwise is an error.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

import pandas as pd

from arsync.common.errors import DataError
from arsync.connectors.sap.assemble import RAW, empty_raw
from arsync.connectors.sap.connection import RfcClient
from arsync.connectors.sap.convert import external_to_minor

log = logging.getLogger("arsync.sap")
OPEN = "BAPI_AR_ACC_GETOPENITEMS"
BALANCED = "BAPI_AR_ACC_GETBALANCEDITEMS"
# BAPI3007_2 → raw (SAP table) names
FIELDS = {
    "COMP_CODE": "BUKRS", "CUSTOMER": "KUNNR", "SP_GL_IND": "UMSKZ", "CLEAR_DATE": "AUGDT",
    "CLR_DOC_NO": "AUGBL", "ALLOC_NMBR": "ZUONR", "FISC_YEAR": "GJAHR", "DOC_NO": "BELNR",
    "ITEM_NUM": "BUZEI", "PSTNG_DATE": "BUDAT", "DOC_DATE": "BLDAT", "CURRENCY": "WAERS",
    "LOC_CURRCY": "HWAER", "REF_DOC_NO": "XBLNR", "REF_DOC_NO_LONG": "XBLNR_LONG",
    "DOC_TYPE": "BLART", "DB_CR_IND": "SHKZG", "AMT_DOCCUR": "WRBTR", "LC_AMOUNT": "DMBTR",
    "ITEM_TEXT": "SGTXT", "BLINE_DATE": "ZFBDT", "DSCT_DAYS1": "ZBD1T", "DSCT_DAYS2": "ZBD2T",
    "NETTERMS": "ZBD3T", "PMNT_BLOCK": "ZLSPR", "INV_REF": "REBZG", "DUNN_BLOCK": "MANSP",
    "DUNN_LEVEL": "MANST", "DOC_STATUS": "BSTAT",
}


def check_return(ret: dict, func: str, bukrs: str, kunnr: str) -> bool:
    """False when the BAPI found nothing; raise on E/A; True otherwise."""
    typ, code = (ret or {}).get("TYPE", ""), (ret or {}).get("CODE", "")
    if code == "FN517":
        return False
    if code == "FN503":
        log.info("%s: customer %s is not defined in company code %s", func, kunnr, bukrs)
        return False
    if typ in ("E", "A"):
        raise DataError(f"SAP {func} (customer {kunnr} in company code {bukrs}): "
                        f"{code} {ret.get('MESSAGE', '').strip()}")
    return True


def lineitems_raw(items: list[dict], decimals: dict[str, int], where: str) -> pd.DataFrame:
    """LINEITEMS (BAPI3007_2) → the raw item shape; external amounts → unsigned minor units."""
    if not items:
        return empty_raw()
    df = pd.DataFrame(items)
    if "REF_DOC_NO_LONG" not in df.columns:  # older releases have no long reference
        df["REF_DOC_NO_LONG"] = ""
    missing = [f for f in FIELDS if f not in df.columns]
    if missing:
        raise DataError(f"{where}: LINEITEMS lacks {', '.join(missing)}")
    raw = df[list(FIELDS)].rename(columns=FIELDS)
    for col, cur in (("WRBTR", "WAERS"), ("DMBTR", "HWAER")):
        raw[col] = [_minor(v, c, decimals, f"{where} {col}") for v, c in zip(raw[col], raw[cur])]
    for col in ("ZBD1T", "ZBD2T", "ZBD3T"):
        raw[col] = [int(Decimal(v or 0)) for v in raw[col]]
    for col in RAW:
        if col not in ("WRBTR", "DMBTR", "ZBD1T", "ZBD2T", "ZBD3T"):
            raw[col] = raw[col].fillna("").astype(str)
    return raw[RAW]


def _minor(v, cur: str, decimals: dict[str, int], what: str) -> int:
    d = v if isinstance(v, Decimal) else Decimal(str(v))
    if d < 0:
        raise DataError(f"{what}: amount {d} is negative; BAPI amounts are unsigned")
    return external_to_minor(d, cur, decimals)


def read_customer(client: RfcClient, bukrs: str, kunnr: str, key_date: date, cleared_from: date,
                  noted: bool, decimals: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Open items at the key date and items cleared in [cleared_from, key_date] of one customer."""
    where = f"customer {kunnr} in company code {bukrs}"
    key = key_date.strftime("%Y%m%d")
    r = client.call(OPEN, where, COMPANYCODE=bukrs, CUSTOMER=kunnr, KEYDATE=key,
                    NOTEDITEMS="X" if noted else "")
    open_ = lineitems_raw(r.get("LINEITEMS", []), decimals, f"{OPEN} {where}") \
        if check_return(r.get("RETURN", {}), OPEN, bukrs, kunnr) else empty_raw()
    r = client.call(BALANCED, where, COMPANYCODE=bukrs, CUSTOMER=kunnr,
                    DATE_FROM=cleared_from.strftime("%Y%m%d"), DATE_TO=key)
    cleared = lineitems_raw(r.get("LINEITEMS", []), decimals, f"{BALANCED} {where}") \
        if check_return(r.get("RETURN", {}), BALANCED, bukrs, kunnr) else empty_raw()
    return open_, cleared
