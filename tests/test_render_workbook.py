"""The render script in the repository (issue 9.10): each visible sheet of a refreshed workbook
becomes a screen-sized PNG (what a collector sees first) and a whole-sheet PNG, and the pictures
show the sheet (its dark-blue header row), not an empty page."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import openpyxl

from arsync.config.settings import ReportSettings
from arsync.reports import _styles as S
from arsync.reports.worksheets import refresh_worksheets
from test_worksheets_build import AS_OF, item, needs_office, worklist

TOOL = Path(__file__).resolve().parents[1] / "tools" / "render_workbook.py"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def png_top_rows(path: Path, rows: int) -> list[bytes]:
    """The first ``rows`` pixel rows of an 8-bit, non-interlaced PNG, unfiltered (RFC 2083 §6)."""
    data = path.read_bytes()
    pos, idat, bpp, width, height = 8, b"", 0, 0, 0
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos : pos + 4]), data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _c, _f, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0
            bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    stride, rows = width * bpp, min(rows, height)
    raw = zlib.decompressobj().decompress(idat, (stride + 1) * rows)
    out: list[bytes] = []
    prev = bytearray(stride)
    for r in range(rows):
        kind, line = (
            raw[r * (stride + 1)],
            bytearray(raw[r * (stride + 1) + 1 : (r + 1) * (stride + 1)]),
        )
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        out.append(bytes(line))
        prev = line
    return out


@needs_office
def test_each_sheet_is_rendered_to_png_showing_its_header(tmp_path):
    rows = [item(i) for i in range(6)]
    [res] = refresh_worksheets(
        worklist(rows), tmp_path / "ws", as_of=AS_OF, settings=ReportSettings(language="zh")
    )
    visible = [
        ws.title
        for ws in openpyxl.load_workbook(res.path, read_only=True).worksheets
        if ws.sheet_state == "visible"
    ]
    assert len(visible) >= 2  # 未结清单 … 汇总
    out = tmp_path / "png"
    p = subprocess.run(
        [sys.executable, str(TOOL), str(res.path), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr
    made = [Path(x) for x in p.stdout.split()]
    assert [x.name for x in made] == [
        f"{res.path.stem}-{n}-{name}-{what}.png"
        for n, name in enumerate(visible, 1)
        for what in ("screen", "sheet")
    ]
    header = bytes.fromhex(S.HEADER)
    for png in made:
        assert png.parent == out and png.is_file()
        if png.stem.endswith("-screen"):
            width, height = png_size(png)  # at most a full-HD screen at 100 %; a short sheet less
            assert 0 < width <= 1920 and 0 < height <= 1080
            top = png_top_rows(png, 60)
            pixels = {line[i : i + 3] for line in top for i in range(0, len(line), 3)}
            assert header in pixels, f"{png.name}: no header row in the picture"
