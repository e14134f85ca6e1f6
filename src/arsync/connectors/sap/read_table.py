"""RFC_READ_TABLE done right: FIELDS in groups under the 512-character row, merged on the key;
WHERE clauses split between tokens into ≤ 72-character OPTIONS rows; never ROWSKIPS paging.
"""

from __future__ import annotations

import re
import threading

import numpy as np
import pandas as pd
from loguru import logger

from arsync.common.errors import DataError
from arsync.connectors.sap.connection import RfcClient

ROW_LIMIT = 512
LINE = 72
_TOK = re.compile(r"'(?:[^']|'')*'|\S+")


def lit(value: str) -> str:
    """An ABAP literal in internal format ('' doubles a quote)."""
    return "'" + str(value).replace("'", "''") + "'"


def cond_in(field: str, values: list[str]) -> str:
    return f"{field} IN ( " + " , ".join(lit(v) for v in values) + " )"


def options(*conditions: str, line: int = LINE) -> list[dict]:
    """AND the conditions and pack the tokens into OPTIONS rows of at most ``line`` characters."""
    tokens: list[str] = []
    for i, c in enumerate(c for c in conditions if c):
        if i:
            tokens.append("AND")
        tokens.extend(_TOK.findall(c))
    rows, cur = [], ""
    for t in tokens:
        if len(t) > line:
            raise DataError(
                f"RFC_READ_TABLE: WHERE token {t[:20]}… is longer than {line} characters"
            )
        if cur and len(cur) + 1 + len(t) > line:
            rows.append(cur)
            cur = t
        else:
            cur = f"{cur} {t}" if cur else t
    if cur:
        rows.append(cur)
    return [{"TEXT": r} for r in rows]


def plan_groups(
    widths: dict[str, int],
    key: list[str],
    wanted: list[str],
    limit: int = ROW_LIMIT,
    delimiter: int = 0,
) -> list[list[str]]:
    """Split ``wanted`` into groups that, each with the key fields, fit in ``limit`` characters."""

    def size(fs: list[str]) -> int:
        return sum(widths[f] for f in fs) + delimiter * max(0, len(fs) - 1)

    rest = [f for f in wanted if f not in key]
    groups: list[list[str]] = []
    cur = list(key)
    for f in rest:
        if size([*cur, f]) <= limit:
            cur.append(f)
            continue
        if len(cur) == len(key):
            raise DataError(
                f"RFC_READ_TABLE: field {f} ({widths[f]}) does not fit beside the key "
                f"in a {limit}-character row"
            )
        groups.append(cur)
        cur = [*list(key), f]
    if len(cur) > len(key) or not groups:
        groups.append(cur)
    return groups


class TableReader:
    """Reads one table's rows as text columns (CHAR right-stripped) through an RfcClient."""

    def __init__(self, limit: int = ROW_LIMIT):
        self.limit = limit
        self._lock = threading.Lock()
        self._layouts: dict[str, dict[str, tuple[int, int, str]]] = {}
        self._absent: set[tuple[str, str]] = set()

    def layout(
        self, client: RfcClient, table: str, fields: list[str]
    ) -> dict[str, tuple[int, int, str]]:
        """Widths from a NO_DATA call (which skips the 512 check), cached per table."""
        with self._lock:
            known = self._layouts.get(table, {})
            if all(f in known for f in fields):
                return known
        r = client.call(
            "RFC_READ_TABLE",
            f"{table} layout",
            QUERY_TABLE=table,
            NO_DATA="X",
            FIELDS=[{"FIELDNAME": f} for f in fields],
        )
        lay = {
            x["FIELDNAME"].strip(): (int(x["OFFSET"]), int(x["LENGTH"]), x["TYPE"])
            for x in r["FIELDS"]
        }
        with self._lock:
            self._layouts.setdefault(table, {}).update(lay)
            return self._layouts[table]

    def has_field(self, client: RfcClient, table: str, field: str) -> bool:
        """Whether this system's data dictionary has ``table-field`` (one NO_DATA call, cached):
        older releases lack fields such as BKPF-XBLNR_ALT and answer FIELD_NOT_VALID."""
        with self._lock:
            if field in self._layouts.get(table, {}):
                return True
            if (table, field) in self._absent:
                return False
        try:
            self.layout(client, table, [field])
        except DataError as exc:
            if getattr(exc, "sap_key", "") != "FIELD_NOT_VALID":
                raise
            with self._lock:
                self._absent.add((table, field))
            return False
        return True

    def read(
        self,
        client: RfcClient,
        table: str,
        fields: list[str],
        where: list[dict],
        key: list[str],
        what: str = "",
    ) -> pd.DataFrame:
        lay = self.layout(client, table, fields)
        widths = {f: lay[f][1] for f in fields}
        limit = self.limit
        while True:
            groups = plan_groups(widths, key, fields, limit)
            try:
                parts = [self._read_group(client, table, g, where, what) for g in groups]
                break
            except DataError as exc:
                if getattr(exc, "sap_key", "") != "DATA_BUFFER_EXCEEDED" or limit <= 64:
                    raise
                limit //= 2
                logger.warning(
                    "RFC_READ_TABLE {}: DATA_BUFFER_EXCEEDED; reading narrower field groups "
                    "({} characters)",
                    table,
                    limit,
                )
        out = parts[0]
        for p in parts[1:]:
            n = len(out)
            out = out.merge(p, on=key, how="inner", validate="one_to_one")
            if len(out) != n or len(p) != n:
                raise DataError(
                    f"RFC_READ_TABLE {table} ({what}): field groups returned different "
                    f"rows ({n} vs {len(p)}); the data changed while reading, run again"
                )
        return out[fields]

    def _read_group(self, client, table, group, where, what) -> pd.DataFrame:
        r = client.call(
            "RFC_READ_TABLE",
            f"{table} {what}".strip(),
            QUERY_TABLE=table,
            FIELDS=[{"FIELDNAME": f} for f in group],
            OPTIONS=where,
        )
        spec = [
            (x["FIELDNAME"].strip(), int(x["OFFSET"]), int(x["LENGTH"]), x["TYPE"])
            for x in r["FIELDS"]
        ]
        total = max(o + n for _, o, n, _ in spec) if spec else 0
        wa = [d["WA"] for d in r["DATA"]]
        cols: dict[str, list] = {name: [] for name, *_ in spec}
        for i in range(0, len(wa), _BLOCK):
            _cut(wa[i : i + _BLOCK], spec, total, cols)
        return pd.DataFrame(cols, columns=[s[0] for s in spec], dtype=object)


_BLOCK = 20_000  # rows cut per step: bounds the code-point matrix to ~40 MB


def _cut(wa: list[str], spec, total: int, cols: dict[str, list]) -> None:
    """Fixed-width WA rows → field texts (CHAR right-stripped, others stripped), vectorised.

    pyrfc strips trailing blanks, so a row may be shorter than the layout: the fixed-width
    array pads it back (NUL, read as blank).  OFFSET and LENGTH count UTF-16 code units, as
    ABAP does in a Unicode system: a character outside the Basic Multilingual Plane (𠮷) takes
    two positions of WA but is one character in Python, so the rows that hold one are cut in
    UTF-16 units instead (:func:`_cut_utf16`); the others keep the vectorised path."""
    if not total:
        for name, *_ in spec:
            cols[name].extend([""] * len(wa))
        return
    cp = np.array(wa, dtype=f"<U{total}").view(np.uint32).reshape(len(wa), total)
    wide = np.flatnonzero((cp > 0xFFFF).any(axis=1))
    for name, off, n, typ in spec:
        field = np.ascontiguousarray(cp[:, off : off + n]).view(f"<U{n}").ravel()
        field = np.strings.rstrip(field) if typ == "C" else np.strings.strip(field)
        values = field.tolist()
        for i in wide:
            values[i] = _cut_utf16(wa[i], off, n, typ, name)
        cols[name].extend(values)


def _cut_utf16(row: str, off: int, n: int, typ: str, name: str) -> str:
    """One field of a WA row cut in UTF-16 code units (the units of OFFSET and LENGTH)."""
    units = row.encode("utf-16-le", "surrogatepass")
    text = units[2 * off : 2 * (off + n)].decode("utf-16-le", "surrogatepass")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        # a field boundary inside a surrogate pair: SAP stored half a character
        logger.warning("RFC_READ_TABLE field {}: half a character at its edge (shown as �)", name)
        text = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)
    return text.rstrip() if typ == "C" else text.strip()
