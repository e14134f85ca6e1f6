"""`worklist.xlsx` of a file run reads like a collector worksheet (issue 8.13): the worksheet's
headers in reports.language, real dates and amounts, IDs as text, sorted by priority."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from arsync.jobs.engine.reconcile import reconcile
from arsync.reports import labels as L
from arsync.reports import vocabulary as V
from arsync.reports.worklist_book import write_worklist_xlsx
from arsync.sandbox.world import World
from arsync.sandbox.world_frames import world_frames

AS_OF = date(2026, 11, 23)


@pytest.fixture(scope="module")
def worklist():
    f = world_frames(World.tiny(as_of=AS_OF))
    return reconcile(
        f["open_items"], f["cleared_items"], f["customers"], f["portal_records"], as_of=AS_OF
    )


@pytest.mark.parametrize("language", ["zh", "en", "both"])
def test_the_worklist_book_reads_like_a_worksheet(worklist, tmp_path, language):
    path = tmp_path / "worklist.xlsx"
    write_worklist_xlsx(worklist, path, language=language)
    ws = load_workbook(path).active
    assert ws.title == L.text("工作清单", "Worklist", language)
    head = [c.value for c in ws[1]]
    for fid in ("priority", "finding", "customer_name", "reference", "amount", "due_date"):
        f = L.BY_ID[fid]
        assert L.text(f.zh, f.en, language) in head
    col = {h: i + 1 for i, h in enumerate(head)}

    def cells(fid: str):
        f = L.BY_ID[fid]
        return [ws.cell(r, col[L.text(f.zh, f.en, language)]) for r in range(2, ws.max_row + 1)]

    assert ws.max_row == len(worklist) + 1 and ws.freeze_panes == "C2"
    prio = [c.value for c in cells("priority")]
    assert prio == sorted(prio)  # most urgent first
    due = cells("due_date")
    assert all(isinstance(c.value, datetime) and c.number_format == "yyyy-mm-dd" for c in due)
    amounts = cells("amount")
    currency = [c.value for c in cells("currency")]
    for c, cur in zip(amounts, currency):  # numbers, with their currency's decimals
        assert isinstance(c.value, (int, float))
        assert c.number_format == ("#,##0" if cur == "JPY" else "#,##0.00"), cur
    cny = [c.value for c, cur in zip(amounts, currency) if cur == "CNY"]
    expected = worklist.loc[worklist["currency"] == "CNY", "amount"].sum() / 100
    assert round(sum(cny), 2) == round(expected, 2)  # reconciles to the frame
    refs = [c for c in cells("reference") if c.value is not None]
    assert refs and all(isinstance(c.value, str) and c.number_format == "@" for c in refs)
    shown = {c.value for c in cells("finding")}
    assert shown == {V.finding(code, language) for code in worklist["finding"].unique()}
    assert ws.column_dimensions["A"].width >= 6
