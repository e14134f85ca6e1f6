"""How long one search-portal account takes when every Nth request of the portal hangs, with and
without the overall account deadline (issue 10, fault 5).

    .venv/bin/python bench/bench_hung_portal.py [--stall-every 3] [--deadlines 0,60] [--numbers 12]
                                                [--search-batch 1]

The hand-made world of the tests (arsync.sandbox.tiny_portals), portal ``uni-bj`` (one search per
invoice number: ``list.search_batch`` 1, as when the issue was measured; its default batch of 25
numbers makes one request of 12 numbers, which a stall every 3rd request never strikes), the
default per-call timeout (``portals.timeout_ms``, 15 s) and retries
(``[portals.retry]``).  Prints, per deadline (0: none), the account's outcome, seconds, attempts
and the requests the simulator held; and the same account with no fault, for scale.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import date
from pathlib import Path

from arsync.config import load_settings
from arsync.connectors.portals import load_definitions
from arsync.connectors.portals.browser import launch
from arsync.connectors.portals.runner import fetch_async
from arsync.jobs.pipeline.sources import sandbox_portals, sandbox_search_numbers
from arsync.sandbox.portals import Faults
from arsync.sandbox.tiny_portals import tiny_world


def batched(p, n: int):
    """The declaration with ``n`` invoice numbers a search."""
    lst = p.spec.list.model_copy(update={"search_batch": n})
    return p.model_copy(update={"spec": p.spec.model_copy(update={"list": lst})})


async def one(browser, stall_every: int, deadline: float, numbers: int, batch: int) -> str:
    world = tiny_world(per_account={"government": 45, "hospital": 45, "university": numbers})
    with tempfile.TemporaryDirectory() as tmp:
        s = load_settings(
            environ={},
            overrides={
                "portals.session_dir": str(Path(tmp) / "sessions"),
                "portals.account_deadline_s": deadline,
            },
        )
        with sandbox_portals(
            [batched(load_definitions()["uni-bj"], batch)],
            world,
            faults=Faults(stall_every=stall_every),
        ) as (defs, handle):
            t0 = time.perf_counter()
            res = await fetch_async(
                s,
                defs,
                out_dir=Path(tmp),
                browser=browser,
                invoice_numbers=sandbox_search_numbers(world),
                today=date(2026, 11, 23),
            )
            secs = time.perf_counter() - t0
            (o,) = res.outcomes
            return (
                f"stall_every={stall_every:<2} deadline={deadline:>5g}s  {o.outcome:<6} "
                f"{secs:7.1f}s  attempts={o.attempts}  records={o.records}  "
                f"held requests={handle.sims['uni-bj'].stats['stalled']}"
            )


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stall-every", type=int, default=3)
    ap.add_argument("--deadlines", default="0,60")
    ap.add_argument("--numbers", type=int, default=12)
    ap.add_argument("--search-batch", type=int, default=1)
    a = ap.parse_args()
    async with launch(load_settings(environ={})) as browser:
        print(await one(browser, 0, 0, a.numbers, a.search_batch), flush=True)
        for d in (float(x) for x in a.deadlines.split(",")):
            print(await one(browser, a.stall_every, d, a.numbers, a.search_batch), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
