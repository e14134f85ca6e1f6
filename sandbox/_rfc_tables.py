"""The sandbox SAP's tables in SAP's internal format, and RFC_READ_TABLE over them.

Each table is a DataFrame of *internal values*: CHAR right-stripped str, NUMC zero-padded str,
DATS 'YYYYMMDD' ('00000000' when initial), CURR/DEC as int scaled by 10**decimals (for CURR13,2
that is hundredths, which equals the world's minor units for every currency: JPY 1000 is stored
as 10.00).  Rows are rendered into fixed-width WA text only when read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from arsync.sandbox._rfc_ddic import TABLES, Field, layout

MANDT = "100"


def _dats(s: pd.Series) -> pd.Series:
    d = pd.to_datetime(s)
    return d.dt.strftime("%Y%m%d").where(d.notna(), "00000000").astype(object)


def _initial(f: Field, n: int):
    if f.type in "Pb":
        return np.zeros(n, dtype=np.int64)
    if f.type == "D":
        return np.full(n, "00000000", dtype=object)
    if f.type == "N":
        return np.full(n, "0" * f.length, dtype=object)
    return np.full(n, "", dtype=object)


def build_table(name: str, src: pd.DataFrame, extra: dict[str, object] | None = None) -> pd.DataFrame:
    """Internal-value frame for ``name`` from a world frame whose columns carry SAP's names."""
    n = len(src)
    cols: dict[str, object] = {}
    extra = extra or {}
    for f in TABLES[name]:
        if f.name == "MANDT":
            cols[f.name] = np.full(n, MANDT, dtype=object)
            continue
        s = extra.get(f.name, src[f.name] if f.name in src.columns else None)
        if s is None:
            cols[f.name] = _initial(f, n)
            continue
        s = pd.Series(s, index=src.index) if not isinstance(s, pd.Series) else s
        if f.type == "D":
            cols[f.name] = _dats(s).to_numpy()
        elif f.type in "Pb":
            cols[f.name] = s.fillna(0).astype(np.int64).to_numpy()
        elif f.type == "N":
            t = s.fillna("").astype(str).str.strip().replace("", "0")
            cols[f.name] = t.str.zfill(f.length).to_numpy(dtype=object)
        else:
            t = s.fillna("").astype(str).str.rstrip().str.slice(0, f.length)
            cols[f.name] = t.to_numpy(dtype=object)
    return pd.DataFrame(cols, index=pd.RangeIndex(n))


def render(values: np.ndarray, f: Field) -> list[str]:
    """Fixed-width WA text of one column: CHAR left, NUMC zero-padded, CURR right with trailing sign."""
    w = f.length
    if f.type == "C":
        return [v[:w].ljust(w) for v in values]
    if f.type in "ND":
        return list(values)
    if f.type == "b":
        return [str(int(v)).rjust(w) for v in values]
    out = []
    for v in values:
        v = int(v)
        digits = str(abs(v)).rjust(f.decimals + 1, "0")
        text = digits if not f.decimals else f"{digits[:-f.decimals]}.{digits[-f.decimals:]}"
        text += "-" if v < 0 else " "
        if len(text) > w:  # ABAP marks an overflow with '*' in the first position
            text = "*" + text[-(w - 1):]
        out.append(text.rjust(w))
    return out


def read_table(df: pd.DataFrame, name: str, idx: np.ndarray, fields: list[str],
               delimiter: str) -> list[dict]:
    """DATA rows (``{'WA': ...}``, trailing blanks stripped as pyrfc does) for rows ``idx``."""
    lay = layout(name)
    parts = [render(df[f].to_numpy()[idx], lay[f]) for f in fields]
    return [{"WA": delimiter.join(t).rstrip()} for t in zip(*parts)]


def fields_out(name: str, fields: list[str], delimiter: str) -> list[dict]:
    lay = layout(name)
    out, off = [], 0
    for f in fields:
        fd = lay[f]
        out.append({"FIELDNAME": f, "OFFSET": f"{off:06d}", "LENGTH": f"{fd.length:06d}",
                    "TYPE": fd.type, "FIELDTEXT": fd.text})
        off += fd.length + len(delimiter)
    return out


def width(name: str, fields: list[str], delimiter: str) -> int:
    lay = layout(name)
    return sum(lay[f].length for f in fields) + len(delimiter) * max(0, len(fields) - 1)


def tables_from_world(world) -> dict[str, pd.DataFrame]:
    """BSID, BSAD, BKPF, KNA1, KNB1, KNKK, T001, TCURX built from the world's frames."""
    led = world.ledger
    open_ = led["AUGDT"].isna()
    docs = led.drop_duplicates(["BUKRS", "BELNR", "GJAHR"])
    cur = pd.DataFrame(
        {"CURRKEY": list(world.currency_decimals), "CURRDEC": list(world.currency_decimals.values())}
    )
    return {
        "BSID": build_table("BSID", led[open_].reset_index(drop=True)),
        "BSAD": build_table("BSAD", led[~open_].reset_index(drop=True)),
        "BKPF": build_table("BKPF", docs.reset_index(drop=True),
                            {"XBLNR_ALT": docs["XBLNR_LONG"].reset_index(drop=True)}),
        "KNA1": build_table("KNA1", world.kna1.reset_index(drop=True)),
        "KNB1": build_table("KNB1", world.knb1.reset_index(drop=True)),
        "KNKK": build_table("KNKK", world.knkk.reset_index(drop=True)),
        "T001": build_table("T001", world.company_codes.reset_index(drop=True)),
        "TCURX": build_table("TCURX", cur),
    }
