"""The collectors' activity in the supervisor report, from the collector's-day tables: contacts,
promises obtained and judged, disputes and their age, statements — counted by hand."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from arsync.jobs.pipeline.daytables import contact_history, disputes, promises, statements
from arsync.jobs.pipeline.runstore import RunStore
from arsync.jobs.pipeline.supervision_day import activity

START, END = date(2026, 11, 16), date(2026, 11, 23)


def _contact(
    collector, value, *, field="contact_date", change="new", source="worksheet", as_of=END
):
    return dict(
        run_id=None,
        as_of=as_of,
        recorded_at=datetime(2026, 11, 23),
        collector=collector,
        customer="K1",
        item_key="1000|2026|1|001",
        field=field,
        value=value,
        previous=None,
        change=change,
        source=source,
    )


def _promise(collector, made, due, state, amount, ended=None):
    return dict(
        item_key=f"1000|2026|{made}{due}|001",
        customer="K1",
        collector=collector,
        promised_date=date.fromisoformat(due),
        promised_amount=amount,
        currency="CNY",
        amount_typed=True,
        group_key="g",
        level=1,
        made_on=date.fromisoformat(made),
        made_run=None,
        state=state,
        paid_amount=0,
        short_amount=0,
        group_state=state,
        judged_on=END,
        ended=ended,
    )


def _dispute(collector, opened, resolved=None):
    return dict(
        item_key=f"1000|2026|{opened}|001",
        customer="K1",
        collector=collector,
        reference="1",
        amount=100,
        currency="CNY",
        reason_code="price",
        reason_text="",
        owner=collector,
        opened_on=date.fromisoformat(opened),
        opened_run=None,
        source="worksheet",
        statement_no=None,
        resolution="paid" if resolved else None,
        resolved_on=date.fromisoformat(resolved) if resolved else None,
        note="",
    )


def _statement(no, collector, issued, status="issued", answered=None):
    return dict(
        statement_no=no,
        year=2026,
        seq=int(no),
        customer="K1",
        company_code="1000",
        collector=collector,
        as_of=END,
        issued_at=datetime.fromisoformat(issued),
        run_id=None,
        language="zh",
        items=1,
        totals="{}",
        xlsx_path="",
        pdf_path="",
        status=status,
        answered_on=date.fromisoformat(answered) if answered else None,
        answer_note=None,
        signed_file=None,
    )


@pytest.fixture
def store(tmp_path):
    s = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    with s.engine.begin() as c:
        c.execute(
            contact_history.insert(),
            [
                _contact("C1", "2026-11-17"),
                _contact("C1", "2026-11-20", change="edit"),
                _contact("C1", "2026-11-10"),  # before the period
                _contact("C2", "2026-11-18"),
                _contact("C2", "some note", field="notes"),  # not a contact
                _contact("C2", None, change="cleared"),
                _contact(
                    "C2",
                    "sent",
                    field="reminder",
                    change="event",
                    source="reminder",
                    as_of=date(2026, 11, 19),
                ),
            ],
        )
        c.execute(
            promises.insert(),
            [
                _promise("C1", "2026-11-17", "2026-11-20", "kept", 1000),
                _promise("C1", "2026-11-10", "2026-11-21", "broken", 500),
                _promise("C1", "2026-11-10", "2026-11-22", "partly_kept", 300),
                _promise("C2", "2026-11-18", "2026-11-19", "kept_pending", 700),
                _promise("C2", "2026-11-18", "2026-12-01", "open", 900),
                _promise("C2", "2026-11-18", "2026-11-19", "broken", 50, ended="replaced"),
            ],
        )
        c.execute(
            disputes.insert(),
            [
                _dispute("C1", "2026-11-01"),  # open 22 days at the end
                _dispute("C1", "2026-11-10", "2026-11-20"),  # resolved in 10 days
                _dispute("C2", "2026-11-20"),  # opened in the period, open 3 days
            ],
        )
        c.execute(
            statements.insert(),
            [
                _statement("1", "C1", "2026-11-17T09:00:00", "confirmed", "2026-11-21"),
                _statement("2", "C1", "2026-11-18T09:00:00"),
                _statement("3", "C2", "2026-11-01T09:00:00", "confirmed", "2026-11-05"),
            ],
        )
    return s


def _v(frame, measure, scope=""):
    sel = frame[(frame["scope"] == scope) & (frame["measure"] == measure)]
    assert len(sel) == 1, (measure, scope)
    return sel["value"].iloc[0]


def test_contacts_are_contact_dates_in_the_period_and_reminders_sent(store):
    a = activity(store, START, END, "CNY")
    assert _v(a, "contacts", "C1") == 2
    assert _v(a, "contacts", "C2") == 2
    assert _v(a, "contacts") == 4


def test_promises_obtained_and_judged_by_due_date(store):
    a = activity(store, START, END, "CNY")
    assert _v(a, "promises_made") == 3  # the replaced one is left out
    assert _v(a, "promises_made_amount") == 1000 + 700 + 900
    assert _v(a, "promises_kept", "C1") == 1 and _v(a, "promises_kept_amount", "C1") == 1000
    assert _v(a, "promises_broken", "C1") == 2 and _v(a, "promises_broken_amount", "C1") == 800
    assert _v(a, "promises_kept_pending", "C2") == 1
    assert _v(a, "promises_kept_pending_amount") == 700
    assert _v(a, "promises_broken", "C2") == 0


def test_disputes_opened_resolved_and_their_age(store):
    a = activity(store, START, END, "CNY")
    assert _v(a, "disputes_opened") == 1 and _v(a, "disputes_resolved") == 1
    assert _v(a, "disputes_open") == 2
    assert _v(a, "disputes_open_age") == pytest.approx((22 + 3) / 2)
    assert _v(a, "disputes_resolved_age", "C1") == 10


def test_statements_sent_and_confirmed(store):
    a = activity(store, START, END, "CNY")
    assert _v(a, "statements_sent") == 2 and _v(a, "statements_sent", "C2") == 0
    assert _v(a, "statements_confirmed", "C1") == 1
