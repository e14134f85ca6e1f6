"""The frame the portal runner produces, and the closed status vocabulary."""

from __future__ import annotations

from arsync.common.frames import Column as C
from arsync.common.frames import Schema

#: Normalized portal statuses, ordered by progress; REJECTED/CANCELLED are side states.
STATUSES = (
    "SUBMITTED", "ACCEPTED", "UNDER_REVIEW", "APPROVED", "PAYING", "PAID",
    "REJECTED", "CANCELLED", "UNKNOWN",
)
PROGRESS_RANK = {s: i + 1 for i, s in enumerate(STATUSES[:6])}

#: Who must act next on a record.
ACTION_BY = ("SUPPLIER", "BUYER", "PAYER", "")

PORTAL_RECORDS = Schema(
    "portal_records",
    (
        C("portal", "str", "portal id (config/portals/<id>.yaml)"),
        C("account", "str", "the supplier account the record was read with"),
        C("record_id", "str", "the portal's own id of the row (19-digit ids stay strings)"),
        C("buyer", "str", "采购单位 / 医疗机构 / university as the portal names it"),
        C("customer", "str", "SAP customer mapped from the buyer; '' when unmapped"),
        C("invoice_no", "str", "invoice number(s) as shown; several are ';'-joined"),
        C("order_no", "str", "order number"),
        C("contract_no", "str", "contract number"),
        C("amount", "int?", "record amount, minor units"),
        C("paid_amount", "int?", "amount reported paid, minor units (partial payments)"),
        C("currency", "str", "ISO code (CNY on every Chinese portal)"),
        C("status", "str", "normalized status (STATUSES)"),
        C("status_text", "str", "the portal's own words, as shown"),
        C("status_column", "str", "the column the status word was taken from"),
        C("action_by", "str", "SUPPLIER / BUYER / PAYER / ''"),
        C("status_date", "date", "date of the last status change, when shown"),
        C("expected_pay_date", "date", "when the portal says payment is planned"),
        C("paid_date", "date", "payment date"),
        C("payment_ref", "str", "payment voucher / bank reference"),
        C("reason", "str", "rejection reason or remark"),
        C("fetched_at", "datetime", "when the runner read the row"),
        C("evidence", "str", "path of the screenshot/HTML snapshot the row was read from"),
    ),
    key=("portal", "account", "record_id"),
)
