"""Reading reconciliation inputs from CSV / XLSX files, FBL5N exports and bad rows."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from arsync.common.errors import DataError
from arsync.common.frames import CLEARED_ITEMS, CUSTOMERS, OPEN_ITEMS, PORTAL_RECORDS
from arsync.connectors.files.read import ERROR_COLUMNS, read_inputs

OPEN_HEAD = [
    "company_code",
    "fiscal_year",
    "document_no",
    "line_item",
    "customer",
    "doc_type",
    "reference",
    "assignment",
    "document_date",
    "due_date",
    "amount",
    "currency",
]
OPEN_ROW = [
    "1000",
    "2026",
    "90000001",
    "1",
    "1001",
    "RV",
    "26442000000050000001",
    "PO-1",
    "2026-09-01",
    "2026-10-01",
    "1234.56",
    "CNY",
]
CUST_HEAD = ["customer", "name", "segment", "collector", "portals"]
CUST_ROW = ["1001", "上海市某某医院", "hospital", "C1", "hosp-sh; gov-gd"]
REC_HEAD = [
    "portal",
    "record_id",
    "customer",
    "invoice_no",
    "amount",
    "paid_amount",
    "status",
    "status_date",
]
REC_ROW = [
    "hosp-sh",
    "1800000000000000123",
    "1001",
    "No.0050000001",
    "1234.56",
    "0",
    "paying",
    "2026-11-01",
]


def write(path: Path, head: list, rows: list[list]) -> Path:
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([head, *rows])
    else:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(head)
        for r in rows:
            ws.append(r)
        wb.save(path)
    return path


def inputs(d: Path, ext: str = ".csv", open_rows=None, rec_rows=None, cust_rows=None) -> Path:
    write(d / f"open_items{ext}", OPEN_HEAD, open_rows or [OPEN_ROW])
    write(d / f"customers{ext}", CUST_HEAD, cust_rows or [CUST_ROW])
    write(d / f"portal_records{ext}", REC_HEAD, rec_rows or [REC_ROW])
    return d


def with_(row: list, head: list, **kw) -> list:
    out = list(row)
    for k, v in kw.items():
        out[head.index(k)] = v
    return out


@pytest.mark.parametrize("ext", [".csv", ".xlsx"])
def test_good_files_give_valid_frames_with_text_ids_and_minor_units(tmp_path, ext):
    frames, errors = read_inputs(inputs(tmp_path, ext))
    assert len(errors) == 0 and list(errors.columns) == ERROR_COLUMNS
    oi = OPEN_ITEMS.validate(frames["open_items"])
    CLEARED_ITEMS.validate(frames["cleared_items"])
    CUSTOMERS.validate(frames["customers"])
    pr = PORTAL_RECORDS.validate(frames["portal_records"])
    row = oi.iloc[0]
    assert (row.document_no, row.line_item, row.customer) == ("0090000001", "001", "0000001001")
    assert (row.reference, row.amount, row.local_amount) == ("26442000000050000001", 123456, 123456)
    assert row.due_date == pd.Timestamp("2026-10-01") and row.posting_date == pd.Timestamp(
        "2026-09-01"
    )
    assert frames["customers"].iloc[0].portals == "hosp-sh;gov-gd"
    rec = pr.iloc[0]
    assert (rec.record_id, rec.status, rec.amount, rec.currency) == (
        "1800000000000000123",
        "PAYING",
        123456,
        "CNY",
    )
    assert len(frames["cleared_items"]) == 0


def test_xlsx_with_real_dates_and_numbers(tmp_path):
    row = with_(
        OPEN_ROW,
        OPEN_HEAD,
        document_no=90000001,
        customer=1001,
        amount=1234.56,
        document_date=dt.datetime(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
    )
    frames, errors = read_inputs(inputs(tmp_path, ".xlsx", open_rows=[row]))
    r = frames["open_items"].iloc[0]
    assert len(errors) == 0
    assert (r.document_no, r.customer, r.amount, r.due_date) == (
        "0090000001",
        "0000001001",
        123456,
        pd.Timestamp("2026-10-01"),
    )


def test_long_number_that_excel_already_rounded_is_reported(tmp_path):
    row = with_(OPEN_ROW, OPEN_HEAD, reference=26442000000050000001)
    frames, errors = read_inputs(
        inputs(
            tmp_path, ".xlsx", open_rows=[row, with_(OPEN_ROW, OPEN_HEAD, document_no="90000002")]
        )
    )
    assert list(errors[["file", "row", "column"]].itertuples(index=False, name=None)) == [
        ("open_items.xlsx", 2, "reference")
    ]
    assert "format the column as text" in errors.problem[0]
    # the reference only helps matching: the item stays, without it (issue 8.5)
    assert errors.outcome[0] == "kept"
    oi = frames["open_items"]
    assert list(oi.document_no) == ["0090000001", "0090000002"] and oi.reference[0] == ""


BAD_CASES = [
    ("document_no", "", "missing value"),
    ("due_date", "2026-13-01", "not a date"),
    ("due_date", "", "missing date"),
    ("amount", "12x", "not an amount"),
    ("currency", "人民币", "not a currency key"),
]


@pytest.mark.parametrize("ext", [".csv", ".xlsx"])
@pytest.mark.parametrize("column, value, problem", BAD_CASES)
def test_bad_row_is_reported_with_file_row_and_column_and_left_out(
    tmp_path, ext, column, value, problem
):
    rows = [
        OPEN_ROW,
        with_(OPEN_ROW, OPEN_HEAD, **{"document_no": "90000002", column: value}),
        with_(OPEN_ROW, OPEN_HEAD, document_no="90000003"),
    ]
    frames, errors = read_inputs(inputs(tmp_path, ext, open_rows=rows))
    assert len(errors) == 1
    e = errors.iloc[0]
    assert (e.file, e.row, e.column, e.value) == (f"open_items{ext}", 3, column, value)
    assert e.problem.startswith(problem)
    assert list(frames["open_items"].document_no) == ["0090000001", "0090000003"]


@pytest.mark.parametrize("ext", [".csv", ".xlsx"])
def test_strict_mode_raises_listing_every_bad_cell(tmp_path, ext):
    rows = [
        with_(OPEN_ROW, OPEN_HEAD, amount="abc"),
        with_(OPEN_ROW, OPEN_HEAD, document_no="90000002", due_date="x"),
    ]
    recs = [with_(REC_ROW, REC_HEAD, status="待付款")]
    inputs(tmp_path, ext, open_rows=rows, rec_rows=recs)
    with pytest.raises(DataError) as exc:
        read_inputs(tmp_path, strict=True)
    msg = str(exc.value)
    assert "3 bad row(s)" in msg
    assert f"open_items{ext} row 2 column amount: not an amount (value 'abc')" in msg
    assert f"open_items{ext} row 3 column due_date" in msg
    assert f"portal_records{ext} row 2 column status: not a status word; use one of" in msg


def test_identical_duplicate_rows_collapse_with_a_note(tmp_path):
    frames, errors = read_inputs(inputs(tmp_path, open_rows=[OPEN_ROW, OPEN_ROW]))
    assert len(frames["open_items"]) == 1
    assert (errors.row[0], errors.problem[0], errors.outcome[0]) == (
        3,
        "identical to row 2: counted once",
        "merged",
    )


def test_duplicates_that_disagree_are_both_left_out_naming_each_other(tmp_path):
    other = with_(OPEN_ROW, OPEN_HEAD, amount="1234.57")
    fine = with_(OPEN_ROW, OPEN_HEAD, document_no="90000002")
    frames, errors = read_inputs(inputs(tmp_path, open_rows=[OPEN_ROW, other, fine]))
    assert list(frames["open_items"].document_no) == ["0090000002"]
    assert list(zip(errors.row, errors.problem, errors.outcome)) == [
        (2, "same key as row(s) 3 with other values: which is right?", "left out"),
        (3, "same key as row(s) 2 with other values: which is right?", "left out"),
    ]


def test_missing_file_names_it(tmp_path):
    inputs(tmp_path)
    (tmp_path / "customers.csv").unlink()
    with pytest.raises(
        DataError, match=r"no customers file \(expected customers.csv or customers.xlsx"
    ):
        read_inputs(tmp_path)


def test_missing_column_names_file_and_column(tmp_path):
    write(
        tmp_path / "open_items.csv",
        [h for h in OPEN_HEAD if h != "due_date"],
        [[v for h, v in zip(OPEN_HEAD, OPEN_ROW) if h != "due_date"]],
    )
    write(tmp_path / "customers.csv", CUST_HEAD, [CUST_ROW])
    write(tmp_path / "portal_records.csv", REC_HEAD, [REC_ROW])
    with pytest.raises(DataError, match=r"open_items.csv: missing column\(s\) due_date"):
        read_inputs(tmp_path)


def test_cleared_items_are_read_when_present(tmp_path):
    inputs(tmp_path)
    write(
        tmp_path / "cleared_items.csv",
        [*OPEN_HEAD, "clearing_date", "clearing_doc"],
        [[*with_(OPEN_ROW, OPEN_HEAD, document_no="90000009"), "2026-11-01", "1400000001"]],
    )
    frames, _ = read_inputs(tmp_path)
    c = frames["cleared_items"].iloc[0]
    assert (c.document_no, c.clearing_doc, c.clearing_date) == (
        "0090000009",
        "1400000001",
        pd.Timestamp("2026-11-01"),
    )


def test_gb18030_csv_from_chinese_excel(tmp_path):
    inputs(tmp_path)
    p = tmp_path / "customers.csv"
    p.write_bytes(p.read_text(encoding="utf-8").encode("gb18030"))
    frames, _ = read_inputs(tmp_path)
    assert frames["customers"].iloc[0]["name"] == "上海市某某医院"


# --- FBL5N exports ------------------------------------------------------------------------

FBL5N = {
    "en": [
        "Account",
        "Company Code",
        "Document Number",
        "Document Type",
        "Document Date",
        "Posting Date",
        "Net due date",
        "Amount in doc. curr.",
        "Document currency",
        "Reference",
        "Assignment",
        "Text",
        "Clearing Document",
    ],
    "de": [
        "Konto",
        "Buchungskreis",
        "Belegnummer",
        "Belegart",
        "Belegdatum",
        "Buchungsdatum",
        "Nettofälligkeit",
        "Betrag in Belegwährung",
        "Belegwährung",
        "Referenz",
        "Zuordnung",
        "Text",
        "Ausgleichsbeleg",
    ],
    "zh": [
        "客户",
        "公司代码",
        "凭证编号",
        "凭证类型",
        "凭证日期",
        "过账日期",
        "净到期日",
        "凭证货币金额",
        "凭证货币",
        "参考",
        "分配",
        "文本",
        "清账凭证",
    ],
}
FBL5N_ROWS = [
    [
        "1001",
        "1000",
        "90000001",
        "RV",
        "2026-09-01",
        "2026-09-02",
        "2026-10-01",
        "1,234.56",
        "CNY",
        "50000001",
        "PO-1",
        "发票",
        "",
    ],
    [
        "1001",
        "1000",
        "1400000007",
        "DZ",
        "01.11.2026",
        "02.11.2026",
        "01.11.2026",
        "500.00-",
        "CNY",
        "",
        "",
        "付款",
        "",
    ],
    [
        "1001",
        "1000",
        "90000002",
        "RV",
        "2026-08-01",
        "2026-08-01",
        "2026-09-01",
        "99.00",
        "CNY",
        "50000002",
        "PO-2",
        "",
        "1400000001",
    ],
]


@pytest.mark.parametrize("lang", sorted(FBL5N))
@pytest.mark.parametrize("ext", [".csv", ".xlsx"])
def test_fbl5n_export_in_place_of_open_items(tmp_path, lang, ext):
    write(tmp_path / f"fbl5n_export{ext}", FBL5N[lang], FBL5N_ROWS)
    write(tmp_path / "customers.csv", CUST_HEAD, [CUST_ROW])
    write(tmp_path / "portal_records.csv", REC_HEAD, [REC_ROW])
    frames, errors = read_inputs(tmp_path)
    assert len(errors) == 0
    oi = OPEN_ITEMS.validate(frames["open_items"])
    assert list(oi.document_no) == ["0090000001", "1400000007"]  # the cleared line is not open
    assert list(oi.customer) == ["0000001001"] * 2
    assert list(oi.amount) == [123456, -50000]
    assert list(oi.fiscal_year) == ["2026", "2026"] and list(oi.line_item) == ["001", "001"]
    assert oi.due_date[1] == pd.Timestamp("2026-11-01")


def test_fbl5n_with_title_lines_above_the_header_counts_rows_as_excel_shows_them(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Customer Line Item Display"])
    ws.append([])
    ws.append(FBL5N["en"])
    ws.append(FBL5N_ROWS[0])
    ws.append(
        with_(FBL5N_ROWS[0], FBL5N["en"], **{"Document Number": "90000003", "Net due date": "soon"})
    )
    wb.save(tmp_path / "open_items.xlsx")
    write(tmp_path / "customers.csv", CUST_HEAD, [CUST_ROW])
    write(tmp_path / "portal_records.csv", REC_HEAD, [REC_ROW])
    frames, errors = read_inputs(tmp_path)
    assert len(frames["open_items"]) == 1
    assert list(errors[["row", "column", "value"]].itertuples(index=False, name=None)) == [
        (5, "due_date", "soon")
    ]


def test_files_feed_the_reconciliation(tmp_path):
    from arsync.jobs.engine.reconcile import reconcile

    recs = [with_(REC_ROW, REC_HEAD, status="PAID", paid_amount="1234.56")]
    frames, _errors = read_inputs(inputs(tmp_path, ".xlsx", rec_rows=recs))
    wl = reconcile(
        frames["open_items"],
        frames["cleared_items"],
        frames["customers"],
        frames["portal_records"],
        as_of=dt.date(2026, 11, 23),
    )
    r = wl.iloc[0]
    assert (r.finding, r.match_rule, r.record_id) == (
        "PAID_NOT_APPLIED",
        "invoice_tail",
        "1800000000000000123",
    )


@pytest.mark.parametrize("ext", [".csv", ".xlsx"])
def test_customers_file_carries_contact_person_phone_and_email(tmp_path, ext):
    head = [*CUST_HEAD, "contact_person", "phone", "email"]
    rows = [
        [*CUST_ROW, "王丽", "021-64041990-808", "wangli@zs-hospital.sh.example"],
        [*with_(CUST_ROW, CUST_HEAD, customer="1002"), "", 13900001111, ""],  # Excel: a number
    ]
    inputs(tmp_path, ext)
    frames, errors = read_inputs(write(tmp_path / f"customers{ext}", head, rows).parent)
    assert len(errors) == 0
    cu = frames["customers"].set_index("customer")[["contact_person", "phone", "email"]]
    assert cu.loc["0000001001"].tolist() == [
        "王丽",
        "021-64041990-808",
        "wangli@zs-hospital.sh.example",
    ]
    assert cu.loc["0000001002"].tolist() == ["", "13900001111", ""]
    # without the columns (an older file) they are blank
    frames, _ = read_inputs(inputs(tmp_path, ext))
    assert (frames["customers"][["contact_person", "phone", "email"]] == "").all().all()
