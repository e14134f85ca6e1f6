"""The WHERE subset of RFC_READ_TABLE's OPTIONS, evaluated over a table's internal values.

Supported: ``=, <>, >=, <=, >, <`` (and EQ NE GE LE GT LT), ``[NOT] IN ( ... )``,
``[NOT] BETWEEN .. AND ..``, AND / OR / NOT and parentheses.  Each OPTIONS row is tokenised
on its own, as ABAP does with a dynamic WHERE table: a literal that straddles two rows is an
error (OPTION_NOT_VALID), which is what a client that splits inside a token gets on a real system.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from arsync.sandbox._rfc_ddic import Field

_TOKEN = re.compile(
    r"\s*(?:('(?:[^']|'')*')|(<>|>=|<=|=|<|>|\(|\)|,)|([A-Za-z_][A-Za-z0-9_~]*)|(-?\d+(?:\.\d+)?))"
)
_OPS = {"EQ": "=", "NE": "<>", "GE": ">=", "LE": "<=", "GT": ">", "LT": "<"}


class OptionError(ValueError):
    """The WHERE clause cannot be parsed or names an unknown field."""


def tokenize(lines: list[str]) -> list[tuple[str, str]]:
    toks: list[tuple[str, str]] = []
    for n, line in enumerate(lines, 1):
        pos = 0
        while pos < len(line):
            if not line[pos:].strip():
                break
            m = _TOKEN.match(line, pos)
            if not m or m.end() == pos:
                raise OptionError(f"OPTIONS row {n}: cannot read {line[pos:].strip()!r}")
            lit, op, word, num = m.groups()
            if lit is not None:
                toks.append(("lit", lit[1:-1].replace("''", "'")))
            elif op is not None:
                toks.append(("op", op))
            elif word is not None:
                w = word.upper()
                toks.append(("op", _OPS[w]) if w in _OPS else ("word", w))
            else:
                toks.append(("num", num))
            pos = m.end()
    return toks


class _Parser:
    def __init__(self, toks, df: pd.DataFrame, fields: dict[str, Field]):
        self.t, self.i, self.df, self.fields = toks, 0, df, fields

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else ("end", "")

    def take(self, kind=None, value=None):
        tok = self.peek()
        if (kind and tok[0] != kind) or (value and tok[1] != value):
            raise OptionError(f"expected {value or kind} at token {self.i + 1}, got {tok[1]!r}")
        self.i += 1
        return tok

    def expr(self):
        m = self.term()
        while self.peek() == ("word", "OR"):
            self.take()
            m = m | self.term()
        return m

    def term(self):
        m = self.factor()
        while self.peek() == ("word", "AND"):
            self.take()
            m = m & self.factor()
        return m

    def factor(self):
        tok = self.peek()
        if tok == ("word", "NOT"):
            self.take()
            return ~self.factor()
        if tok == ("op", "("):
            self.take()
            m = self.expr()
            self.take("op", ")")
            return m
        return self.cond()

    def literal(self, f: Field):
        kind, v = self.peek()
        if kind not in ("lit", "num"):
            raise OptionError(f"expected a literal for {f.name}, got {v!r}")
        self.take()
        return _internal(v, f)

    def cond(self):
        _, name = self.take("word")
        f = self.fields.get(name)
        if f is None:
            raise OptionError(f"unknown field {name}")
        cmp = getattr(self.df, "comparable", None)  # sandbox tables keep a numpy-text copy
        col = cmp(name) if cmp else np.asarray(self.df[name])
        neg = False
        if self.peek() == ("word", "NOT"):
            self.take()
            neg = True
        kind, op = self.peek()
        if (kind, op) == ("word", "IN"):
            self.take()
            self.take("op", "(")
            vals = [self.literal(f)]
            while self.peek() == ("op", ","):
                self.take()
                vals.append(self.literal(f))
            self.take("op", ")")
            kind_ = str if col.dtype.kind == "U" else object if f.type in "CND" else np.int64
            m = np.isin(col, np.array(vals, dtype=kind_))
        elif (kind, op) == ("word", "BETWEEN"):
            self.take()
            lo = self.literal(f)
            self.take("word", "AND")
            hi = self.literal(f)
            m = (col >= lo) & (col <= hi)
        elif kind == "op" and op in ("=", "<>", ">=", "<=", ">", "<") and not neg:
            self.take()
            v = self.literal(f)
            m = {
                "=": col == v,
                "<>": col != v,
                ">=": col >= v,
                "<=": col <= v,
                ">": col > v,
                "<": col < v,
            }[op]
        else:
            raise OptionError(f"unsupported operator {op!r} after {name}")
        m = np.asarray(m, dtype=bool)
        return ~m if neg else m


def _internal(text: str, f: Field):
    if f.type == "C":
        return text.rstrip()
    if f.type == "D":
        return text if text.strip() else "00000000"
    if f.type == "N":
        return text.zfill(f.length) if text.isdigit() else text
    try:
        return int(Decimal(text.strip() or "0").scaleb(f.decimals))
    except InvalidOperation:
        raise OptionError(f"{f.name}: {text!r} is not a number") from None


def where_mask(lines: list[str], df, fields: dict[str, Field]) -> np.ndarray:
    """Boolean mask of the rows of ``df`` (a table or frame of internal values) that satisfy the OPTIONS rows."""
    toks = tokenize(lines)
    if not toks:
        return np.ones(len(df), dtype=bool)
    p = _Parser(toks, df, fields)
    m = p.expr()
    if p.i != len(toks):
        raise OptionError(f"unexpected {toks[p.i][1]!r} at token {p.i + 1}")
    return m
