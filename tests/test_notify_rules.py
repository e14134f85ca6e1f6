"""Reminders by rule, messages fitted to their channel, reminder texts: pure functions."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from arsync.jobs.engine.dunning import DunningRules, choose
from arsync.reports.messages import (
    Digest,
    DigestItem,
    Reminder,
    ReminderLine,
    nbytes,
    render_digest,
    render_reminder,
    split_lines,
)

AS_OF = date(2026, 11, 23)
RULES = DunningRules(min_days_overdue=1, firm_days=30, final_days=90, interval_days=7, grace_days=3)


def item(
    doc: str, customer: str = "0000100001", days: int = 10, finding: str = "NO_PORTAL", **kw
) -> dict:
    return {
        "company_code": "1000",
        "fiscal_year": "2026",
        "document_no": doc,
        "line_item": "001",
        "customer": customer,
        "amount": kw.pop("amount", 100_00),
        "days_overdue": days,
        "finding": finding,
        "stuck": kw.pop("stuck", False),
        "dunning_block": kw.pop("dunning_block", ""),
        **kw,
    }


def key(doc: str) -> str:
    return f"1000|2026|{doc}|001"


def test_only_items_that_need_a_reminder_are_listed_and_the_others_say_why():
    wl = pd.DataFrame(
        [
            item("01"),  # listed
            item("02", finding="IN_PROCESS"),  # moving through the portal
            item("03", finding="IN_PROCESS", stuck=True),  # stuck: listed
            item("04", finding="PAID_NOT_APPLIED"),  # cash application, not the customer
            item("05"),  # disputed
            item("06"),  # promised for later
            item("07", finding="REJECTED"),  # we fix it first
            item("08", dunning_block="R"),
            item("09", days=0),  # not overdue
            item("10", amount=-50_00),  # a credit
        ]
    )
    promises = pd.DataFrame(
        [{"item_key": key("06"), "promised_date": AS_OF + timedelta(days=5), "state": "open"}]
    )
    plan = choose(wl, as_of=AS_OF, rules=RULES, disputed={key("05")}, promises=promises)
    assert sorted(plan.items["document_no"]) == ["01", "03"]
    why = dict(zip(plan.excluded["item_key"], plan.excluded["why"]))
    assert why == {
        key("02"): "in_process",
        key("04"): "paid_not_applied",
        key("05"): "disputed",
        key("06"): "promised",
        key("07"): "our_action",
        key("08"): "dunning_block",
    }
    (c,) = plan.customers.to_dict("records")
    assert c["level"] == "polite" and c["items"] == 2


@pytest.mark.parametrize(
    ("days", "promise_states", "last", "level"),
    [
        (10, [], None, "polite"),
        (45, [], None, "firm"),
        (120, [], None, "final"),
        (10, ["broken"], None, "firm"),  # a broken promise makes it firm
        (10, ["broken", "partly_kept"], None, "final"),  # two not kept: final
        (10, [], {"level": "polite", "as_of": AS_OF - timedelta(days=8)}, "firm"),  # the ladder
        (10, [], {"level": "firm", "as_of": AS_OF - timedelta(days=14)}, "final"),
    ],
)
def test_the_level_by_age_promises_and_ladder(days, promise_states, last, level):
    wl = pd.DataFrame([item(f"{i:02d}", days=days) for i in range(max(1, len(promise_states)))])
    promises = pd.DataFrame(
        [
            {"item_key": key(f"{i:02d}"), "promised_date": AS_OF - timedelta(days=10), "state": s}
            for i, s in enumerate(promise_states)
        ],
        columns=["item_key", "promised_date", "state"],
    )
    plan = choose(
        wl,
        as_of=AS_OF,
        rules=RULES,
        promises=promises,
        last_reminders={"0000100001": last} if last else None,
    )
    assert plan.customers["level"].tolist() == [level]
    if promise_states:
        assert plan.customers["broken_promise"].tolist() == [AS_OF - timedelta(days=10)]


def test_no_second_reminder_within_the_interval():
    wl = pd.DataFrame([item("01", days=40)])
    last = {"0000100001": {"level": "polite", "as_of": AS_OF - timedelta(days=3)}}
    plan = choose(wl, as_of=AS_OF, rules=RULES, last_reminders=last)
    assert plan.customers.empty and plan.skipped["customer"].tolist() == ["0000100001"]


def test_a_long_text_is_split_between_lines_and_never_cut_inside_one():
    lines = ["## 每日催收摘要"] + [
        f"- **上海市第{i}人民医院** 发票 2644200000001234{i:04d} 1,234,567.89 CNY 逾期 {i} 天"
        for i in range(200)
    ]
    text = "\n".join(lines)
    parts = split_lines(text, 4096, max_parts=50)
    assert len(parts) > 1 and all(nbytes(p) <= 4096 for p in parts)
    assert "\n".join(parts).split("\n") == lines  # every line whole, in order


def test_too_long_for_max_parts_is_summarised_with_a_link():
    lines = [f"- 客户 {i} 欠款 {i * 1000} CNY" for i in range(2000)]
    parts = split_lines(
        "\n".join(lines),
        2048,
        max_parts=2,
        more=lambda n: f"另有 {n} 行，见 https://ar.example/downloads",
    )
    assert len(parts) == 2 and all(nbytes(p) <= 2048 for p in parts)
    last = parts[-1].split("\n")[-1]
    shown = sum(len(p.split("\n")) for p in parts) - 1
    assert last == f"另有 {2000 - shown} 行，见 https://ar.example/downloads"
    assert all(line in lines for p in parts for line in p.split("\n")[:-1] if line != last)


def test_a_heading_never_ends_a_part():
    text = "\n".join(["x" * 60] * 30 + ["### 新的平台退回"] + ["y" * 60] * 30)
    parts = split_lines(text, 61 * 30 + 10)
    assert all(not p.split("\n")[-1].startswith("#") for p in parts)


def digest(n: int) -> Digest:
    items = tuple(
        DigestItem(
            "0000100001",
            f"上海市第{i}人民医院",
            f"2644200000001234{i:04d}",
            123456_78,
            "CNY",
            40 + i,
            "非平台客户 — 电话 / 邮件 / 企业微信常规催收",
        )
        for i in range(n)
    )
    return Digest(
        "C1", AS_OF, "zh", n, {"CNY": 999_00}, {"top": items}, link="https://ar.example/downloads"
    )


def test_a_digest_for_a_robot_fits_4096_bytes_per_message_and_links_to_the_rest():
    parts = render_digest(digest(120), fmt="md", limit=4096, max_parts=3)
    assert len(parts) == 3 and all(nbytes(p) <= 4096 for p in parts)
    assert parts[-1].endswith("完整内容见 https://ar.example/downloads")
    (whole,) = render_digest(digest(5), fmt="md", limit=4096)
    assert "### 今日优先 (5)" in whole and "123,456.78 CNY" in whole


def reminder(level: str, **kw) -> Reminder:
    return Reminder(
        customer="0000100001",
        customer_name="上海市第一人民医院",
        segment="hospital",
        level=level,
        as_of=AS_OF,
        lines=(
            ReminderLine(
                "26442000000012345678", date(2026, 6, 1), date(2026, 7, 1), 123456_78, "CNY", 145
            ),
        ),
        contact_person="张伟",
        company={
            "name_zh": "示例科技（上海）有限公司",
            "name_en": "Example Technology",
            "phone": "021-5555 0000",
        },
        signature={
            "zh": "应收账款组 {{ collector }}",
            "en": "Accounts receivable, {{ collector }}",
        },
        collector="王丽",
        statement_no="DZD2026000001",
        **kw,
    )


@pytest.mark.parametrize(
    ("level", "words"),
    [
        ("polite", ["付款提醒", "贵院", "如已安排付款，请忽略本函"]),
        ("firm", ["催款函", "10 个工作日内", "曾承诺于 2026-11-10 付款"]),
        ("final", ["最后催告函", "保留通过法律途径追讨的权利"]),
    ],
)
def test_reminder_texts_by_level(level, words):
    subject, body = render_reminder(reminder(level, broken_promise=date(2026, 11, 10)), "zh")
    text = subject + body
    assert all(w in text for w in words), text
    assert "26442000000012345678" in body and "123,456.78 CNY" in body and "已逾期 145 天" in body
    assert "对账单 DZD2026000001" in subject
    assert "应收账款组 王丽" in body and "示例科技（上海）有限公司" in body


def test_a_reminder_in_both_languages_has_chinese_first():
    subject, body = render_reminder(reminder("polite"), "both")
    assert subject.startswith("付款提醒") and " / Payment reminder" in subject
    assert body.index("尊敬的") < body.index("Dear 张伟")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_final_reminder_cites_an_earlier_letter_only_when_one_was_sent(language):
    _, first = render_reminder(reminder("final"), language)
    assert "致函" not in first and "We wrote to you" not in first
    assert "多次" not in first and "before" not in first
    assert (
        "截至 2026-11-23，以下款项仍未支付" in first
        or "the following amounts remain unpaid" in first
    )
    _, later = render_reminder(reminder("final", reminded_before=date(2026, 11, 2)), language)
    cited = {
        "zh": "我司已于 2026-11-02 就以下款项致函",
        "en": "We wrote to you about the amounts below on 2026-11-02",
    }
    assert cited[language] in later


def test_a_customer_billed_by_two_company_codes_is_told_both_statement_numbers():
    from dataclasses import replace
    from pathlib import Path

    from arsync.jobs.pipeline.notify import _statement_no

    attached = tuple(
        Path("run/statements") / f"DZD20260000{n}.{ext}"
        for n in (17, 18)
        for ext in ("xlsx", "pdf")
    )
    numbers = _statement_no(attached)
    assert numbers == "DZD2026000017 / DZD2026000018"
    subject, _ = render_reminder(replace(reminder("polite"), statement_no=numbers), "zh")
    assert "DZD2026000017" in subject and "DZD2026000018" in subject
