"""Table reads over RFC_READ_TABLE: AR items (BSID / BSAD / BKPF) and master data
(T001, TCURX, KNB1, KNA1, KNKK, KNVK, ADR6), each partitioned by key ranges, never paged with
ROWSKIPS."""

from __future__ import annotations

from datetime import date

import pandas as pd

from arsync.common.errors import DataError
from arsync.common.money import decimals as currency_decimals
from arsync.connectors.sap.assemble import RAW
from arsync.connectors.sap.connection import RfcClient
from arsync.connectors.sap.convert import internal_to_minor, wa_number, wa_scaled
from arsync.connectors.sap.read_table import TableReader, cond_in, lit, options

ITEM_FIELDS = [
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
    "XBLNR",
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
ITEM_KEY = ["BUKRS", "BELNR", "GJAHR", "BUZEI"]


def _d(d: date) -> str:
    return d.strftime("%Y%m%d")


def t001(r: TableReader, c: RfcClient) -> pd.DataFrame:
    return r.read(c, "T001", ["BUKRS", "WAERS", "KKBER"], [], ["BUKRS"], "company codes")


def tcurx(r: TableReader, c: RfcClient) -> dict[str, int]:
    """TCURX: decimals of the currencies whose decimals differ from 2 (the others have 2)."""
    df = r.read(c, "TCURX", ["CURRKEY", "CURRDEC"], [], ["CURRKEY"], "currency decimals")
    out = {}
    for k, v in zip(df["CURRKEY"], df["CURRDEC"]):
        if not (v or "0").strip().isdigit():
            raise DataError(f"TCURX-CURRDEC of currency key {k}: {v!r} is not a number of decimals")
        out[k] = int(v or 0)
    return out


def _doc(r) -> str:
    """The key of an item row, as a person finds it in FB03."""
    return f"company code {r['BUKRS']} document {r['BELNR']} year {r['GJAHR']} line {r['BUZEI']}"


def knb1(r: TableReader, c: RfcClient, company_codes: list[str]) -> pd.DataFrame:
    return r.read(
        c,
        "KNB1",
        ["KUNNR", "BUKRS", "BUSAB"],
        options(cond_in("BUKRS", company_codes)),
        ["KUNNR", "BUKRS"],
        "customers per company code",
    )


KNA1_FIELDS = ["KUNNR", "NAME1", "NAME2", "ORT01", "BRSCH", "STCEG", "TELF1", "ADRNR"]
KNVK_FIELDS = ["PARNR", "KUNNR", "NAMEV", "NAME1", "ABTNR", "TELF1", "ADRND", "PRSNR"]
ADR6_FIELDS = [
    "ADDRNUMBER",
    "PERSNUMBER",
    "DATE_FROM",
    "CONSNUMBER",
    "FLGDEFAULT",
    "FLG_NOUSE",
    "SMTP_ADDR",
]


def knvk(r: TableReader, c: RfcClient, lo: str, hi: str) -> pd.DataFrame:
    """Contact persons of the customers in [lo, hi]; PRSNR (their address-services person, the
    key of their own e-mail in ADR6) only where this release has it."""
    fields = KNVK_FIELDS if r.has_field(c, "KNVK", "PRSNR") else KNVK_FIELDS[:-1]
    df = r.read(
        c,
        "KNVK",
        fields,
        options(f"KUNNR BETWEEN {lit(lo)} AND {lit(hi)}"),
        ["PARNR"],
        "contact persons",
    )
    return df if "PRSNR" in df else df.assign(PRSNR="")


def adr6(r: TableReader, c: RfcClient, addresses: list[str]) -> pd.DataFrame:
    """E-mail addresses (ADR6) of these address numbers: the customers' (PERSNUMBER blank) and
    their contact persons' (PERSNUMBER = KNVK-PRSNR)."""
    return r.read(
        c,
        "ADR6",
        ADR6_FIELDS,
        options(cond_in("ADDRNUMBER", addresses)),
        ["ADDRNUMBER", "PERSNUMBER", "DATE_FROM", "CONSNUMBER"],
        "e-mail addresses",
    )


def kna1(r: TableReader, c: RfcClient, lo: str, hi: str) -> pd.DataFrame:
    return r.read(
        c,
        "KNA1",
        KNA1_FIELDS,
        options(f"KUNNR BETWEEN {lit(lo)} AND {lit(hi)}"),
        ["KUNNR"],
        "customers",
    )


def knkk(r: TableReader, c: RfcClient, area: str, lo: str, hi: str) -> pd.DataFrame:
    return r.read(
        c,
        "KNKK",
        ["KUNNR", "KKBER", "KLIMK", "SKFOR", "SSOBL", "CTLPC", "CRBLB"],
        options(f"KKBER = {lit(area)}", f"KUNNR BETWEEN {lit(lo)} AND {lit(hi)}"),
        ["KUNNR", "KKBER"],
        "credit data",
    )


def items_partition(
    r: TableReader, c: RfcClient, bukrs: str, lo: str, hi: str, key_date: date, cleared_from: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Text rows open at the key date (BSID, plus BSAD cleared later) and cleared in the range."""
    part = (f"BUKRS = {lit(bukrs)}", f"KUNNR BETWEEN {lit(lo)} AND {lit(hi)}")
    what = f"company code {bukrs} customers {lo}..{hi}"
    k = lit(_d(key_date))
    bsid = r.read(c, "BSID", ITEM_FIELDS, options(*part, f"BUDAT <= {k}"), ITEM_KEY, what)
    bsad = r.read(
        c,
        "BSAD",
        ITEM_FIELDS,
        options(
            *part,
            f"( AUGDT > {k} AND BUDAT <= {k} OR AUGDT BETWEEN {lit(_d(cleared_from))} AND {k} )",
        ),
        ITEM_KEY,
        what,
    )
    later = bsad["AUGDT"] > _d(key_date)
    return pd.concat([bsid, bsad[later]], ignore_index=True), bsad[~later].reset_index(drop=True)


def long_refs(r: TableReader, c: RfcClient, bukrs: str, years: list[str]) -> pd.DataFrame:
    """BKPF long references (XBLNR_ALT) of one company code's documents in these fiscal years."""
    return r.read(
        c,
        "BKPF",
        ["BUKRS", "BELNR", "GJAHR", "XBLNR_ALT"],
        options(f"BUKRS = {lit(bukrs)}", cond_in("GJAHR", years), "XBLNR_ALT <> ' '"),
        ["BUKRS", "BELNR", "GJAHR"],
        f"long references {bukrs}",
    )


def finish_items(
    text: pd.DataFrame,
    local_currency: dict[str, str],
    refs: pd.DataFrame,
    decimals: dict[str, int],
    where: str,
) -> pd.DataFrame:
    """Text rows → the raw item shape: internal CURR → minor units, HWAER from T001, long ref."""
    df = text.copy()
    df["HWAER"] = df["BUKRS"].map(local_currency).fillna("")
    if len(refs):
        ref = refs.set_index(["BUKRS", "BELNR", "GJAHR"])["XBLNR_ALT"]
        key = pd.MultiIndex.from_frame(df[["BUKRS", "BELNR", "GJAHR"]])
        df["XBLNR_LONG"] = ref.reindex(key).fillna("").to_numpy(dtype=object)
    else:
        df["XBLNR_LONG"] = ""
    for col, cur, src in (("WRBTR", "WAERS", "BSID/BSAD-WAERS"), ("DMBTR", "HWAER", "T001-WAERS")):
        for c in pd.unique(df[cur]):
            try:  # a key missing from TCURX has 2 decimals; only a blank or garbled one fails
                currency_decimals(c, decimals)
            except DataError:
                r = df.loc[df[cur].eq(c)].iloc[0]
                currency_decimals(c, decimals, f"{where}: {src} of {_doc(r)}")
        # internal CURR (2 decimals) → minor units: external × 10^dec = internal × 100
        v = wa_scaled(df[col].to_numpy(), 2)
        df[col] = (
            v
            if v is not None
            else [
                internal_to_minor(
                    wa_number(v, f"{where}: BSID/BSAD-{col} of {_doc(r)}"), c, decimals
                )
                for v, c, (_, r) in zip(df[col], df[cur], df.iterrows())
            ]
        )
    for col in ("ZBD1T", "ZBD2T", "ZBD3T"):
        v = wa_scaled(df[col].to_numpy(), 0)
        df[col] = v if v is not None else [int(wa_number(v, f"{where} {col}")) for v in df[col]]
    return df[RAW]
