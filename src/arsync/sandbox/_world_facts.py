"""All months from the epoch up to a last month, concatenated, with SAP document numbers.

Numbers are assigned per (BUKRS, GJAHR, number range) in posting-date order, ties broken by
(month, position).  A document posted on or before the as-of date only has predecessors from
months already generated, so its number does not change when later months are added: the
world seen at ``d`` is the same whether generated up to ``d`` or beyond.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from arsync.sandbox import _world_noise as noise
from arsync.sandbox._world_docs import build_lines, displayed_numbers, invoice_numbers, zpad
from arsync.sandbox._world_master import Customers, make_customers
from arsync.sandbox._world_month import CM, INV, NOTE, _year_of, gen_month
from arsync.sandbox._world_records import build_records

#: number-range bases: RV, DR, DZ, DG, DA (reference: 0090000000 invoices, 0014000000 payments)
RANGE_BASE = np.array([90_000_000, 18_000_000, 14_000_000, 16_000_000, 17_000_000], dtype=np.int64)
_ORDER_PREFIX = np.array(["ZC", "CG", "DD", "PO"], dtype=object)


@dataclass
class Facts:
    cust: Customers
    inv: dict  # one row per invoice (global index)
    claim: dict  # one row per claim
    lines: dict  # every customer line item, also future ones
    doc: dict  # per document: belnr (int), gjahr (int), blart (int code)
    recs: dict  # portal records, also future stages
    months: int


def _concat(parts: list[dict], offsets: dict[str, list[int]]) -> dict:
    out = {}
    for key in parts[0]:
        arrs = [p[key] for p in parts]
        if key in offsets:
            arrs = [np.where(a >= 0, a + off, a) for a, off in zip(arrs, offsets[key])]
        out[key] = np.concatenate(arrs)
    return out


@lru_cache(maxsize=2)
def facts(seed: int, size: str, epoch: np.datetime64, months: int) -> Facts:
    cust = make_customers(seed, size, epoch)
    invs, claims, lines, recs = [], [], [], []
    off_inv, off_claim, off_doc = [], [], []
    ni = nc = nd = 0
    for m in range(months):
        g = gen_month(seed, m, epoch, cust)
        noise.draw(seed, m, g)
        xblnr, xlong = invoice_numbers(g)
        canon = np.where(xlong != "", xlong, xblnr).astype(object)
        disp = displayed_numbers(g, xblnr, xlong)
        inv = dict(g["inv"], xblnr=xblnr, xlong=xlong)
        ln = build_lines(g)
        rc = build_records(g, m, cust, disp, canon)
        noise.records(seed, m, g, rc)
        invs.append(inv)
        claims.append(dict(g["claim"]))
        lines.append({k: v for k, v in ln.items() if k != "n_docs"})
        recs.append(rc)
        off_inv.append(ni)
        off_claim.append(nc)
        off_doc.append(nd)
        ni, nc, nd = ni + g["n_inv"], nc + g["n_claim"], nd + ln["n_docs"]
    inv = _concat(invs, {"claim": off_claim})
    claim = _concat(claims, {"first": off_inv})
    line = _concat(lines, {"doc": off_doc, "clear_doc": off_doc, "inv": off_inv, "ref": off_inv})
    rec = _concat(recs, {"claim": off_claim})
    inv["order_no"] = _ORDER_PREFIX[inv["seg"]] + zpad(inv["order"], 9)
    # invoice i of a month is that month's document i (build_lines puts invoices first)
    inv["doc"] = np.concatenate([o + np.arange(len(p["cust"])) for o, p in zip(off_doc, invs)])
    doc = _number(line, inv, nd)
    return Facts(cust, inv, claim, line, doc, rec, months)


def line_blart(line: dict, inv: dict) -> np.ndarray:
    """Document type code per line (index into BLARTS): invoices RV/DR, credit memos DG, noted DA."""
    k = line["kind"]
    return np.select([k == INV, k == CM, k == NOTE], [inv["blart"][line["inv"]], 3, 4], 2)


def _number(line: dict, inv: dict, n_docs: int) -> dict:
    head = line["buzei"] == 1
    d = line["doc"][head]
    budat = np.full(n_docs, np.datetime64("NaT", "D"))
    budat[d] = line["budat"][head]
    blart = np.zeros(n_docs, int)
    blart[d] = line_blart(line, inv)[head]
    bukrs = np.zeros(n_docs, int)
    bukrs[d] = inv["bukrs"][line["inv"][head]]
    gjahr = _year_of(budat)
    o = np.lexsort((np.arange(n_docs), budat, blart, gjahr, bukrs))
    key = (bukrs[o] * 10_000 + gjahr[o]) * 10 + blart[o]
    start = np.r_[True, key[1:] != key[:-1]] if n_docs else np.zeros(0, bool)
    idx = np.arange(n_docs)
    rank = idx - np.maximum.accumulate(np.where(start, idx, 0))
    belnr = np.empty(n_docs, np.int64)
    belnr[o] = RANGE_BASE[blart[o]] + rank
    return {"belnr": belnr, "gjahr": gjahr, "blart": blart, "bukrs": bukrs, "budat": budat}
