"""Reconciliation from files: read open items, customers and portal records from CSV / XLSX.

Files are named after their frame (``open_items.csv`` or ``.xlsx``, ``customers``,
``portal_records``, optionally ``cleared_items``) and carry the frame's column names,
amounts in decimal major units and ISO dates (DESIGN.md).  An SAP FBL5N line-item export
is accepted in place of ``open_items`` (as ``open_items.*`` or ``fbl5n*.*``): its
English / German / Chinese headers are recognised and its numbers zero-padded.

A bad cell never disappears: each one is reported with file, row as the user sees it
(header = row 1) and column.  ``strict=True`` raises one DataError listing them;
otherwise they come back in the errors frame and their rows are left out.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from arsync.common.errors import DataError
from arsync.common.frames import CLEARED_ITEMS, CUSTOMERS, OPEN_ITEMS, PORTAL_RECORDS
from arsync.common.schema import Schema
from arsync.connectors.files import fbl5n as _fbl5n
from arsync.connectors.files.cells import read_table
from arsync.connectors.files.spec import SPECS, parse_frame

ERROR_COLUMNS = ["file", "row", "column", "value", "problem"]
SCHEMAS: dict[str, Schema] = {
    "open_items": OPEN_ITEMS,
    "cleared_items": CLEARED_ITEMS,
    "customers": CUSTOMERS,
    "portal_records": PORTAL_RECORDS,
}
REQUIRED = ("open_items", "customers", "portal_records")
_KNOWN = {c for s in SCHEMAS.values() for c in s.names}
_SUFFIXES = (".csv", ".xlsx", ".xlsm")


def read_inputs(
    directory: str | Path, *, strict: bool = False
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Read the reconciliation inputs from ``directory``.

    Returns ``(frames, errors)``: frames keyed by name, each valid against its schema
    (``cleared_items`` empty when no file), and the bad cells as
    ``file, row, column, value, problem``.
    """
    d = Path(directory)
    if not d.is_dir():
        raise DataError(f"input folder {d} not found")
    frames: dict[str, pd.DataFrame] = {}
    errors: list[pd.DataFrame] = []
    for name in ("open_items", "cleared_items", "customers", "portal_records"):
        path = _find(d, name)
        if path is None:
            if name in REQUIRED:
                raise DataError(
                    f"{d}: no {name} file (expected {name}.csv or {name}.xlsx"
                    + (", or an FBL5N export fbl5n.xlsx" if name == "open_items" else "")
                    + ")"
                )
            frames[name] = SCHEMAS[name].empty()
            continue
        raw, rows = read_table(path, _KNOWN)
        layout = name
        if name == "open_items":
            fbl = _fbl5n.mapping(list(raw.columns)) if "document_no" not in raw.columns else None
            if fbl is not None:
                raw = raw[list(fbl)].rename(columns=fbl)
                layout = "fbl5n"
        frame, bad = parse_frame(raw, rows, SPECS[layout], file=path.name)
        errors.append(bad)
        if layout == "fbl5n":
            # An all-items FBL5N export also lists cleared lines; only open ones are open items.
            cleared = frame["clearing_doc"].ne("") | frame["clearing_date"].notna()
            frame = frame.loc[~cleared].reset_index(drop=True)
        frame, dup = _drop_duplicates(frame, SCHEMAS[name], path.name)
        errors.append(dup)
        frames[name] = SCHEMAS[name].validate(
            SCHEMAS[name].coerce(frame.drop(columns="_row")), where=path.name
        )
    err = pd.concat(errors, ignore_index=True) if errors else pd.DataFrame(columns=ERROR_COLUMNS)
    err = err[ERROR_COLUMNS].sort_values(
        ["file", "row", "column"], kind="stable", ignore_index=True
    )
    err["row"] = err["row"].astype("int64")
    if strict and len(err):
        lines = [
            f"{r.file} row {r.row} column {r.column}: {r.problem} (value {r.value!r})"
            for r in err.head(50).itertuples()
        ]
        more = f"\n  ... and {len(err) - 50} more" if len(err) > 50 else ""
        raise DataError(
            f"{len(err)} bad cell(s) in the input files:\n  " + "\n  ".join(lines) + more
        )
    return frames, err


def _find(d: Path, name: str) -> Path | None:
    for suffix in _SUFFIXES:
        p = d / f"{name}{suffix}"
        if p.is_file():
            return p
    if name == "open_items":
        found = sorted(
            p
            for p in d.iterdir()
            if p.stem.lower().startswith("fbl5n") and p.suffix.lower() in _SUFFIXES
        )
        if found:
            return found[0]
    return None


def _drop_duplicates(
    frame: pd.DataFrame, schema: Schema, file: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A key seen twice is reported on every row after the first (never silently merged)."""
    key = list(schema.key)
    dup = frame.duplicated(key, keep="first")
    first = frame.drop_duplicates(key).set_index(key)["_row"]
    bad = frame.loc[dup]
    firsts = [
        first.loc[tuple(k) if len(key) > 1 else k[0]] for k in bad[key].itertuples(index=False)
    ]
    err = pd.DataFrame(
        {
            "file": file,
            "row": bad["_row"].to_numpy(),
            "column": ", ".join(key),
            "value": ["/".join(k) for k in bad[key].itertuples(index=False)],
            "problem": [f"duplicate key (first in row {r})" for r in firsts],
        },
        columns=ERROR_COLUMNS,
    )
    return frame.loc[~dup].reset_index(drop=True), err


__all__ = ["ERROR_COLUMNS", "read_inputs"]
