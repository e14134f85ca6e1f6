"""Portal fetch time at concurrency 1, 4 and 8: 30 accounts (6 portals × 5) across the three
families, 150 ms injected latency on every page and data request.

    .venv/bin/python bench/bench_portals.py [--latency-ms 150] [--accounts 5]

Prints one line per concurrency and the speed-up over concurrency 1.  The world is the small
hand-made one of the tests (tests/conftest_portals.py) so that the figure measures the runner,
not the world generator.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest_portals import tiny_world  # noqa: E402

from arsync.config import load_settings  # noqa: E402
from arsync.connectors.portals import backend, fetch_async, load_definitions  # noqa: E402
from arsync.connectors.portals.browser import launch  # noqa: E402
from arsync.sandbox.portals import Faults, start_simulators  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--latency-ms", type=int, default=150)
    ap.add_argument("--accounts", type=int, default=5, help="accounts per portal (6 portals)")
    ap.add_argument("--levels", default="1,4,8")
    a = ap.parse_args()
    world = tiny_world(accounts=a.accounts, per_account={"government": 120, "hospital": 150, "university": 6})
    n_acc = len(world.portal_accounts)
    print(f"{n_acc} accounts, {len(world.portal_records)} records, latency {a.latency_ms} ms per request")
    with tempfile.TemporaryDirectory() as tmp, start_simulators(world, Faults(latency_ms=a.latency_ms)) as h:
        defs = backend.bind(list(load_definitions().values()), world, h)
        numbers = backend.invoice_numbers(world)

        async def run() -> dict[int, float]:
            times = {}
            async with launch(load_settings()) as browser:
                for c in [int(x) for x in a.levels.split(",")]:
                    s = load_settings(overrides={"portals.session_dir": f"{tmp}/sessions-{c}"})
                    t0 = time.perf_counter()
                    res = await fetch_async(s, defs, out_dir=f"{tmp}/run-{c}", concurrency=c, browser=browser,
                                            invoice_numbers=numbers, today=date(2026, 11, 23))
                    times[c] = time.perf_counter() - t0
                    ok = sum(o.outcome == "ok" for o in res.outcomes)
                    print(f"concurrency {c:>2}: {times[c]:7.2f} s  ({ok}/{len(res.outcomes)} accounts ok, "
                          f"{len(res.records)} records, {n_acc / times[c]:.2f} accounts/s)", flush=True)
            return times

        times = asyncio.run(run())
    base = times.get(1)
    if base:
        for c, t in times.items():
            print(f"speed-up at {c}: {base / t:.1f}x")


if __name__ == "__main__":
    main()
