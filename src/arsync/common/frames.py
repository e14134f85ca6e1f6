"""The canonical frames every part of arsync exchanges (DESIGN.md, "Canonical frames").

One neutral module below the connectors, the engine and the reports, so that importing a
schema loads no connector.  Money is signed integer minor units (+ is owed to us) beside its
currency; dates are dates; customer and document numbers keep SAP's internal, zero-padded
form; IDs that look like numbers are strings.  The vocabulary of column kinds is in
:mod:`arsync.common.schema`.
"""

from __future__ import annotations

from arsync.common.schema import Column as C
from arsync.common.schema import Schema

# --- SAP: open items, cleared items, customers ---------------------------------------------

ITEM_KEY = ("company_code", "fiscal_year", "document_no", "line_item")

_ITEM_COLUMNS = (
    C("company_code", "str", "BUKRS, e.g. '1000'"),
    C("fiscal_year", "str", "GJAHR, NUMC 4"),
    C("document_no", "str", "BELNR, 10 characters, zero-padded"),
    C("line_item", "str", "BUZEI, NUMC 3"),
    C("customer", "str", "KUNNR, internal 10-character form"),
    C("doc_type", "str", "BLART: DR invoice, DG credit memo, DZ payment, RV billing, AB clearing"),
    C("reference", "str", "the customer-facing invoice number: long reference if set, else XBLNR"),
    C("assignment", "str", "ZUONR; by convention the customer's order or contract number"),
    C("document_date", "date", "BLDAT"),
    C("posting_date", "date", "BUDAT"),
    C("baseline_date", "date", "ZFBDT (falls back to BLDAT)"),
    C("due_date", "date", "net due date computed as reference §2.4"),
    C("amount", "int", "signed, document currency minor units; + is owed to us"),
    C("currency", "str", "WAERS"),
    C("local_amount", "int", "signed, company-code currency minor units"),
    C("local_currency", "str", "HWAER"),
    C("dunning_level", "int", "MANST"),
    C("dunning_block", "str", "MANSP"),
    C("payment_block", "str", "ZLSPR"),
    C("special_gl", "str", "UMSKZ; blank for normal items, A = down payment"),
    C("invoice_ref", "str", "REBZG: the invoice a payment, residual or credit memo refers to"),
    C("text", "str", "SGTXT"),
)

OPEN_ITEMS = Schema("open_items", _ITEM_COLUMNS, key=ITEM_KEY)

CLEARED_ITEMS = Schema(
    "cleared_items",
    (*_ITEM_COLUMNS, C("clearing_date", "date", "AUGDT"), C("clearing_doc", "str", "AUGBL")),
    key=ITEM_KEY,
)

SEGMENTS = ("government", "hospital", "academic", "commercial")

CUSTOMERS = Schema(
    "customers",
    (
        C("customer", "str", "KUNNR, internal form"),
        C("name", "str", "KNA1-NAME1 (+NAME2)"),
        C("segment", "str", "government / hospital / academic / commercial"),
        C("city", "str", "KNA1-ORT01"),
        C("tax_id", "str", "统一社会信用代码 (KNA1-STCD1 / STCEG)"),
        C(
            "contact_person",
            "str",
            "KNVK NAME1 + NAMEV of the contact in sap.contact_departments, else the first",
        ),
        C("phone", "str", "the contact person's KNVK-TELF1, else the customer's KNA1-TELF1"),
        C(
            "email",
            "str",
            "ADR6-SMTP_ADDR of the contact person (KNVK-ADRND/PRSNR), else of KNA1-ADRNR",
        ),
        C("collector", "str", "KNB1-BUSAB unless config maps it to a person"),
        C("portals", "str", "ids of the portals the customer pays through, ';'-separated"),
        C("credit_limit", "int", "KNKK-KLIMK, minor units of credit_currency"),
        C("credit_exposure", "int", "KNKK-SKFOR + SSOBL, minor units"),
        C("credit_currency", "str", "credit control area currency (T014-WAERS)"),
        C("risk_class", "str", "KNKK-CTLPC"),
        C("credit_blocked", "bool", "KNKK-CRBLB = 'X'"),
    ),
    key=("customer",),
)


# --- portals: records and the closed status vocabulary -----------------------------------

#: Normalized portal statuses, ordered by progress; REJECTED/CANCELLED are side states.
STATUSES = (
    "SUBMITTED",
    "ACCEPTED",
    "UNDER_REVIEW",
    "APPROVED",
    "PAYING",
    "PAID",
    "REJECTED",
    "CANCELLED",
    "UNKNOWN",
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


# --- the worklist: one row per open item, with what the portals say about it -------------

FINDINGS = (
    "PAID_NOT_APPLIED",
    "REJECTED",
    "AMOUNT_MISMATCH",
    "AMBIGUOUS",
    "NOT_SUBMITTED",
    "STALE",
    "IN_PROCESS",
    "NO_PORTAL",
    "UNAPPLIED_CREDIT",
    "REVERSED",
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
    "REVERSED": "clear the invoice against its credit memo (红冲); nothing to collect",
}

AGING_BUCKETS = ("not due", "1-30", "31-60", "61-90", "91-180", "181-365", ">365")

WORKLIST = Schema(
    "worklist",
    (
        *OPEN_ITEMS.columns,
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
        C(
            "status_age_days",
            "int?",
            "days since the status last changed (or since read, when stale)",
        ),
        C("stuck", "bool", "status unchanged for longer than the configured days"),
        C("paid_date", "date"),
        C("payment_ref", "str"),
        C("portal_amount", "int?", "the matched record's amount (its share, when split)"),
        C("match_rule", "str", "how the record was found: invoice_no, invoice_tail, order_no, ..."),
        C("match_confidence", "float", "0..1"),
        C("finding", "str", "one of FINDINGS"),
        C("next_action", "str"),
        C(
            "proposed_clearing",
            "str",
            "payment on account proposed to clear a PAID_NOT_APPLIED item",
        ),
        C("reason", "str", "portal's rejection reason, or why the finding was chosen"),
        C("expected_pay_date", "date"),
        C("priority", "int", "1 = most urgent"),
    ),
    key=ITEM_KEY,
)
