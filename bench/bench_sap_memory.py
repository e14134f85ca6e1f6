"""Peak memory of the SAP connector alone: ``pull`` on a sandbox world, apart from the sandbox.

    .venv/bin/python bench/bench_sap_memory.py [--size large] [--strategy bapi]

The world and the SAP stand-in live in this process too, so: one pull first (it builds the
stand-in's lazy tables and indexes), then the kernel's peak-RSS mark is reset
(``/proc/self/clear_refs``) and a second pull is measured: its peak RSS minus the RSS just
before it is what the connector needs (its rows in flight, its frames, the stand-in's answers
to the calls in flight).  The frames it returns are sized on their own (``memory_usage``,
deep).  Prints figures and the load average; asserts nothing.

The stand-in hands out its own string objects (shared with its columns); pyrfc makes a new
``str`` for every field of every row (except '' and one-character strings, which CPython
shares).  ``--fresh`` (the default) copies every string of the BAPIs' LINEITEMS the way pyrfc
would, so that the figure is the one a real SAP gives; ``--no-fresh`` measures the stand-in as is.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import time
from datetime import date

from arsync.config.settings import load_settings
from arsync.connectors.sap import pull
from arsync.sandbox.sap import SandboxSap
from arsync.sandbox.world import World


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


class _Fresh:
    """The stand-in's ``Connection`` with pyrfc's string allocation: a new str per field."""

    def __init__(self, sap: SandboxSap, times: int = 1):
        self._sap, self._times = sap, times

    def Connection(self, **params):
        return _FreshConnection(self._sap.Connection(**params), self._times)


class _FreshConnection:
    def __init__(self, conn, times: int):
        self._conn, self._times = conn, times

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def call(self, func_name: str, options=None, **params):
        r = self._conn.call(func_name, options, **params)
        if "LINEITEMS" in r:
            new = lambda v: v.encode().decode() if isinstance(v, str) else v  # noqa: E731
            # --times k: every item k times over, told apart by the first digit of its line item
            r["LINEITEMS"] = [
                {k: new(v) for k, v in row.items()}
                | ({"ITEM_NUM": f"{t}{row['ITEM_NUM'][1:]}"} if t else {})
                for t in range(self._times)
                for row in r["LINEITEMS"]
            ]
        return r


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="large")
    ap.add_argument("--strategy", default="bapi", choices=["bapi", "table"])
    ap.add_argument("--key-date", default="2026-11-23")
    ap.add_argument("--fresh", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument(
        "--times",
        type=int,
        default=1,
        help="each BAPI item this many times over (at most 10): a larger portfolio on a "
        "smaller world, for a machine without the memory for the large one (with --fresh)",
    )
    a = ap.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    key = date.fromisoformat(a.key_date)
    t = time.perf_counter()
    world = World(size=a.size, as_of=key)
    sap = SandboxSap(world)
    rfc = _Fresh(sap, a.times) if a.fresh else sap
    st = load_settings(environ={})
    first = pull(st, key_date=key, strategy=a.strategy, rfc=rfc)
    print(f"world {a.size} + stand-in + first pull: {time.perf_counter() - t:.0f} s")
    del first
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)  # what the first pull freed leaves the RSS too
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # reset VmHWM to the current RSS
    before = _status_kb("VmRSS:")
    t, cpu = time.perf_counter(), time.process_time()
    p = pull(st, key_date=key, strategy=a.strategy, rfc=rfc)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    peak = _status_kb("VmHWM:")
    frames = sum(int(df.memory_usage(deep=True).sum()) for df in p.frames().values())
    print(
        f"pull {a.strategy}{' (fresh strings, as pyrfc)' if a.fresh else ''}: {len(p.open_items):,} open, {len(p.cleared_items):,} cleared, "
        f"{len(p.customers):,} customers in {wall:.1f} s ({cpu:.1f} s CPU)"
    )
    print(
        f"connector peak {(peak - before) / 2**20:.2f} GB above the {before / 2**20:.2f} GB the "
        f"sandbox holds; the frames it returns {frames / 2**30:.2f} GB"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
