"""Portal fetch time at concurrency 1, 4 and 8: 30 accounts (6 portals × 5) across the three
families, 150 ms injected latency on every page and data request.

    .venv/bin/python bench/bench_portals.py [--latency-ms 150] [--accounts 5] [--levels 1,4,8] [--warm]

Prints one line per concurrency and the speed-up over concurrency 1, with the CPU seconds spent
per account by the browser (Chromium + the Playwright driver: every descendant process), by the
runner (this process minus the simulator thread) and by the simulators (their thread).  Every
level starts cold (no saved sessions: each account logs in); ``--warm`` adds a second pass per
level that reuses the sessions the first one saved.

What the latency covers: the simulators sleep ``latency_ms`` before answering any request under
a portal (HTML pages, the data XHRs, the login POST and the captcha image alike); the
simulators' test-only endpoints that the sandbox captcha solver uses are not delayed.

The world is the small hand-made one of the tests (arsync.sandbox.tiny_portals) so that the
figure measures the runner, not the world generator.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import threading
import time
from datetime import date

from arsync.config import load_settings
from arsync.connectors.portals import load_definitions
from arsync.connectors.portals.browser import launch
from arsync.connectors.portals.runner import fetch_async
from arsync.jobs.pipeline.sources import sandbox_portals, sandbox_search_numbers
from arsync.sandbox.portals import Faults
from arsync.sandbox.tiny_portals import tiny_world

TICK = os.sysconf("SC_CLK_TCK")


def _stat(path: str) -> list[str]:
    with open(path) as fh:
        return fh.read().rsplit(")", 1)[1].split()


def descendants_cpu(root: int | None = None) -> float:
    """CPU seconds of every live descendant of ``root`` (with what they reaped from their children)."""
    root = root or os.getpid()
    parent, cpu = {}, {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                f = _stat(f"/proc/{d}/stat")
            except OSError:
                continue
            parent[int(d)], cpu[int(d)] = int(f[1]), sum(int(x) for x in f[11:15])
    total = 0
    for pid in cpu:
        p = parent.get(pid)
        while p and p != root:
            p = parent.get(p)
        if p == root:
            total += cpu[pid]
    return total / TICK


def thread_cpu(thread: threading.Thread) -> float:
    f = _stat(f"/proc/self/task/{thread.native_id}/stat")
    return (int(f[11]) + int(f[12])) / TICK


def self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--latency-ms", type=int, default=150)
    ap.add_argument("--accounts", type=int, default=5, help="accounts per portal (6 portals)")
    ap.add_argument("--levels", default="1,4,8")
    ap.add_argument(
        "--warm", action="store_true", help="also a second pass per level with saved sessions"
    )
    a = ap.parse_args()
    print(
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
    )
    world = tiny_world(
        accounts=a.accounts, per_account={"government": 120, "hospital": 150, "university": 6}
    )
    n_acc = len(world.portal_accounts)
    print(
        f"{n_acc} accounts, {len(world.portal_records)} records, latency {a.latency_ms} ms per request"
    )
    with (
        tempfile.TemporaryDirectory() as tmp,
        sandbox_portals(
            list(load_definitions().values()), world, faults=Faults(latency_ms=a.latency_ms)
        ) as (defs, h),
    ):
        numbers = sandbox_search_numbers(world)
        uni = [p for p in defs if p.spec.list.source == "search"]
        per = {p.id: sum(len(numbers.get(c, [])) for c in p.customers) for p in uni}
        print(f"searches per account on the search portals: {per}")

        cpu_per_account: dict[int, float] = {}

        async def once(browser, c: int, label: str, session_dir: str) -> float:
            s = load_settings(overrides={"portals.session_dir": session_dir})
            cpu0 = (descendants_cpu(), self_cpu(), thread_cpu(h._thread))
            t0 = time.perf_counter()
            res = await fetch_async(
                s,
                defs,
                out_dir=f"{tmp}/run-{c}-{label}",
                concurrency=c,
                browser=browser,
                invoice_numbers=numbers,
                today=date(2026, 11, 23),
            )
            wall = time.perf_counter() - t0
            br, me, sim = (
                descendants_cpu() - cpu0[0],
                self_cpu() - cpu0[1],
                thread_cpu(h._thread) - cpu0[2],
            )
            ok = sum(o.outcome == "ok" for o in res.outcomes)
            logins = sum(o.logged_in for o in res.outcomes)
            print(
                f"concurrency {c:>2} {label}: {wall:7.2f} s  ({ok}/{len(res.outcomes)} ok, {logins} logins, "
                f"{len(res.records)} records, {n_acc / wall:.2f} accounts/s); CPU s/account: browser "
                f"{br / n_acc:.2f}, runner {(me - sim) / n_acc:.2f}, simulators {sim / n_acc:.2f}; "
                f"load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
            if label == "cold":
                cpu_per_account[c] = (br + me) / n_acc
            return wall

        async def run() -> dict[int, float]:
            times = {}
            async with launch(load_settings()) as browser:
                for c in [int(x) for x in a.levels.split(",")]:
                    times[c] = await once(browser, c, "cold", f"{tmp}/sessions-{c}")
                    if a.warm:
                        await once(browser, c, "warm", f"{tmp}/sessions-{c}")
            return times

        times = asyncio.run(run())
    base = times.get(1)
    if base:
        cores = os.cpu_count() or 1
        for c, t in times.items():
            # What this machine allows: an account's time alone over the CPU it needs, spread on
            # every core (the browser, not the waiting, is what concurrency cannot overlap).
            bound = (base / n_acc) / (cpu_per_account[c] / min(c, cores))
            ceiling = f"  (CPU-bound ceiling on this machine: {bound:.1f}x)" if c > 1 else ""
            print(f"speed-up at {c} (cold): {base / t:.1f}x{ceiling}")


if __name__ == "__main__":
    main()
