"""Master data of the sandbox world: sizes, company codes, portals, customers.

Customers are drawn once per seed (RNG stream ``(seed, "customers")``) and never depend on the
as-of date; everything per customer is kept as numpy arrays in :class:`Customers` so that the
monthly invoice generator can index them without a Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from arsync.sandbox import _names as N

#: customers, invoices per customer per month, collectors, accounts per portal
SIZES = {
    "tiny": (12, 2.5, 2, 1),
    "small": (50, 6.0, 3, 1),
    "medium": (2000, 3.6, 12, 5),
    "large": (20000, 3.6, 30, 5),
}
SEGMENTS = ("government", "hospital", "academic", "commercial")
BRSCH = ("GOVT", "HOSP", "ACAD", "COMM")
SEG_SHARE = np.array([0.25, 0.30, 0.20, 0.25])
#: mean days from invoice to payment (hospitals slowest), and invoicing intensity
SEG_DELAY = np.array([90.0, 150.0, 75.0, 45.0])
SEG_RATE = np.array([0.7, 1.3, 1.0, 1.0])
SEG_AMOUNT = np.array([80_000.0, 30_000.0, 50_000.0, 40_000.0])  # median invoice, yuan

COMPANY_CODES = pd.DataFrame(
    {
        "BUKRS": ["1000", "2000", "3000"],
        "BUTXT": ["上海艾尔科技有限公司", "北京艾尔科技有限公司", "艾尔科技（东京）株式会社"],
        "WAERS": ["CNY", "CNY", "JPY"],
        "KKBER": ["1000", "1000", "1000"],
    },
    dtype=object,
)
CURRENCY_DECIMALS = {"JPY": 0, "KRW": 0}
JPY_TO_FEN = 4.8  # CNY minor units per yen, for credit exposure in the control-area currency

PORTALS = pd.DataFrame(
    {
        "portal": ["gov-gd", "gov-zj", "hosp-sh", "hosp-gd", "uni-bj", "uni-sh"],
        "family": ["government", "government", "hospital", "hospital", "university", "university"],
        "name": [
            "广东省政府采购智慧云平台",
            "浙江政府采购网（政采云）",
            "上海市医药采购服务与监管平台",
            "广东省药品交易中心",
            "北京高校财务综合服务平台",
            "上海高校网上预约报账系统",
        ],
    },
    dtype=object,
)
# (segment, province) -> portal index
_PORTAL_OF = {
    (0, "广东"): 0,
    (0, "浙江"): 1,
    (1, "上海"): 2,
    (1, "广东"): 3,
    (2, "北京"): 4,
    (2, "上海"): 5,
}
# city weight multipliers per segment, so that portal regions are well populated
_CITY_BOOST = {
    0: {"广东": 12, "浙江": 12},
    1: {"上海": 60, "广东": 8},
    2: {"北京": 5, "上海": 5},
    3: {"上海": 8, "北京": 4},
}
_POOLS = (N.gov_pool, N.hosp_pool, N.acad_pool, N.comm_pool)
_UNITS = (N.GOV_UNITS, N.HOSP_UNITS, ["", *N.ACAD_UNITS], [""])
_USCC_KIND = ("11", "12", "12", "91")


@dataclass
class Customers:
    """Per-customer arrays (index = position) plus the KNA1/KNB1 frames built from them."""

    kunnr: np.ndarray  # object str, 10 chars
    seg: np.ndarray  # int 0..3
    bukrs: np.ndarray  # int index into COMPANY_CODES (0/1)
    jpy: np.ndarray  # bool: also has a KNB1 row in 3000
    portal: np.ndarray  # int index into PORTALS, -1 none
    account: np.ndarray  # int account number on the portal (0-based)
    activity: np.ndarray  # invoices per month
    pay_factor: np.ndarray  # multiplies the segment's payment delay
    terms: np.ndarray  # ZBD3T days
    limit: np.ndarray  # KLIMK, fen
    name: np.ndarray  # NAME1 (+ NAME2) as one string, for buyers
    kna1: pd.DataFrame
    knb1: pd.DataFrame
    knkk_static: pd.DataFrame


def collectors(n: int) -> list[str]:
    """Two-character collector codes C1..C9, CA..CZ, D1..; KNB1-BUSAB is CHAR 2."""
    alnum = "123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [f"{chr(ord('C') + i // len(alnum))}{alnum[i % len(alnum)]}" for i in range(n)]


def make_customers(seed: int, size: str, epoch: np.datetime64) -> Customers:
    n, rate, n_coll, _ = SIZES[size]
    rng = np.random.default_rng([seed, 0xC057])
    counts = np.maximum(rng.multinomial(n - 4, SEG_SHARE), 0) + 1  # each segment at least one
    segs: list[np.ndarray] = []
    name1s: list[np.ndarray] = []
    name2s: list[np.ndarray] = []
    cities: list[np.ndarray] = []
    for s in range(4):
        k = int(counts[s])
        orgs, org_cities = _POOLS[s]()
        ocity = np.asarray(org_cities)
        boost = _CITY_BOOST[s]
        w = np.array([boost.get(N.CITIES[c][0], 1) for c in ocity], dtype=float)
        n_plain = min(int(np.ceil(k * (0.6 if len(_UNITS[s]) > 1 else 1.0))), len(orgs))
        plain = rng.choice(len(orgs), n_plain, replace=False, p=w / w.sum())
        units = _UNITS[s]
        n_unit = k - n_plain
        nu = len(units) - 1
        wp = np.repeat(w, nu)
        pairs = (
            rng.choice(len(orgs) * nu, n_unit, replace=False, p=wp / wp.sum())
            if n_unit
            else np.zeros(0, dtype=int)
        )
        org = np.concatenate([plain, np.asarray(pairs, dtype=int) // max(nu, 1)]).astype(int)
        unit = np.concatenate(
            [np.zeros(n_plain, int), np.asarray(pairs, dtype=int) % max(nu, 1) + 1]
        )
        segs.append(np.full(k, s))
        name1s.append(np.asarray(orgs, dtype=object)[org])
        name2s.append(np.asarray(units, dtype=object)[unit])
        cities.append(ocity[org])
    seg = np.concatenate(segs)
    perm = rng.permutation(len(seg))  # interleave segments in the customer number range
    seg, city = seg[perm], np.concatenate(cities)[perm]
    name1, name2 = np.concatenate(name1s)[perm], np.concatenate(name2s)[perm]
    n = len(seg)
    prov = np.array([c[0] for c in N.CITIES], dtype=object)[city]
    ctab = np.array(N.CITIES, dtype=object)

    kunnr = np.char.zfill((100001 + np.arange(n)).astype("U10"), 10).astype(object)
    bukrs = np.isin(prov, list(N.NORTH)).astype(int)
    jpy = (seg == 3) & (rng.random(n) < 0.12)
    if n and (seg == 3).any() and not jpy.any():
        jpy[np.flatnonzero(seg == 3)[0]] = True
    portal = np.array([_PORTAL_OF.get((int(s), str(p)), -1) for s, p in zip(seg, prov)])
    portal = np.where(rng.random(n) < 0.88, portal, -1)
    n_acc = SIZES[size][3]
    account = rng.integers(0, n_acc, n)
    activity = rate * SEG_RATE[seg] * rng.lognormal(-0.18, 0.6, n)
    pay_factor = rng.lognormal(0.0, 0.25, n)
    term_choices = np.array([[30, 60], [90, 60], [60, 30], [30, 60]])
    terms = term_choices[seg, (rng.random(n) < 0.3).astype(int)]
    exposure = activity * SEG_AMOUNT[seg] * 100 * (SEG_DELAY[seg] / 30.0) * 1.6
    limit = (np.round(exposure * rng.lognormal(0.6, 0.35, n) / 1e6) * 1e6).astype(np.int64)
    limit = np.maximum(limit, 10_000_000)

    kna1 = pd.DataFrame(
        {
            "KUNNR": kunnr,
            "NAME1": name1,
            "NAME2": name2,
            "ORT01": ctab[city, 1] + "市",
            "REGIO": ctab[city, 2],
            "LAND1": np.full(n, "CN", dtype=object),
            "STCEG": N.uscc(rng, np.array(_USCC_KIND, dtype=object)[seg], ctab[city, 3]),
            "BRSCH": np.array(BRSCH, dtype=object)[seg],
            "KTOKD": np.full(n, "0001", dtype=object),
        }
    )
    coll = np.array(collectors(n_coll), dtype=object)
    busab = coll[rng.integers(0, n_coll, n)]
    zterm = np.char.add("Z", np.char.zfill(terms.astype("U3"), 3)).astype(object)
    erdat = epoch - rng.integers(30, 3000, n).astype("timedelta64[D]")
    sperr = np.where(rng.random(n) < 0.03, "X", "").astype(object)
    jrows = np.flatnonzero(jpy)
    knb1 = pd.DataFrame(
        {
            "KUNNR": np.concatenate([kunnr, kunnr[jrows]]),
            "BUKRS": np.concatenate(
                [COMPANY_CODES.BUKRS.to_numpy()[bukrs], np.full(len(jrows), "3000", object)]
            ),
            "BUSAB": np.concatenate([busab, busab[jrows]]),
            "ZTERM": np.concatenate([zterm, zterm[jrows]]),
            "AKONT": "0011220000",
            "SPERR": np.concatenate([sperr, sperr[jrows]]),
            "LOEVM": "",
            "ERDAT": pd.to_datetime(np.concatenate([erdat, erdat[jrows]])).astype("datetime64[ns]"),
        }
    ).sort_values(["KUNNR", "BUKRS"], ignore_index=True)
    knb1 = knb1.astype({c: object for c in ("AKONT", "LOEVM")})
    risk = np.array(["001", "002", "003"], dtype=object)[rng.choice(3, n, p=[0.5, 0.35, 0.15])]
    rating = np.array(["AAA", "AA", "A", "BBB", "BB"], dtype=object)[rng.choice(5, n)]
    knkk = pd.DataFrame(
        {
            "KUNNR": kunnr,
            "KKBER": "1000",
            "KLIMK": limit,
            "CTLPC": risk,
            "DBRTG": rating,
            "_blocked": rng.random(n) < 0.03,
        }
    )
    knkk["KKBER"] = knkk["KKBER"].astype(object)
    name = np.where(name2 == "", name1, name1.astype(str) + name2.astype(str)).astype(object)
    return Customers(
        kunnr,
        seg,
        bukrs,
        jpy,
        portal,
        account,
        activity,
        pay_factor,
        terms,
        limit,
        name,
        kna1,
        knb1,
        knkk,
    )


def portal_accounts(size: str) -> pd.DataFrame:
    """Supplier accounts per portal; passwords are sandbox-only, never real credentials."""
    n_acc = SIZES[size][3]
    rows = []
    for i, p in enumerate(PORTALS.portal):
        cc = "2000" if p == "uni-bj" else "1000"
        for a in range(n_acc):
            rows.append(
                (
                    p,
                    f"acct-{a + 1:02d}",
                    f"{p.replace('-', '')}_{a + 1:02d}@arsync.cn",
                    f"Sandbox!{i}{a:02d}pw",
                    cc,
                )
            )
    return pd.DataFrame(
        rows, columns=["portal", "account", "username", "password", "company_code"], dtype=object
    )
