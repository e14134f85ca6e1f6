"""Workbooks refreshed by worker processes, with openpyxl writing through lxml, are the ones
the job's own process wrote before (openpyxl's pure-Python XML writer, one workbook after the
other): same sheets, cells, formats, drop-downs, comments and carried text, night after night."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from openpyxl import xml as openpyxl_xml

from arsync.config.settings import ReportSettings
from arsync.jobs.engine.reconcile import reconcile
from arsync.reports import labels as L
from arsync.reports.worksheets import refresh_worksheets
from arsync.sandbox.world import World
from arsync.sandbox.world_frames import world_frames

AS_OF = date(2026, 11, 23)

OLD_WAY = """
import pickle, sys
from arsync.reports.worksheets import refresh_worksheets
from openpyxl import xml
assert not xml.LXML  # the pure-Python writer, as before lxml was installed
args, kw = pickle.loads(open(sys.argv[1], "rb").read())
res = refresh_worksheets(*args, **kw)
print(sorted(r.outcome for r in res))
"""


@pytest.fixture(scope="module")
def tiny():
    f = world_frames(World(size="tiny", as_of=AS_OF))
    wl = reconcile(
        f["open_items"], f["cleared_items"], f["customers"], f["portal_records"], as_of=AS_OF
    )
    return f, wl


def _refresh(f, wl, folder: Path, as_of: date, *, old_way: bool, tmp: Path) -> None:
    args = (wl, folder)
    kw = dict(
        as_of=as_of,
        settings=ReportSettings(language="both", workers=1 if old_way else 2),
        cleared=f["cleared_items"],
        customers=f["customers"],
        portal_records=f["portal_records"],
        pool_from=10**9 if old_way else 0,
    )
    if not old_way:
        refresh_worksheets(*args, **kw)
        return
    job = tmp / "job.pickle"
    job.write_bytes(pickle.dumps((args, kw)))
    env = {**os.environ, "OPENPYXL_LXML": "False"}
    subprocess.run([sys.executable, "-c", OLD_WAY, str(job)], env=env, check=True)


def _type(folder: Path) -> None:
    """Type into the first rows of every workbook as a collector would: text, a date typed as
    text, a note, a colour."""
    heads = {f.id: L.text(f.zh, f.en, "both") for f in L.COLLECTOR}
    for path in sorted(folder.glob("*.xlsx")):
        wb = openpyxl.load_workbook(path)
        ws = wb.worksheets[0]
        col = {c.value: c.column for c in ws[1] if c.value}
        for r in range(2, min(ws.max_row, 8) + 1):
            ws.cell(r, col[heads["contact_date"]]).value = AS_OF
            ws.cell(r, col[heads["notes"]]).value = f"called, row {r}: pays next week"
            ws.cell(r, col[heads["promise_date"]]).value = "12月1日"
            ws.cell(r, col[heads["notes"]]).fill = openpyxl.styles.PatternFill(
                "solid", fgColor="FFFF00"
            )
        wb.save(path)


def _seen(path: Path) -> dict:
    """Everything the collector sees of a workbook, sheet by sheet."""
    wb = openpyxl.load_workbook(path)
    out = {"sheets": [(ws.title, ws.sheet_state) for ws in wb.worksheets]}
    for ws in wb.worksheets:
        if ws.title == L.HISTORY_SHEET:  # entries by item key; their order within a key is
            # the order of a set in the process that wrote them
            out[ws.title] = sorted(map(repr, ws.iter_rows(values_only=True)))
            continue
        cells = [
            (
                c.coordinate,
                c.value,
                c.data_type,
                c.number_format,
                c.fill.fgColor.rgb if c.fill.fill_type else None,
                (c.font.b, c.font.color.rgb if c.font.color else None, c.font.u),
                (c.alignment.wrap_text, c.alignment.vertical),
                c.comment.text if c.comment else None,
                c.hyperlink.target if c.hyperlink else None,
            )
            for row in ws.iter_rows()
            for c in row
            if c.value is not None or c.has_style
        ]
        out[ws.title] = {
            "cells": cells,
            "widths": {k: (d.width, d.hidden) for k, d in ws.column_dimensions.items()},
            "heights": {k: d.height for k, d in ws.row_dimensions.items() if d.height},
            "validations": sorted(
                (str(dv.sqref), dv.type, dv.formula1) for dv in ws.data_validations.dataValidation
            ),
            "rules": sorted(
                (str(rng.sqref), r.type, tuple(r.formula))
                for rng in ws.conditional_formatting
                for r in rng.rules
            ),
            "view": (ws.freeze_panes, ws.auto_filter.ref, ws.print_area),
        }
    return out


def test_workers_and_lxml_write_what_one_process_wrote_night_after_night(tiny, tmp_path):
    assert openpyxl_xml.LXML  # lxml is a dependency: openpyxl writes through it
    f, wl = tiny
    old, new = tmp_path / "old", tmp_path / "new"
    for folder, old_way in ((old, True), (new, False)):
        _refresh(f, wl, folder, AS_OF, old_way=old_way, tmp=tmp_path)
        _type(folder)
        _refresh(f, wl, folder, AS_OF + timedelta(days=1), old_way=old_way, tmp=tmp_path)
    names = sorted(p.name for p in old.glob("*.xlsx"))
    assert names == sorted(p.name for p in new.glob("*.xlsx"))
    assert len(names) == wl["collector"].nunique() >= 2
    for name in names:
        before, after = _seen(old / name), _seen(new / name)
        assert before == after, name
        notes = [c[1] for c in after[after["sheets"][0][0]]["cells"] if c[1]]
        assert sum(1 for v in notes if str(v).startswith("called, row")) == 7  # carried
