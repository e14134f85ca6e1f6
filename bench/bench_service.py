"""How fast `arsync serve` answers while a run goes on in its worker process.

Starts the service on a loopback port over a sandbox world, starts a nightly through the API
and, until the run ends, asks for the dashboard page and GET /api/status four times a second
(bounded: at most 2,400 requests).  Prints the run's time and the answer times (median, p95,
max) during the run — the issue's aim: every answer within a second.

    .venv/bin/python bench/bench_service.py [--size tiny|small] [--kind nightly|reconcile]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import tempfile
import time

import httpx

from arsync.common.secrets import Secret
from arsync.service.app import create_app
from arsync.service.context import open_service
from arsync.service.server import BackgroundServer


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="small", choices=["tiny", "small", "medium"])
    ap.add_argument("--kind", default="nightly", choices=["nightly", "reconcile"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as out:
        svc = open_service(
            overrides={
                "runs.out_dir": out,
                "sandbox.size": args.size,
                "portals.session_dir": f"{out}/sessions",
            }
        )
        svc.users.add("bench", "ops", Secret("bench password"))
        token = svc.credentials.issue_token("bench", "bench")
        with BackgroundServer(create_app(svc, schedule=False)) as url:
            api = httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
            body = {"kind": "nightly"} if args.kind == "nightly" else {"customers": ["100001"]}
            t0 = time.perf_counter()
            run_id = api.post("/api/runs", json=body).json()["run_id"]
            worker = svc.workers.procs[run_id]
            times: dict[str, list[float]] = {"/": [], "/api/status": []}
            for _ in range(1200):
                if worker.poll() is not None:
                    break
                for path in times:
                    a = time.perf_counter()
                    api.get(path).raise_for_status()
                    times[path].append(time.perf_counter() - a)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker.wait(0.25)
            worker.wait()
            took = time.perf_counter() - t0
            state = api.get(f"/api/runs/{run_id}").json()
    print(
        f"{args.kind} on the {args.size} world: {state['status']} in {took:.1f} s (worker process)"
    )
    for path, ts in times.items():
        ts.sort()
        p95 = ts[max(0, int(len(ts) * 0.95) - 1)]
        print(
            f"  GET {path:<12} {len(ts):>4} answers during the run: median {statistics.median(ts) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {ts[-1] * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
