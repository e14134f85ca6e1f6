"""Every file arsync writes keeps outside text as text: no formula, link or DDE payload comes alive.

Payloads (issue 10): ``=HYPERLINK(...)``, the DDE ``=cmd|' /C calc'!A0``, ``+1+1``, ``@SUM(1)``,
``-2+3``, a leading tab or CR, and an XML fragment aimed at the xlsx writer.  They go into every
text column of every frame arsync writes (``sap pull``, ``portals fetch``) and into every free
text field of a file run's inputs (``worklist.csv``, ``worklist.xlsx``, ``errors.csv``).
"""

from __future__ import annotations

import csv
import re
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from arsync.common.frames import CLEARED_ITEMS, CUSTOMERS, OPEN_ITEMS, PORTAL_RECORDS, WORKLIST
from arsync.common.schema import Schema
from arsync.common.sheet_text import TRIGGERS, csv_escape, csv_unescape
from arsync.connectors.portals.runner import PORTAL_OUTCOMES
from arsync.jobs.cli.main import cli
from arsync.reports.export import write_frames, write_run_outputs
from arsync.sandbox.world import World
from arsync.sandbox.world_frames import world_frames

AS_OF = date(2026, 11, 23)
XML = '<r><t>x</t></r></is></c><c r="A1"><f>HYPERLINK("http://x","y")</f></c><c><is><r><t>y</t></r>'
PAYLOADS = (
    '=HYPERLINK("http://x","click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "@SUM(1)",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
    XML,
)
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def formula_cells(path: Path) -> list[str]:
    """Cells a spreadsheet would evaluate: CSV fields that start with a trigger and are not a
    plain number; XLSX formula elements and formula-typed cells."""
    found = []
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for r, row in enumerate(csv.reader(fh), 1):
                for c, v in enumerate(row, 1):
                    if v.startswith(TRIGGERS) and not NUMBER.match(v):
                        found.append(f"{path.name} row {r} col {c}: {v!r}")
    else:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    xml = z.read(name).decode()
                    found += [f"{name}: {m}" for m in re.findall(r"<f[ >][^<]*", xml)]
                    found += [f"{name}: t=str" for _ in re.findall(r't="str"', xml)]
        wb = load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                found += [f"{ws.title}!{c.coordinate}" for c in row if c.data_type == "f"]
    return found


def csv_values(path: Path) -> set[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return {csv_unescape(v) for row in csv.reader(fh) for v in row}


def xlsx_values(path: Path) -> set[str]:
    """Cell values as Excel shows them (calamine undoes the ``_x000D_`` escapes; openpyxl not)."""
    book = CalamineWorkbook.from_path(str(path))
    return {
        v
        for name in book.sheet_names
        for row in book.get_sheet_by_name(name).to_python()
        for v in row
        if isinstance(v, str)
    }


def poisoned(schema: Schema, n: int = len(PAYLOADS)) -> pd.DataFrame:
    """``n`` rows with a payload in every text column (currencies stay ISO codes)."""
    rows = []
    for i in range(n):
        row = {}
        for col in schema.columns:
            if col.name.endswith("currency"):
                row[col.name] = "CNY"
            elif col.kind == "str":
                row[col.name] = PAYLOADS[(i + len(row)) % len(PAYLOADS)]
            elif col.kind in ("int", "int?"):
                row[col.name] = -123456 - i
            elif col.kind == "float":
                row[col.name] = -0.5
            elif col.kind in ("date", "datetime"):
                row[col.name] = pd.Timestamp("2026-11-23")
            else:
                row[col.name] = True
        rows.append(row)
    return schema.coerce(pd.DataFrame(rows))


SCHEMAS = [OPEN_ITEMS, CLEARED_ITEMS, CUSTOMERS, PORTAL_RECORDS, PORTAL_OUTCOMES, WORKLIST]


def test_the_escape_is_owasps_rule_and_reversible():
    for p in PAYLOADS[:7]:
        assert csv_escape(p) == "'" + p
        assert csv_unescape(csv_escape(p)) == p
    assert csv_escape("'=x") == "''=x" and csv_unescape("''=x") == "'=x"
    for harmless in ("客户 =1", "abc", "'quoted", "", "1234.56"):
        assert csv_escape(harmless) == harmless == csv_unescape(harmless)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_sap_pull_and_portal_fetch_files_keep_every_payload_as_text(tmp_path, fmt):
    frames = {s.name: poisoned(s) for s in SCHEMAS}
    paths = write_frames(frames, tmp_path, fmt)
    for name, path in paths.items():
        assert formula_cells(path) == [], name
        got = csv_values(path) if fmt == "csv" else xlsx_values(path)
        assert set(PAYLOADS) <= got, f"{name}: a payload was altered"


def test_numbers_stay_numbers_in_csv_and_xlsx(tmp_path):
    df = poisoned(OPEN_ITEMS, 1)
    csv_path = write_frames({"open_items": df}, tmp_path, "csv")["open_items"]
    with csv_path.open(encoding="utf-8-sig", newline="") as fh:
        # QUOTE_NONNUMERIC reads every unquoted field as a float, every quoted one as text
        head, row = list(csv.reader(fh, quoting=csv.QUOTE_NONNUMERIC))
    got = dict(zip(head, row))
    assert got["amount"] == -1234.56 and got["dunning_level"] == -123456
    assert {got[c] for c in ("text", "reference", "assignment")} <= {
        csv_escape(p) for p in PAYLOADS
    }
    assert got["document_date"] == "2026-11-23"
    xlsx = write_frames({"open_items": df}, tmp_path, "xlsx")["open_items"]
    ws = load_workbook(xlsx).active
    head = [c.value for c in ws[1]]
    amount = ws.cell(2, head.index("amount") + 1)
    assert amount.value == -1234.56 and amount.data_type == "n"
    assert amount.number_format == "#,##0.00"
    assert ws.cell(2, head.index("document_date") + 1).value.date() == date(2026, 11, 23)


@pytest.fixture(scope="module")
def poisoned_inputs(tmp_path_factory):
    """A file run's input files with payloads in every free text field, written as an attacker's
    export would be (raw, unescaped), and one bad amount cell that errors.csv echoes."""
    frames = world_frames(World.tiny(as_of=AS_OF))
    d = tmp_path_factory.mktemp("in")
    free = {
        "open_items": ["text", "assignment", "dunning_block", "payment_block"],
        "customers": ["name", "city", "tax_id", "risk_class"],
        "portal_records": ["buyer", "status_text", "reason", "payment_ref", "evidence"],
    }
    write_frames({"cleared_items": frames["cleared_items"]}, d, "csv")
    for name, cols in free.items():
        df = frames[name].copy()
        for j, col in enumerate(cols):
            df[col] = [PAYLOADS[(i + j) % len(PAYLOADS)] for i in range(len(df))]
        path = write_frames({name: df}, d, "csv")[name]
        rows = [
            [csv_unescape(v) for v in row] for row in csv.reader(path.open(encoding="utf-8-sig"))
        ]
        if name == "open_items":
            rows[2][rows[0].index("amount")] = "=1+1"
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
    return d


def test_a_file_run_writes_no_live_formula_anywhere(poisoned_inputs, tmp_path):
    out = tmp_path / "out"
    r = CliRunner().invoke(
        cli,
        [
            "reconcile",
            "--from-files",
            str(poisoned_inputs),
            "--out",
            str(out),
            "--as-of",
            "2026-11-23",
        ],
    )
    assert r.exit_code == 0, r.output
    files = sorted(out.glob("*.csv")) + sorted(out.glob("*.xlsx"))
    assert {p.name for p in files} == {"worklist.csv", "worklist.xlsx", "errors.csv"}
    for path in files:
        assert formula_cells(path) == [], path.name
    # the payloads are there, as the text they were (the input reader strips the white space
    # around a cell, so "\t=1+1" arrives as "=1+1"; a CSV cell "'=already quoted" is read as
    # the escape of "=already quoted", as the writer writes it)
    arrived = {csv_unescape(p.strip()) for p in PAYLOADS}
    assert arrived <= csv_values(out / "worklist.csv")
    assert arrived - {XML} <= xlsx_values(out / "worklist.xlsx")
    assert "=1+1" in csv_values(out / "errors.csv")


def test_run_outputs_are_all_or_none(tmp_path, monkeypatch):
    wl = poisoned(WORKLIST, 3)
    write_run_outputs(tmp_path, wl, None)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    from arsync.reports import worklist_book

    def broken(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(worklist_book, "write_worklist_xlsx", broken)
    with pytest.raises(OSError):
        write_run_outputs(tmp_path, wl.iloc[:1], None)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
