"""A small hand-made portal world (the attributes the simulators read, sandbox/WORLD.md).

Shared by the portal tests and ``bench/bench_portals.py``.  ``PORTAL_WORLD=tiny`` makes
:func:`make_world` serve it instead of the real sandbox world (``World(size="small")``).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

STATUSES = [
    "SUBMITTED",
    "ACCEPTED",
    "UNDER_REVIEW",
    "APPROVED",
    "PAYING",
    "PAID",
    "REJECTED",
    "CANCELLED",
]
STAGES = ["submitted_on", "accepted_on", "review_on", "approved_on", "paying_on", "paid_on"]
PORTALS = [
    ("gov-gd", "government", "广东省政府采购电子卖场"),
    ("gov-zj", "government", "浙江政府采购网"),
    ("hosp-sh", "hospital", "上海阳光医药采购网 供应商结算"),
    ("hosp-gd", "hospital", "广东省医院供应商平台"),
    ("uni-bj", "university", "北京某大学 财务处"),
    ("uni-sh", "university", "上海某大学 财务处"),
]


@dataclass
class TinyWorld:
    """A hand-made world with the attributes the simulators read (sandbox/WORLD.md)."""

    portals: pd.DataFrame
    portal_accounts: pd.DataFrame
    portal_customers: pd.DataFrame
    portal_records: pd.DataFrame
    invoice_numbers: dict[str, list[str]] = field(default_factory=dict)


def _noisy(inv: str, rng: random.Random) -> str:
    k = rng.randrange(6)
    if k == 0:
        return f"No.{inv}"
    if k == 1:
        return f"发票号:{inv}"
    if k == 2:
        return inv.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if k == 3:
        return f"{inv[:4]} {inv[4:]}"
    return inv


def tiny_world(
    seed: int = 7,
    per_account: dict[str, int] | None = None,
    accounts: int = 1,
    as_of: date = date(2026, 11, 23),
) -> TinyWorld:
    rng = random.Random(seed)
    per_account = per_account or {"government": 45, "hospital": 45, "university": 12}
    portals = pd.DataFrame(PORTALS, columns=["portal", "family", "name"])
    acc_rows, cust_rows, rec_rows = [], [], []
    invoices: dict[str, list[str]] = {}
    for pi, (pid, fam, _) in enumerate(PORTALS):
        custs = [(f"{(pi + 1) * 100 + j:010d}", f"{pid}买方单位{j}") for j in range(3)]
        cust_rows += [(pid, c, b) for c, b in custs]
        for a in range(accounts):
            acc = f"{pid}-a{a + 1}"
            acc_rows.append(
                (pid, acc, f"sup{pi}{a}@example.cn", f"Pw{seed}x{pi}{a}!secret", "1000")
            )
            for i in range(per_account[fam]):
                status = STATUSES[i % len(STATUSES)]
                cust, buyer = custs[i % len(custs)]
                inv = (
                    f"{rng.randrange(10**7, 10**8)}"
                    if i % 3
                    else f"26{rng.randrange(10**17, 10**18)}"
                )
                invoices.setdefault(cust, []).append(inv)
                shown = _noisy(inv, rng)
                if i % 11 == 5:
                    inv2 = f"{rng.randrange(10**7, 10**8)}"
                    invoices[cust].append(inv2)
                    shown = f"{shown};{inv2}" if i % 2 else f"{shown}、{inv2}"
                sub = as_of - timedelta(days=rng.randrange(20, 400))
                reached = {
                    "SUBMITTED": 1,
                    "ACCEPTED": 2,
                    "UNDER_REVIEW": 3,
                    "APPROVED": 4,
                    "PAYING": 5,
                    "PAID": 6,
                    "REJECTED": 2 if i % 2 else 1,
                    "CANCELLED": 1,
                }[status]
                dates = {
                    s: (sub + timedelta(days=7 * k) if k < reached else None)
                    for k, s in enumerate(STAGES)
                }
                last = max(d for d in dates.values() if d is not None)
                amount = rng.randrange(10_000, 50_000_000)
                rid = {
                    "government": f"{rng.randrange(10**18, 10**19)}",
                    "hospital": f"JS{rng.randrange(10**11, 10**12)}",
                    "university": f"YY{as_of:%Y%m}{rng.randrange(10**6, 10**7)}",
                }[fam]
                rec_rows.append(
                    {
                        "portal": pid,
                        "account": acc,
                        "record_id": rid,
                        "buyer": buyer,
                        "customer": cust,
                        "invoice_no": shown,
                        "order_no": f"DD{rng.randrange(10**9)}",
                        "contract_no": f"HT-{as_of.year}-{rng.randrange(10**5):05d}",
                        "amount": amount,
                        "paid_amount": amount if status == "PAID" else 0,
                        "currency": "CNY",
                        "status": status,
                        "status_date": last,
                        **dates,
                        "expected_pay_date": (last + timedelta(days=30))
                        if status in ("APPROVED", "PAYING")
                        else None,
                        "payment_ref": f"PZ{rng.randrange(10**10)}" if status == "PAID" else "",
                        "reason": "发票信息有误" if status == "REJECTED" else "",
                        "invoices": "",
                    }
                )
    recs = pd.DataFrame(rec_rows)
    for c in ["status_date", "expected_pay_date", *STAGES]:
        recs[c] = pd.to_datetime(recs[c])
    recs["amount"] = recs["amount"].astype(np.int64)
    recs["paid_amount"] = recs["paid_amount"].astype(np.int64)
    return TinyWorld(
        portals=portals,
        portal_accounts=pd.DataFrame(
            acc_rows, columns=["portal", "account", "username", "password", "company_code"]
        ),
        portal_customers=pd.DataFrame(cust_rows, columns=["portal", "customer", "buyer"]),
        portal_records=recs,
        invoice_numbers=invoices,
    )


def make_world():
    """The real sandbox world, or the tiny one with ``PORTAL_WORLD=tiny``."""
    if os.environ.get("PORTAL_WORLD") == "tiny":
        return tiny_world()
    from arsync.sandbox.world import World

    return World(size="small", as_of=date(2026, 11, 23))
