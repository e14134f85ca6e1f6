"""University searches one invoice number at a time against ``list.search_batch`` numbers a
search: wall time, portal requests and browser CPU per account, in one run (twice each, in
turn).  4 university accounts (tiny portal world, 120 records each), 150 ms a request, sessions
warm (each pass logs in first, untimed), concurrency 4.

    .venv/bin/python bench/bench_search_batch.py [--latency-ms 150] [--batch 25]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from datetime import date

from arsync.config import load_settings
from arsync.connectors.portals import load_definitions
from arsync.connectors.portals.browser import launch
from arsync.connectors.portals.runner import fetch_async
from arsync.jobs.pipeline.sources import sandbox_portals, sandbox_search_numbers
from arsync.sandbox.portals import Faults
from arsync.sandbox.tiny_portals import tiny_world
from bench_portals import count_requests, descendants_cpu, self_cpu

TODAY = date(2026, 11, 23)


def with_batch(portals, batch: int):
    out = []
    for p in portals:
        lst = p.spec.list.model_copy(update={"search_batch": batch})
        out.append(p.model_copy(update={"spec": p.spec.model_copy(update={"list": lst})}))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--latency-ms", type=int, default=150)
    ap.add_argument("--batch", type=int, default=25)
    a = ap.parse_args()
    world = tiny_world(accounts=2, per_account={"government": 1, "hospital": 1, "university": 120})
    d = load_definitions()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with (
        tempfile.TemporaryDirectory() as tmp,
        sandbox_portals(
            [d["uni-bj"], d["uni-sh"]], world, faults=Faults(latency_ms=a.latency_ms)
        ) as (defs, h),
    ):
        req = count_requests(h)
        nums = sandbox_search_numbers(world)

        async def run() -> None:
            async with launch(load_settings()) as b:
                for batch in (1, a.batch, 1, a.batch):
                    ps = with_batch(defs, batch)
                    s = load_settings(overrides={"portals.session_dir": f"{tmp}/s-{batch}"})
                    kw = dict(concurrency=4, browser=b, invoice_numbers=nums, today=TODAY)
                    await fetch_async(s, ps, out_dir=f"{tmp}/login", **kw)  # sessions: warm
                    r0, c0, t0 = req[0], descendants_cpu() + self_cpu(), time.perf_counter()
                    res = await fetch_async(s, ps, out_dir=f"{tmp}/run-{batch}-{t0}", **kw)
                    n = len(res.outcomes)
                    print(
                        f"{batch:>3} a search: {time.perf_counter() - t0:6.1f} s, {req[0] - r0} "
                        f"requests, CPU {(descendants_cpu() + self_cpu() - c0) / n:.2f} s/account, "
                        f"{len(res.records)} records, {sum(o.outcome == 'ok' for o in res.outcomes)}"
                        f"/{n} ok; load {os.getloadavg()[0]:.1f}",
                        flush=True,
                    )

        asyncio.run(run())


if __name__ == "__main__":
    main()
