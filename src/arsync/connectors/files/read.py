"""Reconciliation from files: read open items, customers and portal records from CSV / XLSX.

Files are named after their frame (``open_items.csv`` or ``.xlsx``, ``customers``,
``portal_records``, optionally ``cleared_items``) and carry the frame's column names,
amounts in decimal major units and ISO dates (DESIGN.md).  An SAP FBL5N line-item export
is accepted in place of ``open_items`` (as ``open_items.*`` or ``fbl5n*.*``): its
English / German / Chinese headers are recognised and its numbers zero-padded.

A bad cell never disappears: each one is reported with file, row as the user sees it
(header = row 1), column and what became of its row (``outcome``: ``left out``, ``kept``,
``merged``).  ``strict=True`` raises one DataError listing the rows left out; otherwise they
come back in the errors frame.  Also reported, rows kept: cells under no header, open items
of a customer the customers file does not list, zero amounts; identical duplicate rows (a
portal export whose pages overlap) are merged into one with a note, while duplicates that
disagree are both left out, each naming the other.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from arsync.common.errors import DataError
from arsync.common.frames import CLEARED_ITEMS, CUSTOMERS, OPEN_ITEMS, PORTAL_RECORDS
from arsync.common.schema import Schema
from arsync.connectors.files import fbl5n as _fbl5n
from arsync.connectors.files.cells import read_table
from arsync.connectors.files.spec import ERROR_COLUMNS, SPECS, parse_frame

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
    (``cleared_items`` empty when no file), and the problems as
    ``file, row, column, value, problem, outcome``.
    """
    d = Path(directory)
    if not d.is_dir():
        raise DataError(f"input folder {d} not found")
    frames: dict[str, pd.DataFrame] = {}
    files: dict[str, tuple[str, pd.Series]] = {}  # name → (file, row of each frame row)
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
        table = read_table(path, _KNOWN)
        raw, rows = table.cells, table.rows
        errors.append(_extra(table.extra, path.name))
        layout = name
        if name == "open_items":
            fbl = _fbl5n.mapping(list(raw.columns)) if "document_no" not in raw.columns else None
            if fbl is not None:
                layout = "fbl5n"
                raw = raw.loc[~table.total.to_numpy()][list(fbl)].rename(columns=fbl)
                rows = rows.loc[~table.total.to_numpy()]
                need = [c for c, _, n in SPECS["fbl5n"] if n and c not in raw.columns]
                if need:
                    raise DataError(
                        f"{path.name}: the FBL5N export lacks "
                        + ", ".join(_fbl5n.labels(need, list(table.cells.columns)))
                        + " (add them to the layout and export again)"
                    )
        frame, bad = parse_frame(
            raw.reset_index(drop=True), rows.reset_index(drop=True), SPECS[layout], file=path.name
        )
        errors.append(bad)
        if layout == "fbl5n":
            # An all-items FBL5N export also lists cleared lines; only open ones are open items.
            cleared = frame["clearing_doc"].ne("") | frame["clearing_date"].notna()
            frame = frame.loc[~cleared].reset_index(drop=True)
        frame, dup = _duplicates(frame, SCHEMAS[name], path.name)
        errors.append(dup)
        files[name] = (path.name, frame["_row"])
        frames[name] = SCHEMAS[name].validate(
            SCHEMAS[name].coerce(frame.drop(columns="_row")), where=path.name
        )
    errors.append(_unknown_customers(frames, files))
    errors = [e for e in errors if len(e)]
    err = pd.concat(errors, ignore_index=True) if errors else pd.DataFrame(columns=ERROR_COLUMNS)
    err = err[ERROR_COLUMNS].sort_values(
        ["file", "row", "column"], kind="stable", ignore_index=True
    )
    err["row"] = err["row"].astype("int64")
    out = err.loc[err["outcome"].eq("left out")]
    if strict and len(out):
        lines = [
            f"{r.file} row {r.row} column {r.column}: {r.problem} (value {r.value!r})"
            for r in out.head(50).itertuples()
        ]
        more = f"\n  ... and {len(out) - 50} more" if len(out) > 50 else ""
        raise DataError(
            f"{bad_rows(err)} bad row(s) in the input files:\n  " + "\n  ".join(lines) + more
        )
    return frames, err


def bad_rows(errors: pd.DataFrame) -> int:
    """Rows left out (a row with three bad cells is one bad row)."""
    out = errors.loc[errors["outcome"].eq("left out"), ["file", "row"]]
    return len(out.drop_duplicates())


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


def _duplicates(
    frame: pd.DataFrame, schema: Schema, file: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows with the same key: identical ones (every value equal) are one row, noted as merged;
    rows that disagree are all left out, each naming the others — which one is right is for a
    person to say, never the first one by chance."""
    key = list(schema.key)
    same_key = frame.duplicated(key, keep=False)
    if not same_key.any():
        return frame, pd.DataFrame(columns=ERROR_COLUMNS)
    values = [c for c in frame.columns if c != "_row"]
    dups = frame.loc[same_key]
    # NaN/NaT compare unequal: compare the rows' text
    text = dups[values].astype(str).agg("\x1f".join, axis=1)
    kinds = text.groupby([dups[k] for k in key]).transform("nunique")
    agree = dups.loc[kinds.eq(1).to_numpy()]
    clash = dups.loc[kinds.gt(1).to_numpy()]
    merged = agree.loc[agree.duplicated(key, keep="first")]
    first = agree.drop_duplicates(key).set_index(key)["_row"]
    rows_of = clash.groupby(key)["_row"].agg(list)

    def ident(r) -> str:
        return "/".join(str(r[k]) for k in key)

    def at(r):
        return tuple(r[k] for k in key) if len(key) > 1 else r[key[0]]

    notes = [
        (
            file,
            r["_row"],
            ", ".join(key),
            ident(r),
            f"identical to row {first.loc[at(r)]}: counted once",
            "merged",
        )
        for _, r in merged.iterrows()
    ]
    clashes = [
        (
            file,
            r["_row"],
            ", ".join(key),
            ident(r),
            "same key as row(s) "
            + ", ".join(str(x) for x in rows_of.loc[at(r)] if x != r["_row"])
            + " with other values: which is right?",
            "left out",
        )
        for _, r in clash.iterrows()
    ]
    err = pd.DataFrame(notes + clashes, columns=ERROR_COLUMNS)
    keep = ~frame.index.isin(merged.index) & ~frame.index.isin(clash.index)
    return frame.loc[keep].reset_index(drop=True), err


def _extra(extra: pd.DataFrame, file: str) -> pd.DataFrame:
    """Cells under no header: the row is read without them, and says so."""
    if not len(extra):
        return pd.DataFrame(columns=ERROR_COLUMNS)
    return pd.DataFrame(
        {
            "file": file,
            "row": extra["row"].to_numpy(),
            "column": extra["column"].to_numpy(),
            "value": [str(v)[:200] for v in extra["value"]],
            "problem": "a cell under no header: ignored (add a header or remove it)",
            "outcome": "kept",
        },
        columns=ERROR_COLUMNS,
    )


def _unknown_customers(
    frames: dict[str, pd.DataFrame], files: dict[str, tuple[str, pd.Series]]
) -> pd.DataFrame:
    """Open items of a customer the customers file does not list: kept (they are owed), but
    without a name or collector — said, never silent."""
    known = set(frames["customers"]["customer"])
    parts = []
    for name in ("open_items", "cleared_items"):
        if name not in files:
            continue
        file, rows = files[name]
        f = frames[name]
        miss = ~f["customer"].isin(known).to_numpy()
        if miss.any():
            parts.append(
                pd.DataFrame(
                    {
                        "file": file,
                        "row": rows.to_numpy()[miss],
                        "column": "customer",
                        "value": f["customer"].to_numpy()[miss],
                        "problem": f"customer not in {files['customers'][0]}: "
                        "no name, collector or portal",
                        "outcome": "kept",
                    },
                    columns=ERROR_COLUMNS,
                )
            )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=ERROR_COLUMNS)


__all__ = ["ERROR_COLUMNS", "bad_rows", "read_inputs"]
