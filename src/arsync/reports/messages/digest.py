"""The collector's daily digest: what the night changed and what to do first today.

Sections (each only when it has lines): top priorities (the worklist's most urgent items),
promises to pay due today and broken since the last run, follow-ups due, new PAID_NOT_APPLIED
cash to apply, new rejections with the portal's reason, portals not read, and problems (a
customer without an address for reminders).  "New" means not in that state in the previous
run's worklist.  The digest is data (:class:`Digest`) rendered as markdown (WeCom, and the
e-mail's text) or HTML (the e-mail) by :func:`render_digest`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd

from arsync.reports import vocabulary as V
from arsync.reports.messages._env import clamp, environment, money

SECTIONS = {  # key: (zh, en)
    "top": ("今日优先", "Top priorities"),
    "promises_due": ("今天到期的付款承诺", "Promises to pay due today"),
    "promises_broken": ("未兑现的付款承诺", "Promises broken"),
    "follow_ups": ("今天要跟进", "Follow-ups due"),
    "paid_not_applied": ("新的已付款未核销（待现金核销）", "New cash to apply (PAID_NOT_APPLIED)"),
    "rejected": ("新的平台退回", "New rejections"),
}
WORDS = {
    "title": ("每日催收摘要", "Daily collections digest"),
    "open": ("未清项", "open items"),
    "overdue": ("逾期", "overdue"),
    "days": ("天", "days"),
    "stale": ("平台未读取", "Portals not read"),
    "last_read": ("上次读取", "last read"),
    "never": ("从未", "never"),
    "problems": ("问题", "Problems"),
    "waiting": ("待审批的催款函", "reminders awaiting approval"),
    "worksheet": ("工作表", "Worksheet"),
    "attached": ("见附件", "attached"),
    "promised": ("承诺", "promised"),
    "short": ("差额", "short"),
    "more": ("另有 {n} 行未列出，完整内容见", "{n} more lines not shown; see"),
    "and_more": ("另有 {n} 项，见工作表", "{n} more in the worksheet"),
}
PUNCTUATION = {"comma": ("，", ", "), "colon": ("：", ": "), "lp": ("（", " ("), "rp": ("）", ")")}


@dataclass(frozen=True)
class DigestItem:
    customer: str
    customer_name: str
    reference: str
    amount: int  # minor units
    currency: str
    days_overdue: int
    note: str  # what to do, or why it is listed, in the digest's language


@dataclass(frozen=True)
class Digest:
    collector: str
    as_of: date
    language: str
    items: int
    overdue: dict[str, int]  # currency → minor units overdue
    sections: dict[str, tuple[DigestItem, ...]]
    stale_portals: tuple[tuple[str, str], ...] = ()  # (portal, last read or '')
    problems: tuple[str, ...] = ()
    reminders_waiting: int = 0
    link: str = ""  # the service's download page, when it runs
    attached: str = ""  # the workbook's file name, when attached
    hidden: dict[str, int] = field(default_factory=dict)  # section → lines beyond the top

    @property
    def lines(self) -> int:
        return sum(len(v) for v in self.sections.values()) + len(self.stale_portals)


def item_keys(df: pd.DataFrame) -> pd.Series:
    """``company|year|document|line`` as on the worksheets and in the run store."""
    if df.empty:
        return pd.Series([], dtype=object, index=df.index)
    return (
        df["company_code"]
        + "|"
        + df["fiscal_year"]
        + "|"
        + df["document_no"]
        + "|"
        + df["line_item"]
    )


def build_digest(
    worklist: pd.DataFrame,
    collector: str,
    *,
    as_of: date,
    language: str,
    previous: pd.DataFrame | None = None,
    promises: pd.DataFrame | None = None,
    follow_ups: pd.DataFrame | None = None,
    stale_portals: dict[str, object] | None = None,
    grace_days: int = 0,
    since: date | None = None,
    top: int = 10,
    problems: list[str] | tuple[str, ...] = (),
    reminders_waiting: int = 0,
    link: str = "",
    attached: str = "",
) -> Digest:
    """One collector's digest from the run's frames.  ``previous`` is the last run's worklist
    (what is "new"); ``since`` that run's as-of date (promises broken since; default the day
    before).  ``promises`` has the promise book's columns (item_key, customer, collector,
    promised_date, promised_amount, currency, state, short_amount); ``follow_ups`` item_key
    and next_follow_up."""
    wl = worklist[worklist["collector"] == collector].copy()
    wl["_key"] = item_keys(wl)
    pick = lambda zh, en: V.pick(zh, en, language)  # noqa: E731
    facts = wl.set_index("_key")
    since = since or as_of - timedelta(days=1)

    def item(r, note: str) -> DigestItem:
        return DigestItem(
            customer=str(r["customer"]),
            customer_name=str(r["customer_name"]),
            reference=str(r["reference"] or r["document_no"]),
            amount=int(r["amount"]),
            currency=str(r["currency"]),
            days_overdue=int(r["days_overdue"]),
            note=note,
        )

    sections: dict[str, tuple[DigestItem, ...]] = {}
    owed = wl[(wl["amount"] > 0) & (wl["finding"] != "UNAPPLIED_CREDIT")]
    ranked = owed.sort_values(
        ["priority", "days_overdue", "amount"], ascending=[True, False, False]
    )
    sections["top"] = tuple(
        item(
            r,
            V.finding(r["finding"], language)
            + " — "
            + V.next_action(r["finding"], r["next_action"], language),
        )
        for r in ranked.head(top).to_dict("records")
    )

    mine = _mine(promises, collector)
    due = mine[(mine["promised_date"] == as_of) & (mine["state"] == "open")]
    sections["promises_due"] = _promise_items(due, facts, item, pick)
    closed = mine["promised_date"] + timedelta(days=grace_days)
    broken = mine[
        mine["state"].isin(["partly_kept", "broken"]) & (closed >= since) & (closed < as_of)
    ]
    sections["promises_broken"] = _promise_items(broken, facts, item, pick, short=True)

    if follow_ups is not None and len(follow_ups):
        f = follow_ups[follow_ups["item_key"].isin(facts.index)]
        f = f[pd.to_datetime(f["next_follow_up"]).dt.date <= as_of]
        sections["follow_ups"] = tuple(
            item(facts.loc[k], f"{pick('跟进日', 'follow up on')} {pd.Timestamp(d).date()}")
            for k, d in zip(f["item_key"], f["next_follow_up"])
        )

    before = _findings(previous)
    for key, code in (("paid_not_applied", "PAID_NOT_APPLIED"), ("rejected", "REJECTED")):
        rows = wl[(wl["finding"] == code) & (wl["_key"].map(before) != code)]
        sections[key] = tuple(
            item(
                r,
                clamp(r["payment_ref"] or r["proposed_clearing"], 40)
                if code == "PAID_NOT_APPLIED"
                else clamp(V.reason(r["reason"], language), 80),
            )
            for r in rows.sort_values("amount", ascending=False).to_dict("records")
        )

    # each section lists at most ``top`` lines; the rest are counted ("… N more")
    hidden = {k: len(v) - top for k, v in sections.items() if len(v) > top}
    sections = {k: v[:top] for k, v in sections.items()}
    overdue = owed[owed["days_overdue"] > 0].groupby("currency")["amount"].sum()
    stale = tuple(sorted((str(p), _day_text(t)) for p, t in (stale_portals or {}).items()))
    mine_portals = set(wl["portal"]) | set(wl.loc[wl["finding"] == "STALE", "portal"])
    stale = tuple(s for s in stale if s[0] in mine_portals or not mine_portals - {""})
    return Digest(
        collector=collector,
        as_of=as_of,
        language=language,
        items=len(wl),
        overdue={str(c): int(v) for c, v in overdue.items()},
        sections={k: v for k, v in sections.items() if v},
        stale_portals=stale,
        problems=tuple(problems),
        reminders_waiting=reminders_waiting,
        link=link,
        attached=attached,
        hidden=hidden,
    )


def _day_text(t: Any) -> str:
    """A last-read time as its date ('' when never read)."""
    return "" if t is None or pd.isna(t) else str(pd.Timestamp(t).date())


def _mine(promises: pd.DataFrame | None, collector: str) -> pd.DataFrame:
    cols = [
        "item_key",
        "customer",
        "collector",
        "promised_date",
        "promised_amount",
        "currency",
        "state",
        "short_amount",
    ]
    if promises is None or promises.empty:
        return pd.DataFrame(columns=cols)
    p = promises[promises["collector"] == collector].copy()
    p["promised_date"] = pd.to_datetime(p["promised_date"]).dt.date
    return p


def _promise_items(rows, facts, item, pick, short: bool = False) -> tuple[DigestItem, ...]:
    out = []
    for r in rows.to_dict("records"):
        if r["item_key"] not in facts.index:
            continue
        note = f"{pick('承诺', 'promised')} {money(r['promised_amount'], r['currency'])} {pick('于', 'by')} {r['promised_date']}"
        if short and r.get("short_amount"):
            note += (
                f"{comma(pick)}{pick('差额', 'short')} {money(r['short_amount'], r['currency'])}"
            )
        out.append(item(facts.loc[r["item_key"]], note))
    return tuple(out)


def comma(pick) -> str:
    """The list comma of the text's language: full width in Chinese (and both), ", " in English."""
    return ", " if pick("zh", "en") == "en" else "，"


def _findings(previous: pd.DataFrame | None) -> dict[str, str]:
    if previous is None or previous.empty:
        return {}
    return dict(zip(item_keys(previous), previous["finding"]))


def render_digest(
    d: Digest, *, fmt: str = "md", limit: int | None = None, max_parts: int = 3
) -> list[str]:
    """The digest as markdown (``md``: WeCom and the e-mail's text) or ``html`` (the e-mail);
    with ``limit`` (bytes), markdown comes as at most ``max_parts`` messages of whole lines,
    the last ending with a link to the whole text when lines had to be left out."""
    from arsync.reports.messages.split import split_lines

    words = {k: V.pick(zh, en, d.language) for k, (zh, en) in WORDS.items()}
    en = d.language == "en"  # punctuation: Chinese text (zh, both) keeps full-width marks
    words |= {k: p[en] for k, p in PUNCTUATION.items()}
    titles = {k: V.pick(zh, en, d.language) for k, (zh, en) in SECTIONS.items()}
    env = environment("", html=fmt == "html")
    text = env.get_template(f"digest.{fmt}.j2").render(
        d=d, w=words, titles=titles, money=money, clamp=clamp
    )
    if fmt != "md" or limit is None:
        return [text]
    where = d.link or (f"{words['worksheet']} {d.attached}" if d.attached else words["worksheet"])
    more = lambda n: words["more"].format(n=n) + f" {where}"  # noqa: E731
    return split_lines(text, limit, max_parts=max_parts, more=more)
