"""The words a collector reads in a worksheet's cells, in Chinese and English.

Headers live with the columns (:mod:`arsync.reports.labels`); this module holds the values:
findings, next actions, portal statuses, aging buckets, and the engine's reasons.  The
reconciliation engine writes its ``reason`` in English from a small set of templates
(:mod:`arsync.jobs.engine.findings`); :func:`reason` turns each template into Chinese and keeps
what came from outside (a portal's own rejection reason, IDs, amounts) as it is.  A test runs a
sandbox world through the engine and checks that every reason it gives is translated.
"""

from __future__ import annotations

import re

FINDINGS = {  # code: (zh, en)
    "PAID_NOT_APPLIED": ("已付款未核销", "Paid, not applied"),
    "IN_PROCESS": ("审批流程中", "In process"),
    "NOT_SUBMITTED": ("未提交平台", "Not submitted"),
    "REJECTED": ("被退回", "Rejected"),
    "AMOUNT_MISMATCH": ("金额不符", "Amount mismatch"),
    "AMBIGUOUS": ("待人工判断", "Ambiguous match"),
    "STALE": ("平台未读取", "Portal not read"),
    "NO_PORTAL": ("非平台客户", "No portal"),
    "UNAPPLIED_CREDIT": ("未核销贷项", "Unapplied credit"),
    "REVERSED": ("已红冲待清账", "Reversed by credit memo"),
}

NEXT_ACTIONS = {  # finding: zh (the English is the engine's NEXT_ACTIONS)
    "PAID_NOT_APPLIED": "现金核销：查找来款，提出清账建议",
    "IN_PROCESS": "无需催款；某一环节停留过久时跟进",
    "NOT_SUBMITTED": "确认发票已上传 / 提交到平台",
    "REJECTED": "按平台退回原因修改后重新提交",
    "AMOUNT_MISMATCH": "核对少付 / 争议",
    "AMBIGUOUS": "人工判断匹配哪条记录",
    "STALE": "重试读取或人工查看平台",
    "NO_PORTAL": "电话 / 邮件 / 企业微信常规催收",
    "UNAPPLIED_CREDIT": "核销到所属发票 / 退款",
    "REVERSED": "将发票与其红字贷项凭证清账；无需催收",
}

STATUSES = {  # normalized portal status: (zh, en)
    "SUBMITTED": ("已提交", "Submitted"),
    "ACCEPTED": ("已受理", "Accepted"),
    "UNDER_REVIEW": ("审核中", "Under review"),
    "APPROVED": ("已审批", "Approved"),
    "PAYING": ("支付中", "Paying"),
    "PAID": ("已支付", "Paid"),
    "REJECTED": ("已退回", "Rejected"),
    "CANCELLED": ("已撤销", "Cancelled"),
    "UNKNOWN": ("未知", "Unknown"),
}


def pick(zh: str, en: str, language: str) -> str:
    """A cell value in the worksheet's language; ``both`` shows ``中文 / English``."""
    if language == "zh":
        return zh
    if language == "en":
        return en
    return zh if zh == en else f"{zh} / {en}"


def finding(code: str, language: str) -> str:
    zh, en = FINDINGS.get(code, (code, code))
    return pick(zh, en, language) if language != "both" else f"{zh} {en}"


def next_action(code: str, english: str, language: str) -> str:
    return pick(NEXT_ACTIONS.get(code, english), english, language)


def status(code: str, language: str) -> str:
    zh, en = STATUSES.get(code, (code, code))
    return pick(zh, en, language)


def aging(bucket: str, language: str) -> str:
    """``not due`` / ``1-30`` / ``>365`` (the engine's buckets) in words."""
    if bucket == "not due":
        return pick("未到期", "Not due", language)
    if m := re.fullmatch(r"(\d+)-(\d+)", bucket):
        return pick(f"{m[1]}-{m[2]}天", f"{m[1]}–{m[2]} days", language)
    if m := re.fullmatch(r">(\d+)", bucket):
        return pick(f"{m[1]}天以上", f"over {m[1]} days", language)
    return bucket


_NOT_SHOWN = "(date not shown)"


def _date(s: str) -> str:
    return "（日期未显示）" if s == _NOT_SHOWN else s


def _status_words(s: str) -> str:
    return STATUSES[s][0] if s in STATUSES else s


def _history(text: str) -> str:
    """``hosp-sh/JS01 rejected 2026-10-01 (原因), gov-gd/18… SUBMITTED 2026-09-05`` in Chinese:
    the status words translated, IDs, dates and the portal's own reasons kept."""
    words = {"rejected": "已退回", "cancelled": "已撤销"} | {k: v[0] for k, v in STATUSES.items()}
    text = re.sub(r"… (\d+) more$", r"… 另 \1 条", text)
    return re.sub(
        r"(?<=\S) (rejected|cancelled|[A-Z_]+)(?= \d{4}-|,|$| \()",
        lambda m: " " + words.get(m[1], m[1]),
        text,
    )


#: The engine's reason templates (regex over one ``; ``-separated part) → Chinese.
REASONS: tuple[tuple[re.Pattern[str], object], ...] = tuple(
    (re.compile(p), f)
    for p, f in (
        (r"credit for invoice (?P<ref>.+)", lambda m: f"发票 {m['ref']} 的贷项"),
        (r"credit memo for invoice (?P<ref>.+)", lambda m: f"发票 {m['ref']} 的贷项凭证"),
        (r"credit memo", lambda m: "贷项凭证"),
        (
            r"reversed in full by credit memo (?P<m>.+) \(红冲\)",
            lambda m: f"已由贷项凭证 {m['m']} 全额红冲",
        ),
        (r"nothing to collect", lambda m: "无需催收"),
        (
            r"red-letter credit memo reversing invoice (?P<ref>.+)",
            lambda m: f"冲销发票 {m['ref']} 的红字贷项凭证",
        ),
        (
            r"credit memo (?P<m>.+) (?P<a>-[\d.]+)",
            lambda m: f"贷项凭证 {m['m']} {m['a']}",
        ),
        (r"owed (?P<a>-?[\d.]+)", lambda m: f"扣除贷项后应收 {m['a']}"),
        (r"other records: (?P<h>.+)", lambda m: f"其他记录：{_history(m['h'])}"),
        (r"payment on account", lambda m: "未核销来款"),
        (r"(?P<portal>\S+) not read", lambda m: f"{m['portal']} 未读取"),
        (
            r"last read (?P<day>\S+)",
            lambda m: "从未读取" if m["day"] == "never" else f"上次读取 {m['day']}",
        ),
        (
            r"(?P<n>\d+) candidate records: (?P<ids>.+)",
            lambda m: f"{m['n']} 条候选记录：{m['ids']}",
        ),
        (r"no record on (?P<portals>.+)", lambda m: f"{m['portals']} 上无记录"),
        (r"record (?P<rid>\S+) was cancelled", lambda m: f"平台记录 {m['rid']} 已撤销"),
        (r"rejected", lambda m: "被退回"),
        (r"the portal shows no reason", lambda m: "平台未显示原因"),
        (
            r"portal (?P<p>-?[\d.]+) vs SAP (?P<s>-?[\d.]+)",
            lambda m: f"平台金额 {m['p']}，SAP 金额 {m['s']}",
        ),
        (r"paid (?P<p>-?[\d.]+) of (?P<s>-?[\d.]+)", lambda m: f"已付 {m['p']}，应付 {m['s']}"),
        (
            r"portal currency (?P<p>\S*) vs SAP (?P<s>\S+)",
            lambda m: f"平台币种 {m['p']}，SAP 币种 {m['s']}",
        ),
        (
            r"paid (?P<day>\d{4}-\d{2}-\d{2}|\(date not shown\))(, payment ref (?P<ref>.+))?",
            lambda m: (
                f"已于 {_date(m['day'])} 付款" + (f"，付款流水号 {m['ref']}" if m["ref"] else "")
            ),
        ),
        (
            r"(?P<st>.+) for (?P<n>\d+) days",
            lambda m: f"{_status_words(m['st'])} 已停留 {m['n']} 天",
        ),
        (r"residual of (?P<doc>\S+)", lambda m: f"凭证 {m['doc']} 的剩余项"),
        (
            r"portal shows it paid",
            lambda m: "平台显示已付",
        ),
        (
            r"remainder of a short payment of invoice (?P<ref>\S+) "
            r"\(cleared before the cleared items read\)",
            lambda m: f"发票 {m['ref']} 少付后的余额（清账早于读取的已清项范围）",
        ),
    )
)


def reason_zh(text: str) -> tuple[str, bool]:
    """The engine's reason in Chinese; False when some part matched no template (a portal's
    own words, kept as they are)."""
    parts, known = [], True
    for part in text.split("; "):
        for pattern, to_zh in REASONS:
            if m := pattern.fullmatch(part):
                parts.append(to_zh(m))  # type: ignore[operator]
                break
        else:
            parts.append(part)
            known = False
    return "；".join(parts), known


def reason(text: str, language: str) -> str:
    if not text or language == "en":
        return text
    zh, known = reason_zh(text)
    if not known and zh == text:  # a portal's own words: one language already
        return text
    return pick(zh, text, language)


def finding_code(label: object) -> str | None:
    """The finding code behind a label shown in any language (or an older workbook's)."""
    return _FINDING_CODES.get(_norm(label)) if label is not None else None


def _norm(s: object) -> str:
    return re.sub(r"\s+", " ", str(s)).strip().casefold()


_FINDING_CODES = {
    _norm(v): code
    for code, (zh, en) in FINDINGS.items()
    for v in (code, zh, en, f"{zh} {en}", f"{zh} {code}", f"{zh} / {en}")
}
