"""The words of a statement (对账单) in Chinese and English, and its text templates.

Labels are pairs (zh, en) shown per ``language`` (zh / en / both).  The longer texts — the
letter to the customer and the contact line — are Jinja2 templates in ``templates/``
(``statement_<name>.<zh|en>.j2``); a folder set in ``statements.templates_dir`` overrides
any of them.  Templates autoescape, because ReportLab paragraphs read ``<``, ``>`` and ``&``
as markup and a customer's name may hold any of them.
"""

from __future__ import annotations

from functools import cache

from arsync.reports import labels as L

W = {
    "title": ("应收账款对账单", "Statement of Account"),
    "number": ("对账单号", "Statement no."),
    "as_of": ("对账日期", "As of"),
    "to": ("致", "To"),
    "customer_no": ("客户编号", "Customer no."),
    "tax_id": ("纳税人识别号", "Tax ID"),
    "our_tax_id": ("我方纳税人识别号", "Our tax ID"),
    "company_code": ("公司代码", "Company code"),
    "contact": ("客户联系人", "Customer contact"),
    "items": ("未清发票明细", "Open invoices"),
    "credits": ("未核销贷项及预收款", "Open credits and payments on account"),
    "no": ("序号", "No."),
    "invoice": ("发票号", "Invoice no."),
    "reference": ("参考号", "Reference"),
    "doc_date": ("开票日期", "Invoice date"),
    "due_date": ("到期日", "Due date"),
    "amount": ("金额", "Amount"),
    "currency": ("币种", "Currency"),
    "days_overdue": ("逾期天数", "Days overdue"),
    "portal": ("平台状态", "Portal status"),
    "kind": ("类型", "Type"),
    "subtotal": ("小计", "Subtotal"),
    "balance": ("余额汇总", "Balance"),
    "items_total": ("发票合计", "Invoices"),
    "credits_total": ("贷项合计", "Credits"),
    "balance_total": ("应收余额", "Balance due"),
    "capitals": ("大写", "In words"),
    "aging": ("账龄分析（按到期日）", "Aging (days past due)"),
    "total": ("合计", "Total"),
    "reply": ("回执", "Reply slip"),
    "confirmed": ("核对无误", "Balance confirmed"),
    "confirmed_note": ("上述款项核对无误。", "The items above agree with our records."),
    "disputed": ("数据不符", "Balance disputed"),
    "disputed_note": (
        "请列明不符的发票号、金额及原因：",
        "Invoices, amounts and reasons in question:",
    ),
    "stamp": ("签字及公章（或财务专用章）", "Signature and company stamp"),
    "date": ("日期", "Date"),
    "page": ("第 {page} 页", "Page {page}"),
    "none": ("无", "none"),
}
#: Portal statuses as the customer reads them (their own process).
PORTAL = {
    "SUBMITTED": ("已提交", "submitted"),
    "ACCEPTED": ("已受理", "accepted"),
    "UNDER_REVIEW": ("审核中", "under review"),
    "APPROVED": ("已审批", "approved"),
    "PAYING": ("支付中", "paying"),
    "PAID": ("已支付", "paid"),
    "REJECTED": ("已退回", "rejected"),
    "CANCELLED": ("已撤销", "cancelled"),
    "UNKNOWN": ("未知", "unknown"),
}
BUCKETS = {"not due": ("未到期", "not due")}


def w(key: str, language: str) -> str:
    zh, en = W[key]
    return L.text(zh, en, language)


def portal(status: str, language: str) -> str:
    if not status:
        return ""
    zh, en = PORTAL.get(status, (status, status))
    return L.text(zh, en, language)


def bucket(label: str, language: str) -> str:
    if label in BUCKETS:
        zh, en = BUCKETS[label]
        return L.text(zh, en, language)
    return label


def credit_kind(doc_type: str, language: str) -> str:
    zh, en = {"DG": ("贷项通知单", "credit memo"), "DZ": ("付款", "payment")}.get(
        doc_type, ("贷项", "credit")
    )
    return L.text(zh, en, language)


@cache
def environment(templates_dir: str = ""):
    """The Jinja2 environment: ``templates_dir`` (if set) before the bundled templates."""
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

    loaders: list = [FileSystemLoader(templates_dir)] if templates_dir else []
    loaders.append(PackageLoader("arsync.reports", "templates"))
    return Environment(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=False,
    )


def render_text(name: str, language: str, templates_dir: str = "", **values: object) -> list[str]:
    """The template ``statement_<name>`` in the language(s) asked: one escaped text per
    language (zh first for both), lines joined with ``<br/>`` for ReportLab."""
    env = environment(templates_dir)
    langs = ["zh", "en"] if language == "both" else [language]
    out = []
    for lang in langs:
        text = env.get_template(f"statement_{name}.{lang}.j2").render(**values).strip()
        out.append("<br/>".join(text.splitlines()))
    return out
