"""Formulas a collector typed, moved with their row as Excel moves them when it sorts.

A formula read from a row is turned into a *template*: each reference to a cell of the row
itself becomes a marker naming the column's field (``=J5*0.5`` on the amount column's row 5
→ ``=⟦amount⟧*0.5``), so it can be written on whatever row and column the item has after the
refresh (``=N12*0.5``).  A reference that points anywhere else on our sheets — another row
(another item), a whole column, our other sheets — would point at another item after the
rows move: such a formula is not kept as a formula (the caller keeps its computed value, or
its text, and warns).  References to the collector's own sheets and defined names are kept
as typed: those sheets keep their cells where they are.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, DecimalException

from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.utils import column_index_from_string, get_column_letter

OPEN, CLOSE = "⟦", "⟧"
_MARK = re.compile(rf"{OPEN}(\$?)([^{OPEN}{CLOSE}]+?)(\$?){CLOSE}")
_CELL = re.compile(r"(\$?)([A-Za-z]{1,3})(\$?)(\d+)")
_LINES = re.compile(r"\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}|\$?\d+:\$?\d+")


@dataclass(frozen=True)
class Where:
    """Where a formula was read: its sheet, row, and the sheet's columns (1-based → field)."""

    sheet: str
    row: int
    columns: dict[int, str]
    ours: frozenset[str]  # titles of the sheets the refresh rewrites (items move on them)


def is_template(text: str) -> bool:
    return OPEN in text


def to_template(text: str, where: Where) -> tuple[str, str | None]:
    """``(template, None)``, or ``(text, why)`` when the formula refers outside its row."""
    formula = text if text.startswith("=") else "=" + text
    try:
        tokens = Tokenizer(formula).items
    except Exception:  # openpyxl's tokenizer raises a bare TokenizerError on odd text
        return text, "it cannot be read as a formula"
    out = []
    for t in tokens:
        if t.type == Token.OPERAND and t.subtype == Token.RANGE:
            ref, why = _reference(t.value, where)
            if why is not None:
                return text, why
            out.append(ref)
        else:
            out.append(t.value)
    return "=" + "".join(out), None


def _reference(value: str, where: Where) -> tuple[str, str | None]:
    ref = value
    if "!" in value:
        sheet, ref = value.rsplit("!", 1)
        name = re.sub(r"^\[\d+\]", "", sheet.strip("'").replace("''", "'"))
        if name != where.sheet:
            if name in where.ours:
                return value, f"it refers to the sheet {name!r}, whose rows move"
            return value, None  # the collector's own sheet (or another workbook): as typed
    if _LINES.fullmatch(ref):
        return value, f"it refers to the whole column or row {ref}"
    parts = ref.split(":")
    cells = [_CELL.fullmatch(p) for p in parts]
    if not all(cells):
        return value, None  # a defined name: as typed
    out = []
    for m in cells:
        assert m is not None
        col_abs, col, row_abs, row = m.groups()
        fid = where.columns.get(column_index_from_string(col.upper()))
        if int(row) != where.row:
            return value, f"{col}{row} is on another row (another item after the refresh)"
        if fid is None:
            return value, f"column {col} has no header"
        out.append(f"{OPEN}{col_abs}{fid}{row_abs}{CLOSE}")
    return ":".join(out), None


def resolve(template: str, index: dict[str, int], row: int) -> str | None:
    """The formula of ``template`` for the item written on ``row`` with columns ``index``
    (field → 1-based column); None when a field it names is not on the sheet."""
    missing = False

    def cell(m: re.Match[str]) -> str:
        nonlocal missing
        col_abs, fid, row_abs = m.groups()
        if fid not in index:
            missing = True
            return ""
        return f"{col_abs}{get_column_letter(index[fid])}{row_abs}{row}"

    out = _MARK.sub(cell, template)
    return None if missing else out


def shown(template: str) -> str:
    """A template as a person reads it (``=⟦amount⟧*0.5`` → ``=[amount]*0.5``)."""
    return _MARK.sub(lambda m: f"[{m.group(2)}]", template)


_OPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


def evaluate(template: str, values: Mapping[str, Decimal]) -> Decimal | None:
    """The value of a template made only of numbers, ``+ - * /``, parentheses and markers of
    fields in ``values`` (``=⟦amount⟧*0.5`` with amount 8977.56 → 4488.78); ``None`` for any
    other formula (a function, a text, another field, a division by zero)."""
    missing: list[str] = []

    def value(m: re.Match) -> str:
        v = values.get(m.group(2))
        if v is None:
            missing.append(m.group(2))
            return "0"
        return f"({v})"

    expr = _MARK.sub(value, template.removeprefix("="))
    if missing:
        return None
    try:
        return _eval(ast.parse(expr.strip(), mode="eval").body)
    except (SyntaxError, ValueError, TypeError, DecimalException):
        return None


def _eval(node: ast.AST) -> Decimal:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return Decimal(str(node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _eval(node.operand)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_eval(node.left), _eval(node.right))
    raise ValueError("not arithmetic")
