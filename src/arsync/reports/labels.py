"""Worksheet columns, their headers in Chinese and English, and the words of the drop-downs.

A column is found again by its header text, in any of the three languages, so a refresh
still finds every column after the collector moved it, or after ``reports.language`` changed.
Field ids are the worklist's column names; collector fields and closed-only fields have
their own ids; a column the collector added is carried under ``x:<header as typed>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEY = "_key"
EXTRA = "x:"
COMMENT = "~"  # an Excel comment on a cell of field f is carried as field "~f"
HISTORY_SHEET = "_history"


@dataclass(frozen=True)
class Field:
    id: str
    zh: str
    en: str
    kind: str = "text"  # text | id | date | money | int | bool | choice
    width: float = 12


SYSTEM = (
    Field("priority", "优先级", "Priority", "int", 7),
    Field("finding", "结论", "Finding", "text", 22),
    Field("customer", "客户", "Customer", "id", 12),
    Field("customer_name", "客户名称", "Customer name", "text", 28),
    Field("reference", "发票号", "Invoice no.", "id", 22),
    Field("document_date", "凭证日期", "Document date", "date", 11),
    Field("due_date", "到期日", "Due date", "date", 11),
    Field("days_overdue", "逾期天数", "Days overdue", "int", 8),
    Field("aging_bucket", "账龄", "Aging", "text", 9),
    Field("amount", "金额", "Amount", "money", 14),
    Field("currency", "币种", "Currency", "text", 6),
    Field("status", "平台状态", "Portal status", "text", 13),
    Field("status_date", "状态日期", "Status date", "date", 11),
    Field("expected_pay_date", "预计付款日", "Expected payment", "date", 11),
    Field("paid_date", "平台付款日", "Paid on portal", "date", 11),
    Field("payment_ref", "付款流水号", "Payment ref.", "id", 16),
    Field("portal", "平台", "Portal", "text", 9),
    Field("record_id", "平台单号", "Portal record", "id", 20),
    Field("next_action", "下一步", "Next action", "text", 30),
    Field("reason", "原因", "Reason", "text", 24),
    Field("assignment", "订单/合同号", "Order / contract", "id", 16),
    Field("company_code", "公司代码", "Company code", "id", 7),
    Field("fiscal_year", "会计年度", "Fiscal year", "id", 7),
    Field("document_no", "凭证号", "Document no.", "id", 12),
    Field("line_item", "行项目", "Line item", "id", 6),
)

COLLECTOR = (
    Field("contact_date", "联系日期", "Contact date", "date", 11),
    Field("contact_method", "联系方式", "Contact method", "choice", 12),
    Field("contact_person", "联系人", "Contact person", "text", 12),
    Field("promise_date", "承诺付款日", "Promise date", "date", 11),
    Field("promise_amount", "承诺金额", "Promise amount", "money", 14),
    Field("dispute", "争议", "Dispute", "choice", 7),
    Field("dispute_reason", "争议原因", "Dispute reason", "text", 20),
    Field("notes", "备注", "Notes", "text", 36),
    Field("next_follow_up", "下次跟进", "Next follow-up", "date", 11),
)

CLOSED_ONLY = (
    Field("closed_on", "移入日期", "Closed on", "date", 11),
    Field("clearing_date", "清账日期", "Clearing date", "date", 11),
    Field("clearing_doc", "清账凭证", "Clearing document", "id", 12),
    Field("closed_reason", "关闭原因", "Why closed", "text", 18),
)

SUMMARY = (
    Field("customer", "客户", "Customer", "id", 12),
    Field("customer_name", "客户名称", "Customer name", "text", 30),
    Field("currency", "币种", "Currency", "text", 6),
    Field("items", "项目数", "Items", "int", 7),
    Field("open_amount", "未清金额", "Open amount", "money", 15),
    Field("overdue_amount", "逾期金额", "Overdue amount", "money", 15),
)

KEY_FIELDS = ("company_code", "fiscal_year", "document_no", "line_item")
CARRIED = tuple(f.id for f in COLLECTOR)
BY_ID = {f.id: f for f in SYSTEM + COLLECTOR + CLOSED_ONLY + SUMMARY}

SHEETS = {
    "open": ("未清项", "Open items"),
    "summary": ("汇总", "Summary"),
    "closed": ("已关闭", "Closed"),
}

CONTACT_METHODS = (("电话", "phone"), ("邮件", "e-mail"), ("企业微信", "WeChat"), ("拜访", "visit"))
YES_NO = (("是", "yes"), ("否", "no"))

FINDINGS = {
    "PAID_NOT_APPLIED": "已付款未核销",
    "IN_PROCESS": "审批流程中",
    "NOT_SUBMITTED": "未提交平台",
    "REJECTED": "被退回",
    "AMOUNT_MISMATCH": "金额不符",
    "AMBIGUOUS": "待人工判断",
    "STALE": "平台未读取",
    "NO_PORTAL": "非平台客户",
    "UNAPPLIED_CREDIT": "未核销贷项",
}


def text(zh: str, en: str, language: str) -> str:
    """``金额`` / ``Amount`` / ``金额 Amount`` for zh / en / both."""
    if language == "zh":
        return zh
    if language == "en":
        return en
    return f"{zh} {en}"


def header(field_id: str, language: str) -> str:
    if field_id == KEY or field_id.startswith(EXTRA):
        return field_id.removeprefix(EXTRA) if field_id != KEY else KEY
    f = BY_ID[field_id]
    return text(f.zh, f.en, language)


def sheet_name(role: str, language: str) -> str:
    zh, en = SHEETS[role]
    return text(zh, en, language)


def role_of_sheet(title: str) -> str | None:
    """Which of our sheets a title names, in any language (``None``: not one of ours)."""
    t = norm(title)
    for role, (zh, en) in SHEETS.items():
        if t in {norm(zh), norm(en), norm(f"{zh} {en}")}:
            return role
    return None


def choices(pairs: tuple[tuple[str, str], ...], language: str) -> list[str]:
    return [text(zh, en, language) for zh, en in pairs]


def finding_label(code: str, language: str) -> str:
    zh = FINDINGS.get(code)
    if zh is None or language == "en":
        return code
    return zh if language == "zh" else f"{zh} {code}"


def finding_code(label: object) -> str | None:
    """The finding code behind a label shown in any language."""
    return _FINDING_CODES.get(norm(label)) if label is not None else None


def norm(s: object) -> str:
    """Header text as compared: case, spaces and line breaks do not matter."""
    return re.sub(r"\s+", " ", str(s)).strip().casefold()


def _lookup() -> dict[str, str]:
    out: dict[str, str] = {norm(KEY): KEY}
    for f in SYSTEM + COLLECTOR + CLOSED_ONLY + SUMMARY:
        for variant in (f.zh, f.en, f"{f.zh} {f.en}", f.id):
            out.setdefault(norm(variant), f.id)
    return out


_LOOKUP = _lookup()


def field_of(header_text: object) -> str | None:
    """The field a header names (any language, or the frame column name); ``None`` if unknown."""
    if header_text is None:
        return None
    return _LOOKUP.get(norm(header_text))


_FINDING_CODES = {
    norm(variant): code for code, zh in FINDINGS.items() for variant in (code, zh, f"{zh} {code}")
}
