"""Portal fetch time at concurrency 1, 4 and 8: 30 accounts (6 portals × 5) across the three
families, 150 ms injected latency on every page and data request.

    .venv/bin/python bench/bench_portals.py [--latency-ms 150] [--accounts 5] [--levels 1,4,8] [--warm]
        [--celery-workers 2]

Prints one line per concurrency and the speed-up over concurrency 1, with the CPU seconds spent
per account by the browser (Chromium + the Playwright driver: every descendant process), by the
runner (this process minus the simulator thread) and by the simulators (their thread).  Every
level starts cold (no saved sessions: each account logs in); ``--warm`` adds a second pass per
level that reuses the sessions the first one saved.

What the latency covers: the simulators sleep ``latency_ms`` before answering any request under
a portal (HTML pages, the data XHRs, the login POST and the captcha image alike); the
simulators' test-only endpoints that the sandbox captcha solver uses are not delayed.

``--celery-workers N`` adds, per level c, a pass on N `arsync worker` processes of c/N accounts
each (the same total concurrency; a Redis of the bench's own; workers started and ready before
the clock starts), with the ratio local / Celery and the latency bound (portal requests ×
latency / c) measured in the same run.  Worker CPU (their Python and their Chromium) counts as
browser + runner.

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
from pathlib import Path

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


def count_requests(handle) -> list[int]:
    """A counter of the portal requests the simulators answer (their test-only calls aside)."""
    n = [0]
    for sim in handle.sims.values():
        inner = sim.dispatch

        async def counted(request, tail, inner=inner):
            if not tail.startswith("_test/"):
                n[0] += 1
            return await inner(request, tail)

        sim.dispatch = counted
    return n


def celery_passes(a, defs, numbers, tmp: str, handle, n_acc: int) -> dict[int, float]:
    """Per level c: N workers of c/N accounts each, cold; wall time of the fetch."""
    import shutil
    import signal
    import socket
    import subprocess
    import sys

    from cryptography.fernet import Fernet

    from arsync.connectors.portals.distributed import fetch_celery

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    redis = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
        ],
        stdout=subprocess.DEVNULL,
    )
    key = Fernet.generate_key().decode()
    os.environ["ARSYNC_SESSION_KEY"] = key
    times: dict[int, float] = {}
    try:
        for c in [int(x) for x in a.levels.split(",")]:
            per = max(1, c // a.celery_workers)
            conf = {
                "celery.broker_url": f"redis://127.0.0.1:{port}/0",
                "celery.queue": f"bench-{c}",
                "portals.session_dir": f"{tmp}/sessions-celery-{c}",
            }
            env = {k: v for k, v in os.environ.items() if not k.startswith("ARSYNC_")}
            env |= {"ARSYNC_" + k.upper().replace(".", "__"): v for k, v in conf.items()}
            env["ARSYNC_SESSION_KEY"] = key
            logs = [open(f"{tmp}/worker-{c}-{i}.log", "wb") for i in range(a.celery_workers)]  # noqa: SIM115
            procs = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "arsync",
                        "worker",
                        f"--concurrency={per}",
                        f"--name=w{i}@bench",
                    ],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                for i, log in enumerate(logs)
            ]
            try:
                for i in range(a.celery_workers):
                    log_path = Path(f"{tmp}/worker-{c}-{i}.log")
                    while b" ready." not in log_path.read_bytes():
                        time.sleep(0.1)
                s = load_settings(overrides={**conf, "portals.executor": "celery"})
                cpu0 = (descendants_cpu(), self_cpu(), thread_cpu(handle._thread))
                t0 = time.perf_counter()
                res = fetch_celery(
                    s,
                    defs,
                    out_dir=f"{tmp}/celery-{c}",
                    invoice_numbers=numbers,
                    today=date(2026, 11, 23),
                )
                wall = time.perf_counter() - t0
                br, me = descendants_cpu() - cpu0[0], self_cpu() - cpu0[1]
                sim = thread_cpu(handle._thread) - cpu0[2]
                ok = sum(o.outcome == "ok" for o in res.outcomes)
                logins = sum(o.logged_in for o in res.outcomes)
                print(
                    f"concurrency {c:>2} celery ({a.celery_workers}×{per}): {wall:7.2f} s  "
                    f"({ok}/{len(res.outcomes)} ok, {logins} logins, {len(res.records)} records); "
                    f"CPU s/account: workers (Python + Chromium) {br / n_acc:.2f}, run "
                    f"{(me - sim) / n_acc:.2f}; load {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
                times[c] = wall
            finally:
                for p in procs:
                    os.killpg(p.pid, signal.SIGTERM)
                for p in procs:
                    p.wait(60)
    finally:
        redis.terminate()
        redis.wait(10)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--latency-ms", type=int, default=150)
    ap.add_argument("--accounts", type=int, default=5, help="accounts per portal (6 portals)")
    ap.add_argument("--levels", default="1,4,8")
    ap.add_argument(
        "--warm", action="store_true", help="also a second pass per level with saved sessions"
    )
    ap.add_argument("--celery-workers", type=int, default=0, help="also a pass on N Celery workers")
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
        requests = count_requests(h)
        numbers = sandbox_search_numbers(world)
        uni = [p for p in defs if p.spec.list.source == "search"]
        per = {p.id: sum(len(numbers.get(c, [])) for c in p.customers) for p in uni}
        print(f"searches per account on the search portals: {per}")

        cpu_per_account: dict[int, float] = {}
        latency_bound: dict[int, float] = {}

        async def once(browser, c: int, label: str, session_dir: str) -> float:
            s = load_settings(overrides={"portals.session_dir": session_dir})
            cpu0 = (descendants_cpu(), self_cpu(), thread_cpu(h._thread))
            req0 = requests[0]
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
                latency_bound[c] = (requests[0] - req0) * a.latency_ms / 1000 / c
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
        celery = {}
        if a.celery_workers:
            celery = celery_passes(a, defs, numbers, tmp, h, n_acc)
    base = times.get(1)
    if base:
        cores = os.cpu_count() or 1
        for c, t in times.items():
            # What this machine allows: an account's time alone over the CPU it needs, spread on
            # every core (the browser, not the waiting, is what concurrency cannot overlap).
            bound = (base / n_acc) / (cpu_per_account[c] / min(c, cores))
            ceiling = f"  (CPU-bound ceiling on this machine: {bound:.1f}x)" if c > 1 else ""
            print(f"speed-up at {c} (cold): {base / t:.1f}x{ceiling}")
    for c, t in times.items():
        extra = ""
        if c in celery:
            extra = (
                f"; {a.celery_workers} Celery workers {celery[c]:.1f} s: local / Celery = "
                f"{t / celery[c]:.2f}"
            )
        print(f"concurrency {c}: local {t:.1f} s, latency bound {latency_bound[c]:.1f} s{extra}")


if __name__ == "__main__":
    main()
