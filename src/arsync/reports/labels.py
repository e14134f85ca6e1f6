"""Worksheet columns, their headers in Chinese and English, and the words of the drop-downs.

A column is found again by its header text, in any of the three languages, so a refresh
still finds every column after the collector moved it, or after ``reports.language`` changed.
Field ids are the worklist's column names; collector fields and closed-only fields have
their own ids; a column the collector added is carried under ``x:<header as typed>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from arsync.reports import vocabulary

KEY = "_key"
EXTRA = "x:"
COMMENT = "~"  # an Excel comment on a cell of field f is carried as field "~f"
HISTORY_SHEET = "_history"


@dataclass(frozen=True)
class Field:
    """One worksheet column, declared as data: what it holds and how it is shown.

    ``kind`` says how values are written, validated and read back: ``text``, ``id`` (text
    that looks like a number: kept as text), ``date``, ``money`` (major units, the row's
    currency's decimals), ``int``, ``choice`` (a drop-down of words), ``link`` (a hyperlink
    to a file).  ``wrap`` wraps long text in the cell.  ``source`` names where a system
    column's value comes from when it is not a worklist column (``customers.<column>`` from
    the customer master, ``evidence`` from the matched portal record); such a column is shown
    only when its source is there."""

    id: str
    zh: str
    en: str
    kind: str = "text"  # text | id | date | money | int | choice | link
    width: float = 12
    wrap: bool = False
    source: str = ""


#: System columns a collector works from, before their own columns (left of them, on screen).
FRONT = (
    Field("priority", "优先级", "Priority", "int", 6),
    Field("finding", "结论", "Finding", "text", 14),
    Field("customer_name", "客户名称", "Customer name", "text", 24),
    Field("customer_contact", "客户联系人", "Customer contact", source="customers.contact_person"),
    Field("customer_phone", "联系电话", "Phone", "id", 13, source="customers.phone"),
    Field("reference", "发票号", "Invoice no.", "id", 12),
    Field("amount", "金额", "Amount", "money", 12),
    Field("currency", "币种", "Currency", "text", 6),
    Field("due_date", "到期日", "Due date", "date", 11),
    Field("days_overdue", "逾期天数", "Days overdue", "int", 8),
    Field("aging_bucket", "账龄", "Aging", "text", 9),
    Field("status", "平台状态", "Portal status", "text", 9),
    Field("next_action", "下一步", "Next action", "text", 24, wrap=True),
    Field("promise_status", "承诺状态", "Promise status", "text", 14, wrap=True),
    Field("due", "到期提醒", "Date alert", "text", 14, wrap=True),
    Field("reason", "原因", "Reason", "text", 24, wrap=True),
)

#: System columns for reference, after the collector's columns (and any they added).
BACK = (
    Field("customer", "客户", "Customer", "id", 11),
    Field("document_date", "凭证日期", "Document date", "date", 11),
    Field("status_date", "状态日期", "Status date", "date", 11),
    Field("expected_pay_date", "预计付款日", "Expected payment", "date", 11),
    Field("paid_date", "平台付款日", "Paid on portal", "date", 11),
    Field("payment_ref", "付款流水号", "Payment ref.", "id", 12),
    Field("portal", "平台", "Portal", "text", 8),
    Field("record_id", "平台单号", "Portal record", "id", 12),
    Field("evidence", "平台截图", "Portal evidence", "link", 8, source="evidence"),
    Field("customer_email", "邮箱", "E-mail", "text", 16, source="customers.email"),
    Field("assignment", "订单/合同号", "Order / contract", "id", 12),
    Field("company_code", "公司代码", "Company code", "id", 6),
    Field("fiscal_year", "会计年度", "Fiscal year", "id", 6),
    Field("document_no", "凭证号", "Document no.", "id", 11),
    Field("line_item", "行项目", "Line item", "id", 5),
)

#: Every system column: rewritten from the worklist (and master data) at each refresh.
SYSTEM = FRONT + BACK

COLLECTOR = (
    Field("contact_date", "联系日期", "Contact date", "date", 11),
    Field("contact_method", "联系方式", "Contact method", "choice", 12),
    Field("contact_person", "联系人", "Contact person", "text", 12),
    Field("promise_date", "承诺付款日", "Promise date", "date", 11),
    Field("promise_amount", "承诺金额", "Promise amount", "money", 14),
    Field("dispute", "争议", "Dispute", "choice", 7),
    Field("dispute_reason", "争议原因", "Dispute reason", "text", 20, wrap=True),
    Field("notes", "备注", "Notes", "text", 36, wrap=True),
    Field("next_follow_up", "下次跟进", "Next follow-up", "date", 11),
)

CLOSED_ONLY = (
    Field("closed_on", "移入日期", "Closed on", "date", 11),
    Field("clearing_date", "清账日期", "Clearing date", "date", 11),
    Field("clearing_doc", "清账凭证", "Clearing document", "id", 12),
    Field("closed_reason", "关闭原因", "Why closed", "text", 18, wrap=True),
)

SUMMARY = (
    Field("customer", "客户", "Customer", "id", 11),
    Field("customer_name", "客户名称", "Customer name", "text", 24),
    Field("customer_contact", "客户联系人", "Customer contact", source="customers.contact_person"),
    Field("customer_phone", "联系电话", "Phone", "id", 13, source="customers.phone"),
    Field("currency", "币种", "Currency", "text", 6),
    Field("items", "项目数", "Items", "int", 7),
    Field("open_amount", "未清金额", "Open amount", "money", 13),
    Field("overdue_amount", "逾期金额", "Overdue amount", "money", 13),
    Field("promised_amount", "已承诺金额", "Promised", "money", 13),
    Field("next_promise", "最近承诺日", "Next promise", "date", 11),
    Field("last_contact", "最近联系", "Last contact", "date", 11),
    # communications (notify.enabled): the last reminder sent and where reminders go
    Field("dunning", "催款级别", "Dunning level", "text", 16, source="customers.dunning"),
    Field(
        "reminder_email",
        "催款邮箱",
        "Reminder e-mail",
        "text",
        24,
        source="customers.reminder_email",
    ),
)

#: Summary columns about the customer's last statement (对账单) and its answer.
SUMMARY_STATEMENT = (
    Field("last_statement", "最近对账单", "Last statement", "id", 16),
    Field("statement_date", "对账日期", "Statement date", "date", 11),
    Field("statement_answer", "客户回函", "Customer's answer", "text", 14),
)

#: The Disputes sheet: rebuilt at every refresh from the run store (read-only for the collector;
#: a dispute is marked on the item's row, its owner and resolution set with `arsync disputes`).
#: Its headers are not looked up as worksheet fields, so a collector's own column named like
#: one of them stays theirs.
DISPUTES = (
    Field("dispute_id", "争议编号", "Dispute no.", "int", 8),
    Field("customer", "客户", "Customer", "id", 12),
    Field("customer_name", "客户名称", "Customer name", "text", 26),
    Field("reference", "发票号", "Invoice no.", "id", 22),
    Field("amount", "金额", "Amount", "money", 14),
    Field("currency", "币种", "Currency", "text", 6),
    Field("reason_label", "争议类别", "Reason", "text", 16),
    Field("reason_text", "争议说明", "As typed", "text", 24, wrap=True),
    Field("opened_on", "提出日期", "Opened on", "date", 11),
    Field("dispute_age", "争议天数", "Age (days)", "int", 8),
    Field("owner", "负责人", "Owner", "text", 12),
    Field("statement_no", "对账单号", "Statement no.", "id", 16),
    Field("resolution", "解决方式", "Resolution", "text", 14),
    Field("resolved_on", "解决日期", "Resolved on", "date", 11),
)

KEY_FIELDS = ("company_code", "fiscal_year", "document_no", "line_item")
CARRIED = tuple(f.id for f in COLLECTOR)
#: field id → its column; an item sheet's declaration wins over the Summary's of the same id
BY_ID = {f.id: f for f in SUMMARY + SYSTEM + COLLECTOR + CLOSED_ONLY}

SHEETS = {
    "open": ("未清项", "Open items"),
    "summary": ("汇总", "Summary"),
    "closed": ("已关闭", "Closed"),
    "disputes": ("争议", "Disputes"),
}

#: Promise states (arsync.jobs.engine.promises.STATES) as the worksheet shows them.
PROMISE_STATES = {
    "open": ("待兑现", "open"),
    "kept": ("已兑现", "kept"),
    "kept_pending": ("已付待核销", "kept, cash to apply"),
    "partly_kept": ("部分兑现", "partly kept"),
    "broken": ("未兑现", "broken"),
}
#: Date alerts: a promise or follow-up date that has come.
DUE_ALERTS = {
    "promise_today": ("承诺今日到期", "promise due today"),
    "promise_overdue": ("承诺日已过", "promise date passed"),
    "follow_up_today": ("今日跟进", "follow up today"),
    "follow_up_overdue": ("跟进已逾期", "follow-up overdue"),
}

#: finding code → its Chinese label (the pages use it; labels in every language: vocabulary)
FINDINGS = {code: zh for code, (zh, _en) in vocabulary.FINDINGS.items()}

CONTACT_METHODS = (("电话", "phone"), ("邮件", "e-mail"), ("企业微信", "WeChat"), ("拜访", "visit"))
YES_NO = (("是", "yes"), ("否", "no"))


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
    return vocabulary.finding(code, language)


def promise_label(state: str, language: str) -> str:
    zh, en = PROMISE_STATES.get(state, (state, state))
    return text(zh, en, language)


def promise_code(label: object) -> str | None:
    """The promise state behind a label shown in any language (the words before any detail)."""
    if label is None:
        return None
    return _PROMISE_CODES.get(norm(str(label).split("(")[0]))


def finding_code(label: object) -> str | None:
    """The finding code behind a label shown in any language."""
    return vocabulary.finding_code(label)


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


_PROMISE_CODES = {
    norm(v): code for code, (zh, en) in PROMISE_STATES.items() for v in (code, zh, en, f"{zh} {en}")
}
