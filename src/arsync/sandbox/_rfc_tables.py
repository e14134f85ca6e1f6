"""The sandbox SAP's tables in SAP's internal format, and RFC_READ_TABLE over them.

Each table holds *internal values*: CHAR right-stripped str, NUMC zero-padded str, DATS
'YYYYMMDD' ('00000000' when initial), CURR/DEC as int scaled by 10**decimals (for CURR13,2 that
is hundredths, which equals the world's minor units for every currency: JPY 1000 is stored as
10.00).  A column is converted from the world's frame on first use — most of BSID's 90 fields
are never read — and each distinct value is converted once (factorize, convert the uniques,
take), so building the system costs next to nothing.  Rows become fixed-width WA text only
when read, rendered as one code-point matrix per call.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd

from arsync.sandbox._rfc_ddic import Field, layout

MANDT = "100"
_SPACE = ord(" ")


def _initial(f: Field, n: int) -> np.ndarray:
    if f.type in "Pb":
        return np.zeros(n, dtype=np.int64)
    if f.type == "D":
        return np.full(n, "00000000", dtype=object)
    if f.type == "N":
        return np.full(n, "0" * f.length, dtype=object)
    return np.full(n, "", dtype=object)


def units(text: str) -> int:
    """Length in UTF-16 code units: how ABAP (Unicode) counts positions in a CHAR field."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def units_cut(text: str, n: int) -> str:
    """``text`` cut to at most ``n`` UTF-16 code units (never half a character)."""
    if len(text) <= n // 2 or units(text) <= n:
        return text
    out, used = [], 0
    for ch in text:
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > n:
            break
        out.append(ch)
    return "".join(out)


def convert(f: Field, s: pd.Series) -> np.ndarray:
    """A world column → internal values of field ``f`` (missing values → the initial value)."""
    if f.type in "Pb":
        return s.fillna(0).astype(np.int64).to_numpy()
    codes, uniq = pd.factorize(s)  # NA → code -1, which takes the appended initial value
    if f.type == "D" and len(uniq) and all(isinstance(v, str) and len(v) == 8 for v in uniq):
        u, init = [str(v) for v in uniq], "00000000"  # already DATS text (ADR6's 00010101)
    elif f.type == "D":
        d: pd.Series = (
            pd.to_datetime(pd.Series(uniq)) if len(uniq) else pd.Series([], dtype="datetime64[ns]")
        )
        u = d.dt.strftime("%Y%m%d").where(d.notna(), "00000000").tolist()
        init = "00000000"
    elif f.type == "N":
        u = [(str(v).strip() or "0").zfill(f.length) for v in uniq]
        init = "0".zfill(f.length)
    else:
        u = [units_cut(str(v).rstrip(), f.length) for v in uniq]
        init = ""
    return np.array([*u, init], dtype=object)[codes]


class Table:
    """Column name → internal-value array, converted lazily.

    ``src`` is the world frame (or a function that makes it, for derived tables such as BKPF),
    read by position; ``alias`` maps a field to a differently named world column; ``rows`` cuts
    this table out of a source that another table shares (BSID and BSAD out of the ledger),
    whose converted columns are kept once in ``shared``.
    """

    def __init__(
        self,
        name: str,
        src,
        alias: dict[str, str] | None = None,
        rows: np.ndarray | None = None,
        shared: dict | None = None,
    ):
        self.name, self.fields = name, layout(name)
        self._src, self._alias, self._rows = src, alias or {}, rows
        self._shared = shared if shared is not None else {}
        self._cols: dict[str, np.ndarray] = {}
        self._lock = threading.RLock()

    def _frame(self) -> pd.DataFrame:
        with self._lock:
            if callable(self._src):
                self._src = self._src()
            return self._src

    def __len__(self) -> int:
        return len(self._frame()) if self._rows is None else len(self._rows)

    @property
    def columns(self) -> list[str]:
        return list(self.fields)

    def __getitem__(self, col: str) -> np.ndarray:
        a = self._cols.get(col)
        if a is None:
            with self._lock:
                a = self._cols.get(col)
                if a is None:
                    a = self._cols[col] = self._build(col)
        return a

    def _build(self, col: str) -> np.ndarray:
        f, src = self.fields[col], self._frame()
        if col in ("MANDT", "CLIENT"):
            return np.full(len(self), MANDT, dtype=object)
        name = self._alias.get(col, col)
        if name not in src.columns:
            return _initial(f, len(self))
        if self._rows is None:
            return convert(f, src[name])
        full = self._shared.get(col)
        if full is None:
            full = self._shared[col] = convert(f, src[name])
        return full[self._rows]

    def comparable(self, col: str) -> np.ndarray:
        """The column as fixed-width numpy text (ints as they are): WHERE compares it in C."""
        key = "<cmp>" + col
        a = self._cols.get(key)
        if a is None:
            v = self[col]
            a = np.asarray(v, dtype=str) if v.dtype == object else v
            with self._lock:
                self._cols[key] = a
        return a

    def frame(self, cols: list[str] | None = None) -> pd.DataFrame:
        return pd.DataFrame({c: self[c] for c in cols or self.columns})


def build_table(name: str, src, alias: dict[str, str] | None = None) -> Table:
    """Internal-value table ``name`` over a world frame whose columns carry SAP's names."""
    return Table(name, src, alias)


def render(values: np.ndarray, f: Field) -> list[str]:
    """Fixed-width WA text of one column: CHAR left, NUMC zero-padded, CURR right with trailing sign."""
    w = f.length
    if f.type == "C":  # padded to the width in UTF-16 units, as ABAP counts
        return [(c := units_cut(v, w)) + " " * (w - units(c)) for v in values]
    if f.type in "ND":
        return list(values)
    if f.type == "b":
        return [str(int(v)).rjust(w) for v in values]
    out = []
    for v in values:
        v = int(v)
        digits = str(abs(v)).rjust(f.decimals + 1, "0")
        text = digits if not f.decimals else f"{digits[: -f.decimals]}.{digits[-f.decimals :]}"
        text += "-" if v < 0 else " "
        if len(text) > w:  # ABAP marks an overflow with '*' in the first position
            text = "*" + text[-(w - 1) :]
        out.append(text.rjust(w))
    return out


def _text(values: np.ndarray, f: Field) -> np.ndarray:
    """One column as fixed-width ``<U{length}`` text, vectorised (same output as :func:`render`)."""
    w = f.length
    if f.type not in "Pb":  # CHAR: the cast cuts at the width; NUL padding reads as blank
        return np.asarray(values, dtype=f"<U{w}")
    v = np.asarray(values).astype(np.int64)
    if f.type == "b":
        text = np.strings.rjust(v.astype(str), w)
    else:
        digits = np.strings.zfill(np.abs(v).astype(str), f.decimals + 1)
        if f.decimals:
            n = np.strings.str_len(digits)
            digits = (
                np.strings.slice(digits, 0, n - f.decimals)
                + "."
                + np.strings.slice(digits, n - f.decimals, n)
            )
        text = np.strings.rjust(digits + np.where(v < 0, "-", " "), w)
    if (np.strings.str_len(text) > w).any():  # overflow marks: leave them to render()
        return np.array(render(v, f), dtype=f"<U{w}")
    return text.astype(f"<U{w}")


def _codepoints(values: np.ndarray, f: Field) -> np.ndarray:
    """(rows, width) uint32 code points of one rendered column."""
    text = _text(values, f)
    cp = text.view(np.uint32).reshape(len(text), f.length)
    return np.where(cp == 0, _SPACE, cp)


def read_table(
    df: Table, name: str, idx: np.ndarray, fields: list[str], delimiter: str
) -> list[dict]:
    """DATA rows (``{'WA': ...}``, trailing blanks stripped as pyrfc does) for rows ``idx``.

    WA is C512 in UTF-16 code units: a character outside the BMP takes two positions, so a
    row that holds one is shorter, in Python characters, than its layout (see :func:`_wide`)."""
    lay = layout(name)
    if not len(idx):
        return []
    parts: list[np.ndarray] = []
    for i, f in enumerate(fields):
        if i and delimiter:
            parts.append(
                np.full((len(idx), len(delimiter)), ord(delimiter), dtype=np.uint32)
                if len(delimiter) == 1
                else np.tile(
                    np.array([ord(ch) for ch in delimiter], dtype=np.uint32), (len(idx), 1)
                )
            )
        parts.append(_codepoints(np.asarray(df[f])[idx], lay[f]))
    m = np.ascontiguousarray(np.hstack(parts))
    wide = np.flatnonzero((m > 0xFFFF).any(axis=1)).tolist()
    widths = [lay[f].length for f in fields]
    rows = [m[i].copy() for i in wide]
    blank = np.logical_and.accumulate(m[:, ::-1] == _SPACE, axis=1)[:, ::-1]
    m[blank] = 0  # trailing NULs vanish when numpy hands out the str: that is pyrfc's rstrip
    wa = m.view(f"<U{m.shape[1]}").ravel().tolist()
    for i, row in zip(wide, rows):
        wa[i] = _wide(row, widths, len(delimiter))
    return [{"WA": w} for w in wa]


def _wide(row: np.ndarray, widths: list[int], delim: int) -> str:
    """One WA row with non-BMP characters: each field gives up one trailing blank per such
    character, so that every field still spans its LENGTH in UTF-16 units (SAP's count)."""
    text = row.view(f"<U{len(row)}")[0] if len(row) else ""
    text = text.ljust(len(row))
    out, pos = [], 0
    for i, w in enumerate(widths):
        if i and delim:
            out.append(text[pos : pos + delim])
            pos += delim
        field = text[pos : pos + w]
        pos += w
        extra = units(field) - w
        out.append(field[: len(field) - extra] if extra > 0 else field)
    return "".join(out).rstrip(" ")


def fields_out(name: str, fields: list[str], delimiter: str) -> list[dict]:
    lay = layout(name)
    out, off = [], 0
    for f in fields:
        fd = lay[f]
        out.append(
            {
                "FIELDNAME": f,
                "OFFSET": f"{off:06d}",
                "LENGTH": f"{fd.length:06d}",
                "TYPE": fd.type,
                "FIELDTEXT": fd.text,
            }
        )
        off += fd.length + len(delimiter)
    return out


def width(name: str, fields: list[str], delimiter: str) -> int:
    lay = layout(name)
    return sum(lay[f].length for f in fields) + len(delimiter) * max(0, len(fields) - 1)


def tables_from_world(world) -> dict[str, Table]:
    """BSID, BSAD, BKPF, KNA1, KNB1, KNKK, KNVK, ADR6, T001, TCURX over the world's frames
    (converted lazily)."""
    led = world.ledger
    open_ = led["AUGDT"].isna().to_numpy()
    shared: dict[str, np.ndarray] = {}  # BSID and BSAD are cuts of one ledger: convert it once
    cur = pd.DataFrame(
        {
            "CURRKEY": list(world.currency_decimals),
            "CURRDEC": list(world.currency_decimals.values()),
        }
    )
    return {
        "BSID": Table("BSID", led, rows=np.flatnonzero(open_), shared=shared),
        "BSAD": Table("BSAD", led, rows=np.flatnonzero(~open_), shared=shared),
        "BKPF": build_table(
            "BKPF",
            lambda: led.drop_duplicates(["BUKRS", "BELNR", "GJAHR"]),
            {"XBLNR_ALT": "XBLNR_LONG"},
        ),
        "KNA1": build_table("KNA1", world.kna1),
        "KNB1": build_table("KNB1", world.knb1),
        "KNKK": build_table("KNKK", world.knkk),
        "KNVK": build_table("KNVK", world.knvk),
        "ADR6": build_table("ADR6", world.adr6.assign(DATE_FROM="00010101")),
        "T001": build_table("T001", world.company_codes),
        "TCURX": build_table("TCURX", cur),
    }
