"""Time and size of the sandbox world: ``python bench/bench_world.py [size] [as_of]``.

Prints seconds per stage, row counts and peak memory (ru_maxrss); nothing is asserted.
"""

from __future__ import annotations

import resource
import sys
import time
from datetime import date

from arsync.sandbox.world import World


def main(size: str = "small", as_of: str = "2026-11-23") -> None:
    d = date.fromisoformat(as_of)
    t0 = time.perf_counter()
    w = World(size=size, as_of=d)
    t1 = time.perf_counter()
    led = w.ledger
    t2 = time.perf_counter()
    rec = w.portal_records
    t3 = time.perf_counter()
    tr = w.truth
    kk = w.knkk
    t4 = time.perf_counter()
    open_debit = int((led["AUGDT"].isna() & (led["SHKZG"] == "S")).sum())
    print(f"size={size} as_of={d}")
    print(
        f"generate {t1 - t0:6.2f}s  ledger {t2 - t1:6.2f}s  portal_records {t3 - t2:6.2f}s  "
        f"truth+knkk {t4 - t3:6.2f}s  total {t4 - t0:6.2f}s"
    )
    print(
        f"customers {len(w.kna1)}  ledger rows {len(led)}  open items {int(led['AUGDT'].isna().sum())} "
        f"(debit {open_debit})  portal records {len(rec)}  truth rows {len(tr)}  knkk {len(kk)}"
    )
    print("findings: " + ", ".join(f"{k}={v}" for k, v in tr["finding"].value_counts().items()))
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main(*sys.argv[1:])
