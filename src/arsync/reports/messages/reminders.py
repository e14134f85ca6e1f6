"""Customer reminders (催款函) from Jinja2 templates, at three levels, in Chinese and English.

``templates/reminder_<level>.<zh|en>.j2`` (replaceable from ``notify.reminders.templates_dir``)
renders a subject line, a blank line, then the body.  The wording follows the usual ladder
(reference notifications-cn.md §4): **polite** (付款提醒: a service note, documents offered),
**firm** (催款函: facts and a dated request; a broken promise named), **final** (最后催告函:
the contract's consequences, our right to pursue by law kept).  Public-sector customers are
addressed as 贵单位 / 贵院 (hospitals) / 贵校 (universities); the statement of account is attached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from arsync.reports.messages._env import environment, money

LEVELS = ("polite", "firm", "final")
COMPANY_KEYS = ("name_zh", "name_en", "phone", "email", "bank", "address_zh", "address_en")
ADDRESS = {"hospital": ("贵院", "your hospital"), "academic": ("贵校", "your university")}


@dataclass(frozen=True)
class ReminderLine:
    reference: str
    document_date: date | None
    due_date: date | None
    amount: int  # minor units, + owed to us
    currency: str
    days_overdue: int


@dataclass(frozen=True)
class Reminder:
    customer: str
    customer_name: str
    segment: str
    level: str  # polite | firm | final
    as_of: date
    lines: tuple[ReminderLine, ...]
    contact_person: str = ""
    collector: str = ""
    company: dict[str, str] = field(default_factory=dict)  # name_zh, name_en, phone, email, bank
    signature: dict[str, str] = field(default_factory=dict)  # zh / en lines under the name
    statement_no: str = ""
    broken_promise: date | None = None  # the promised date not kept, for firm / final
    reminded_before: date | None = None  # when our last reminder was sent (none: never)
    reply_days: int = 10

    @property
    def totals(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for x in self.lines:
            out[x.currency] = out.get(x.currency, 0) + x.amount
        return out

    @property
    def max_days_overdue(self) -> int:
        return max((x.days_overdue for x in self.lines), default=0)


def render_reminder(r: Reminder, language: str, templates_dir: str = "") -> tuple[str, str]:
    """(subject, body) in ``zh``, ``en`` or ``both`` (Chinese first, then English, one
    subject with both)."""
    if r.level not in LEVELS:
        raise ValueError(f"unknown reminder level {r.level!r}")
    langs = ["zh", "en"] if language == "both" else [language]
    parts = [_one(r, lang, templates_dir) for lang in langs]
    subject = " / ".join(p[0] for p in parts)
    body = "\n\n————————————————\n\n".join(p[1] for p in parts)
    return subject, body


def _one(r: Reminder, lang: str, templates_dir: str) -> tuple[str, str]:
    env = environment(templates_dir)
    you = ADDRESS.get(r.segment, ("贵单位", "your organisation"))[0 if lang == "zh" else 1]
    sig = environment("").from_string(r.signature.get(lang, "")).render(collector=r.collector)
    company = {k: "" for k in COMPANY_KEYS} | dict(r.company)
    text = env.get_template(f"reminder_{r.level}.{lang}.j2").render(
        r=r, you=you, money=money, signature=sig.strip(), company=company
    )
    subject, _, body = text.strip("\n").partition("\n")
    return subject.strip(), body.strip("\n") + "\n"
