"""Builders shared by the worksheet tests: a worklist from a few varied templates."""

from __future__ import annotations

import shutil
from datetime import date

import pandas as pd
import pytest

from arsync.common.frames import NEXT_ACTIONS, WORKLIST

AS_OF = date(2026, 11, 23)


def item(n: int, **over) -> dict:
    """Open item number ``n`` of collector C1; keyword arguments vary the template."""
    due = pd.Timestamp(AS_OF) - pd.Timedelta(days=(n * 17) % 200 - 30)
    finding = ("NO_PORTAL", "PAID_NOT_APPLIED", "IN_PROCESS", "REJECTED")[n % 4]
    row = dict(
        company_code="1000",
        fiscal_year="2026",
        document_no=f"{90000000 + n:010d}",
        line_item="001",
        customer=f"{100000 + n % 5:010d}",
        doc_type="RV",
        reference=f"2644200000{n:010d}",
        assignment=f"PO-{n}",
        document_date=due - pd.Timedelta(days=60),
        posting_date=due - pd.Timedelta(days=60),
        baseline_date=due - pd.Timedelta(days=60),
        due_date=due,
        amount=123456 + n,
        currency="CNY",
        local_amount=123456 + n,
        local_currency="CNY",
        dunning_level=0,
        dunning_block="",
        payment_block="",
        special_gl="",
        invoice_ref="",
        text="",
        customer_name=f"客户{n % 5}",
        segment="hospital",
        collector="C1",
        days_overdue=(pd.Timestamp(AS_OF) - due).days,
        aging_bucket="1-30",
        portal="",
        record_id="",
        status="",
        status_text="",
        status_date=pd.NaT,
        status_age_days=None,
        stuck=False,
        paid_date=pd.NaT,
        payment_ref="",
        portal_amount=None,
        match_rule="",
        match_confidence=0.0,
        finding=finding,
        next_action=NEXT_ACTIONS[finding],
        proposed_clearing="",
        reason="",
        expected_pay_date=pd.NaT,
        priority=1 + n % 3,
    )
    row.update(over)
    return row


def worklist(rows: list[dict]) -> pd.DataFrame:
    if not rows:
        return WORKLIST.empty()
    return WORKLIST.coerce(pd.DataFrame(rows))


def key(n: int) -> str:
    return f"1000|2026|{90000000 + n:010d}|001"


# --- reading and editing workbooks the way a collector (or Excel) would -------------------


def sheet(wb, role: str):
    """The sheet of ``role`` whatever the language of its name."""
    from arsync.reports.labels import role_of_sheet

    return next(ws for ws in wb.worksheets if role_of_sheet(ws.title) == role)


def columns(ws) -> dict[str, int]:
    """Field id → 1-based column, by header text (as the production reader finds them)."""
    from arsync.reports.labels import EXTRA, field_of

    out = {}
    for c, cell in enumerate(ws[1], 1):
        if cell.value is not None:
            out.setdefault(field_of(cell.value) or EXTRA + str(cell.value), c)
    return out


def row_of(ws, k: str) -> int:
    col = columns(ws)["_key"]
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, col).value == k:
            return r
    raise KeyError(k)


def edit(path, changes: dict[str, dict[str, object]], role: str = "open") -> None:
    """Type values into the rows of the given keys and save, as a collector would."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = sheet(wb, role)
    cols = columns(ws)
    for k, fields in changes.items():
        r = row_of(ws, k)
        for f, v in fields.items():
            ws.cell(r, cols[f]).value = v
    wb.save(path)


def calamine_rows(path, role: str) -> list[dict[str, object]]:
    """Rows of a sheet read with python-calamine, as dicts by field id (empty cells dropped)."""
    from python_calamine import CalamineWorkbook

    from arsync.reports.labels import EXTRA, field_of, role_of_sheet

    wb = CalamineWorkbook.from_path(str(path))
    name = next(n for n in wb.sheet_names if role_of_sheet(n) == role)
    data = wb.get_sheet_by_name(name).to_python()
    head = [field_of(h) or EXTRA + str(h) for h in data[0]]
    return [{h: v for h, v in zip(head, row) if v != ""} for row in data[1:]]


def entries(path, role: str = "open") -> dict[str, dict[str, object]]:
    """Collector entries (and added columns) by item key, read with calamine."""
    from arsync.reports.labels import CARRIED, EXTRA

    out = {}
    for row in calamine_rows(path, role):
        if "_key" in row:
            e = {f: v for f, v in row.items() if f in CARRIED or f.startswith(EXTRA)}
            if e:
                out[row["_key"]] = e
    return out


# --- LibreOffice: re-save a workbook as a person using it would -------------------------------

SOFFICE = shutil.which("soffice")
needs_office = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) not installed: apt-get install libreoffice-calc "
    "(./dev test installs it)",
)


def office_resave(path) -> None:
    """Open ``path`` in LibreOffice (headless) and save it back as .xlsx, in place: what a
    collector's office program does to the file (cached formula values, its own styles)."""
    import os
    import subprocess
    import tempfile
    from pathlib import Path

    path = Path(path)
    # one profile per test process: parallel workers must not share a LibreOffice instance
    profile = Path(tempfile.gettempdir()) / f"arsync-test-lo-{os.getpid()}"
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [
                SOFFICE,
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--convert-to",
                "xlsx:Calc MS Excel 2007 XML",
                "--outdir",
                out,
                str(path),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        saved = Path(out) / (path.stem + ".xlsx")
        path.write_bytes(saved.read_bytes())
