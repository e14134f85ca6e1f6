"""Benchmark: `pull` over the sandbox SAP with injected latency per RFC call — baseline vs tuned.

The baseline is what a person writes first: the BAPI strategy over one connection
(``sap.parallel = 1``).  The tuned runs are the defaults: BAPI over ``--parallel`` connections,
and the RFC_READ_TABLE strategy.  Each run gets a fresh sandbox SAP, so each pays its own lazy
table conversion; the construction time of the sandbox is printed on its own.  Prints figures,
asserts nothing about time.  cpu_s (process time, client and sandbox together) is the steadier
figure on a shared machine, where sleeping threads wake late.  Run:
    .venv/bin/python bench/bench_sap_pull.py [--size medium] [--latency-ms 20] [--parallel 4]
        [--runs baseline,bapi,table]
"""

from __future__ import annotations

import argparse
import time
from datetime import date

import pandas as pd

from arsync.config.settings import load_settings
from arsync.connectors.sap import pull
from arsync.sandbox.sap import SandboxSap
from arsync.sandbox.world import World

RUNS = {"baseline": ("bapi", 1), "bapi": ("bapi", None), "table": ("table", None)}


def run(world, name: str, key: date, latency_ms: float, parallel: int) -> tuple[dict, object]:
    strategy, par = RUNS[name]
    par = par or parallel
    t = time.perf_counter()
    system = SandboxSap(world, latency=latency_ms / 1000.0)
    build = time.perf_counter() - t
    st = load_settings(environ={}, overrides={"sap.parallel": par})
    t, cpu = time.perf_counter(), time.process_time()
    p = pull(st, key_date=key, strategy=strategy, rfc=system)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    floor = sum(p.stats["calls"].values()) * latency_ms / 1000.0 / par
    return {
        "run": name,
        "strategy": strategy,
        "connections": par,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "latency_floor_s": round(floor, 2),
        "rfc_calls": p.stats["rfc_calls"],
        "open": len(p.open_items),
        "cleared": len(p.cleared_items),
        "customers": len(p.customers),
        "sandbox_build_s": round(build, 2),
    }, p


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="medium", help="world size: tiny, small, medium, large")
    ap.add_argument("--latency-ms", type=float, default=20.0)
    ap.add_argument("--parallel", type=int, default=4, help="connections of the tuned runs")
    ap.add_argument("--key-date", default="2026-11-23")
    ap.add_argument(
        "--runs",
        default="baseline,bapi,table",
        help="comma-separated subset of baseline,bapi,table (baseline on large is slow)",
    )
    a = ap.parse_args()
    names = [n.strip() for n in a.runs.split(",") if n.strip()]
    bad = [n for n in names if n not in RUNS]
    if bad:
        ap.error(f"--runs: unknown {', '.join(bad)}; use {', '.join(RUNS)}")
    key = date.fromisoformat(a.key_date)
    t = time.perf_counter()
    world = World(size=a.size, as_of=key)
    n_ledger = len(world.ledger)
    print(
        f"world {a.size}: {n_ledger} ledger rows, {len(world.kna1)} customers, generated in "
        f"{time.perf_counter() - t:.1f}s; latency {a.latency_ms:g} ms per RFC call"
    )
    rows, pulls = [], {}
    for name in names:
        row, p = run(world, name, key, a.latency_ms, a.parallel)
        rows.append(row)
        pulls[name] = p
        print(f"  {name:8s} done: {row['wall_s']:.2f}s, {row['rfc_calls']} RFC calls", flush=True)
    table = pd.DataFrame(rows).set_index("run")
    if "baseline" in table.index:
        table["speedup"] = (table.loc["baseline", "wall_s"] / table["wall_s"]).round(1)
    print()
    print(
        "baseline = BAPI over 1 connection (naive); bapi/table = tuned defaults "
        f"({a.parallel} connections)"
    )
    print(table.to_string())
    for name, p in pulls.items():
        calls = ", ".join(f"{k}={v}" for k, v in p.stats["calls"].items())
        print(f"  {name}: {calls}")
    ref = next(iter(pulls.values()), None)
    for name, p in pulls.items():
        same = all(p.frames()[n].equals(ref.frames()[n]) for n in ref.frames())
        if not same:
            print(f"frames of {name} differ from {names[0]}:")
            for n in ref.frames():
                try:
                    pd.testing.assert_frame_equal(p.frames()[n], ref.frames()[n])
                except AssertionError as exc:
                    print(" ", n, str(exc)[:300])
    if len(pulls) > 1:
        print(
            "identical frames across runs:",
            all(
                p.frames()[n].equals(ref.frames()[n]) for p in pulls.values() for n in ref.frames()
            ),
        )


if __name__ == "__main__":
    main()
