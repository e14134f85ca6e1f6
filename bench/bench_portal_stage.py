"""The nightly's portal stage alone on a sandbox world (medium or large): wall time, portal
requests per family, and where the CPU goes — Chromium (with Playwright's driver), the arsync
runner (Python), the simulators and the evidence writes.

    .venv/bin/python bench/bench_portal_stage.py [--size large] [--latency-ms 150]
        [--concurrency 4] [--families university] [--search-batch N] [--max-numbers N]

What it runs is what `stage_portals` runs: every portal of the world (or of ``--families``),
each university account searching the open invoice numbers of its portal's customers, with
saved sessions off (every account logs in, as on a first night).  The world is built first and
is not timed.  ``--max-numbers`` caps the numbers per search portal, for a quick look.

CPU is read from /proc: Chromium = every descendant process; simulators = their server thread
(and their own process, when ``sandbox.portals_process`` runs them apart); evidence = the
thread CPU of the evidence writes; runner = this process minus those.  Prints figures with the
load average; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
from collections import Counter
from datetime import date

from arsync.config import load_settings
from arsync.connectors.portals import evidence as evidence_mod
from arsync.connectors.portals.browser import launch
from arsync.connectors.portals.definitions import family_of
from arsync.connectors.portals.runner import fetch_async, numbers_for
from arsync.jobs.pipeline.sources import open_sources
from bench_portals import descendants_cpu, self_cpu, thread_cpu

AS_OF = date(2026, 11, 23)


def _evidence_meter() -> list[float]:
    """Thread CPU seconds spent writing evidence files (they are written from worker threads)."""
    spent = [0.0]
    inner = evidence_mod.Evidence._write_n

    def metered(self, n, stem, suffix, text):
        t = time.thread_time()
        try:
            return inner(self, n, stem, suffix, text)
        finally:
            spent[0] += time.thread_time() - t

    evidence_mod.Evidence._write_n = metered  # type: ignore[method-assign]
    return spent


def _request_counter(handle) -> Counter:
    """Portal requests the simulators answer, per family (test-only endpoints aside)."""
    n: Counter = Counter()
    for sim in handle.sims.values():
        inner = sim.dispatch

        async def counted(request, tail, inner=inner, fam=sim.family):
            if not tail.startswith("_test/"):
                n[fam] += 1
            return await inner(request, tail)

        sim.dispatch = counted
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="medium")
    ap.add_argument("--latency-ms", type=int, default=150)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument(
        "--families", default="", help="comma-separated: government,hospital,university"
    )
    ap.add_argument("--search-batch", type=int, default=0, help="0: as the family declares")
    ap.add_argument("--max-numbers", type=int, default=0, help="cap the numbers per search portal")
    ap.add_argument("--stop-after", type=float, default=0, help="seconds: stop the fetch then")
    ap.add_argument("--every", type=float, default=60, help="seconds between progress lines")
    a = ap.parse_args()
    load0 = os.getloadavg()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in load0)} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        over = {
            "sandbox.size": a.size,
            "sandbox.faults.latency_ms": a.latency_ms,
            "portals.session_dir": f"{tmp}/sessions",
            "portals.concurrency": a.concurrency,
        }
        s = load_settings(overrides=over)
        t = time.perf_counter()
        with open_sources(s, AS_OF, sap=False) as src:
            assert src.portals is not None
            portals = src.portals.chosen()
            fams = set(filter(None, a.families.split(",")))
            portals = [p for p in portals if not fams or p.family in fams]
            if a.search_batch:
                portals = [_with_batch(p, a.search_batch) for p in portals]
            numbers = src.sandbox_search_numbers()
            if a.max_numbers:
                numbers = _capped(portals, numbers, a.max_numbers)
            handle = src.simulators
            print(
                f"{a.size} world and simulators ready in {time.perf_counter() - t:.1f} s; "
                f"{sum(len(x) for x in numbers.values())} invoice numbers"
            )
            for p in portals:
                if family_of(p).list.source == "search":
                    n = len(numbers_for(p, numbers))
                    b = family_of(p).list.search_batch
                    print(
                        f"  {p.id}: {len(p.accounts)} accounts × {n} numbers, {b} a search → "
                        f"{-(-n // b)} searches an account"
                    )
            requests = _request_counter(handle)
            ev_cpu = _evidence_meter()
            sim_threads = [handle._thread]

            async def run():
                async with launch(s) as browser:
                    cpu0 = (descendants_cpu(), self_cpu(), sum(map(thread_cpu, sim_threads)))
                    t0 = time.perf_counter()

                    async def progress():
                        while True:
                            await asyncio.sleep(a.every)
                            print(
                                f"  {time.perf_counter() - t0:6.0f} s: {dict(requests)} requests; "
                                f"CPU Chromium {descendants_cpu() - cpu0[0]:.0f} s, this process "
                                f"{self_cpu() - cpu0[1]:.0f} s, simulators "
                                f"{sum(map(thread_cpu, sim_threads)) - cpu0[2]:.0f} s; "
                                f"load {os.getloadavg()[0]:.1f}",
                                flush=True,
                            )

                    ticker = asyncio.ensure_future(progress())
                    work = fetch_async(
                        s,
                        portals,
                        out_dir=f"{tmp}/run",
                        concurrency=a.concurrency,
                        browser=browser,
                        invoice_numbers=numbers,
                        today=AS_OF,
                    )
                    try:
                        res = await asyncio.wait_for(work, a.stop_after or None)
                    except TimeoutError:
                        res = None
                        print(f"stopped after {a.stop_after:.0f} s (--stop-after)")
                    finally:
                        ticker.cancel()
                    wall = time.perf_counter() - t0
                    cpu1 = (descendants_cpu(), self_cpu(), sum(map(thread_cpu, sim_threads)))
                    return res, wall, [y - x for x, y in zip(cpu0, cpu1)]

            res, wall, (chromium, me, sim) = asyncio.run(run())
            load1 = os.getloadavg()
            ev = ev_cpu[0]
            total = chromium + me
            cpu_line = (
                f"CPU: {total:.1f} s = Chromium {chromium:.1f} s ({chromium / total:.0%}), runner "
                f"{me - sim - ev:.1f} s, simulators {sim:.1f} s, evidence writes {ev:.1f} s; "
                f"peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GB"
            )
            if res is None:
                print(f"{wall:.1f} s wall, {dict(requests)} portal requests\n{cpu_line}")
                print(f"load average after: {' '.join(f'{x:.2f}' for x in load1)}")
                return
            by_fam: Counter = Counter()
            secs: Counter = Counter()
            fam_of = {p.id: p.family for p in portals}
            for o in res.outcomes:
                by_fam[fam_of[o.portal]] += 1
                secs[fam_of[o.portal]] += o.seconds
            ok = sum(o.outcome == "ok" for o in res.outcomes)
            print(
                f"\nportal stage, {a.size}: {wall:.1f} s wall, {ok}/{len(res.outcomes)} accounts ok, "
                f"{len(res.records)} records, {sum(requests.values())} portal requests"
            )
            for fam in sorted(by_fam):
                print(
                    f"  {fam:<11} {by_fam[fam]:>2} accounts, {requests[fam]:>6} requests, "
                    f"{secs[fam] / by_fam[fam]:7.1f} s an account"
                )
            bad = [o for o in res.outcomes if o.outcome != "ok"]
            for o in bad[:5]:
                print(f"  {o.portal}/{o.account}: {o.outcome} — {o.reason[:160]}")
            print(cpu_line)
            print(f"load average after: {' '.join(f'{x:.2f}' for x in load1)}")


def _with_batch(p, batch: int):
    lst = p.spec.list.model_copy(update={"search_batch": batch})
    return p.model_copy(update={"spec": p.spec.model_copy(update={"list": lst})})


def _capped(portals, numbers: dict[str, list[str]], cap: int) -> dict[str, list[str]]:
    """Keep the first ``cap`` numbers of each search portal (customer by customer)."""
    out: dict[str, list[str]] = {}
    for p in portals:
        if family_of(p).list.source != "search":
            continue
        left = cap
        for c in p.customers:
            take = numbers.get(c, [])[: max(left, 0)]
            if take:
                out[c] = take
            left -= len(take)
    return out


if __name__ == "__main__":
    main()
