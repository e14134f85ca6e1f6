"""Colours, fonts and sizes of the worksheets: legible (WCAG contrast), sized for their words.

Every fill we use is paired with the text colour that reads best on it; a test checks each
styled cell of a written workbook for a contrast ratio of at least 4.5:1 (WCAG 2.1, 1.4.3).
Widths and heights count an East Asian wide character as two columns, as Excel and
LibreOffice draw them.
"""

from __future__ import annotations

import math
import unicodedata

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

HEADER = "1F4E78"  # system column headers: dark blue
COLLECTOR = "375623"  # the collector's column headers: dark green
TOTAL = "D9E1F2"
FLAG = "FFC000"  # a value the refresh could not read as what the column holds
LINK = "0563C1"
FINDING = {
    "PAID_NOT_APPLIED": "C6EFCE",
    "REJECTED": "FFC7CE",
    "AMOUNT_MISMATCH": "F8CBAD",
    "AMBIGUOUS": "E4DFEC",
    "NOT_SUBMITTED": "FFEB9C",
    "STALE": "D9D9D9",
    "IN_PROCESS": "DDEBF7",
    "NO_PORTAL": "F2F2F2",
    "UNAPPLIED_CREDIT": "EDEDED",
    "REVERSED": "EDEDED",
}
#: promise states (engine.promises.STATES) on the promise status column
PROMISE = {
    "open": "DDEBF7",
    "kept": "C6EFCE",
    "kept_pending": "E2EFDA",
    "partly_kept": "FFEB9C",
    "broken": "FFC7CE",
}
ALERT = "F4B084"  # a promise or follow-up date that has come
#: (days overdue up to, fill) — green not due → dark red beyond a year
AGING = (
    (0, "E2EFDA"),
    (30, "FFF2CC"),
    (60, "FFE699"),
    (90, "F8CBAD"),
    (180, "F4B084"),
    (365, "FF7C80"),
    (None, "C00000"),
)
MIN_CONTRAST = 4.5
#: The workbook's font (openpyxl's default): a font without a name falls back to a serif in
#: LibreOffice.  Chinese text is drawn with the system's East Asian font either way.
FONT = "Calibri"
LINE_HEIGHT = 15.0  # points per line of 11-point text (CJK glyphs included)


def luminance(rgb: str) -> float:
    """Relative luminance of an ``RRGGBB`` colour (WCAG 2.1)."""
    rgb = rgb[-6:]
    out = 0.0
    for weight, i in ((0.2126, 0), (0.7152, 2), (0.0722, 4)):
        c = int(rgb[i : i + 2], 16) / 255
        c = c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
        out += weight * c
    return out


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``RRGGBB`` colours, 1..21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(fill: str) -> str:
    """Black or white, whichever reads better on ``fill``."""
    return "000000" if contrast("000000", fill) >= contrast("FFFFFF", fill) else "FFFFFF"


_FILLS: dict[str, PatternFill] = {}
_FONTS: dict[tuple[str, bool], Font] = {}


def fill(colour: str) -> PatternFill:
    if colour not in _FILLS:  # one style object per colour: openpyxl dedups styles slowly
        _FILLS[colour] = PatternFill("solid", fgColor=colour)
    return _FILLS[colour]


def font_on(colour: str, bold: bool = False) -> Font:
    k = (colour, bold)
    if k not in _FONTS:
        _FONTS[k] = Font(name=FONT, size=11, color=text_on(colour), bold=bold)
    return _FONTS[k]


def paint(cell, colour: str, bold: bool = False) -> None:
    """Fill ``cell`` with ``colour`` and give it the text colour that reads on it."""
    cell.fill = fill(colour)
    cell.font = font_on(colour, bold)


def aging(days: object) -> str | None:
    if not isinstance(days, (int, float)) or isinstance(days, bool):
        return None
    for limit, colour in AGING:
        if limit is None or days <= limit:
            return colour
    return None


LINK_FONT = Font(name=FONT, size=11, color=LINK, underline="single")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")
THIN = Side(style="thin", color="808080")
TOTAL_BORDER = Border(top=THIN)


def text_width(text: object) -> int:
    """Columns ``text`` takes in a cell: two for an East Asian wide character, one otherwise."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def lines_needed(text: object, width: float) -> int:
    """Lines ``text`` wraps to in a column ``width`` wide (words kept whole where possible;
    a line break typed in the cell starts a new line)."""
    return sum(_lines(part, max(width - 0.8, 1)) for part in str(text).split("\n"))


def _drawn_width(text: str) -> float:
    # proportional fonts: lower-case letters and punctuation are narrower than a digit (the
    # unit of a column's width); a wide character takes two
    return sum(
        1.85 if unicodedata.east_asian_width(ch) in "WF" else 0.8 if not ch.isdigit() else 1.0
        for ch in text
    )


def _lines(text: str, usable: float) -> int:
    lines, current = 1, 0.0
    for word in text.replace("/", "/ ").split(" "):
        w = _drawn_width(word)
        gap = 0.8 if current else 0
        if current + gap + w <= usable:
            current += gap + w
            continue
        if current:
            lines += 1
        current = w
        while current > usable:  # a long word (or a run of Chinese) breaks anywhere
            lines += 1
            current -= usable
    return lines


def fit_width(texts, declared: float, cap: float = 40) -> float:
    """A column width for ``texts`` (the header's words, the values as shown): at least the
    declared width, at most ``cap`` (longer text wraps or is cut at the cell's edge)."""
    need = max((text_width(t) for t in texts), default=0) + 2
    return max(declared, min(need, cap))


def header_words(text: str) -> list[str]:
    """A header wraps between words only: its longest word must fit the column."""
    return str(text).split()


def header_height(headers: list[tuple[str, float]]) -> float:
    """Points for a header row whose cells (text, column width) wrap."""
    n = max((lines_needed(t, w) for t, w in headers), default=1)
    return math.ceil(LINE_HEIGHT * n + 6)
