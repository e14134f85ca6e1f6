"""Export files as people and Excel really make them (issue 8.5–8.10, issue 10.9–10.10): every
problem is a cell with its file, row and column, and says what became of its row."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from arsync.common.errors import DataError
from arsync.connectors.files.read import bad_rows, read_inputs
from arsync.jobs.engine.reconcile import reconcile

AS_OF = dt.date(2026, 11, 23)
OPEN = {
    "company_code": "1000",
    "fiscal_year": "2026",
    "document_no": "90000001",
    "line_item": "1",
    "customer": "1001",
    "reference": "24312000000000000001",
    "assignment": "PO-1",
    "document_date": "2026-09-01",
    "due_date": "2026-10-01",
    "amount": "1234.56",
    "currency": "CNY",
}
CUST = {"customer": "1001", "name": "上海市某某医院", "collector": "C1", "portals": "hosp-sh"}
REC = {
    "portal": "hosp-sh",
    "record_id": "1800000000000000123",
    "customer": "1001",
    "invoice_no": "24312000000000000001",
    "amount": "1234.56",
    "status": "UNDER_REVIEW",
    "status_date": "2026-09-05",
}


def write(path: Path, rows: list[dict], delimiter: str = ",") -> Path:
    head = list(dict.fromkeys(k for r in rows for k in r))
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, delimiter=delimiter)
            w.writerow(head)
            w.writerows([[r.get(h, "") for h in head] for r in rows])
    else:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(head)
        for r in rows:
            ws.append([r.get(h) for h in head])
        wb.save(path)
    return path


def folder(d: Path, opens=(OPEN,), custs=(CUST,), recs=(REC,), ext=".csv") -> Path:
    write(d / f"open_items{ext}", list(opens))
    write(d / f"customers{ext}", list(custs))
    write(d / f"portal_records{ext}", list(recs))
    return d


def problems(errors: pd.DataFrame) -> list[tuple]:
    return list(errors[["file", "row", "column", "outcome"]].itertuples(index=False, name=None))


# --- 8.5: Excel's scientific notation in an ID cell ------------------------------------------


def test_an_invoice_number_in_scientific_notation_is_a_bad_cell_and_the_record_still_matches(
    tmp_path,
):
    rec = {**REC, "invoice_no": "2.4312E+19"}
    frames, errors = read_inputs(folder(tmp_path, recs=[rec]))
    assert problems(errors) == [("portal_records.csv", 2, "invoice_no", "kept")]
    assert "scientific notation" in errors.problem[0] and errors.value[0] == "2.4312E+19"
    pr = frames["portal_records"]
    assert list(pr.invoice_no) == [""] and len(pr) == 1
    wl = reconcile(
        *(frames[k] for k in ("open_items", "cleared_items", "customers")), pr, as_of=AS_OF
    )
    # no number left to match by: the amount rule finds it, not NOT_SUBMITTED
    assert (wl.finding[0], wl.match_rule[0]) == ("IN_PROCESS", "amount_date")


def test_a_float_where_an_id_belongs_in_a_workbook_is_a_bad_cell(tmp_path):
    opens = [{**OPEN, "reference": 2.4312e19, "assignment": 12.5}]
    frames, errors = read_inputs(folder(tmp_path, opens=opens, ext=".xlsx"))
    assert problems(errors) == [
        ("open_items.xlsx", 2, "assignment", "kept"),
        ("open_items.xlsx", 2, "reference", "kept"),
    ]
    assert list(frames["open_items"][["reference", "assignment"]].iloc[0]) == ["", ""]


# --- 8.6: list cells typed with a Chinese input method ----------------------------------------


@pytest.mark.parametrize("sep", ["，", "；", "、", ", ", ";"])
def test_full_width_separators_split_lists(tmp_path, sep):
    cust = {**CUST, "portals": f"hosp-sh{sep}gov-gd"}
    two = {**OPEN, "document_no": "90000002", "reference": "24312000000000000002"}
    rec = {
        **REC,
        "invoice_no": f"24312000000000000001{sep}24312000000000000002",
        "amount": "2469.12",
    }
    frames, errors = read_inputs(folder(tmp_path, opens=[OPEN, two], custs=[cust], recs=[rec]))
    assert len(errors) == 0
    assert frames["customers"].portals[0] == "hosp-sh;gov-gd"
    wl = reconcile(
        *(frames[k] for k in ("open_items", "cleared_items", "customers", "portal_records")),
        as_of=AS_OF,
    )
    assert list(wl.match_rule) == ["invoice_no", "invoice_no"]
    assert list(wl.portal_amount) == [123456, 123456]


# --- 8.7: FBL5N as people export it -------------------------------------------------------------

FBL5N_LC = [
    "Account",
    "Company Code",
    "Document Number",
    "Net due date",
    "Amount in local currency",
    "Local Currency",
]


def fbl5n(d: Path, head: list[str], rows: list[list], *, name="fbl5n.csv", delimiter=",") -> Path:
    with (d / name).open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(head)
        w.writerows(rows)
    write(d / "customers.csv", [CUST])
    write(d / "portal_records.csv", [REC])
    return d


def test_fbl5n_with_only_the_local_currency_amount(tmp_path):
    rows = [["1001", "1000", "90000001", "01.10.2026", "1.234,56", "CNY"]]
    frames, errors = read_inputs(fbl5n(tmp_path, FBL5N_LC, rows))
    assert len(errors) == 0
    oi = frames["open_items"].iloc[0]
    assert (oi.amount, oi.currency, oi.local_amount, oi.local_currency) == (
        123456,
        "CNY",
        123456,
        "CNY",
    )


def test_fbl5n_in_decimal_comma_notation_with_a_currency_without_decimals(tmp_path):
    rows = [
        ["1001", "3000", "90000001", "01.10.2026", "1.234", "JPY"],
        ["1001", "1000", "90000002", "01.10.2026", "1.234.567,89", "CNY"],
        ["1001", "1000", "90000003", "01.10.2026", "500,00-", "CNY"],
    ]
    frames, errors = read_inputs(fbl5n(tmp_path, FBL5N_LC, rows))
    assert len(errors) == 0
    assert list(frames["open_items"].amount) == [1234, 123456789, -50000]  # 1.234 JPY is 1234


def test_fbl5n_subtotal_and_total_lines_are_skipped(tmp_path):
    head = ["", *FBL5N_LC]
    rows = [
        ["", "1001", "1000", "90000001", "01.10.2026", "1.234,56", "CNY"],
        ["*", "1001", "", "", "", "1.234,56", "CNY"],
        ["**", "", "", "", "", "1.234,56", "CNY"],
    ]
    frames, errors = read_inputs(fbl5n(tmp_path, head, rows))
    assert len(errors) == 0 and list(frames["open_items"].document_no) == ["0090000001"]


@pytest.mark.parametrize(
    "head, said",
    [
        (
            ["Account", "Document Number", "Amount in doc. curr.", "Document currency"],
            "Company Code, Net due date",
        ),
        (
            ["Konto", "Belegnummer", "Betrag in Belegwährung", "Belegwährung"],
            "Buchungskreis, Nettofälligkeit",
        ),
        (["客户", "凭证编号", "凭证货币金额", "凭证货币"], "公司代码, 净到期日"),
    ],
)
def test_fbl5n_missing_columns_are_named_in_fbl5ns_own_words(tmp_path, head, said):
    fbl5n(tmp_path, head, [["1001", "90000001", "1.00", "CNY"]])
    with pytest.raises(DataError, match=rf"fbl5n.csv: the FBL5N export lacks {said} \("):
        read_inputs(tmp_path)


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_semicolon_and_tab_separated_files_are_read(tmp_path, delimiter):
    rows = [["1001", "1000", "90000001", "01.10.2026", "1.234,56", "CNY"]]
    frames, errors = read_inputs(fbl5n(tmp_path, FBL5N_LC, rows, delimiter=delimiter))
    assert len(errors) == 0 and list(frames["open_items"].amount) == [123456]
    write(tmp_path / "customers.csv", [CUST], delimiter=delimiter)
    assert read_inputs(tmp_path)[0]["customers"].name[0] == "上海市某某医院"


def test_an_unrecognised_delimiter_is_said(tmp_path):
    fbl5n(
        tmp_path,
        FBL5N_LC,
        [["1001", "1000", "90000001", "01.10.2026", "1,00", "CNY"]],
        delimiter="#",
    )
    with pytest.raises(DataError, match=r"fbl5n\.csv: the delimiter was not recognised"):
        read_inputs(tmp_path)


# --- 8.8: more decimals than the currency has -----------------------------------------------


@pytest.mark.parametrize("amount, cur", [("1.234", "CNY"), ("120.5", "JPY"), ("43708.005", "CNY")])
def test_more_decimals_than_the_currency_has_is_a_bad_cell(tmp_path, amount, cur):
    frames, errors = read_inputs(
        folder(tmp_path, opens=[{**OPEN, "amount": amount, "currency": cur}])
    )
    assert problems(errors) == [("open_items.csv", 2, "amount", "left out")]
    assert "never rounded" in errors.problem[0] and len(frames["open_items"]) == 0


# --- 8.9: the summary counts rows -------------------------------------------------------------


def test_bad_rows_counts_rows_not_cells(tmp_path):
    bad = {**OPEN, "amount": "x", "due_date": "y"}
    _, errors = read_inputs(
        folder(tmp_path, opens=[bad, {**OPEN, "document_no": "2", "amount": "z"}])
    )
    assert len(errors) == 3 and bad_rows(errors) == 2


# --- 8.10: identical duplicates (overlapping portal pages) ------------------------------------


def test_a_portal_export_listing_a_record_twice_counts_it_once(tmp_path):
    other = {**REC, "record_id": "1800000000000000124", "invoice_no": "1"}
    frames, errors = read_inputs(folder(tmp_path, recs=[REC, other, REC]))
    assert len(frames["portal_records"]) == 2
    assert list(zip(errors.row, errors.problem, errors.outcome)) == [
        (4, "identical to row 2: counted once", "merged")
    ]
    assert bad_rows(errors) == 0


# --- issue 10.9: extreme values are bad cells, never tracebacks --------------------------------


def test_an_amount_beyond_int64_is_a_bad_cell(tmp_path):
    _, errors = read_inputs(folder(tmp_path, opens=[{**OPEN, "amount": "99999999999999999999.99"}]))
    assert problems(errors) == [("open_items.csv", 2, "amount", "left out")]
    assert "too large" in errors.problem[0]


def test_a_date_after_2262_in_a_workbook_is_a_bad_cell(tmp_path):
    opens = [{**OPEN, "due_date": dt.date(2300, 1, 1)}]
    _, errors = read_inputs(folder(tmp_path, opens=opens, ext=".xlsx"))
    assert problems(errors) == [("open_items.xlsx", 2, "due_date", "left out")]
    assert "1677–2262" in errors.problem[0]


def test_a_csv_cell_over_131072_characters_is_a_bad_cell(tmp_path):
    huge = "发" * 200_000
    frames, errors = read_inputs(folder(tmp_path, opens=[{**OPEN, "text": huge}]))
    assert problems(errors) == [("open_items.csv", 2, "text", "kept")]
    assert "32,767" in errors.problem[0] and len(errors.value[0]) == 201
    assert len(frames["open_items"].text[0]) == 32_767


def test_a_nul_byte_in_a_text_cell_is_a_bad_cell_and_removed(tmp_path):
    frames, errors = read_inputs(folder(tmp_path, custs=[{**CUST, "name": "上海\x00某某医院"}]))
    assert problems(errors) == [("customers.csv", 2, "name", "kept")]
    assert errors.value[0] == "上海\ufffd某某医院"
    assert frames["customers"].name[0] == "上海某某医院"


# --- issue 10.10: nothing accepted in silence -------------------------------------------------


def test_open_items_of_a_customer_missing_from_customers_are_reported(tmp_path):
    stranger = {**OPEN, "document_no": "90000002", "customer": "4711"}
    frames, errors = read_inputs(folder(tmp_path, opens=[OPEN, stranger]))
    assert problems(errors) == [("open_items.csv", 3, "customer", "kept")]
    assert errors.problem[0] == "customer not in customers.csv: no name, collector or portal"
    assert len(frames["open_items"]) == 2


def test_extra_cells_in_a_row_are_reported(tmp_path):
    p = folder(tmp_path) / "customers.csv"
    text = p.read_text(encoding="utf-8").splitlines()
    p.write_text(text[0] + "\n" + text[1] + ",VIP,,x\n", encoding="utf-8")
    frames, errors = read_inputs(tmp_path)
    assert problems(errors) == [
        ("customers.csv", 2, "E", "kept"),
        ("customers.csv", 2, "G", "kept"),
    ]
    assert list(errors.value) == ["VIP", "x"] and len(frames["customers"]) == 1


def test_a_zero_amount_is_reported(tmp_path):
    frames, errors = read_inputs(folder(tmp_path, opens=[{**OPEN, "amount": "0.00"}]))
    assert problems(errors) == [("open_items.csv", 2, "amount", "kept")]
    assert errors.problem[0] == "zero amount: nothing is owed"
    assert len(frames["open_items"]) == 1


def test_a_currency_key_no_table_lists_is_read_with_two_decimals(tmp_path):
    """Issue 8.3: --from-files dropped RMB rows."""
    frames, errors = read_inputs(folder(tmp_path, opens=[{**OPEN, "currency": "RMB"}]))
    assert len(errors) == 0 and list(frames["open_items"].amount) == [123456]


# --- arsync's own CSV files read back unchanged (its CSV-injection escape taken off) ----------

PAYLOADS = ('=HYPERLINK("http://x","click")', "+1+1", "@SUM(1)", "-2+3", "-", "'=quoted")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_arsyncs_own_files_read_back_with_the_text_they_were_written_with(tmp_path, fmt):
    """The writer prefixes a CSV text cell starting with = + - @ with a quote (OWASP); read back
    from ``sap pull`` / ``portals fetch`` files, the quote is gone again: a status text ``-`` is
    ``-``, not ``'-``, and a name is the name SAP holds."""
    from arsync.reports.export import write_frames
    from arsync.sandbox.world import World
    from arsync.sandbox.world_frames import world_frames

    frames = world_frames(World.tiny(as_of=AS_OF))
    free = {
        "open_items": ["text", "dunning_block"],
        "customers": ["name", "city", "risk_class"],
        "portal_records": ["buyer", "status_text", "reason", "action_by"],
    }
    sent = {}
    for name, cols in free.items():
        df = frames[name].copy()
        for j, col in enumerate(cols):
            df[col] = [PAYLOADS[(i + j) % len(PAYLOADS)] for i in range(len(df))]
        sent[name] = df
    sent["cleared_items"] = frames["cleared_items"]
    write_frames(sent, tmp_path, fmt)
    if fmt == "csv":  # the escape is in the file: what a spreadsheet would otherwise evaluate
        assert "\"'=HYPERLINK(" in (tmp_path / "customers.csv").read_text(encoding="utf-8-sig")
    got, errors = read_inputs(tmp_path)
    assert len(errors.loc[errors.outcome.eq("left out")]) == 0
    for name, cols in free.items():
        assert len(got[name]) == len(sent[name])
        for col in cols:
            assert list(got[name][col]) == list(sent[name][col]), (name, col)


def test_a_quote_is_taken_off_only_before_a_formula_character(tmp_path):
    custs = [{**CUST, "name": "'上海市某某医院", "city": "'-"}]
    frames, _ = read_inputs(folder(tmp_path, custs=custs))
    assert list(frames["customers"][["name", "city"]].iloc[0]) == ["'上海市某某医院", "-"]
