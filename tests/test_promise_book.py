"""Promises and disputes kept in the run store across runs: a new date is a new promise one level
up, an emptied cell withdraws it, unreadable cells are reported; disputes open, take their
reason from the closed list, are withdrawn or resolved by the clearing."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from arsync.common.frames import CLEARED_ITEMS, OPEN_ITEMS, WORKLIST
from arsync.config import load_settings
from arsync.jobs.pipeline.dispute_book import is_flagged, reason_of, register, sync_disputes
from arsync.jobs.pipeline.promise_book import item_facts, judge_promises
from arsync.jobs.pipeline.runstore import RunStore
from test_promises_rule import _item

DAY = date(2026, 11, 23)
K1, K2 = "1000|2026|0090000001|001", "1000|2026|0090000002|001"
ONE = timedelta(days=1)
REASONS = load_settings(environ={}).disputes.reasons


def entries(*rows):
    return pd.DataFrame(
        [("C1", k, "0000100001", f, v) for k, f, v in rows],
        columns=["collector", "item_key", "customer", "field", "value"],
    )


def frames(cleared_docs=(), cleared_on=DAY + timedelta(days=2)):
    items = [_item("0090000001", 100_000), _item("0090000002", 50_000)]
    open_items = OPEN_ITEMS.coerce(
        pd.DataFrame([i for i in items if i["document_no"] not in cleared_docs])
    )
    cl = [
        {**i, "clearing_date": cleared_on, "clearing_doc": "1400000001"}
        for i in items
        if i["document_no"] in cleared_docs
    ]
    cleared = CLEARED_ITEMS.coerce(pd.DataFrame(cl)) if cl else CLEARED_ITEMS.empty()
    return open_items, cleared


def judge_at(store, e, day, run_id, cleared_docs=(), cleared_on=DAY):
    oi, ci = frames(cleared_docs, cleared_on)
    store.start_run(run_id, "nightly", day, {}, "/x")
    book = judge_promises(
        store,
        e,
        ["C1"],
        open_items=oi,
        cleared_items=ci,
        worklist=WORKLIST.empty(),
        as_of=day,
        run_id=run_id,
    )
    store.finish_run(run_id, "ok")
    return book


def test_a_promise_lives_is_replaced_one_level_up_and_withdrawn(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    e = entries((K1, "promise_date", "2026-11-25"), (K2, "promise_date", "2026-12-20"))
    book = judge_at(store, e, DAY, "r1")
    assert book.new == 2 and set(book.promises["state"]) == {"open"}
    p = book.promises.set_index("item_key")
    assert p.loc[K1, "promised_amount"] == 100_000 and not p.loc[K1, "amount_typed"]

    # a week later: K1 broken; the collector then types a new date for it
    later = DAY + timedelta(days=7)
    book = judge_at(store, e, later, "r2")
    assert book.new == 0
    assert book.promises.set_index("item_key").loc[K1, "state"] == "broken"
    e2 = entries((K1, "promise_date", "2026-12-05"), (K1, "promise_amount", "800"))
    book = judge_at(store, e2, later + timedelta(days=1), "r3")
    p = book.promises.set_index("item_key")
    assert list(p.index) == [K1]  # K2's promise date was emptied: withdrawn
    assert (p.loc[K1, "level"], p.loc[K1, "promised_amount"], p.loc[K1, "state"]) == (
        2,
        80_000,
        "open",
    )

    # paid and cleared before the new date: kept (made on r2's as-of date, DAY + 7)
    book = judge_at(
        store, e2, DAY + 12 * ONE, "r4", cleared_docs=("0090000001",), cleared_on=DAY + 10 * ONE
    )
    assert book.promises.set_index("item_key").loc[K1, "state"] == "kept"


def test_money_paid_before_a_promise_was_made_does_not_keep_it(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    judge_at(store, entries(), DAY, "r0")
    e = entries((K1, "promise_date", "2026-11-30"), (K1, "promise_amount", "1000"))
    book = judge_at(store, e, DAY + 11 * ONE, "r1", ("0090000001",), cleared_on=DAY - ONE)
    assert book.promises.set_index("item_key").loc[K1, "state"] == "broken"


def test_unreadable_promise_cells_are_reported_not_guessed(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    e = entries(
        (K1, "promise_date", "下周五"),
        (K2, "promise_date", "2026-12-01"),
        (K2, "promise_amount", "一万"),
    )
    book = judge_at(store, e, DAY, "r1")
    assert book.promises.empty
    assert set(book.problems["field"]) == {"promise_date", "promise_amount"}
    assert "下周五" in book.problems.set_index("item_key").loc[K1, "problem"]


def test_reason_codes_from_the_closed_list_in_either_language():
    assert reason_of("价格不符", REASONS) == "price"
    assert reason_of("Price", REASONS) == "price"
    assert reason_of("价格不符，合同价九折", REASONS) == "price"
    assert reason_of("goods not received - still at the dock", REASONS) == "not_received"
    assert reason_of("预算未下达 Budget not yet released", REASONS) == "budget"
    assert reason_of("pricey", REASONS) == "other"
    assert reason_of("客户说抬头错", REASONS) == "other"
    assert is_flagged("是 yes", "") and is_flagged("", "价格不符") and not is_flagged("否 no", "x")


def test_disputes_open_withdraw_and_close_with_the_clearing(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")

    def sync(e, day, cleared_docs=()):
        oi, ci = frames(cleared_docs)
        return sync_disputes(
            store,
            e,
            ["C1"],
            facts=item_facts(oi, ci),
            cleared_items=ci,
            as_of=day,
            run_id=None,
            reasons=REASONS,
        )

    e = entries(
        (K1, "dispute", "是 yes"), (K1, "dispute_reason", "数量不符"), (K2, "dispute", "yes")
    )
    book = sync(e, DAY)
    assert book.opened == 2
    reg = register(store).set_index("item_key")
    assert reg.loc[K1, "reason_code"] == "quantity" and reg.loc[K2, "reason_code"] == "other"
    assert reg.loc[K1, "owner"] == "C1" and reg.loc[K1, "amount"] == 100_000

    # K2: the mark is taken off → withdrawn; K1 cleared in SAP → paid
    book = sync(entries((K1, "dispute", "是 yes")), DAY + timedelta(days=3), ("0090000001",))
    assert book.resolved == 2 and book.open_disputes.empty
    done = register(store, include_resolved=True).set_index("item_key")
    assert done.loc[K1, "resolution"] == "paid" and done.loc[K2, "resolution"] == "withdrawn"


def test_a_promise_amount_typed_as_a_formula_on_its_own_row_is_computed(tmp_path):
    """`=J5*0.5` typed as the promise amount (kept as `=⟦amount⟧*0.5`, moving with its row):
    half the item's amount.  A formula arsync cannot compute is reported as the collector reads
    it, never in the worksheet's internal template form."""
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    e = entries(
        (K1, "promise_date", "2026-12-05"),
        (K1, "promise_amount", "=⟦amount⟧*0.5"),
        (K2, "promise_date", "2026-12-05"),
        (K2, "promise_amount", "=ROUND(⟦amount⟧/3,2)"),
    )
    book = judge_at(store, e, DAY, "r1")
    p = book.promises.set_index("item_key")
    assert list(p.index) == [K1]
    assert p.loc[K1, "promised_amount"] == 50_000 and p.loc[K1, "amount_typed"]
    problem = book.problems.set_index("item_key").loc[K2, "problem"]
    assert "=ROUND([amount]/3,2)" in problem and "⟦" not in problem

    # a third of 500.00 is 166.666…: rounded to the cent as the worksheet shows it
    e = entries((K2, "promise_date", "2026-12-05"), (K2, "promise_amount", "=⟦amount⟧/3"))
    book = judge_at(store, e, DAY, "r2")
    assert book.promises.set_index("item_key").loc[K2, "promised_amount"] == 16_667
