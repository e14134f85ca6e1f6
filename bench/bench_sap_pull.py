"""Benchmark: `pull` on the medium world with 20 ms latency per RFC call, both strategies.

Prints RFC call counts and wall times; asserts nothing about time.  Run:
    .venv/bin/python bench/bench_sap_pull.py [--size medium] [--latency-ms 20] [--parallel 4]
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="medium")
    ap.add_argument("--latency-ms", type=float, default=20.0)
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--key-date", default="2026-11-23")
    a = ap.parse_args()
    key = date.fromisoformat(a.key_date)
    t = time.perf_counter()
    world = World(size=a.size, as_of=key)
    print(f"world {a.size}: {len(world.ledger)} ledger rows, {len(world.kna1)} customers "
          f"({time.perf_counter() - t:.1f}s)")
    t = time.perf_counter()
    system = SandboxSap(world, latency=a.latency_ms / 1000.0)
    print(f"sandbox SAP built in {time.perf_counter() - t:.1f}s; latency {a.latency_ms:g} ms/call, "
          f"{a.parallel} connections")
    st = load_settings(environ={}, overrides={"sap.parallel": a.parallel})
    results = {}
    for strategy in ("table", "bapi"):
        t = time.perf_counter()
        p = pull(st, key_date=key, strategy=strategy, system=system)
        wall = time.perf_counter() - t
        results[strategy] = p
        calls = ", ".join(f"{k}={v}" for k, v in p.stats["calls"].items())
        print(f"{strategy:5s}: {wall:7.2f}s wall  {p.stats['rfc_calls']:6d} RFC calls ({calls})  "
              f"open {len(p.open_items)}  cleared {len(p.cleared_items)}  customers {len(p.customers)}")
    same = all(results["bapi"].frames()[n].equals(results["table"].frames()[n])
               for n in ("open_items", "cleared_items", "customers"))
    print(f"identical frames: {same}")
    if not same:
        for n in ("open_items", "cleared_items", "customers"):
            try:
                pd.testing.assert_frame_equal(results["bapi"].frames()[n], results["table"].frames()[n])
            except AssertionError as exc:
                print(n, str(exc)[:300])


if __name__ == "__main__":
    main()
