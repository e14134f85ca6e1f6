"""The frames the SAP connector produces (DESIGN.md, "Canonical frames").

Money is signed integer minor units (+ is owed to us) beside its currency; dates are
dates; customer and document numbers keep SAP's internal, zero-padded form.
"""

from __future__ import annotations

from arsync.common.frames import Column as C
from arsync.common.frames import Schema

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
    _ITEM_COLUMNS + (
        C("clearing_date", "date", "AUGDT"),
        C("clearing_doc", "str", "AUGBL"),
    ),
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
