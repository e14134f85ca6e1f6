"""Benchmark the reconciliation engine; prints figures, asserts nothing.

    .venv/bin/python bench/bench_reconcile.py                  # 1M open items × 1M portal records
    .venv/bin/python bench/bench_reconcile.py --items 200000
    .venv/bin/python bench/bench_reconcile.py --world medium   # accuracy vs the world's truth + VLOOKUP

The synthetic portfolio is generated with numpy in seconds: 60 % 20-digit 数电 numbers, the
portal side written with the world's noise (prefixes, dropped zeros, full-width digits,
spaces, 8-of-20), one record in six paying two invoices, other customers' records and
records for invoices SAP has already cleared.  Peak memory is the process's maximum RSS
(``resource.getrusage``), which covers numpy and Arrow buffers that tracemalloc misses.
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import date

import numpy as np
import pandas as pd

from arsync.common.frames import CLEARED_ITEMS, CUSTOMERS, OPEN_ITEMS, PORTAL_RECORDS
from arsync.jobs.engine.reconcile import reconcile

AS_OF = date(2026, 11, 23)
PORTALS = np.array(["gov-gd", "gov-zj", "hosp-sh", "hosp-gd", "uni-bj", "uni-sh"], dtype=object)
STATUSES = np.array(
    [
        "SUBMITTED",
        "ACCEPTED",
        "UNDER_REVIEW",
        "APPROVED",
        "PAYING",
        "PAID",
        "REJECTED",
        "CANCELLED",
    ],
    dtype=object,
)
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _z(values: np.ndarray, width: int) -> pd.Series:
    return pd.Series(values).astype(str).str.zfill(width).astype(object)


def synthetic(n_items: int, n_records: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n_cust = max(n_items // 25, 10)
    cust_ids = _z(100_000 + np.arange(n_cust), 10)
    cportal = np.where(rng.random(n_cust) < 0.8, rng.integers(0, len(PORTALS), n_cust), -1)
    ci = np.sort(rng.integers(0, n_cust, n_items))
    amount = rng.integers(1_000, 10_000_000, n_items)
    credit = rng.random(n_items) < 0.05
    amount = np.where(credit, -amount // 10, amount)
    is20 = rng.random(n_items) < 0.6
    tail = _z(50_000_000 + np.arange(n_items), 8)
    long20 = "263120000000" + tail
    reference = pd.Series(np.where(is20, long20, _z(np.arange(n_items), 8)), dtype=object)
    doc_date = pd.Timestamp("2025-06-01") + pd.to_timedelta(rng.integers(0, 530, n_items), unit="D")
    oi = pd.DataFrame(
        {
            "company_code": "1000",
            "fiscal_year": "2026",
            "document_no": _z(10_000_000 + np.arange(n_items), 10),
            "line_item": "001",
            "customer": cust_ids.to_numpy()[ci],
            "doc_type": np.where(credit, "DZ", "RV"),
            "reference": np.where(credit, "", reference),
            "assignment": "PO" + _z(ci, 8),
            "document_date": doc_date,
            "posting_date": doc_date,
            "baseline_date": doc_date,
            "due_date": doc_date + pd.Timedelta(days=60),
            "amount": amount,
            "currency": "CNY",
            "local_amount": amount,
            "local_currency": "CNY",
            "dunning_level": 0,
            "dunning_block": "",
            "payment_block": "",
            "special_gl": "",
            "invoice_ref": "",
            "text": "",
        }
    )
    # portal records: invoices of portal customers, one in six paying two neighbours
    inv = np.flatnonzero(~credit & (cportal[ci] >= 0))
    pair = (rng.random(len(inv)) < 1 / 6) & (np.r_[ci[inv][1:] == ci[inv][:-1], False])
    pair[1:] &= ~pair[:-1]
    at = np.flatnonzero(~np.r_[False, pair[:-1]])
    first, two = inv[at], pair[at]
    nxt = inv[np.minimum(at + 1, len(inv) - 1)]
    shown = pd.Series(np.where(is20, long20, reference), dtype=object)
    noisy = _noise(shown, rng)
    inv_no = noisy.to_numpy()[first]
    inv_no = np.where(
        two,
        inv_no + np.where(rng.random(len(first)) < 0.5, ";", "、") + noisy.to_numpy()[nxt],
        inv_no,
    )
    rec_amount = amount[first] + np.where(two, amount[nxt], 0)
    k = len(first)
    extra = max(n_records - k, 0)  # records of invoices already cleared or of other customers
    other = rng.integers(0, n_cust, extra)
    rcust = np.r_[ci[first], other]
    status = STATUSES[
        rng.choice(len(STATUSES), k + extra, p=[0.15, 0.1, 0.2, 0.15, 0.1, 0.2, 0.06, 0.04])
    ]
    ramount = np.r_[rec_amount, rng.integers(1_000, 10_000_000, extra)]
    paid = np.where(status == "PAID", ramount, 0)
    sdate = pd.Timestamp("2026-05-01") + pd.to_timedelta(rng.integers(0, 200, k + extra), unit="D")
    pr = pd.DataFrame(
        {
            "portal": PORTALS[np.maximum(cportal[rcust], 0)],
            "account": "acct-01",
            "record_id": _z(1_800_000_000_000_000_000 + np.arange(k + extra), 19),
            "buyer": "",
            "customer": cust_ids.to_numpy()[rcust],
            "invoice_no": np.r_[inv_no, ("9" + _z(np.arange(extra), 7)).to_numpy()],
            "order_no": "",
            "contract_no": "",
            "amount": ramount,
            "paid_amount": paid,
            "currency": "CNY",
            "status": status,
            "status_text": status,
            "status_column": "",
            "action_by": "",
            "status_date": sdate,
            "expected_pay_date": pd.NaT,
            "paid_date": pd.Series(sdate).where(status == "PAID"),
            "payment_ref": "",
            "reason": "",
            "fetched_at": pd.Timestamp("2026-11-23 06:00"),
            "evidence": "",
        }
    )
    cu = pd.DataFrame(
        {
            "customer": cust_ids,
            "name": "客户" + cust_ids.str[-5:],
            "segment": "hospital",
            "city": "上海",
            "tax_id": "",
            "contact_person": "",
            "phone": "",
            "email": "",
            "collector": "C" + (np.arange(n_cust) % 40).astype(str),
            "portals": np.where(cportal >= 0, PORTALS[np.maximum(cportal, 0)], ""),
            "credit_limit": 0,
            "credit_exposure": 0,
            "credit_currency": "CNY",
            "risk_class": "",
            "credit_blocked": False,
        }
    )
    return {
        "open_items": OPEN_ITEMS.coerce(oi),
        "cleared_items": CLEARED_ITEMS.empty(),
        "customers": CUSTOMERS.coerce(cu),
        "portal_records": PORTAL_RECORDS.coerce(pr),
    }


def _noise(s: pd.Series, rng) -> pd.Series:
    kind = rng.choice(7, len(s), p=[0.70, 0.06, 0.06, 0.05, 0.05, 0.04, 0.04])
    out = s.copy()
    out[kind == 1] = "No." + s[kind == 1]
    out[kind == 2] = "发票号:" + s[kind == 2]
    out[kind == 3] = s[kind == 3].str.lstrip("0")
    out[kind == 4] = s[kind == 4].str.translate(FULLWIDTH)
    out[kind == 5] = s[kind == 5].str[:4] + " " + s[kind == 5].str[4:8] + " " + s[kind == 5].str[8:]
    out[(kind == 6) & s.str.len().eq(20)] = s[(kind == 6) & s.str.len().eq(20)].str[-8:]
    return out


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_synthetic(n_items: int, n_records: int) -> None:
    t0 = time.perf_counter()
    f = synthetic(n_items, n_records)
    t1 = time.perf_counter()
    rss0 = _rss_mb()
    c1 = time.process_time()
    wl = reconcile(
        f["open_items"], f["cleared_items"], f["customers"], f["portal_records"], as_of=AS_OF
    )
    t2, c2 = time.perf_counter(), time.process_time()
    print(
        f"synthetic: {len(f['open_items']):,} open items × {len(f['portal_records']):,} portal records "
        f"(generated in {t1 - t0:.1f} s)"
    )
    print(
        f"reconcile: {t2 - t1:.1f} s wall, {c2 - c1:.1f} s CPU  ({len(wl) / (t2 - t1):,.0f} items/s wall)"
    )
    print(f"peak RSS: {_rss_mb():,.0f} MB (inputs generated: {rss0:,.0f} MB)")
    print(wl["finding"].value_counts().to_string())
    print(wl["match_rule"].replace("", "(none)").value_counts().to_string())


def bench_world(size: str) -> None:
    from arsync.sandbox.world import World
    from arsync.sandbox.world_frames import scores, vlookup_baseline, world_frames

    w = World(size=size, as_of=AS_OF)
    f = world_frames(w)
    t = time.perf_counter()
    wl = reconcile(
        f["open_items"], f["cleared_items"], f["customers"], f["portal_records"], as_of=w.as_of
    )
    took = time.perf_counter() - t
    print(
        f"{w}: {len(wl):,} open items, {len(f['portal_records']):,} portal records, reconcile {took:.1f} s"
    )
    pd.set_option("display.width", 120)
    print("reconcile:\n" + scores(w.truth, wl).round(4).to_string())
    print(
        "VLOOKUP baseline:\n"
        + scores(w.truth, vlookup_baseline(f["open_items"], f["customers"], f["portal_records"]))
        .round(4)
        .to_string()
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument(
        "--records", type=int, default=None, help="portal records (default: as many as items)"
    )
    ap.add_argument(
        "--world", choices=["small", "medium", "large"], help="accuracy on a sandbox world instead"
    )
    a = ap.parse_args()
    if a.world:
        bench_world(a.world)
    else:
        bench_synthetic(a.items, a.records or a.items)
