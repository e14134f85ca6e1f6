"""Benchmark a file run end to end: `arsync reconcile --from-files` on a large synthetic portfolio.

    .venv/bin/python bench/bench_files_run.py                      # 500k open items × 500k records
    .venv/bin/python bench/bench_files_run.py --items 100000
    .venv/bin/python bench/bench_files_run.py --keep /tmp/files    # reuse / keep the input files

The inputs are bench_reconcile's synthetic portfolio written as CSV (what an operator exports).
The run is a child process (`python -m arsync`), so the figures are the CLI's own: wall time and
peak RSS (``ru_maxrss`` of the child, which covers numpy, Arrow and openpyxl buffers), followed
by the run store's per-stage timings.  Prints figures, asserts nothing.  Aim (issue 10): under
4 GB and under 3 minutes for 500k × 500k.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # bench scripts share the synthetic portfolio

from bench_reconcile import AS_OF, synthetic


def write_inputs(folder: Path, n_items: int, n_records: int) -> None:
    from arsync.reports.export import write_frames

    frames = synthetic(n_items, n_records)
    frames.pop("cleared_items")
    write_frames(frames, folder, "csv")


def run(folder: Path, out: Path, extra: list[str]) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak RSS in MB of the child, exit code).  CPU time is given
    beside wall time because a shared machine stretches the wall time of the same work."""
    cmd = [sys.executable, "-m", "arsync", "reconcile", "--from-files", str(folder)]
    cmd += ["--out", str(out), "--as-of", AS_OF.isoformat(), *extra]
    env = {**os.environ, "ARSYNC_RUNS__OUT_DIR": str(out)}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        print(proc.stdout[-2000:], proc.stderr[-4000:], sep="\n")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, proc.returncode


def stage_times(out: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "arsync", "runs", "--limit", "1"],
        env={**os.environ, "ARSYNC_RUNS__OUT_DIR": str(out)},
        capture_output=True,
        text=True,
    )
    return proc.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=500_000)
    ap.add_argument("--records", type=int, default=None, help="default: as many as items")
    ap.add_argument("--keep", type=Path, default=None, help="input folder to reuse or keep")
    a = ap.parse_args()
    n_rec = a.records or a.items
    with tempfile.TemporaryDirectory(prefix="arsync-bench-") as tmp:
        folder = a.keep or Path(tmp) / "in"
        if not (folder / "open_items.csv").exists():
            t = time.perf_counter()
            write_inputs(folder, a.items, n_rec)
            print(f"inputs written in {time.perf_counter() - t:.0f} s → {folder}")
        out = Path(tmp) / "out"
        wall, cpu, peak, rc = run(folder, out, [])
        sizes = {p.name: p.stat().st_size for p in out.glob("worklist.*")}
        print(f"reconcile --from-files: {a.items:,} open items × {n_rec:,} portal records")
        print(f"  exit {rc}, wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {peak:,.0f} MB")
        print("  outputs: " + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sorted(sizes.items())))
        print(stage_times(out))


if __name__ == "__main__":
    main()
