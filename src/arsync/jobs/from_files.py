"""`arsync reconcile --from-files`: reconciliation for finance ops without SAP or portal access."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd

from arsync.common.frames import CLEARED_ITEMS, PORTAL_RECORDS
from arsync.connectors.files.read import read_inputs
from arsync.jobs.engine.reconcile import reconcile
from arsync.reports.export import write_frames


def reconcile_files(
    settings,
    in_dir: Path,
    out_dir: Path,
    *,
    as_of: date,
    strict: bool = False,
    echo: Callable[[str], None] = print,
) -> pd.DataFrame:
    """Read the input files, reconcile, write worklist.csv / worklist.xlsx (and errors.csv when
    rows were left out), print a summary by finding; return the worklist."""
    frames, errors = read_inputs(in_dir, strict=strict)
    cleared = frames.get("cleared_items")
    if cleared is None:
        cleared = CLEARED_ITEMS.empty()
    records = frames.get("portal_records")
    if records is None:
        records = PORTAL_RECORDS.empty()
    wl = reconcile(
        frames["open_items"],
        cleared,
        frames["customers"],
        records,
        as_of=as_of,
        settings=settings.reconcile,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    write_frames({"worklist": wl}, out_dir, "csv")
    write_frames({"worklist": wl}, out_dir, "xlsx")
    err_path = out_dir / "errors.csv"
    if len(errors):
        errors.to_csv(err_path, index=False)
        echo(f"{len(errors)} bad row(s) left out — see {err_path}")
    elif err_path.exists():
        err_path.unlink()
    echo(f"as of {as_of}: {len(wl)} open items")
    for finding, n in wl["finding"].value_counts().sort_index().items():
        echo(f"  {finding:<17} {n:>6}")
    echo(f"wrote {out_dir / 'worklist.csv'} and {out_dir / 'worklist.xlsx'}")
    return wl
