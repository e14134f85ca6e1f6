"""The workbook reads as a Chinese collector expects: every word in the chosen language, legible
colours, sized columns and rows, a print set-up, links to the portal evidence, the customer's
contact from master data, a summary with totals, promises and last contact."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from arsync.config.settings import ReportSettings
from arsync.jobs.engine.reconcile import reconcile
from arsync.reports import _styles as S
from arsync.reports import vocabulary as V
from arsync.reports.labels import field_of, role_of_sheet
from arsync.reports.worksheets import refresh_worksheets
from arsync.sandbox.world import World
from arsync.sandbox.world_frames import world_frames
from test_worksheets_build import (
    AS_OF,
    calamine_rows,
    columns,
    edit,
    item,
    key,
    needs_office,
    office_resave,
    row_of,
    sheet,
    worklist,
)

WORDS = ("finding", "next_action", "reason", "status", "aging_bucket", "closed_reason")


@pytest.fixture(scope="module")
def world():
    frames = world_frames(World.tiny(as_of=AS_OF))
    wl = reconcile(
        frames["open_items"],
        frames["cleared_items"],
        frames["customers"],
        frames["portal_records"],
        as_of=AS_OF,
    )
    return wl, frames


def english_words(text: object) -> list[str]:
    """Words of English in ``text``; IDs, portal ids, currency codes and 'SAP' are not words."""
    return [
        w
        for w in re.findall(r"[A-Za-z][A-Za-z0-9_.\-/]*", str(text))
        if not re.search(r"[\d\-_/.]", w) and not (w.isupper() and len(w) <= 4)
    ]


def chinese(text: object) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", str(text)))


def test_every_reason_the_engine_gives_has_a_chinese_template(world):
    wl, _ = world
    portal_words = set(wl["status_text"]) | set(wl.loc[wl["finding"] == "REJECTED", "reason"])
    seen = set()
    for finding, text in zip(wl["finding"], wl["reason"]):
        if not text:
            continue
        zh, known = V.reason_zh(text)
        seen.add(finding)
        left = zh
        for w in sorted(portal_words, key=len, reverse=True):
            left = left.replace(w, "") if w else left
        assert known or finding == "REJECTED", text
        assert not english_words(left), (text, zh)
    assert {"PAID_NOT_APPLIED", "AMOUNT_MISMATCH", "NOT_SUBMITTED", "UNAPPLIED_CREDIT"} <= seen


@pytest.mark.parametrize("language", ["zh", "en", "both"])
def test_every_word_in_the_chosen_language(world, tmp_path, language):
    wl, _ = world
    collector = wl["collector"].value_counts().index[0]
    mine = wl[wl["collector"] == collector]
    settings = ReportSettings(language=language)
    refresh_worksheets(mine, tmp_path, as_of=AS_OF, settings=settings)
    gone = mine[~mine["finding"].isin(["NO_PORTAL"])]  # some items close: Closed gets its words
    [res] = refresh_worksheets(gone, tmp_path, as_of=AS_OF, settings=settings)
    assert res.closed_items > 0
    portal_words = [w for w in set(wl["status_text"]) | set(wl["reason"]) if chinese(w)]
    wb = openpyxl.load_workbook(res.path)
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        title_ok = chinese(ws.title) if language != "en" else not chinese(ws.title)
        assert title_ok and (not english_words(ws.title)) == (language == "zh")
        for cell in ws[1]:
            if cell.value and cell.value != "_key":
                assert chinese(cell.value) == (language != "en"), cell.value
                assert (not english_words(cell.value)) == (language == "zh"), cell.value
    for role in ("open", "closed"):
        for row in calamine_rows(res.path, role):
            for f in WORDS:
                v = row.get(f)
                if not v:
                    continue
                left = str(v)
                for w in sorted(portal_words, key=len, reverse=True):
                    left = left.replace(w, "")
                if language == "zh":
                    assert not english_words(left), (f, v)
                elif language == "en":
                    assert not chinese(left), (f, v)
                elif left.strip(" /；;"):  # both: a portal's own words are in one language
                    assert chinese(v) and english_words(v), (f, v)
    dv = {d.formula1 for d in sheet(wb, "open").data_validations.dataValidation if d.formula1}
    words = "".join(dv)
    assert chinese(words) == (language != "en")


def _contacts(frames) -> pd.DataFrame:
    cust = frames["customers"].copy()
    if "contact_person" not in cust:  # until the customer master carries them (KNVK/ADR6)
        cust["contact_person"] = [f"联系人{i}" for i in range(len(cust))]
        cust["phone"] = [f"021-6{i:07d}" for i in range(len(cust))]
        cust["email"] = [f"ap{i}@example.edu.cn" for i in range(len(cust))]
    return cust


@needs_office
def test_layout_a_collector_can_read_and_print(world, tmp_path):
    wl, frames = world
    collector = wl["collector"].value_counts().index[0]
    mine = wl[wl["collector"] == collector].reset_index(drop=True)
    evidence_dir = tmp_path / "runs" / "r1" / "evidence" / "p"
    evidence_dir.mkdir(parents=True)
    records = frames["portal_records"].copy()
    records["evidence"] = [
        str(evidence_dir / f"{i:03d}-page-{i}.html") for i in range(len(records))
    ]
    for p in records["evidence"]:
        Path(p).write_text("<html></html>")
    customers = _contacts(frames)
    out = tmp_path / "worksheets"
    kw = dict(as_of=AS_OF, settings=ReportSettings(language="zh"))
    [res] = refresh_worksheets(mine, out, customers=customers, portal_records=records, **kw)
    ws = sheet(openpyxl.load_workbook(res.path), "open")
    cols = columns(ws)
    r = 2
    k = ws.cell(r, cols["_key"]).value
    item_row = mine[
        mine["document_no"].eq(k.split("|")[2]) & mine["line_item"].eq(k.split("|")[3])
    ].iloc[0]
    note = "财务处说审批已过，下周一付款；发票抬头需要确认是否为附属医院，再打电话给王老师确认"
    edit(res.path, {k: {"notes": note}})
    office_resave(res.path)  # the collector saved it in their office program
    [res] = refresh_worksheets(mine, out, customers=customers, portal_records=records, **kw)
    wb = openpyxl.load_workbook(res.path)
    ws = sheet(wb, "open")
    cols = columns(ws)
    width = {f: ws.column_dimensions[get_column_letter(c)].width for f, c in cols.items()}
    r = row_of(ws, k)

    # headers: tall enough for their wrapped words; the finding column fits its labels
    heads = [(c.value, width[field_of(c.value) or c.value]) for c in ws[1] if c.value != "_key"]
    assert ws.row_dimensions[1].height >= S.header_height(heads)
    assert width["finding"] >= max(S.text_width(V.finding(c, "zh")) for c in V.FINDINGS)
    for text, w in heads:  # no header word is cut in the middle
        assert max(S.text_width(word) for word in text.split()) <= w
    # notes wrap, and the row is tall enough for them
    notes = ws.cell(r, cols["notes"])
    assert notes.value == note and notes.alignment.wrap_text
    assert ws.row_dimensions[r].height >= S.LINE_HEIGHT * S.lines_needed(note, width["notes"])
    # legible colours: every filled cell's text has a contrast of at least 4.5:1
    for sheet_ in wb.worksheets:
        for row in sheet_.iter_rows():
            for cell in row:
                fill = cell.fill
                if fill is None or fill.fill_type != "solid":
                    continue
                bg = fill.fgColor.rgb
                fg = cell.font.color.rgb if cell.font and cell.font.color else "FF000000"
                assert S.contrast(fg, bg) >= S.MIN_CONTRAST, (sheet_.title, cell.coordinate)
    # print: A4 landscape, one page wide, the header row on every page
    for sheet_ in wb.worksheets[:3]:
        ps = sheet_.page_setup
        assert (int(ps.paperSize), ps.orientation) == (9, "landscape")  # 9: A4
        assert ps.fitToWidth == 1 and ps.fitToHeight == 0
        assert sheet_.sheet_properties.pageSetUpPr.fitToPage
        assert sheet_.print_title_rows == "$1:$1"
    # printed: up to the collector's last column, not the reference columns after it
    last = get_column_letter(cols["next_follow_up"])
    assert re.search(rf"!\$A\$1:\${last}\$\d+$", str(ws.print_area)), ws.print_area
    # the customer's contact from master data; the item's evidence file, linked
    cust = customers.set_index("customer").loc[item_row["customer"]]
    assert ws.cell(r, cols["customer_contact"]).value == cust["contact_person"]
    assert ws.cell(r, cols["customer_phone"]).value == cust["phone"]
    linked = [
        (row_of(ws, kk), kk)
        for kk in (ws.cell(i, cols["_key"]).value for i in range(2, ws.max_row + 1))
        if kk and ws.cell(row_of(ws, kk), cols["evidence"]).hyperlink is not None
    ]
    assert linked
    for i, _ in linked[:20]:
        target = ws.cell(i, cols["evidence"]).hyperlink.target
        assert not Path(target).is_absolute() and (res.path.parent / target).resolve().exists()
    # and a second reader sees the same
    cal = {row["_key"]: row for row in calamine_rows(res.path, "open") if "_key" in row}
    assert cal[k]["notes"] == note and cal[k]["customer_phone"] == cust["phone"]
    summary = calamine_rows(res.path, "summary")
    by = {row.get("customer"): row for row in summary}
    assert by[item_row["customer"]]["customer_contact"] == cust["contact_person"]


def test_summary_and_layout_without_master_data(tmp_path):
    rows = [item(i) for i in range(4)]
    [res] = refresh_worksheets(
        worklist(rows), tmp_path, as_of=AS_OF, settings=ReportSettings(language="en")
    )
    ws = sheet(openpyxl.load_workbook(res.path), "open")
    cols = columns(ws)
    assert "customer_phone" not in cols and "evidence" not in cols  # no source: not shown
    edit(res.path, {key(1): {"contact_date": datetime(2026, 11, 20)}})
    [res] = refresh_worksheets(
        worklist(rows), tmp_path, as_of=AS_OF, settings=ReportSettings(language="en")
    )
    summary = calamine_rows(res.path, "summary")
    assert summary[-1]["customer_name"] == "Total"
    assert {role_of_sheet(n) for n in openpyxl.load_workbook(res.path).sheetnames} >= {
        "open",
        "summary",
        "closed",
    }
