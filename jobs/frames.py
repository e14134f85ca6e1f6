"""The worklist frame: one row per open item, with what the portals say about it."""

from __future__ import annotations

from arsync.common.frames import Column as C
from arsync.common.frames import Schema
from arsync.connectors.sap.frames import ITEM_KEY, OPEN_ITEMS

FINDINGS = (
    "PAID_NOT_APPLIED", "REJECTED", "AMOUNT_MISMATCH", "AMBIGUOUS", "NOT_SUBMITTED",
    "STALE", "IN_PROCESS", "NO_PORTAL", "UNAPPLIED_CREDIT",
)

NEXT_ACTIONS = {
    "PAID_NOT_APPLIED": "cash application: find the incoming payment, propose the clearing",
    "IN_PROCESS": "no reminder; follow up if stuck at one stage too long",
    "NOT_SUBMITTED": "make sure the invoice is uploaded / submitted",
    "REJECTED": "fix and resubmit, with the portal's reason",
    "AMOUNT_MISMATCH": "check short payment / dispute",
    "AMBIGUOUS": "a person decides",
    "STALE": "retry or check by hand",
    "NO_PORTAL": "ordinary collection by phone / e-mail / WeChat",
    "UNAPPLIED_CREDIT": "apply it to the invoice it belongs to / refund",
}

AGING_BUCKETS = ("not due", "1-30", "31-60", "61-90", "91-180", "181-365", ">365")

WORKLIST = Schema(
    "worklist",
    OPEN_ITEMS.columns + (
        C("customer_name", "str"),
        C("segment", "str"),
        C("collector", "str"),
        C("days_overdue", "int", "as-of date − due date; negative when not yet due"),
        C("aging_bucket", "str", "one of AGING_BUCKETS (configurable limits)"),
        C("portal", "str", "portal of the matched record"),
        C("record_id", "str"),
        C("status", "str", "normalized portal status of the matched record"),
        C("status_text", "str"),
        C("status_date", "date"),
        C("status_age_days", "int?", "days since the status last changed (or since read, when stale)"),
        C("stuck", "bool", "status unchanged for longer than the configured days"),
        C("paid_date", "date"),
        C("payment_ref", "str"),
        C("portal_amount", "int?", "the matched record's amount (its share, when split)"),
        C("match_rule", "str", "how the record was found: invoice_no, invoice_tail, order_no, ..."),
        C("match_confidence", "float", "0..1"),
        C("finding", "str", "one of FINDINGS"),
        C("next_action", "str"),
        C("proposed_clearing", "str", "payment on account proposed to clear a PAID_NOT_APPLIED item"),
        C("reason", "str", "portal's rejection reason, or why the finding was chosen"),
        C("expected_pay_date", "date"),
        C("priority", "int", "1 = most urgent"),
    ),
    key=ITEM_KEY,
)
