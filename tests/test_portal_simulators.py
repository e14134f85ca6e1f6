"""The simulators answer a search or a page from indexes and slices: the same answers a scan of
the account's records gives (no browser; handlers called on mocked requests)."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import date

import pandas as pd
import pytest
from aiohttp.test_utils import make_mocked_request

from arsync.sandbox.portals.server import build_sims
from arsync.sandbox.portals.uni import invoice_keys
from arsync.sandbox.tiny_portals import tiny_world
from arsync.sandbox.world import World


@pytest.fixture(scope="module")
def sims():
    return build_sims(World(size="small", as_of=date(2026, 11, 23)))


def _call(sim, handler, account: str, query: dict[str, str]):
    """``handler`` on a GET with ``query``, in a session of ``account``'s user."""
    user = next(u for u, a in sim.accounts.items() if a["account"] == account)
    session, _ = sim.start_session(user)
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    req = make_mocked_request(
        "GET", f"/p/{sim.pid}/x?{qs}", headers={"Cookie": f"{sim.cookie}={session.token}"}
    )
    return asyncio.run(handler(req))


def _scan(records: list[dict], query: str) -> list[dict]:
    """What the search box finds: every record sharing a key with the query, in order."""
    keys = invoice_keys(query)
    return [r for r in records if keys and keys & invoice_keys(r["invoice_no"])]


def test_a_university_search_finds_what_a_scan_of_the_account_finds():
    world = tiny_world(accounts=2, per_account={"government": 1, "hospital": 1, "university": 40})
    uni = build_sims(world)["uni-bj"]
    rng = random.Random(5)
    for account, recs in uni.records.items():
        numbers = [str(r["invoice_no"]) for r in recs]
        digits = ["".join(ch for ch in n if ch.isdigit()) for n in numbers]
        queries = [
            *numbers,  # as the portal spells them (No., 发票号:, full-width, spaces)
            *(d[-8:] for d in digits),  # the tail of a long number
            *("00" + d for d in digits),  # leading zeros
            *(",".join(rng.sample(numbers, 5)) for _ in range(10)),  # a batch, comma-separated
            "99999999",  # nothing
            "",  # no digits at all
        ]
        for q in queries:
            assert uni.hits(account, q) == _scan(recs, q), q
        assert any(uni.hits(account, q) for q in queries)


def test_a_hospital_page_lists_the_page_of_the_account_rows(sims):
    hosp = sims["hosp-gd"]
    account, recs = max(hosp.records.items(), key=lambda kv: len(kv[1]))
    assert len(recs) > 20
    got = []
    for n in range(1, 100):
        body = json.loads(
            _call(hosp, hosp.api, account, {"pageIndex": str(n), "pageSize": "20"}).text
        )
        assert body["records"] == len(recs)
        got += body["rows"]
        if not body["rows"]:
            break
    assert [r["settleNo"] for r in got] == [r["record_id"] for r in recs]
    assert got == [hosp._row(r) for r in recs]


def test_a_government_date_window_lists_the_records_submitted_in_it(sims):
    gov = sims["gov-gd"]
    account, recs = max(gov.records.items(), key=lambda kv: len(kv[1]))
    submitted = sorted({pd.Timestamp(r["submitted_on"]) for r in recs})
    start, end = submitted[len(submitted) // 4], submitted[3 * len(submitted) // 4]
    for window in (
        {"startDate": start.date().isoformat()},
        {"endDate": end.date().isoformat()},
        {"startDate": start.date().isoformat(), "endDate": end.date().isoformat()},
        {},
    ):
        want = [
            r["record_id"]
            for r in recs
            if ("startDate" not in window or pd.Timestamp(r["submitted_on"]) >= start)
            and ("endDate" not in window or pd.Timestamp(r["submitted_on"]) <= end)
        ]
        got, n = [], 1
        while True:
            q = {"pageNo": str(n), "pageSize": "50", **window}
            res = json.loads(_call(gov, gov.api, account, q).text, parse_int=str)["result"]
            assert int(res["total"]) == len(want)
            got += [str(d["id"]) for d in res["data"]]
            if not res["data"]:
                break
            n += 1
        assert got == [str(x) for x in want], window
        assert 0 < len(want) <= len(recs)
