"""The sandbox world as canonical frames, without going through RFC.

Tests and benchmarks of the reconciliation need open items, cleared items, customers and
portal records of a world in the canonical form the SAP connector and the portal runner
produce.  This adapter does the same conversions directly on the world's SAP-named tables
(sign from SHKZG, long reference before XBLNR, net due date from ZFBDT + terms, noted
items left out as the connector does by default) so that the engine can be measured
against ``World.truth`` in milliseconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from arsync.common.frames import CLEARED_ITEMS, CUSTOMERS, OPEN_ITEMS, PORTAL_RECORDS

SEGMENT = {"GOVT": "government", "HOSP": "hospital", "ACAD": "academic", "COMM": "commercial"}


def world_frames(world) -> dict[str, pd.DataFrame]:
    """``open_items, cleared_items, customers, portal_records`` of ``world`` on its as-of date."""
    led = world.ledger
    led = led.loc[led["BSTAT"].ne("S")]
    items = _items(led)
    is_open = led["AUGDT"].isna().to_numpy()
    # Schema.coerce aligns on a fresh RangeIndex: hand it frames with one.
    cleared = (
        items.loc[~is_open]
        .reset_index(drop=True)
        .assign(
            clearing_date=led.loc[~is_open, "AUGDT"].to_numpy(),
            clearing_doc=led.loc[~is_open, "AUGBL"].to_numpy(),
        )
    )
    return {
        "open_items": OPEN_ITEMS.validate(
            OPEN_ITEMS.coerce(items.loc[is_open].reset_index(drop=True)), "world open items"
        ),
        "cleared_items": CLEARED_ITEMS.validate(
            CLEARED_ITEMS.coerce(cleared), "world cleared items"
        ),
        "customers": customers(world),
        "portal_records": portal_records(world),
    }


def _items(led: pd.DataFrame) -> pd.DataFrame:
    sign = np.where(led["SHKZG"].to_numpy() == "H", -1, 1)
    days = np.where(
        led["ZBD3T"] > 0, led["ZBD3T"], np.where(led["ZBD2T"] > 0, led["ZBD2T"], led["ZBD1T"])
    )
    return pd.DataFrame(
        {
            "company_code": led["BUKRS"],
            "fiscal_year": led["GJAHR"],
            "document_no": led["BELNR"],
            "line_item": led["BUZEI"],
            "customer": led["KUNNR"],
            "doc_type": led["BLART"],
            "reference": led["XBLNR_LONG"].where(led["XBLNR_LONG"].ne(""), led["XBLNR"]),
            "assignment": led["ZUONR"],
            "document_date": led["BLDAT"],
            "posting_date": led["BUDAT"],
            "baseline_date": led["ZFBDT"],
            "due_date": led["ZFBDT"] + pd.to_timedelta(days, unit="D"),
            "amount": led["WRBTR"] * sign,
            "currency": led["WAERS"],
            "local_amount": led["DMBTR"] * sign,
            "local_currency": led["HWAER"],
            "dunning_level": pd.to_numeric(led["MANST"]).astype("int64"),
            "dunning_block": led["MANSP"],
            "payment_block": led["ZLSPR"],
            "special_gl": led["UMSKZ"],
            "invoice_ref": led["REBZG"],
            "text": led["SGTXT"],
        }
    ).reset_index(drop=True)


def customers(world) -> pd.DataFrame:
    kna1, knb1, knkk = (
        world.kna1,
        world.knb1.drop_duplicates("KUNNR"),
        world.knkk.drop_duplicates("KUNNR"),
    )
    portals = (
        world.portal_customers.sort_values(["customer", "portal"])
        .groupby("customer")["portal"]
        .agg(";".join)
    )
    k = kna1.merge(knb1[["KUNNR", "BUSAB"]], on="KUNNR", how="left").merge(
        knkk, on="KUNNR", how="left"
    )
    name = (k["NAME1"] + " " + k["NAME2"]).str.strip()
    contact = _contacts(world, k)
    return CUSTOMERS.validate(
        CUSTOMERS.coerce(
            pd.DataFrame(
                {
                    "customer": k["KUNNR"],
                    "name": name,
                    "segment": k["BRSCH"].map(SEGMENT).fillna(""),
                    "city": k["ORT01"],
                    "tax_id": k["STCEG"],
                    "contact_person": contact["contact_person"],
                    "phone": contact["phone"],
                    "email": contact["email"],
                    "collector": k["BUSAB"].fillna(""),
                    "portals": k["KUNNR"].map(portals).fillna(""),
                    "credit_limit": k["KLIMK"].fillna(0),
                    "credit_exposure": (k["SKFOR"] + k["SSOBL"]).fillna(0),
                    "credit_currency": "CNY",
                    "risk_class": k["CTLPC"].fillna(""),
                    "credit_blocked": k["CRBLB"].eq("X"),
                }
            )
        ),
        "world customers",
    )


def _contacts(world, k: pd.DataFrame) -> pd.DataFrame:
    """What SAP's contact columns hold for the world (the first contact person is the finance
    one, so the default ``sap.contact_departments`` picks it): name, own phone else the
    switchboard, own e-mail else the customer's."""
    first = world.knvk.drop_duplicates("KUNNR").set_index("KUNNR").reindex(k["KUNNR"])
    mail = world.adr6.set_index(["ADDRNUMBER", "PERSNUMBER"])["SMTP_ADDR"].to_dict()
    own = [mail.get((a, p), "") for a, p in zip(first["ADRND"], first["PRSNR"])]
    company = [mail.get((a, ""), "") for a in k["ADRNR"]]
    tel = first["TELF1"].fillna("").to_numpy()
    return pd.DataFrame(
        {
            "contact_person": first["NAME1"].fillna("").to_numpy(),
            "phone": [t or s for t, s in zip(tel, k["TELF1"])],
            "email": [o or c for o, c in zip(own, company)],
        },
        index=k.index,
    )


def portal_records(world) -> pd.DataFrame:
    """What the portal runner outputs: the buyer mapped to a customer through
    ``world.portal_customers`` exactly as the runner maps it ('' for a name the map does not
    know), the status as its own text, read at 06:00 on the as-of date."""
    r = world.portal_records
    buyers = world.portal_customers.drop_duplicates(["portal", "buyer"], keep="last")
    mapped = r[["portal", "buyer"]].merge(buyers, on=["portal", "buyer"], how="left")["customer"]
    fetched = pd.Timestamp(world.as_of) + pd.Timedelta(hours=6)
    df = r.assign(
        customer=mapped.fillna("").to_numpy(dtype=object),
        status_text=r["status"],
        status_column="",
        action_by="",
        paid_date=r["paid_on"],
        fetched_at=fetched,
        evidence="",
    )
    return PORTAL_RECORDS.validate(PORTAL_RECORDS.coerce(df), "world portal records")


def vlookup_baseline(
    open_items: pd.DataFrame, customers: pd.DataFrame, portal_records: pd.DataFrame
) -> pd.DataFrame:
    """What a collector gets with VLOOKUP: the SAP reference looked up, exactly, in the portal
    export's invoice-number column (first hit wins, whoever the customer); the status found
    read as the finding.  Generous: it is given the long reference where SAP has one."""
    recs = portal_records.drop_duplicates("invoice_no")
    hit = (
        open_items[["reference"]]
        .merge(
            recs[["invoice_no", "status"]], left_on="reference", right_on="invoice_no", how="left"
        )["status"]
        .fillna("")
    )
    on_portal = (
        open_items["customer"].map(customers.set_index("customer")["portals"]).fillna("").ne("")
    )
    status = hit.to_numpy()
    finding = np.select(
        [
            open_items["amount"].lt(0).to_numpy(),
            status == "PAID",
            status == "REJECTED",
            (status == "") | (status == "CANCELLED"),
            status != "",
        ],
        ["UNAPPLIED_CREDIT", "PAID_NOT_APPLIED", "REJECTED", "NOT_SUBMITTED", "IN_PROCESS"],
        "",
    )
    finding = np.where(
        (status == "") & ~on_portal.to_numpy() & (finding == "NOT_SUBMITTED"), "NO_PORTAL", finding
    )
    return open_items[["company_code", "fiscal_year", "document_no", "line_item"]].assign(
        finding=finding
    )


def scores(truth: pd.DataFrame, found: pd.DataFrame) -> pd.DataFrame:
    """Precision and recall per finding of ``found`` (key + finding) against ``truth``."""
    key = ["company_code", "fiscal_year", "document_no", "line_item"]
    m = truth[[*key, "finding"]].merge(
        found[[*key, "finding"]], on=key, how="outer", suffixes=("_t", "_f")
    )
    m = m.fillna({"finding_t": "", "finding_f": ""})
    rows = []
    for f in sorted(set(m["finding_t"]) | set(m["finding_f"]) - {""}):
        tp = int(((m["finding_t"] == f) & (m["finding_f"] == f)).sum())
        pred, real = int((m["finding_f"] == f).sum()), int((m["finding_t"] == f).sum())
        rows.append(
            {
                "finding": f,
                "truth": real,
                "found": pred,
                "correct": tp,
                "precision": tp / pred if pred else 1.0,
                "recall": tp / real if real else 1.0,
            }
        )
    return pd.DataFrame(rows).set_index("finding")


_STAGE_DATES = (
    ("ACCEPTED", "accepted_on"),
    ("UNDER_REVIEW", "review_on"),
    ("APPROVED", "approved_on"),
    ("PAYING", "paying_on"),
    ("PAID", "paid_on"),
)


def stage_history(world) -> pd.DataFrame:
    """When each open or cleared item entered each portal status, up to the as-of date: what a
    daily run would have kept in the run store (the status date the portal shows, per item its
    record covers).  Columns ``company_code, fiscal_year, document_no, line_item, customer,
    status, entered``."""
    r = world.portal_records
    pc = world.portal_customers.drop_duplicates(["portal", "buyer"], keep="last")
    r = r.merge(
        pc[["portal", "buyer", "customer"]], on=["portal", "buyer"], how="left", suffixes=("_x", "")
    )
    rows = []
    for status, col in _STAGE_DATES:
        d = r[r[col].notna()][["invoices", col, "customer"]].rename(columns={col: "entered"})
        d = d.assign(status=status)
        rows.append(d)
    st = pd.concat(rows, ignore_index=True)
    st = st.assign(invoices=st["invoices"].str.split(";")).explode("invoices")
    st = st[st["invoices"].fillna("") != ""]
    key = st["invoices"].str.split("/", expand=True)
    out = pd.DataFrame(
        {
            "company_code": key[0].to_numpy(dtype=object),
            "fiscal_year": key[1].to_numpy(dtype=object),
            "document_no": key[2].to_numpy(dtype=object),
            "line_item": key[3].to_numpy(dtype=object),
            "customer": st["customer"].fillna("").to_numpy(dtype=object),
            "status": st["status"].to_numpy(dtype=object),
            "entered": pd.to_datetime(st["entered"]).to_numpy(),
        }
    )
    keys = ["company_code", "fiscal_year", "document_no", "line_item", "status"]
    return out.sort_values([*keys, "entered"]).drop_duplicates(keys).reset_index(drop=True)
