"""The ``customers`` frame from KNA1, KNB1, KNKK, KNVK and ADR6 text rows, mapped through the
settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
from loguru import logger

from arsync.common.frames import CUSTOMERS
from arsync.common.parse import alpha_series
from arsync.connectors.sap.convert import internal_to_minor, wa_number
from arsync.connectors.sap.readers import KNA1_FIELDS


def customers_frame(
    knb1: pd.DataFrame,
    kna1: pd.DataFrame | None,
    knkk: pd.DataFrame | None,
    credit_currency: str,
    settings,
    knvk: pd.DataFrame | None = None,
    adr6: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per customer of ``knb1`` (KUNNR, BUKRS, BUSAB); master data where it could be read.

    ``portals`` is left empty: which portals a customer pays through is not SAP's to say; the
    pipeline fills it from the portal declarations.  The contact columns follow
    :func:`contact_columns`."""
    s = settings.sap
    if not len(knb1):
        return CUSTOMERS.empty()
    first = knb1.sort_values(["KUNNR", "BUKRS"]).drop_duplicates("KUNNR")  # BUSAB of lowest BUKRS
    df = pd.DataFrame({"customer": alpha_series(first["KUNNR"]).to_numpy()})
    busab = first["BUSAB"].fillna("").to_numpy()
    df["collector"] = [s.collectors.get(b, b) for b in busab]
    a = kna1 if kna1 is not None else pd.DataFrame(columns=KNA1_FIELDS)
    a = a.assign(KUNNR=alpha_series(a["KUNNR"])).drop_duplicates("KUNNR").set_index("KUNNR")
    a = a.reindex(df["customer"]).fillna("")
    if kna1 is not None and (a["NAME1"] == "").any():
        logger.warning("KNA1 has no name for {} customer(s)", int((a["NAME1"] == "").sum()))
    df["name"] = [f"{n1} {n2}".strip() for n1, n2 in zip(a["NAME1"], a["NAME2"])]
    unknown = sorted(set(a["BRSCH"]) - set(s.segments) - {""})
    if unknown:
        logger.warning("industry key(s) {} have no segment in sap.segments", ", ".join(unknown))
    df["segment"] = [s.segments.get(b, "") for b in a["BRSCH"]]
    df["city"] = a["ORT01"].to_numpy()
    df["tax_id"] = a["STCEG"].to_numpy()
    contact = contact_columns(a, knvk, adr6, s.contact_departments)
    for col in ("contact_person", "phone", "email"):
        df[col] = contact[col].to_numpy()
    df["portals"] = ""
    k = (
        knkk
        if knkk is not None
        else pd.DataFrame(columns=["KUNNR", "KLIMK", "SKFOR", "SSOBL", "CTLPC", "CRBLB"])
    )
    k = k.assign(KUNNR=alpha_series(k["KUNNR"])).drop_duplicates("KUNNR").set_index("KUNNR")
    has = df["customer"].isin(k.index).to_numpy()
    k = k.reindex(df["customer"])
    # internal CURR × 100 is the minor amount whatever the decimals, so a credit control area
    # currency that TCURX does not list (RMB) reads as well as CNY
    cur = credit_currency or "CNY"

    def money(col: str) -> np.ndarray:
        return np.array(
            [
                internal_to_minor(wa_number(v, f"KNKK-{col} of customer {c}"), cur) if h else 0
                for v, c, h in zip(k[col], df["customer"], has)
            ],
            dtype=np.int64,
        )

    df["credit_limit"] = money("KLIMK")
    df["credit_exposure"] = money("SKFOR") + money("SSOBL")
    df["credit_currency"] = np.where(has, credit_currency, "")
    df["risk_class"] = k["CTLPC"].fillna("").to_numpy()
    df["credit_blocked"] = (k["CRBLB"].fillna("") == "X").to_numpy()
    df = CUSTOMERS.coerce(df).sort_values("customer").reset_index(drop=True)
    return CUSTOMERS.validate(df, "SAP customers")


def contact_columns(
    kna1: pd.DataFrame,
    knvk: pd.DataFrame | None,
    adr6: pd.DataFrame | None,
    departments: list[str] | tuple[str, ...] = (),
) -> pd.DataFrame:
    """``contact_person``, ``phone``, ``email`` per customer of ``kna1`` (indexed by KUNNR).

    The contact person is the customer's KNVK row in the first of ``departments`` (KNVK-ABTNR,
    ``sap.contact_departments``) that has one, else its first (lowest PARNR); the name is NAME1
    with the first name NAMEV (王 + 丽 → 王丽; Hanako Suzuki).  ``phone`` is the person's
    KNVK-TELF1, else the customer's KNA1-TELF1.  ``email`` is ADR6-SMTP_ADDR of the person
    (ADDRNUMBER = KNVK-ADRND, PERSNUMBER = KNVK-PRSNR), else of the customer (KNA1-ADRNR,
    PERSNUMBER blank): addresses flagged not used (FLG_NOUSE) are skipped, the default
    (FLGDEFAULT) comes first, then the lowest CONSNUMBER."""
    out = pd.DataFrame(index=kna1.index)
    out["contact_person"], out["phone"], out["email"] = "", "", ""
    if not len(kna1):
        return out
    person = pd.DataFrame(columns=["KUNNR", "name", "TELF1", "ADRND", "PRSNR"])
    if knvk is not None and len(knvk):
        k = knvk.assign(KUNNR=alpha_series(knvk["KUNNR"]))
        rank = {d: i for i, d in enumerate(departments)}
        k = k.assign(_rank=k["ABTNR"].map(rank).fillna(len(rank)))
        k = k.sort_values(["KUNNR", "_rank", "PARNR"]).drop_duplicates("KUNNR")
        person = k.assign(name=[_name(a, b) for a, b in zip(k["NAME1"], k["NAMEV"])])
    p = person.set_index("KUNNR").reindex(kna1.index).fillna("")
    out["contact_person"] = p["name"].to_numpy()
    tel = kna1["TELF1"].fillna("") if "TELF1" in kna1 else pd.Series("", index=kna1.index)
    out["phone"] = np.where(p["TELF1"].ne(""), p["TELF1"], tel).astype(object)
    mail: dict[tuple[str, str], str] = {}
    if adr6 is not None and len(adr6):
        e = adr6[adr6["FLG_NOUSE"].ne("X") & adr6["SMTP_ADDR"].ne("")]
        e = e.assign(_default=e["FLGDEFAULT"].ne("X"))
        e = e.sort_values(["ADDRNUMBER", "PERSNUMBER", "_default", "CONSNUMBER"])
        e = e.drop_duplicates(["ADDRNUMBER", "PERSNUMBER"])
        mail = dict(zip(zip(e["ADDRNUMBER"], e["PERSNUMBER"]), e["SMTP_ADDR"]))
    adrnr = kna1["ADRNR"].fillna("") if "ADRNR" in kna1 else pd.Series("", index=kna1.index)
    personal = [
        mail.get((adrnd, prsnr), "") if prsnr else ""
        for adrnd, prsnr in zip(p["ADRND"], p["PRSNR"])
    ]
    company = [mail.get((a, ""), "") for a in adrnr]
    out["email"] = [m or c for m, c in zip(personal, company)]
    return out


def _name(name1: str, namev: str) -> str:
    """Full name from NAME1 (family name, or all of it) and NAMEV (first name)."""
    if not namev or not name1:
        return name1 or namev
    if _cjk(name1) and _cjk(namev):
        return name1 + namev  # Chinese order, no space
    return f"{namev} {name1}"


def _cjk(text: str) -> bool:
    return all(ord(ch) >= 0x2E80 for ch in text if not ch.isspace())
