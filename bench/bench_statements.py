"""Statements (对账单, xlsx + PDF) for every customer of a sandbox world, timed; asserts nothing.

    .venv/bin/python bench/bench_statements.py [--size medium] [--language both]

Builds the world's frames and reconciles them (not timed), then numbers, writes and records one
statement per customer and company code with open items, as `arsync statements` does, into a
temporary folder and run store (``--workers``: statements.workers).  Prints the count, wall and CPU time, milliseconds per
statement, the size of the files and the load average (the machine is shared: CPU seconds are
the figure to compare).  Aim (issue 11): the medium world (~2,000 customers) in under 60 s on
2 cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from arsync.config import load_settings
from arsync.jobs.engine.reconcile import reconcile
from arsync.jobs.pipeline.runstore import RunStore
from arsync.jobs.pipeline.statement_book import issue_statements
from arsync.sandbox.world import World
from arsync.sandbox.world_frames import world_frames

AS_OF = date(2026, 11, 23)


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--size", default="medium", choices=["tiny", "small", "medium", "large"])
    ap.add_argument("--language", default="both", choices=["zh", "en", "both"])
    ap.add_argument("--workers", type=int, default=0, help="statements.workers (0: per core)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    f = world_frames(World(size=args.size, as_of=AS_OF))
    wl = reconcile(
        f["open_items"], f["cleared_items"], f["customers"], f["portal_records"], as_of=AS_OF
    )
    print(
        f"world {args.size}: {wl['customer'].nunique()} customers with {len(wl)} open items "
        f"(built and reconciled in {time.perf_counter() - t0:.1f} s, not timed below)"
    )
    s = load_settings(
        environ={},
        overrides={"statements.language": args.language, "statements.workers": args.workers},
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(f"sqlite:///{Path(tmp) / 'runs.sqlite'}")
        load = os.getloadavg()[0]
        t, c, kids = time.perf_counter(), time.process_time(), _children_cpu()
        issued = issue_statements(
            store, wl, f["customers"], settings=s, as_of=AS_OF, folder=Path(tmp) / "st"
        )
        secs = time.perf_counter() - t
        cpu = time.process_time() - c + _children_cpu() - kids
        files = list((Path(tmp) / "st").iterdir())
        size = sum(p.stat().st_size for p in files) / 2**20
    n = len(issued)
    print(
        f"{n} statements ({n} xlsx + {n} PDF, {size:.0f} MiB, language {args.language}) for "
        f"{len({i.customer for i in issued})} customers, workers {args.workers}: wall {secs:.1f} s, CPU {cpu:.1f} s "
        f"(with the workers'; {1000 * cpu / n:.0f} ms CPU each); load average {load:.0f} → {os.getloadavg()[0]:.0f}"
    )


if __name__ == "__main__":
    main()
