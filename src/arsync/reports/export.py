"""The one writer of the files arsync hands to people and tools: CSV, XLSX or Parquet.

Every table file arsync writes goes through here — ``sap pull`` and ``portals fetch`` outputs
(:func:`write_frames`), a file run's ``worklist.csv`` / ``worklist.xlsx`` / ``errors.csv``
(:func:`write_run_outputs`) — so that one rule holds everywhere: text from outside (SAP, a portal,
an input file) stays text.

- CSV (UTF-8 with a BOM, so Excel shows Chinese): every text field is quoted and a text that
  starts with ``=``, ``+``, ``-``, ``@``, tab or CR is prefixed with ``'`` (OWASP's CSV-injection
  rule, :mod:`arsync.common.sheet_text`); numbers are written bare and stay numbers.
- XLSX: streamed in constant memory; text is written as text, never a formula
  (:mod:`arsync.reports._xlsx`); money is a number in the major unit with the currency's
  decimals, dates are Excel dates.
- Parquet: money as decimal128 in the major unit.

In files, money is in the currency's major unit (``1234.56``; never float text in CSV), dates are
ISO in CSV, and IDs stay text (``0000001000`` keeps its zeros).  Each file is written to a
temporary name in the target folder, fsynced and moved into place, so a reader never sees half
a file; :func:`write_run_outputs` moves its files only when all of them were written.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pandas as pd

from arsync.common.errors import ConfigError
from arsync.common.sheet_text import escape_column
from arsync.reports import _xlsx

FORMATS = ("csv", "xlsx", "parquet")
#: money column → the column holding its currency
MONEY = {
    "amount": "currency",
    "local_amount": "local_currency",
    "credit_limit": "credit_currency",
    "credit_exposure": "credit_currency",
    "paid_amount": "currency",
    "promised_amount": "currency",
    "portal_amount": "currency",
}
CSV_CHUNK = 50_000


def write_frames(
    frames: dict[str, pd.DataFrame], out_dir: str | Path, fmt: str = "csv"
) -> dict[str, Path]:
    """Write ``<name>.<fmt>`` for every frame into ``out_dir`` (columns named as in the frame);
    return the paths.  An unknown ``fmt`` is a :class:`ConfigError`."""
    if fmt not in FORMATS:
        raise ConfigError(f"output format {fmt!r}: use one of {', '.join(FORMATS)}")
    out = Path(out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    writer = {"csv": write_csv, "xlsx": write_xlsx, "parquet": write_parquet}[fmt]
    paths = {}
    for name, df in frames.items():
        path = out / f"{name}.{fmt}"

        def write(tmp: str, df: pd.DataFrame = df, name: str = name) -> None:
            writer(df, tmp, name)

        _commit({path: _staged(path, write)})
        paths[name] = path
    return paths


def write_run_outputs(
    out_dir: str | Path,
    worklist: pd.DataFrame,
    errors: pd.DataFrame | None = None,
    *,
    language: str = "both",
) -> dict[str, Path]:
    """A file run's outputs, all or none: ``worklist.csv`` (every worklist column, frame names),
    ``worklist.xlsx`` (the readable worklist, :mod:`arsync.reports.worklist_book`, in
    ``language``) and, when there are bad cells, ``errors.csv`` (file, row, column, value,
    problem); an old ``errors.csv`` is removed when there are none.  Nothing is replaced
    until every file is written.  Returns the paths written, by name."""
    from arsync.reports.worklist_book import write_worklist_xlsx

    out = Path(out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    jobs: dict[str, tuple[Path, Callable[[str], None]]] = {
        "worklist.csv": (out / "worklist.csv", lambda tmp: write_csv(worklist, tmp)),
        "worklist.xlsx": (
            out / "worklist.xlsx",
            lambda tmp: write_worklist_xlsx(worklist, tmp, language=language),
        ),
    }
    bad = errors if errors is not None and len(errors) > 0 else None
    if bad is not None:
        jobs["errors.csv"] = (out / "errors.csv", lambda tmp: write_csv(bad, tmp))
    staged: dict[Path, str] = {}
    try:
        for path, write in jobs.values():
            staged[path] = _staged(path, write)
    except BaseException:
        for tmp in staged.values():
            Path(tmp).unlink(missing_ok=True)
        raise
    _commit(staged)
    if bad is None:
        (out / "errors.csv").unlink(missing_ok=True)
    return {name: path for name, (path, _) in jobs.items()}


# --- the formats -------------------------------------------------------------------------------


def write_csv(df: pd.DataFrame, path: str | Path, name: str = "") -> None:
    """``df`` as CSV with a BOM: text quoted and escaped, numbers bare, money in major units."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
        w.writerow(list(df.columns))
        for i in range(0, len(df), CSV_CHUNK):
            part = _file_frame(df.iloc[i : i + CSV_CHUNK])
            cols = [_csv_column(part[c]) for c in part.columns]
            w.writerows(zip(*cols))


def _csv_column(s: pd.Series) -> list:
    """A column as the csv module takes it: None for empty; text escaped (quoted by the writer)."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return ["TRUE" if v else "FALSE" for v in s.tolist()]
    if pd.api.types.is_float_dtype(s.dtype):
        return [None if v != v else v for v in s.tolist()]
    if pd.api.types.is_integer_dtype(s.dtype):
        return [None if v is pd.NA else v for v in s.astype(object).tolist()]
    vals = escape_column(s).tolist()
    return [None if (v is None or v is pd.NA or v != v) else v for v in vals]


def write_xlsx(df: pd.DataFrame, path: str | Path, name: str = "Sheet1") -> None:
    """``df`` as a plain sheet headed by the frame's column names (arsync reads it back)."""
    cols = []
    for c in df.columns:
        kind, cur = _xlsx.kind_of(df, c, MONEY)
        kind = "id" if kind == "text" else kind
        cols.append(_xlsx.Col(c, c, kind, width=max(10, min(len(c) + 2, 30)), currency=cur))
    _xlsx.write_sheets(str(path), name or "Sheet1", df, cols)


def write_parquet(df: pd.DataFrame, path: str | Path, name: str = "") -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    ff, scales = _file_frame(df, decimal_scales=True)
    arrays, names = [], []
    for col in ff.columns:
        if col in scales:
            arrays.append(pa.array(list(ff[col]), type=pa.decimal128(38, scales[col])))
        else:
            arrays.append(pa.array(ff[col].tolist()))
        names.append(col)
    pq.write_table(pa.Table.from_arrays(arrays, names=names), path)


def _file_frame(df: pd.DataFrame, decimal_scales: bool = False):
    """Money → Decimal major units, dates → ISO text (and, if asked, each money column's scale)."""
    out = df.copy()
    scales: dict[str, int] = {}
    for col in df.columns:
        s = df[col]
        cur_col = MONEY.get(col)
        if cur_col and cur_col in df.columns and pd.api.types.is_integer_dtype(s.dtype):
            digits = [_xlsx.digits(c) for c in df[cur_col].astype(str)]
            major = [
                None if v is pd.NA or v != v else Decimal(int(v)).scaleb(-d)
                for v, d in zip(s.astype(object), digits)
            ]
            out[col] = pd.Series(major, index=df.index, dtype=object)
            scales[col] = max(digits or [2])
        elif pd.api.types.is_datetime64_any_dtype(s.dtype):
            t = pd.to_datetime(s)
            has_time = bool(((t - t.dt.normalize()).dt.total_seconds().fillna(0) != 0).any())
            fmt = "%Y-%m-%dT%H:%M:%S" if has_time else "%Y-%m-%d"
            iso = t.dt.strftime(fmt).astype(object)
            iso[t.isna()] = None
            out[col] = iso
    return (out, scales) if decimal_scales else out


# --- temporary file → place --------------------------------------------------------------------


def _staged(path: Path, write: Callable[[str], None]) -> str:
    """Write through ``write(tmp)`` into a temporary file beside ``path``, fsynced; returns it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def _commit(staged: dict[Path, str]) -> None:
    """Move every staged file into place (renames only: nothing left to fail but the disk)."""
    for path, tmp in staged.items():
        os.replace(tmp, path)
    if staged:
        dfd = os.open(next(iter(staged)).parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
