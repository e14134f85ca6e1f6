"""The aging report on a sandbox world, timed; asserts nothing.

    .venv/bin/python bench/bench_aging.py [--size large] [--by customer]

Builds the world's frames and reconciles them (not timed), then times the aging table and
the xlsx with its charts, as `arsync aging` writes it.  Prints wall and CPU time and the load
average (the machine is shared: CPU seconds are the figure to compare).  Aim (issue 11): the
large world (~500k open items) in under 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date

from arsync.jobs.engine.priority import bucket_labels
from arsync.jobs.engine.reconcile import reconcile
from arsync.reports.aging import aging_table, aging_xlsx
from arsync.sandbox.world import World
from arsync.sandbox.world_frames import world_frames

AS_OF = date(2026, 11, 23)
BUCKETS = bucket_labels([0, 30, 60, 90, 180, 365])
BY = ["customer", "collector", "segment", "company-code"]


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--size", default="large", choices=["tiny", "small", "medium", "large"])
    ap.add_argument("--by", action="append", choices=BY, help="Repeatable; default: all four.")
    args = ap.parse_args()
    t0 = time.perf_counter()
    f = world_frames(World(size=args.size, as_of=AS_OF))
    wl = reconcile(
        f["open_items"], f["cleared_items"], f["customers"], f["portal_records"], as_of=AS_OF
    )
    print(
        f"world {args.size}: {len(wl)} open items of {wl['customer'].nunique()} customers "
        f"(built and reconciled in {time.perf_counter() - t0:.0f} s, not timed)"
    )
    for by in args.by or BY:
        load = os.getloadavg()[0]
        t, c = time.perf_counter(), time.process_time()
        table = aging_table(wl, by, BUCKETS)
        t_table = time.perf_counter() - t
        data = aging_xlsx(wl, by=by, buckets=BUCKETS, as_of=AS_OF, language="both")
        secs, cpu = time.perf_counter() - t, time.process_time() - c
        print(
            f"aging by {by}: {len(table)} rows; table {t_table:.2f} s; table + xlsx with charts "
            f"wall {secs:.1f} s, CPU {cpu:.1f} s ({len(data) / 2**20:.1f} MiB); "
            f"load average {load:.0f}"
        )


if __name__ == "__main__":
    main()
