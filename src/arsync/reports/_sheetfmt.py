"""The collector's own formatting, drop-downs and conditional formats, carried to the new sheet.

- **Cell formatting** (fill, font, border) on a collector's column — or a column they added
  — follows its item, like the value.  What the refresh itself paints is not theirs.
- **Drop-downs (data validation) and conditional formats** that cover a whole column of item
  rows are put on that column again wherever it is after the refresh; their formulas are
  moved like the collector's formulas (:mod:`._formulas`).  One that covers some rows only,
  or whose formula points at other rows, cannot follow the items: it is dropped with a
  warning naming its range — never left on the wrong cells.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from openpyxl.formatting.rule import Rule
from openpyxl.styles import Border, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.datavalidation import DataValidation

from arsync.reports import _formulas as F
from arsync.reports import _styles as S
from arsync.reports import labels as L

OURS_FILLS = {
    S.FLAG,
    S.HEADER,
    S.COLLECTOR,
    S.TOTAL,
    *S.FINDING.values(),
    *(c for _, c in S.AGING),
}


@dataclass(frozen=True)
class CellStyle:
    """A collector's formatting of one cell (copies of openpyxl's style objects)."""

    fill: PatternFill | None
    font: Font | None
    border: Border | None

    def apply(self, cell) -> None:
        if self.fill is not None:
            cell.fill = copy.copy(self.fill)
        if self.font is not None:
            cell.font = copy.copy(self.font)
        if self.border is not None:
            cell.border = copy.copy(self.border)


def own_style(cell) -> CellStyle | None:
    """The collector's formatting of ``cell``, or None when it has only what the refresh puts."""
    st = getattr(cell, "_style", None)  # fast path: default font, no fill, no border
    if st is None or (st.fontId == 0 and st.fillId == 0 and st.borderId == 0):
        return None
    fill = cell.fill
    own_fill = None
    if fill is not None and fill.fill_type not in (None, "none"):
        c = fill.fgColor
        if not (c.type == "rgb" and str(c.rgb)[-6:].upper() in OURS_FILLS):
            own_fill = fill
    font = cell.font
    own_font = None
    if font is not None:
        marked = font.b or font.i or font.strike or (font.u not in (None, "none"))
        if marked or _coloured(font.color):
            own_font = font
    border = cell.border
    own_border = border if border is not None and _has_lines(border) else None
    if own_fill is None and own_font is None and own_border is None:
        return None
    return CellStyle(own_fill, own_font, own_border)


def _coloured(c) -> bool:
    """A text colour other than the default black (and other than our link blue)."""
    if c is None:
        return False
    if c.type == "rgb":
        return str(c.rgb)[-6:].upper() not in {"000000", S.LINK}
    if c.type == "theme":
        return c.theme not in (1,)  # theme 1: the default text colour
    return c.type == "indexed" and c.indexed not in (8, 64)  # 8 black, 64 system text


def _has_lines(b: Border) -> bool:
    return any(getattr(b, side) is not None and getattr(b, side).style for side in _SIDES)


_SIDES = ("left", "right", "top", "bottom")


@dataclass(frozen=True)
class ColumnRule:
    """A drop-down (``dv``) or conditional format (``cf``) over whole columns of item rows.

    ``fields``: the fields of the columns it covered, in order; ``formulas``: its formulas as
    templates (they move with the columns)."""

    kind: str  # "dv" | "cf"
    fields: tuple[str, ...]
    rule: object  # DataValidation or Rule (copied)
    formulas: tuple[str, ...]


def read_rules(
    ws, columns: dict[int, str], first: int, last: int, ours: frozenset[str], is_ours
) -> tuple[list[ColumnRule], list[str]]:
    """The collector's drop-downs and conditional formats on ``ws`` (item rows ``first``..
    ``last``, 1-based; ``columns``: 1-based column → field; ``ours``: the sheets the refresh
    rewrites); warnings for what cannot follow its items."""
    rules: list[ColumnRule] = []
    warnings: list[str] = []
    for dv in ws.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            span = _span(rng, columns, first, last)
            if span is None:
                warnings.append(
                    f"sheet {ws.title!r}: the drop-down on {rng} covers some rows only; "
                    "dropped (it would land on other items)"
                )
                continue
            fields, top = span
            if is_ours(dv, fields):
                continue
            where = F.Where(ws.title, top, columns, ours)
            formulas, why = _move([dv.formula1, dv.formula2], where)
            if why is not None:
                warnings.append(f"sheet {ws.title!r}: the drop-down on {rng} dropped: {why}")
                continue
            rules.append(ColumnRule("dv", fields, copy.copy(dv), formulas))
    for cf in ws.conditional_formatting:
        for rng in str(cf.sqref).split():
            span = _span(rng, columns, first, last)
            for rule in cf.rules:
                what = f"sheet {ws.title!r}: the conditional format ({rule.type}) on {rng}"
                if span is None:
                    warnings.append(f"{what} covers some rows only; dropped")
                    continue
                fields, top = span
                formulas, why = _move(
                    list(rule.formula or []), F.Where(ws.title, top, columns, ours)
                )
                if why is not None:
                    warnings.append(f"{what} dropped: {why}")
                    continue
                rules.append(ColumnRule("cf", fields, copy.copy(rule), formulas))
    return rules, warnings


def _span(
    rng: str, columns: dict[int, str], first: int, last: int
) -> tuple[tuple[str, ...], int] | None:
    """The fields of a range that spans every item row, and its top row; else None."""
    try:
        c1, r1, c2, r2 = range_boundaries(rng)
    except (ValueError, TypeError):
        return None
    top = r1 or 1
    bottom = r2 or 1048576
    if c1 is None or c2 is None or top > first or bottom < last:
        return None
    fields = tuple(columns[c] for c in range(c1, c2 + 1) if c in columns)
    return (fields, top) if fields else None


def _move(formulas: list, where: F.Where) -> tuple[tuple[str, ...], str | None]:
    out = []
    for f in formulas:
        if f is None:
            out.append("")
            continue
        template, why = F.to_template(str(f), where)
        if why is not None:
            return (), why
        out.append(template)
    return tuple(out), None


def write_rules(ws, rules: list[ColumnRule], index: dict[str, int], first: int, last: int):
    """Put the carried rules on the columns their fields have now; warnings for any whose
    columns are gone."""
    warnings = []
    for r in rules:
        cols = sorted(index[f] for f in r.fields if f in index)
        if not cols:
            warnings.append(f"a {_what(r)} on {', '.join(r.fields)}: its columns are gone")
            continue
        formulas = [F.resolve(t, index, first) if t else None for t in r.formulas]
        if any(f is None for f, t in zip(formulas, r.formulas) if t):
            warnings.append(f"a {_what(r)} on {', '.join(r.fields)}: a column it uses is gone")
            continue
        ranges = " ".join(
            f"{get_column_letter(a)}{first}:{get_column_letter(b)}{last}" for a, b in _runs(cols)
        )
        texts = [f.removeprefix("=") if f else None for f in formulas]
        if r.kind == "dv":
            dv = copy.copy(r.rule)
            assert isinstance(dv, DataValidation)
            dv.formula1, dv.formula2 = [*texts, None, None][:2]
            dv.sqref = ranges
            ws.add_data_validation(dv)
        else:
            rule = copy.copy(r.rule)
            assert isinstance(rule, Rule)
            rule.formula = [t for t in texts if t]
            ws.conditional_formatting.add(ranges, rule)
    return warnings


def _what(r: ColumnRule) -> str:
    return "drop-down" if r.kind == "dv" else "conditional format"


def _runs(cols: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for c in cols:
        if runs and runs[-1][1] == c - 1:
            runs[-1] = (runs[-1][0], c)
        else:
            runs.append((c, c))
    return runs


def carried(fid: str) -> bool:
    return fid in L.CARRIED or fid.startswith(L.EXTRA)
