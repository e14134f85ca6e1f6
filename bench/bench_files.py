"""Benchmark reading reconciliation inputs from files; prints figures, asserts nothing.

    .venv/bin/python bench/bench_files.py                 # 200 000 open items as CSV
    .venv/bin/python bench/bench_files.py --rows 50000 --xlsx

The open items are written the way people hand them over: 8-digit document numbers,
20-digit invoice numbers as text, ISO and Chinese dates, amounts with grouping, a few with
SAP's trailing minus; one row in a thousand is bad (so the per-cell problem path runs too).
Cell parsing is timed separately from reading the file.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

import numpy as np

from arsync.connectors.files.cells import read_table
from arsync.connectors.files.read import read_inputs
from arsync.connectors.files.spec import SPECS, parse_frame

HEAD = [
    "company_code",
    "fiscal_year",
    "document_no",
    "line_item",
    "customer",
    "reference",
    "assignment",
    "document_date",
    "due_date",
    "amount",
    "currency",
]


def rows(n: int, seed: int = 7) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    doc = rng.integers(90_000_000, 99_999_999, n)
    cust = rng.integers(1000, 1400, n)
    inv = rng.integers(10**11, 10**12, n)
    minor = rng.integers(-50_000, 5_000_000, n)
    day = rng.integers(1, 28, n)
    out = []
    for i in range(n):
        m = minor[i]
        a = f"{abs(m) // 100:,}.{abs(m) % 100:02d}"
        amount = (a + "-") if m < 0 and i % 2 else ("-" + a if m < 0 else a)
        due = f"2026-10-{day[i]:02d}" if i % 3 else f"2026年10月{day[i]}日"
        out.append(
            [
                "1000",
                "2026",
                str(doc[i]),
                "1",
                str(cust[i]),
                f"26442{inv[i]:015d}",
                f"PO-{i}",
                "2026-09-01",
                "2026-13-01" if i % 1000 == 999 else due,
                amount,
                "CNY",
            ]
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--xlsx", action="store_true", help="write an .xlsx instead of a .csv")
    a = ap.parse_args()
    body = rows(a.rows)
    with tempfile.TemporaryDirectory() as d:
        ext = ".xlsx" if a.xlsx else ".csv"
        path = Path(d) / f"open_items{ext}"
        if a.xlsx:
            import openpyxl

            wb = openpyxl.Workbook(write_only=True)
            ws = wb.create_sheet()
            for r in [HEAD, *body]:
                ws.append(r)
            wb.save(path)
        else:
            with path.open("w", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerows([HEAD, *body])
        with (Path(d) / "customers.csv").open("w", encoding="utf-8") as fh:
            fh.write("customer,name\n1000,x\n")
        with (Path(d) / "portal_records.csv").open("w", encoding="utf-8") as fh:
            fh.write("portal,record_id,invoice_no,status\n")
        t0, c0 = time.perf_counter(), time.process_time()
        raw, nums = read_table(path, {c for c, _, _ in SPECS["open_items"]})
        t1, c1 = time.perf_counter(), time.process_time()
        frame, errors = parse_frame(raw, nums, SPECS["open_items"], file=path.name)
        t2, c2 = time.perf_counter(), time.process_time()
        read_inputs(Path(d))
        t3, c3 = time.perf_counter(), time.process_time()
    # CPU seconds beside wall seconds: on a shared machine the CPU figure is the one to compare
    print(f"{a.rows} rows ({ext}), wall / CPU seconds:")
    print(f"  read the file      {t1 - t0:6.2f} / {c1 - c0:6.2f}")
    print(f"  parse the cells    {t2 - t1:6.2f} / {c2 - c1:6.2f}")
    print(f"  read_inputs        {t3 - t2:6.2f} / {c3 - c2:6.2f}")
    print(f"  {len(frame)} good rows, {len(errors)} bad cells")


if __name__ == "__main__":
    main()
