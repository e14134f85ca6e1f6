"""Contact history: what collectors type is read back from their workbooks and recorded as
dated changes — new, edited, cleared — and an unchanged value is never recorded twice."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from arsync.jobs.pipeline.history import contact_log, record_entries, record_event
from arsync.jobs.pipeline.runstore import RunStore
from arsync.reports.entries import read_all_entries
from arsync.reports.worksheets import refresh_worksheets
from test_worksheets_build import AS_OF, edit, item, key, worklist


def refresh(rows, out, as_of=AS_OF):
    return refresh_worksheets(worklist(rows), out, as_of=as_of)


def record(store, out, run_id, as_of):
    entries, read = read_all_entries(out)
    return record_entries(store, entries, read, run_id=run_id, as_of=as_of)


def test_entries_become_history_once_edits_and_clears_are_new_rows(tmp_path):
    out = tmp_path / "ws"
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    rows = [item(i) for i in range(4)]
    [res] = refresh(rows, out)
    edit(
        res.path,
        {
            key(1): {
                "contact_date": date(2026, 11, 23),
                "contact_method": "电话 phone",
                "promise_date": date(2026, 12, 5),
                "promise_amount": 1500.5,
                "notes": "王老师说财务处下周付款",
            },
            key(2): {"dispute": "是 yes", "dispute_reason": "价格不符"},
        },
    )
    first = record(store, out, "r1", AS_OF)
    assert set(first["change"]) == {"new"} and len(first) == 7
    got = {(r.item_key, r.field): r.value for r in first.itertuples()}
    assert got[key(1), "promise_date"] == "2026-12-05"
    assert got[key(1), "promise_amount"] == "1500.5"
    assert got[key(2), "dispute_reason"] == "价格不符"
    customer_of = {key(i): r["customer"] for i, r in enumerate(rows)}
    assert all(r.customer == customer_of[r.item_key] for r in first.itertuples())

    # nothing typed since: nothing recorded, even after a refresh
    refresh(rows, out)
    assert record(store, out, "r2", AS_OF + timedelta(days=1)).empty

    # an edit and a cleared cell
    edit(res.path, {key(1): {"promise_date": date(2026, 12, 12), "notes": None}})
    later = record(store, out, "r3", AS_OF + timedelta(days=7))
    changes = {(r.field, r.change, r.previous, r.value) for r in later.itertuples()}
    assert changes == {
        ("promise_date", "edit", "2026-12-05", "2026-12-12"),
        ("notes", "cleared", "王老师说财务处下周付款", None),
    }
    assert set(later["run_id"]) == {"r3"} and set(later["as_of"]) == {AS_OF + timedelta(days=7)}

    log = contact_log(store, item_key=key(1))
    assert list(log["field"]).count("promise_date") == 2
    assert log["entry_id"].is_monotonic_increasing


def test_a_closed_item_keeps_its_history_and_its_customer(tmp_path):
    out = tmp_path / "ws"
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    rows = [item(i) for i in range(3)]
    [res] = refresh(rows, out)
    edit(res.path, {key(0): {"notes": "已开红字发票"}})
    record(store, out, "r1", AS_OF)
    refresh(rows[1:], out)  # item 0 left the open list: moved to Closed with its notes
    assert record(store, out, "r2", AS_OF + timedelta(days=1)).empty
    customer = rows[0]["customer"]
    record_event(
        store,
        collector="C1",
        customer=customer,
        field="statement_issued",
        value="DZD2026000001",
        source="statement",
        as_of=AS_OF,
    )
    log = contact_log(store, customer=customer)
    assert list(log["field"]) == ["notes", "statement_issued"]
    assert list(log["change"]) == ["new", "event"]


def test_amount_typed_as_a_whole_number_reads_without_a_decimal_point(tmp_path):
    out = tmp_path / "ws"
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    [res] = refresh([item(0)], out)
    edit(res.path, {key(0): {"promise_amount": 2000.0, "promise_date": "2026年12月5日"}})
    got = {r.field: r.value for r in record(store, out, "r1", AS_OF).itertuples()}
    # a date typed as text is read as the date it names (the worksheet's reading of a date column)
    assert got == {"promise_amount": "2000", "promise_date": "2026-12-05"}
    assert Decimal(got["promise_amount"]) == 2000
