"""On-demand jobs of the collector's day: statements and the aging report from a run's frames.

Both read what a finished run saw (its worklist and customers), so that a statement or an
aging report agrees exactly with the worksheets of that run.  ``as_of`` picks the newest
finished run of that date (else the newest finished run); a run narrowed to a few customers
does not count, as it does not hold the whole portfolio.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from arsync.common.errors import DataError
from arsync.common.frames import CUSTOMERS, WORKLIST
from arsync.jobs.pipeline.runstore import RunInfo, RunStore


@dataclass(frozen=True)
class RunFrames:
    run: RunInfo
    worklist: pd.DataFrame
    customers: pd.DataFrame


def run_frames(store: RunStore, as_of: date | None = None) -> RunFrames:
    """The worklist and customers of the newest finished, whole-portfolio run (of ``as_of``).
    Raises :class:`DataError` saying which run to make when there is none."""
    for info in store.recent(200):
        if info.status not in ("ok", "partial") or any(
            info.scope.get(k) for k in ("customers", "collectors", "company_codes")
        ):
            continue
        if as_of is not None and info.as_of != as_of:
            continue
        folder = Path(info.folder)
        wl_path = next(
            (
                p
                for p in (
                    folder / "history" / "worklist.parquet",
                    folder / "reconcile" / "worklist.parquet",
                )
                if p.exists()
            ),
            None,
        )
        cu_path = next(
            (
                p
                for p in (
                    folder / "sap" / "customers.parquet",
                    folder / "files" / "customers.parquet",
                )
                if p.exists()
            ),
            None,
        )
        if wl_path is None or cu_path is None:
            continue
        return RunFrames(
            info,
            WORKLIST.coerce(pd.read_parquet(wl_path)),
            CUSTOMERS.coerce(pd.read_parquet(cu_path)),
        )
    when = f" as of {as_of}" if as_of else ""
    raise DataError(
        f"no finished run{when} in the run store: run `arsync nightly"
        + (f" --as-of {as_of}" if as_of else "")
        + "` first"
    )


def select_customers(
    frames: RunFrames, customers: list[str], collectors: list[str]
) -> list[str] | None:
    """The customers asked for (all when neither is given); an unknown one is an error."""
    if not customers and not collectors:
        return None
    known = set(frames.worklist["customer"])
    chosen = list(customers)
    missing = [c for c in chosen if c not in known]
    if missing:
        raise DataError(
            f"customer(s) {', '.join(missing)} have no open items in run {frames.run.run_id} (as of {frames.run.as_of})"
        )
    if collectors:
        mine = frames.worklist.loc[frames.worklist["collector"].isin(collectors), "customer"]
        if mine.empty:
            raise DataError(
                f"collector(s) {', '.join(collectors)} have no open items in run {frames.run.run_id}"
            )
        chosen += sorted(set(mine) - set(chosen))
    return chosen
