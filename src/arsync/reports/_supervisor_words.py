"""The supervisor report's words: each measure's name in Chinese and English, its unit, and its
definition (formula and source, as in :mod:`arsync.jobs.engine.measures`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    id: str
    zh: str
    en: str
    unit: str  # money | days | pct | int
    better: str = ""  # up | down | "" (no direction)
    formula: str = ""
    source: str = ""


MEASURES = (
    Measure(
        "collected",
        "回款金额",
        "Collected",
        "money",
        "up",
        "debit items (invoices, residuals) cleared in SAP in the period, at their amount",
        "issue 12; SAP clearing date (AUGDT)",
    ),
    Measure("collected_items", "回款笔数", "Items collected", "int", "up"),
    Measure(
        "sales",
        "开票金额",
        "Invoiced",
        "money",
        "",
        "invoices (RV / DR) posted in the period, incl. VAT (价税合计)",
        "collections-kpis.md §1: take invoiced amounts incl. VAT as sales",
    ),
    Measure(
        "ar",
        "应收余额",
        "AR balance",
        "money",
        "down",
        "items posted by the date and not cleared by it; open credits net it",
    ),
    Measure(
        "current",
        "未到期",
        "Current",
        "money",
        "",
        "AR not past the net due date",
        "CRF: current = not past due",
    ),
    Measure("overdue", "逾期金额", "Overdue", "money", "down", "AR − current"),
    Measure(
        "dso",
        "DSO 倒推法",
        "DSO (countback)",
        "days",
        "down",
        "from ending AR, walk back month by month: whole months while AR left ≥ the month's "
        "sales, then AR left ÷ that month's sales × its days",
        "benjipays; highako (Nestlé's group method)",
    ),
    Measure(
        "dso_simple",
        "DSO 平均销售法",
        "DSO (average sales)",
        "days",
        "down",
        "ending AR ÷ sales of the last 3 months × their days",
        "upflow; aro2c (period-end method)",
    ),
    Measure(
        "bpdso",
        "最佳DSO 倒推法",
        "Best possible DSO (countback)",
        "days",
        "down",
        "countback over current AR only",
        "apruve; The Hackett Group",
    ),
    Measure(
        "bpdso_simple",
        "最佳DSO 平均销售法",
        "Best possible DSO (average sales)",
        "days",
        "down",
        "current AR ÷ sales of the last 3 months × their days",
        "apruve; The Hackett Group",
    ),
    Measure(
        "add",
        "平均逾期天数 ADD",
        "Average days delinquent",
        "days",
        "down",
        "DSO − best possible DSO (countback)",
        "waycalculator; Hackett",
    ),
    Measure(
        "add_simple",
        "平均逾期天数 ADD 平均销售法",
        "ADD (average sales)",
        "days",
        "down",
        "DSO − best possible DSO (average sales)",
        "waycalculator; Hackett",
    ),
    Measure(
        "cei",
        "回款有效性指数 CEI",
        "CEI",
        "pct",
        "up",
        "(opening AR + sales − ending AR) ÷ (opening AR + sales − ending current AR) × 100, "
        "total-sales form",
        "Credit Management Association / CRF; creditguru; gaviti",
    ),
    Measure(
        "pct_current",
        "未到期占比",
        "% current",
        "pct",
        "up",
        "current AR ÷ AR × 100",
        "CRF national summary",
    ),
    Measure(
        "pct_over_90",
        "逾期90天以上占比",
        "% over 90 days past due",
        "pct",
        "down",
        "AR more than 90 days past due ÷ AR × 100",
        "CRF national summary",
    ),
    Measure(
        "moved_items",
        "平台推进笔数",
        "Items moved along on portals",
        "int",
        "up",
        "items that reached a new portal status (not PAID) in the period",
        "the run store's stage history",
    ),
    Measure(
        "pna_found",
        "发现已付未核销",
        "Paid, not applied: found",
        "money",
        "",
        "items first seen paid on the portal in the period",
        "stage history",
    ),
    Measure(
        "pna_applied",
        "已付未核销已核销",
        "Paid, not applied: applied",
        "money",
        "up",
        "items paid on the portal and cleared in SAP in the period",
        "stage history + SAP",
    ),
    Measure(
        "contacts",
        "联系次数",
        "Contacts made",
        "int",
        "up",
        "contact dates typed in the worksheets in the period + reminders sent",
        "the run store's contact history",
    ),
    Measure(
        "promises_made",
        "新增付款承诺",
        "Promises obtained",
        "int",
        "up",
        "promises to pay first seen in the period",
        "the run store's promises",
    ),
    Measure("promises_made_amount", "新增承诺金额", "Promised amount obtained", "money", "up"),
    Measure(
        "promises_kept",
        "承诺已兑现",
        "Promises kept",
        "int",
        "up",
        "promises due in the period, kept (cleared in SAP)",
        "collections-kpis.md §4: FDM_P2P_JUDGE's states",
    ),
    Measure("promises_kept_amount", "已兑现承诺金额", "Promises kept: amount", "money", "up"),
    Measure(
        "promises_kept_pending",
        "已付待核销承诺",
        "Promises kept, cash not applied",
        "int",
        "",
        "promises due in the period paid on the portal, not yet cleared in SAP",
    ),
    Measure(
        "promises_kept_pending_amount",
        "已付待核销承诺金额",
        "Promises kept, cash not applied: amount",
        "money",
        "",
    ),
    Measure(
        "promises_broken",
        "承诺未兑现",
        "Promises broken",
        "int",
        "down",
        "promises due in the period broken or only partly kept",
    ),
    Measure("promises_broken_amount", "未兑现承诺金额", "Promises broken: amount", "money", "down"),
    Measure("disputes_opened", "新增争议", "Disputes opened", "int", ""),
    Measure("disputes_resolved", "已解决争议", "Disputes resolved", "int", "up"),
    Measure("disputes_open", "未决争议", "Disputes open", "int", "down"),
    Measure(
        "disputes_open_age",
        "未决争议平均天数",
        "Open disputes: mean age",
        "days",
        "down",
        "mean days since opened, at the period's end",
    ),
    Measure(
        "disputes_resolved_age",
        "争议平均解决天数",
        "Days to resolve a dispute",
        "days",
        "down",
        "mean days from opened to resolved, of those resolved in the period",
    ),
    Measure("statements_sent", "对账单发出", "Statements (对账单) sent", "int", "up"),
    Measure("statements_confirmed", "对账单确认", "Statements confirmed", "int", "up"),
)
BY_ID = {m.id: m for m in MEASURES}

#: what the summary page and the first sheet show, in order
HEADLINE = ("collected", "ar", "overdue", "dso", "bpdso", "add", "cei", "pct_current")
#: the collector table's columns
PER_COLLECTOR = (
    "collected",
    "collected_items",
    "ar",
    "overdue",
    "pct_current",
    "dso",
    "bpdso",
    "add",
    "cei",
    "moved_items",
    "pna_applied",
    "contacts",
    "promises_made",
    "promises_kept",
    "promises_kept_pending",
    "promises_broken",
    "disputes_open",
    "statements_sent",
)

WORDS = {
    "title": ("信控主管报告", "Supervisor report"),
    "as_of": ("截至", "As of"),
    "period": ("期间", "Period"),
    "week": ("周", "week"),
    "month": ("月", "month"),
    "quarter": ("季度", "quarter"),
    "this": ("本期", "This period"),
    "previous": ("上期", "Previous"),
    "change": ("变化", "Change"),
    "measure": ("指标", "Measure"),
    "team": ("团队", "Team"),
    "collector": ("催收员", "Collector"),
    "currency": ("币种", "Currency"),
    "customer": ("客户", "Customer"),
    "name": ("客户名称", "Customer name"),
    "items": ("笔数", "Items"),
    "oldest": ("最长逾期天数", "Oldest, days past due"),
    "run": ("运行", "Run"),
    "summary": ("摘要", "Summary"),
    "by_collector": ("按催收员", "By collector"),
    "aging": ("账龄", "Aging"),
    "trend": ("趋势", "Trend"),
    "top": ("逾期客户", "Top overdue"),
    "notes": ("说明", "Notes"),
    "formula": ("公式", "Formula"),
    "source": ("来源", "Source"),
    "collected_chart": ("各催收员回款", "Collected by collector"),
    "aging_chart": ("账龄分布（逾期天数）", "Aging (days past due)"),
    "trend_chart": ("DSO 趋势（天）", "DSO trend (days)"),
    "top_chart": ("逾期金额最高的客户", "Customers with most overdue"),
    "days": ("天", "days"),
    "none": ("无", "none"),
}


def text(zh: str, en: str, language: str) -> str:
    if language == "zh":
        return zh
    if language == "en":
        return en
    return f"{zh} {en}"


def word(key: str, language: str) -> str:
    zh, en = WORDS[key]
    return text(zh, en, language)


def measure_name(mid: str, language: str) -> str:
    m = BY_ID.get(mid)
    if m is None:
        return mid
    return text(m.zh, m.en, language)
