"""The ``customers`` frame from KNA1, KNB1 and KNKK text rows, mapped through the settings."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from arsync.common.frames import CUSTOMERS
from arsync.common.parse import alpha_series
from arsync.connectors.sap.convert import internal_to_minor, wa_number

log = logging.getLogger("arsync.sap")


def customers_frame(
    knb1: pd.DataFrame,
    kna1: pd.DataFrame | None,
    knkk: pd.DataFrame | None,
    credit_currency: str,
    settings,
) -> pd.DataFrame:
    """One row per customer of ``knb1`` (KUNNR, BUKRS, BUSAB); master data where it could be read.

    ``portals`` is left empty: which portals a customer pays through is not SAP's to say; the
    pipeline fills it from the portal declarations."""
    s = settings.sap
    if not len(knb1):
        return CUSTOMERS.empty()
    first = knb1.sort_values(["KUNNR", "BUKRS"]).drop_duplicates("KUNNR")  # BUSAB of lowest BUKRS
    df = pd.DataFrame({"customer": alpha_series(first["KUNNR"]).to_numpy()})
    busab = first["BUSAB"].fillna("").to_numpy()
    df["collector"] = [s.collectors.get(b, b) for b in busab]
    a = (
        kna1
        if kna1 is not None
        else pd.DataFrame(columns=["KUNNR", "NAME1", "NAME2", "ORT01", "BRSCH", "STCEG"])
    )
    a = a.assign(KUNNR=alpha_series(a["KUNNR"])).drop_duplicates("KUNNR").set_index("KUNNR")
    a = a.reindex(df["customer"]).fillna("")
    if kna1 is not None and (a["NAME1"] == "").any():
        log.warning("KNA1 has no name for %d customer(s)", int((a["NAME1"] == "").sum()))
    df["name"] = [f"{n1} {n2}".strip() for n1, n2 in zip(a["NAME1"], a["NAME2"])]
    unknown = sorted(set(a["BRSCH"]) - set(s.segments) - {""})
    if unknown:
        log.warning("industry key(s) %s have no segment in sap.segments", ", ".join(unknown))
    df["segment"] = [s.segments.get(b, "") for b in a["BRSCH"]]
    df["city"] = a["ORT01"].to_numpy()
    df["tax_id"] = a["STCEG"].to_numpy()
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
