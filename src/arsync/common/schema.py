"""Declared frame schemas and the one check used wherever a frame crosses a boundary.

The canonical frames are declared once, in :mod:`arsync.common.frames`, with the small
vocabulary below, so that a consumer can rely on names, dtypes and units:

- ``str``   object dtype holding ``str``; an absent value is ``""`` (never NaN),
            so IDs that look like numbers stay exactly as written.
- ``int``   int64, never null.  Money is ``int``: minor units beside ``currency``.
- ``int?``  pandas nullable ``Int64`` (a promised amount that may be absent).
- ``float`` float64 (confidences, ratios; never money).
- ``date``  datetime64[ns] at midnight; NaT when absent.
- ``datetime`` datetime64[ns] with a time of day (naive wall time in ``runs.timezone``: :mod:`arsync.common.clock`).
- ``bool``  bool.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import SchemaError

_KINDS = {"str", "int", "int?", "float", "date", "datetime", "bool"}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    doc: str = ""

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"column {self.name!r}: unknown kind {self.kind!r}")


@dataclass(frozen=True)
class Schema:
    """An ordered set of typed columns and the key that identifies a row."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def kind(self, name: str) -> str:
        for c in self.columns:
            if c.name == name:
                return c.kind
        raise KeyError(name)

    def empty(self) -> pd.DataFrame:
        """A zero-row frame with every column in its declared dtype."""
        return self.coerce(pd.DataFrame({n: [] for n in self.names}))

    def coerce(self, df: pd.DataFrame) -> pd.DataFrame:
        """Cast a frame that has the right columns to the declared dtypes (column order fixed).

        Missing columns are an error; extra columns are dropped only by the caller's choice
        (use :meth:`validate` to reject them).
        """
        missing = [n for n in self.names if n not in df.columns]
        if missing:
            raise SchemaError(f"{self.name}: missing column(s) {', '.join(missing)}")
        out = {}
        for col in self.columns:
            out[col.name] = _cast(df[col.name].reset_index(drop=True), col, self.name)
        return pd.DataFrame(out, index=pd.RangeIndex(len(df)))

    def validate(self, df: pd.DataFrame, where: str = "") -> pd.DataFrame:
        """Fail loudly unless ``df`` has exactly these columns in these dtypes; return it ordered."""
        at = f" ({where})" if where else ""
        missing = [n for n in self.names if n not in df.columns]
        extra = [n for n in df.columns if n not in self.names]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(missing)}")
            if extra:
                parts.append(f"unexpected {', '.join(map(str, extra))}")
            raise SchemaError(f"{self.name}{at}: {'; '.join(parts)}")
        for col in self.columns:
            s = df[col.name]
            ok = _dtype_ok(s, col.kind)
            if not ok:
                if col.kind == "str" and s.dtype == object:
                    bad = s[s.map(lambda v: type(v) is not str)]
                    raise SchemaError(
                        f"{self.name}{at}: column {col.name} must hold text; "
                        f"row {bad.index[0]} holds {bad.iloc[0]!r}"
                    )
                raise SchemaError(
                    f"{self.name}{at}: column {col.name} has dtype {s.dtype}, expected {col.kind}"
                )
        if self.key and len(df):
            dup = df.duplicated(list(self.key), keep=False)
            if dup.any():
                first = df.loc[dup, list(self.key)].iloc[0].to_dict()
                raise SchemaError(f"{self.name}{at}: duplicate key {first}")
        # in order already: no need to copy a million rows; else one copy, not two
        out = (
            df.copy(deep=False)
            if list(df.columns) == self.names
            else df.reindex(columns=self.names)
        )
        if not _default_index(out):
            out.index = pd.RangeIndex(len(out))
        return out


def _default_index(df: pd.DataFrame) -> bool:
    ix = df.index
    return isinstance(ix, pd.RangeIndex) and ix.start == 0 and ix.step == 1


def _dtype_ok(s: pd.Series, kind: str) -> bool:
    if kind == "str":
        if s.dtype != object:
            return False
        # infer_dtype scans in C; "string" means every value is a str (no NaN, no numbers).
        return pd.api.types.infer_dtype(s, skipna=False) == "string" if len(s) else True
    if kind == "int":
        return s.dtype == np.int64
    if kind == "int?":
        return str(s.dtype) == "Int64"
    if kind == "float":
        return s.dtype == np.float64
    if kind in ("date", "datetime"):
        return str(s.dtype) == "datetime64[ns]"
    if kind == "bool":
        return s.dtype == np.bool_
    return False


def _cast(s: pd.Series, col: Column, frame: str) -> pd.Series:
    try:
        if col.kind == "str":
            s = s.astype(object)
            if pd.api.types.infer_dtype(s, skipna=False) == "string":
                return s  # already text: nothing to convert (the common case)
            return s.where(s.notna(), "").map(_as_str).astype(object)
        if col.kind == "int":
            if s.isna().any():
                raise ValueError("empty values")
            return s.astype(np.int64)
        if col.kind == "int?":
            return s.astype("Int64")
        if col.kind == "float":
            return s.astype(np.float64)
        if col.kind == "date":
            return pd.to_datetime(s).dt.normalize().astype("datetime64[ns]")
        if col.kind == "datetime":
            return pd.to_datetime(s).astype("datetime64[ns]")
        if col.kind == "bool":
            return s.fillna(False).astype(bool)
    except (TypeError, ValueError) as exc:
        raise SchemaError(
            f"{frame}: column {col.name} cannot be read as {col.kind}: {exc}"
        ) from None
    raise AssertionError(col.kind)


def _as_str(v: object) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
