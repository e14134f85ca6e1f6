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

from arsync.common.errors import InputError
from arsync.common.frames import CUSTOMERS, WORKLIST
from arsync.jobs.pipeline.runstore import RunInfo, RunStore


@dataclass(frozen=True)
class RunFrames:
    run: RunInfo
    worklist: pd.DataFrame
    customers: pd.DataFrame


def _whole_runs(store: RunStore, as_of: date | None = None):
    """Finished whole-portfolio runs (of ``as_of``), newest first, with their worklist and
    customers files: ``(info, worklist path, customers path)``."""
    for info in store.recent(200):
        if info.status not in ("ok", "partial") or any(
            info.scope.get(k) for k in ("customers", "collectors", "company_codes")
        ):
            continue
        if as_of is not None and info.as_of != as_of:
            continue
        folder = Path(info.folder)
        wl_path = _first(folder, ("history", "worklist"), ("reconcile", "worklist"))
        cu_path = _first(folder, ("sap", "customers"), ("files", "customers"))
        if wl_path is None or cu_path is None:
            continue
        yield info, wl_path, cu_path


def _first(folder: Path, *names: tuple[str, str]) -> Path | None:
    return next(
        (p for p in (folder / a / f"{b}.parquet" for a, b in names) if p.exists()),
        None,
    )


def run_frames(store: RunStore, as_of: date | None = None) -> RunFrames:
    """The worklist and customers of the newest finished, whole-portfolio run (of ``as_of``).
    Raises :class:`InputError` naming the store, the dates it has runs of and which run to
    make when there is none (nothing ran that needs resuming: exit 2)."""
    for info, wl_path, cu_path in _whole_runs(store, as_of):
        return RunFrames(
            info,
            WORKLIST.coerce(pd.read_parquet(wl_path)),
            CUSTOMERS.coerce(pd.read_parquet(cu_path)),
        )
    from arsync.jobs.pipeline.runstore import where

    when = f" as of {as_of}" if as_of else ""
    make = "run `arsync nightly" + (f" --as-of {as_of}" if as_of else "") + "` first"
    dates = sorted({info.as_of for info, _, _ in _whole_runs(store)})
    if dates:
        what = f"it has finished runs as of {_dates(dates)} (`arsync runs` lists them): give "
        what += f"--as-of one of those dates, or {make}"
    else:
        what = f"it has no finished run yet: {make}"
    raise InputError(f"no finished run{when} in the run store at {where(store)}; {what}")


def _dates(dates: list[date], shown: int = 6) -> str:
    if len(dates) <= shown:
        return ", ".join(map(str, dates))
    return f"{dates[0]} … {dates[-1]} ({len(dates)} dates)"


def newest_customers(store: RunStore) -> pd.DataFrame:
    """The customers frame of the newest finished whole-portfolio run (empty when none)."""
    for _, _, cu_path in _whole_runs(store):
        return CUSTOMERS.coerce(pd.read_parquet(cu_path))
    return pd.DataFrame(columns=["customer", "collector"])


def select_customers(
    frames: RunFrames, customers: list[str], collectors: list[str]
) -> list[str] | None:
    """The customers asked for (all when neither is given).  A customer or collector with no
    open item in the run is an :class:`InputError` naming the run, its date and who has
    (exit 2)."""
    if not customers and not collectors:
        return None
    known = set(frames.worklist["customer"])
    run = f"run {frames.run.run_id} (as of {frames.run.as_of})"
    chosen = list(customers)
    missing = [c for c in chosen if c not in known]
    if missing:
        raise InputError(
            f"--customer {', '.join(missing)}: no open items in {run}; "
            f"{len(known)} customers have (`arsync aging --by customer` lists them)"
        )
    if collectors:
        have = set(frames.worklist["collector"])
        missing = [c for c in collectors if c not in have]
        if missing:
            raise InputError(
                f"--collector {', '.join(missing)}: no open items in {run}; "
                f"collectors with open items: {', '.join(sorted(have))}"
            )
        mine = frames.worklist.loc[frames.worklist["collector"].isin(collectors), "customer"]
        chosen += sorted(set(mine) - set(chosen))
    return chosen
