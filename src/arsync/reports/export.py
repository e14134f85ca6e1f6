"""Write frames to the files people open: CSV, XLSX or Parquet, one file per frame.

In files, money is in the currency's major unit (``1234.56``; Decimal, never float text), dates
are ISO, and IDs stay text (``0000001000`` keeps its zeros).  Each file is written to a temporary
name first and moved into place, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from decimal import Decimal
from pathlib import Path

import pandas as pd

from arsync.common.errors import ConfigError
from arsync.common.money import DECIMALS

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


def _digits(cur: str) -> int:
    return DECIMALS.get(str(cur).strip().upper(), 2)


def file_frame(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Money → Decimal major units, dates → ISO text; returns the frame and each money column's scale."""
    out = df.copy()
    scales: dict[str, int] = {}
    for col in df.columns:
        s = df[col]
        cur_col = MONEY.get(col)
        if cur_col and cur_col in df.columns and pd.api.types.is_integer_dtype(s.dtype):
            cur = df[cur_col].astype(str)
            # pandas-stubs: a column may be set from a list of any objects (here Decimal).
            out[col] = [  # type: ignore[assignment]
                None if pd.isna(v) else Decimal(int(v)).scaleb(-_digits(c)) for v, c in zip(s, cur)
            ]
            scales[col] = max([_digits(c) for c in cur] or [2])
        elif pd.api.types.is_datetime64_any_dtype(s.dtype):
            t = pd.to_datetime(s)
            has_time = bool(((t - t.dt.normalize()).dt.total_seconds().fillna(0) != 0).any())
            fmt = "%Y-%m-%dT%H:%M:%S" if has_time else "%Y-%m-%d"
            out[col] = t.dt.strftime(fmt).where(t.notna(), "")
    return out, scales


def write_frames(
    frames: dict[str, pd.DataFrame], out_dir: str | Path, fmt: str = "csv"
) -> dict[str, Path]:
    """Write ``<name>.<fmt>`` for every frame into ``out_dir``; return the paths."""
    if fmt not in FORMATS:
        raise ConfigError(f"output format {fmt!r}: use one of {', '.join(FORMATS)}")
    out = Path(out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, df in frames.items():
        path = out / f"{name}.{fmt}"
        ff, scales = file_frame(df)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=f".{fmt}", dir=out)
        os.close(fd)
        try:
            if fmt == "csv":
                ff.to_csv(tmp, index=False, encoding="utf-8-sig")
            elif fmt == "xlsx":
                _xlsx(ff, scales, tmp, name)
            else:
                _parquet(ff, scales, tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        paths[name] = path
    return paths


def _xlsx(df: pd.DataFrame, scales: dict[str, int], path: str, sheet: str) -> None:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook's one sheet
    ws.title = sheet[:31]
    ws.append(list(df.columns))
    for row in df.itertuples(index=False):
        ws.append([_cell(v) for v in row])
    for j, col in enumerate(df.columns, 1):
        if col in scales:
            fmt = "#,##0" + ("." + "0" * scales[col] if scales[col] else "")
            for cell in ws.iter_cols(min_col=j, max_col=j, min_row=2):
                for c in cell:
                    c.number_format = fmt
        else:
            for cell in ws.iter_cols(min_col=j, max_col=j, min_row=2):
                for c in cell:
                    if isinstance(c.value, str):
                        c.number_format = "@"
    ws.freeze_panes = "A2"
    wb.save(path)


def _cell(v):
    """A frame value as openpyxl takes it: NA/NaN/NaT → empty, numpy scalars → Python."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    return v.item() if hasattr(v, "item") else v


def _parquet(df: pd.DataFrame, scales: dict[str, int], path: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays, names = [], []
    for col in df.columns:
        if col in scales:
            arrays.append(pa.array(list(df[col]), type=pa.decimal128(38, scales[col])))
        else:
            arrays.append(pa.array(df[col].tolist()))
        names.append(col)
    pq.write_table(pa.Table.from_arrays(arrays, names=names), path)
