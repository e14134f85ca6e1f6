#!/usr/bin/env python3
"""Render each sheet of a workbook to PNG, to look at it as the person who opens it would.

    .venv/bin/python tools/render_workbook.py out/worksheets/C1.xlsx [--out DIR] [--rows 40]
    ./dev render-workbook out/worksheets/C1.xlsx            (the same, after set-up)

LibreOffice (headless) exports the workbook to PDF and ``pdftoppm`` turns each page into a
PNG.  Two pictures per visible sheet:

- ``<stem>-<n>-<sheet>-screen.png``: the top-left 1920×1080 pixels at 96 dpi, about what
  Excel shows at 100 % zoom on a full-HD screen — what a collector sees first;
- ``<stem>-<n>-<sheet>-sheet.png``: the first ``--rows`` rows of the whole sheet, all columns.

``--scroll M`` draws the first sheet scrolled right to column M: the frozen columns stay, the
columns between them and M are left out (what a collector sees after scrolling to their own
columns).  With ``--print`` the sheets are exported as they print (the workbook's own page set-up) and
the first page of each becomes ``<stem>-<n>-<sheet>-print.png``.

Needs LibreOffice Calc and poppler-utils (Debian: ``apt-get install libreoffice-calc
poppler-utils fonts-noto-cjk``; the CJK fonts for Chinese text).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
from openpyxl.utils import column_index_from_string, get_column_letter

SINGLE_PAGE = 'pdf:calc_pdf_Export:{"SinglePageSheets":{"type":"boolean","value":"true"}}'


def tools() -> tuple[str, str]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    pdftoppm = shutil.which("pdftoppm")
    if not soffice or not pdftoppm:
        sys.exit(
            "render_workbook needs LibreOffice and pdftoppm: "
            "apt-get install libreoffice-calc poppler-utils fonts-noto-cjk"
        )
    return soffice, pdftoppm


def to_pdf(soffice: str, xlsx: Path, folder: Path, single_page: bool) -> Path:
    """Export ``xlsx`` to PDF in ``folder`` with a private LibreOffice profile (no clash with a
    running LibreOffice, nothing left in the user's profile)."""
    profile = (folder / "lo-profile").resolve().as_uri()
    cmd = [
        soffice,
        f"-env:UserInstallation={profile}",
        "--headless",
        "--convert-to",
        SINGLE_PAGE if single_page else "pdf",
        "--outdir",
        str(folder),
        str(xlsx),
    ]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    pdf = folder / (xlsx.stem + ".pdf")
    if not pdf.exists():
        sys.exit(f"LibreOffice wrote no PDF for {xlsx}")
    return pdf


def visible_copy(
    src: Path, dst: Path, rows: int | None, only: str | None = None, scroll: str | None = None
) -> list[str]:
    """A copy with only the visible sheets (or only the sheet ``only``), each cut to ``rows``;
    the first scrolled right to column ``scroll``."""
    wb = openpyxl.load_workbook(src)
    if scroll:
        _scroll(wb.worksheets[0], scroll)
    for ws in list(wb.worksheets):
        if ws.sheet_state != "visible" or (only is not None and ws.title != only):
            wb.remove(ws)
            continue
        if rows is not None:  # a screen, not paper: no printed grid lines
            ws.print_options.gridLines = False
        if rows is not None and ws.max_row > rows + 1:
            ws.delete_rows(rows + 2, ws.max_row - rows - 1)
            if ws.auto_filter.ref:
                ws.auto_filter.ref = re.sub(r"\d+$", str(rows + 1), ws.auto_filter.ref)
    names = [ws.title for ws in wb.worksheets]
    wb.active = 0
    wb.save(dst)
    return names


def _scroll(ws, to: str) -> None:
    frozen = ws.freeze_panes or "A1"
    first = column_index_from_string(re.match(r"[A-Z]+", frozen).group(0))
    for c in range(first, column_index_from_string(to.upper())):
        ws.column_dimensions[get_column_letter(c)].hidden = True


def render(
    path: Path, out: Path, rows: int = 40, printed: bool = False, scroll: str | None = None
) -> list[Path]:
    soffice, pdftoppm = tools()
    out.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="render-") as tmp:
        work = Path(tmp)
        copy = work / f"{path.stem}.xlsx"
        names = visible_copy(path, copy, None if printed else rows, scroll=scroll)
        if printed:  # one export per sheet: its first page as it prints
            for n, name in enumerate(names, 1):
                one = work / f"sheet{n}" / f"{path.stem}.xlsx"
                one.parent.mkdir()
                visible_copy(path, one, None, only=name)
                pdf = to_pdf(soffice, one, one.parent, single_page=False)
                whole = ["-scale-to-x", "2400", "-scale-to-y", "-1"]
                made.append(_page(pdftoppm, pdf, 1, out, path.stem, n, name, "print", whole))
            return made
        pdf = to_pdf(soffice, copy, work, single_page=True)
        for n, name in enumerate(names, 1):
            screen = ["-r", "96", "-x", "0", "-y", "0", "-W", "1920", "-H", "1080"]
            what = f"screen-from-{scroll}" if scroll and n == 1 else "screen"
            made.append(_page(pdftoppm, pdf, n, out, path.stem, n, name, what, screen))
            whole = ["-scale-to-x", "3200", "-scale-to-y", "-1"]
            made.append(_page(pdftoppm, pdf, n, out, path.stem, n, name, "sheet", whole))
    return made


def _page(pdftoppm, pdf, page, out, stem, n, name, what, args) -> Path:
    safe = re.sub(r"[^\w.-]+", "_", name).strip("_") or f"sheet{n}"
    target = out / f"{stem}-{n}-{safe}-{what}"
    cmd = [pdftoppm, "-png", "-singlefile", "-f", str(page), "-l", str(page), *args]
    subprocess.run([*cmd, str(pdf), str(target)], check=True, timeout=300)
    return target.with_suffix(".png")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workbook", type=Path)
    ap.add_argument("--out", type=Path, default=None, help="folder for the PNGs (default: beside)")
    ap.add_argument("--rows", type=int, default=40, help="rows per sheet picture (default 40)")
    ap.add_argument("--print", dest="printed", action="store_true", help="render as printed")
    ap.add_argument("--scroll", help="the first sheet scrolled right to this column (e.g. M)")
    a = ap.parse_args()
    out = a.out or a.workbook.parent / "renders"
    for p in render(a.workbook, out, a.rows, a.printed, a.scroll):
        print(p, flush=True)


if __name__ == "__main__":
    main()
