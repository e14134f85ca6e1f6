"""Last known good data across runs: ``<out>/state/portal_records.parquet`` and ``worklist.parquet``.

The next run that cannot read a portal shows its items STALE with these records, and a
narrowed run merges its worklist into the full one.  Both are written atomically
(:mod:`arsync.common.atomic`).  A state file that cannot be read (truncated by a kill or a full
disk before writes were atomic, damaged on disk, not a frame of the expected shape) is reported
with its path, set aside as ``<name>.corrupt-<time>`` for a person to look at, and the run goes
on as if there were no state: it must never stop every later run.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from arsync.common import atomic, clock
from arsync.common.schema import Schema

PORTAL_STATE = "portal_records.parquet"
WORKLIST_STATE = "worklist.parquet"


@dataclass(frozen=True)
class StateRead:
    frame: pd.DataFrame
    #: what went wrong and where the unreadable file was put (empty when all was well)
    warning: str = ""


def read_state(path: Path, schema: Schema) -> StateRead:
    """The frame kept at ``path`` (``schema``'s empty frame when there is none).  An unreadable
    file is moved aside and reported in ``warning``; this never raises for the file's content."""
    atomic.clean_leftovers(path)
    if not path.exists():
        return StateRead(schema.empty())
    try:
        return StateRead(schema.coerce(pd.read_parquet(path)))
    except Exception as exc:  # pyarrow's errors name no file: name it here
        why = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
        aside = path.with_name(f"{path.name}.corrupt-{clock.now():%Y%m%d-%H%M%S}")
        with contextlib.suppress(OSError):
            os.replace(path, aside)
        where = f"set aside as {aside}" if aside.exists() else "could not be set aside"
        return StateRead(
            schema.empty(),
            f"state file {path} cannot be read ({why}); {where}; this run goes on without "
            "last known state",
        )


def write_state(df: pd.DataFrame, path: Path) -> None:
    atomic.write_parquet(df, path)


def merge_records(
    last: pd.DataFrame,
    fresh: pd.DataFrame,
    read_portals: set[str],
    in_scope: pd.Series | None = None,
) -> pd.DataFrame:
    """The last known portal records after a run: ``fresh`` (what was read) plus what ``last``
    knew that this run did not read again.

    ``read_portals`` are the portals read without a failure.  A full run (``in_scope`` None)
    read all of each: their old records are replaced.  A narrowed run (``in_scope`` marks the
    rows of ``last`` inside its scope, by customer) replaces only those and the records it found
    again; every other record of those portals is kept — a search portal searched for one
    collector's invoices has not said anything about the others'."""
    key = ["portal", "account", "record_id"]
    replaced = last["portal"].isin(read_portals)
    if in_scope is not None:
        again = pd.MultiIndex.from_frame(last[key]).isin(pd.MultiIndex.from_frame(fresh[key]))
        replaced &= in_scope | again
    keep = last[~replaced]
    if keep.empty:
        return fresh.reset_index(drop=True)
    return pd.concat([keep, fresh], ignore_index=True)
