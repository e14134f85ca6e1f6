"""AR statements (对账单): built from the worklist, written as xlsx and PDF with an embedded CJK
font, numbered once and recorded with their lines; the customer's answer is recorded, a
disputed answer opens disputes on the lines in question; the nightly makes them by rule."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from arsync.common.errors import DataError
from arsync.common.money import to_major
from arsync.common.parse import parse_amount
from arsync.config import load_settings
from arsync.jobs.engine.priority import bucket_labels
from arsync.jobs.engine.reconcile import reconcile
from arsync.jobs.pipeline.dispute_book import register
from arsync.jobs.pipeline.history import contact_log
from arsync.jobs.pipeline.runstore import RunStore
from arsync.jobs.pipeline.statement_book import (
    chosen_customers,
    confirm,
    due_today,
    issue_statements,
    statements_of,
    write_statements,
)
from arsync.reports._layout import money_format
from arsync.reports._statement_pdf import capitals
from arsync.reports.statements import build_statements, statement_scopes
from arsync.sandbox.world import World
from arsync.sandbox.world_frames import world_frames

AS_OF = date(2026, 11, 23)


@pytest.fixture(scope="module")
def portfolio():
    f = world_frames(World.tiny(as_of=AS_OF))
    wl = reconcile(
        f["open_items"], f["cleared_items"], f["customers"], f["portal_records"], as_of=AS_OF
    )
    return wl, f["customers"]


def settings(**over):
    return load_settings(environ={}, overrides=over)


def pdf_text(path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(path).pages)


def biggest(wl) -> str:
    return wl[wl["company_code"] == "1000"].groupby("customer").size().idxmax()


def test_a_statement_pdf_and_xlsx_hold_the_customer_its_items_and_totals(portfolio, tmp_path):
    wl, customers = portfolio
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    who = biggest(wl)
    [st] = [
        s
        for s in issue_statements(
            store, wl, customers, settings=settings(), as_of=AS_OF, folder=tmp_path, only=[who]
        )
        if s.company_code == "1000"
    ]
    mine = wl[(wl["customer"] == who) & (wl["company_code"] == "1000")]
    name = mine["customer_name"].iloc[0]
    balance = int(mine["amount"].sum())
    assert st.totals == {"CNY": balance} and st.items == len(mine)

    text = pdf_text(st.pdf)
    assert name in text and st.number in text and "应收账款对账单" in text
    assert f"{to_major(balance, 'CNY'):,}" in text
    invoice = mine.loc[mine["amount"] > 0, "reference"].iloc[0]
    assert invoice in text
    assert "核对无误" in text and "数据不符" in text and "签字及公章" in text
    assert capitals(balance, "CNY") in text.replace("\n", "")
    # the CJK font is embedded (a subset), not expected from the reader's machine
    fonts = []
    for page in PdfReader(st.pdf).pages:
        for f in page["/Resources"]["/Font"].values():
            f = f.get_object()
            desc = f.get("/FontDescriptor")
            fonts.append(
                (str(f["/BaseFont"]), desc is not None and "/FontFile2" in desc.get_object())
            )
    assert any("WenQuanYi" in n and embedded for n, embedded in fonts), fonts

    wb = openpyxl.load_workbook(st.xlsx)
    cells = [c.value for row in wb.active.iter_rows() for c in row if c.value is not None]
    assert name in cells and st.number in cells and invoice in cells
    amounts = [v for v in cells if isinstance(v, (int, float))]
    assert float(to_major(balance, "CNY")) in amounts


def test_worker_processes_draw_the_same_statements_as_the_job_itself(portfolio, tmp_path):
    wl, customers = portfolio
    scopes = statement_scopes(wl)[:3]
    s = settings()
    sts = list(
        build_statements(
            wl,
            customers,
            scopes,
            {sc: f"T{i}" for i, sc in enumerate(scopes)},
            as_of=AS_OF,
            company=s.company,
            settings=s.statements,
            language="both",
            buckets=bucket_labels(s.reconcile.aging_limits),
        )
    )
    alone = list(write_statements(sts, tmp_path / "alone", workers=1))
    pooled = list(write_statements(sts, tmp_path / "pool", workers=2, pool_from=2))
    assert [st.number for st, _ in pooled] == [st.number for st, _ in alone] == ["T0", "T1", "T2"]
    for (_, (xa, pa)), (_, (xp, pp)) in zip(alone, pooled):
        assert xp.parent.name == "pool" and pdf_text(pp) == pdf_text(pa)
        rows_a = [[c.value for c in r] for r in openpyxl.load_workbook(xa).active.iter_rows()]
        rows_p = [[c.value for c in r] for r in openpyxl.load_workbook(xp).active.iter_rows()]
        assert rows_p == rows_a
    # every cell of an item line is boxed, the amounts in the currency's format
    ws = openpyxl.load_workbook(alone[0][1][0]).active
    first = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == 1)
    for r in (first, first + 1):
        assert all(ws.cell(r, c).border.left.style == "thin" for c in range(1, 9))
        assert ws.cell(r, 5).number_format == money_format("CNY")


def test_statement_languages(portfolio, tmp_path):
    wl, customers = portfolio
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    who = biggest(wl)
    for lang, title, no in (
        ("en", "Statement of Account", "应收账款"),
        ("zh", "应收账款对账单", "Statement of"),
    ):
        [st, *_] = issue_statements(
            store,
            wl,
            customers,
            settings=settings(),
            as_of=AS_OF,
            folder=tmp_path / lang,
            only=[who],
            language=lang,
        )
        text = pdf_text(st.pdf)
        assert title in text and no not in text


def test_numbers_are_unique_sequential_and_recorded_with_their_lines(portfolio, tmp_path):
    wl, customers = portfolio
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    s = settings()
    first = issue_statements(store, wl, customers, settings=s, as_of=AS_OF, folder=tmp_path / "a")
    numbers = [i.number for i in first]
    assert len(set(numbers)) == len(numbers) == len(set(zip(wl["customer"], wl["company_code"])))
    assert numbers == [f"DZD2026{n:06d}" for n in range(1, len(numbers) + 1)]
    assert all(i.new for i in first)
    recorded = statements_of(store)
    assert set(recorded["statement_no"]) == set(numbers)
    import sqlalchemy as sa

    from arsync.jobs.pipeline.daytables import statement_lines

    with store.engine.connect() as c:
        lines = pd.DataFrame(c.execute(sa.select(statement_lines)).mappings().all())
    per = lines.groupby("statement_no")["amount"].sum()
    for it in first:
        assert per[it.number] == sum(it.totals.values())
    assert len(lines) == len(wl)  # every open item, once
    log = contact_log(store, customer=first[0].customer)
    assert "statement_issued" in set(log["field"])


def test_the_same_statement_asked_for_again_is_not_issued_twice(portfolio, tmp_path):
    wl, customers = portfolio
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    s = settings()
    who = biggest(wl)
    first = issue_statements(store, wl, customers, settings=s, as_of=AS_OF, folder=tmp_path / "a")
    # the collector looks again (another folder, another language): the same numbers, nothing new
    again = issue_statements(
        store, wl, customers, settings=s, as_of=AS_OF, folder=tmp_path / "b", language="en"
    )
    assert [i.number for i in again] == [i.number for i in first]
    assert not any(i.new for i in again)
    assert all(i.pdf.parent == tmp_path / "b" and i.pdf.exists() for i in again)
    assert len(statements_of(store)) == len(first)
    issued_log = contact_log(store, customer=who).query("field == 'statement_issued'")
    assert len(issued_log) == len([i for i in first if i.customer == who])
    # what changed is a new statement: one item of the customer paid; a later as-of date too
    paid = wl.index[wl["customer"] == who][0]
    changed = issue_statements(
        store, wl.drop(paid), customers, settings=s, as_of=AS_OF, folder=tmp_path / "c"
    )
    new = [i for i in changed if i.new]
    assert [(i.customer, i.company_code) for i in new] == [(who, wl.loc[paid, "company_code"])]
    assert new[0].number == f"DZD2026{len(first) + 1:06d}"
    later = issue_statements(
        store,
        wl,
        customers,
        settings=s,
        as_of=AS_OF + timedelta(days=1),
        folder=tmp_path / "d",
        only=[who],
    )
    assert all(i.new for i in later)
    assert len(set(statements_of(store)["statement_no"])) == len(first) + 1 + len(later)


def test_a_disputed_answer_opens_disputes_and_keeps_the_signed_file(portfolio, tmp_path):
    wl, customers = portfolio
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    s = settings()
    who = biggest(wl)
    issued = issue_statements(
        store, wl, customers, settings=s, as_of=AS_OF, folder=tmp_path, only=[who]
    )
    st = next(i for i in issued if i.company_code == "1000")
    invoices = wl.loc[
        (wl["customer"] == who) & (wl["company_code"] == "1000") & (wl["amount"] > 0), "reference"
    ]
    signed = tmp_path / "scan.PDF"
    signed.write_bytes(b"%PDF-1.4 signed")
    with pytest.raises(DataError, match="holds no line 999"):
        confirm(store, who, st.number, "disputed", as_of=AS_OF, settings=s, lines=["999"])
    with pytest.raises(DataError, match="not 0000999999's"):
        confirm(store, "0000999999", st.number, "confirmed", as_of=AS_OF, settings=s)
    opened = confirm(
        store,
        who,
        st.number,
        "disputed",
        as_of=AS_OF + timedelta(days=3),
        settings=s,
        note="两张发票金额不符",
        signed_file=signed,
        lines=list(invoices.iloc[:2]),
        reason="价格不符",
    )
    assert len(opened) == 2
    reg = register(store).set_index("dispute_id")
    assert set(reg.loc[opened, "source"]) == {"statement"}
    assert set(reg.loc[opened, "statement_no"]) == {st.number}
    assert set(reg.loc[opened, "reason_code"]) == {"price"}
    row = statements_of(store).set_index("statement_no").loc[st.number]
    assert row["status"] == "disputed" and row["answered_on"] == AS_OF + timedelta(days=3)
    assert row["signed_file"].endswith(f"{st.number}.signed.pdf")
    assert (st.pdf.parent / f"{st.number}.signed.pdf").read_bytes() == b"%PDF-1.4 signed"


def test_the_nightly_rule(portfolio, tmp_path):
    wl, customers = portfolio
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    assert due_today(store, AS_OF, "monthly") and due_today(store, AS_OF, "weekly")
    assert not due_today(store, AS_OF, "never") and due_today(store, AS_OF, "daily")
    late = chosen_customers(wl, "overdue", 1)
    assert late == sorted(set(wl.loc[(wl["amount"] > 0) & (wl["days_overdue"] >= 1), "customer"]))
    assert set(late) < set(chosen_customers(wl, "open", 1)) or set(late) == set(wl["customer"])
    issue_statements(
        store,
        wl,
        customers,
        settings=settings(),
        as_of=AS_OF,
        folder=tmp_path,
        only=late[:1],
        run_id="r1",
    )
    assert not due_today(store, AS_OF + timedelta(days=2), "weekly")  # same ISO week
    assert due_today(store, AS_OF + timedelta(days=7), "weekly")
    assert not due_today(store, AS_OF + timedelta(days=7), "monthly")  # same month
    assert due_today(store, date(2026, 12, 1), "monthly")


def test_the_nightly_stage_counts_statements_and_customers_alike_in_progress_and_summary(
    portfolio, tmp_path
):
    """51/51 beside customers=50 was a customer of two company codes: the progress says so."""
    from types import SimpleNamespace

    from arsync.jobs.pipeline.day_stages import statements_stage

    wl, customers = portfolio
    lines: list[str] = []
    ctx = SimpleNamespace(
        settings=settings(**{"statements.nightly": "daily"}),
        scope=SimpleNamespace(narrowed=False),
        store=RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}"),
        as_of=AS_OF,
        frames={"worklist": wl, "customers": customers},
        folder=tmp_path / "run",
        echo=lines.append,
        run_id="r1",
        summary={},
    )
    counts, status = statements_stage(ctx)
    late = wl[wl["customer"].isin(chosen_customers(wl, "overdue", 1))]
    n, m = len(late[["customer", "company_code"]].drop_duplicates()), late["customer"].nunique()
    assert n > m  # a customer of two company codes gets two statements
    assert status == "ok" and counts == {"statements": n, "customers": m}
    assert lines[-1] == f"  statements: {n}/{n} (one per customer and company code, {m} customers)"
    # the stage again (a resumed run): the same statements, none issued twice
    counts, _ = statements_stage(ctx)
    assert counts == {"statements": 0, "customers": m, "issued_before": n}


@pytest.mark.parametrize(
    ("minor", "words"),
    [
        (123456, "人民币壹仟贰佰叁拾肆元伍角陆分"),
        (10000000, "人民币壹拾万元整"),
        (-5, "负人民币伍分"),
        (0, "人民币零元整"),
    ],
)
def test_amounts_in_chinese_capitals_read_back_to_the_same_amount(minor, words):
    assert capitals(minor, "CNY") == words
    if minor > 0:
        assert parse_amount(words) == Decimal(minor).scaleb(-2)
    assert capitals(minor, "JPY") == ""


def test_a_statement_workbook_keeps_text_as_text_dates_as_dates_on_one_a4_page_width(
    portfolio, tmp_path
):
    """What a customer checks against their ledger: an invoice number or a name that looks
    like a formula stays text, dates are dates, amounts are numbers; the sheet prints on A4,
    fit to the page's width, without gridlines."""
    import dataclasses

    from arsync.reports._statement_xlsx import statement_xlsx

    wl, customers = portfolio
    s = settings()
    scope = statement_scopes(wl)[0]
    [st] = build_statements(
        wl,
        customers,
        [scope],
        {scope: "T1"},
        as_of=AS_OF,
        company=s.company,
        settings=s.statements,
        language="zh",
        buckets=bucket_labels(s.reconcile.aging_limits),
    )
    first = dataclasses.replace(st.items[0], reference="=1+1")
    st = dataclasses.replace(st, customer_name='=HYPERLINK("http://x")', items=(first,))
    path = tmp_path / "st.xlsx"
    path.write_bytes(statement_xlsx(st))
    ws = openpyxl.load_workbook(path).active
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value is not None}
    for text in ("=1+1", '=HYPERLINK("http://x")'):
        assert cells[text].data_type == "s", text
    assert cells["=1+1"].number_format == "@"
    line = cells["=1+1"].row
    assert ws.cell(line, 3).value.date() == first.document_date
    assert ws.cell(line, 5).value == float(to_major(first.amount, first.currency))
    assert ws.page_setup.paperSize == 9 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.sheet_view.showGridLines is False
    number_row = cells["T1"].row
    assert f"C{number_row}:H{number_row}" in {str(m) for m in ws.merged_cells.ranges}
