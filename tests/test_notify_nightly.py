"""Done when: a sandbox nightly with communications configured delivers one digest per
collector, and a reminder outbox whose approval sends each reminder exactly once.  A real SMTP
server (aiosmtpd) and the WeCom stand-in on loopback receive them."""

from __future__ import annotations

import io
from datetime import date, timedelta

import openpyxl
import pytest
from click.testing import CliRunner

from arsync.config import load_settings
from arsync.jobs.cli.main import cli
from arsync.jobs.pipeline import outbox
from arsync.jobs.pipeline.history import contact_log
from arsync.jobs.pipeline.run import run
from arsync.jobs.pipeline.runstore import RunStore
from arsync.jobs.pipeline.sending import send_approved
from arsync.sandbox.mailbox import start_mailbox
from arsync.sandbox.wecom import start_wecom

pytestmark = pytest.mark.browser

AS_OF = date(2026, 11, 23)
ROBOT_KEY = "robot-key-7f3a9c0d2e"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("notify")
    mailbox = start_mailbox()
    wecom = start_wecom(robots={ROBOT_KEY})
    mp = pytest.MonkeyPatch()
    mp.setenv("ARSYNC_TEST_ROBOT", ROBOT_KEY)
    config = out / "arsync.toml"
    config.write_text(
        f"""
[sandbox]
size = "tiny"
[runs]
out_dir = "{out}"
[portals.retry]
attempts = 2
initial = 0.0
maximum = 0.0
[notify]
enabled = true
signature_zh = "应收账款组 {{{{ collector }}}}"
[notify.email]
host = "{mailbox.host}"
port = {mailbox.port}
security = "none"
sender = "ar@example.com"
sender_name = "示例科技 应收账款"
[notify.wecom]
base_url = "{wecom.base_url}"
[notify.wecom.robots]
team = "env:ARSYNC_TEST_ROBOT"
[notify.collectors.C1]
email = "c1@corp.example"
robot = "team"
[notify.collectors.C2]
email = "c2@corp.example"
language = "en"
""",
        encoding="utf-8",
    )
    settings = load_settings(config)
    lines: list[str] = []
    res = run(settings, as_of=AS_OF, echo=lines.append)
    yield out, config, settings, res, lines, mailbox, wecom
    mp.undo()
    mailbox.close()
    wecom.close()


def digests(mailbox):
    return [
        m
        for m in mailbox.received
        if "摘要" in m.message["Subject"] or "digest" in m.message["Subject"]
    ]


def test_the_nightly_sends_one_digest_per_collector(world):
    _, _, _, res, lines, mailbox, wecom = world
    assert res.status in ("ok", "partial"), lines
    got = digests(mailbox)
    assert sorted(m.rcpt_tos for m in got) == [("c1@corp.example",), ("c2@corp.example",)]
    c1 = next(m.message for m in got if m.rcpt_tos == ("c1@corp.example",))
    assert c1["Subject"] == "每日催收摘要 / Daily collections digest · C1 · 2026-11-23"
    text = c1.get_body(("plain",)).get_content()
    assert "今日优先" in text and "Top priorities" in text
    (att,) = list(c1.iter_attachments())
    wb = openpyxl.load_workbook(io.BytesIO(att.get_content()))
    assert any("未清" in n or "Open" in n for n in wb.sheetnames)
    c2 = next(m.message for m in got if m.rcpt_tos == ("c2@corp.example",))
    assert c2["Subject"] == "Daily collections digest · C2 · 2026-11-23"
    head = c2.get_body(("plain",)).get_content().splitlines()[1]  # "114 open items, overdue …"
    assert "open items, overdue" in head and "，" not in head  # English punctuation in English
    c2_text = c2.get_body(("plain",)).get_content()
    assert "no e-mail address for reminders" in c2_text  # the seeded world's 0000100003
    assert "无催款邮箱" not in c2_text  # problems in the collector's language too
    robot = [d for d in wecom.state.delivered if d.kind == "robot"]
    assert robot and all(d.target == ROBOT_KEY for d in robot)
    assert all(len(d.body["markdown"]["content"].encode("utf-8")) <= 4096 for d in robot)
    assert "C1" in robot[0].body["markdown"]["content"]
    sent = f"digests sent {2 + len(robot)}, failed 0, left 0"
    assert sent in res.summary["notify"][0], res.summary["notify"]


def test_reminders_wait_for_approval_and_then_go_exactly_once(world):
    _, config, settings, _, _, mailbox, _ = world
    store = RunStore.for_settings(settings)
    drafts = outbox.rows(store, status=["draft"], kind="reminder")
    assert drafts, "the tiny world has overdue customers to remind"
    before = len(mailbox.received)
    runner = CliRunner()
    r = runner.invoke(cli, ["--config", str(config), "outbox", "send"])
    assert r.exit_code == 0 and "sent 0" in r.output  # drafts wait for approval
    assert len(mailbox.received) == before
    finals = [d for d in drafts if d["level"] == "final"]
    if finals:  # a final reminder refuses a collector's approval
        r = runner.invoke(
            cli,
            [
                "--config",
                str(config),
                "outbox",
                "approve",
                finals[0]["message_key"][:12],
                "--by",
                "王丽",
            ],
        )
        assert r.exit_code == 1 and "supervisor" in r.output
    r = runner.invoke(
        cli,
        [
            "--config",
            str(config),
            "outbox",
            "approve",
            "--all-drafts",
            "--supervisor",
            "--by",
            "主管 李",
        ],
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["--config", str(config), "outbox", "send"])
    assert r.exit_code == 0, r.output
    reminders = [m for m in mailbox.received[before:] if m.rcpt_tos[0].endswith(".arsync.example")]
    assert sorted(m.rcpt_tos[0] for m in reminders) == sorted(d["recipient"] for d in drafts)
    for m in reminders:
        msg = m.message
        assert any(w in msg["Subject"] for w in ("付款提醒", "催款函", "最后催告函"))
        assert msg.get_body(("plain",)).get_content().count("发票号") >= 1
        files = {a.get_filename(): a.get_content() for a in msg.iter_attachments()}
        pdfs = [n for n in files if n.endswith(".pdf")]  # the statement of account (对账单)
        assert pdfs and all(files[n].startswith(b"%PDF-") for n in pdfs)
        assert pdfs[0].removesuffix(".pdf") in msg["Subject"]
        for n in (n for n in files if n.endswith(".xlsx")):
            openpyxl.load_workbook(io.BytesIO(files[n]))  # opens
        text = msg.get_body(("plain",)).get_content()
        assert "对账单附后" in text or "statement of account is attached" in text
    r = runner.invoke(cli, ["--config", str(config), "outbox", "send"])
    assert r.exit_code == 0 and "sent 0" in r.output
    assert len(mailbox.received) == before + len(reminders)  # nothing sent twice
    r = runner.invoke(
        cli, ["--config", str(config), "outbox", "list", "--all", "--kind", "reminder"]
    )
    assert r.output.count("sent") >= len(reminders)
    for d in drafts:  # each sent reminder is in the customer's and its items' contact history
        log = contact_log(store, customer=d["customer"])
        mine = log[(log["field"] == "reminder_sent") & (log["source"] == "reminder")]
        mine = mine[mine["value"] == f"{d['level']} {d['message_key'][:12]}"]
        assert sorted(mine["item_key"]) == sorted(["", *d["items"]])  # each once


def test_a_week_later_the_worksheet_shows_the_dunning_level_and_the_ladder_goes_up(world):
    out, _, settings, _, _, mailbox, _ = world
    store = RunStore.for_settings(settings)
    for r in outbox.rows(store, status=["draft"], kind="reminder"):  # when run on its own
        outbox.approve(store, r["message_key"], by="主管", supervisor=True)
    send_approved(store, settings)
    sent = {r["customer"]: r["level"] for r in outbox.rows(store, status=["sent"], kind="reminder")}
    assert sent
    digests_before = len(digests(mailbox))
    res = run(settings, as_of=AS_OF + timedelta(days=7), echo=lambda _: None)
    assert res.status in ("ok", "partial")
    assert len(digests(mailbox)) == digests_before + 2  # a new day: one digest each again
    wb = openpyxl.load_workbook(out / "worksheets" / "C1.xlsx")
    ws = next(wb[n] for n in wb.sheetnames if "汇总" in n or "Summary" in n)
    head = [c.value for c in ws[1]]
    col = next(i for i, h in enumerate(head) if h and "催款级别" in str(h))
    shown = {
        str(r[0]): str(r[col] or "") for r in ws.iter_rows(min_row=2, values_only=True) if r[0]
    }
    words = {"polite": "付款提醒", "firm": "催款函", "final": "最后催告函"}
    mine = {c: lv for c, lv in sent.items() if c in shown}
    assert mine and all(words[lv] in shown[c] for c, lv in mine.items())
    ladder = {"polite": "firm", "firm": "final", "final": "final"}
    again = {
        r["customer"]: r["level"] for r in outbox.rows(store, status=["draft"], kind="reminder")
    }
    assert again and all(
        again[c] == ladder[sent[c]] or again[c] == "final" for c in again if c in sent
    )


def test_a_customer_without_an_address_is_a_problem_on_the_worksheet(world):
    import pandas as pd

    from arsync.jobs.pipeline.notify import with_communications

    _, _, settings, _, _, _, _ = world
    store = RunStore.for_settings(settings)
    customers = pd.DataFrame(
        [
            {
                "customer": "0000100001",
                "name": "甲医院",
                "collector": "C1",
                "segment": "hospital",
                "contact_person": "张伟",
                "email": "ap@a.example",
                "phone": "",
            },
            {
                "customer": "0000199999",
                "name": "乙大学",
                "collector": "C1",
                "segment": "academic",
                "contact_person": "",
                "email": "",
                "phone": "",
            },
        ]
    )
    shown = with_communications(store, customers, settings)
    assert shown["reminder_email"].tolist()[0] == "ap@a.example"
    assert (
        "缺失" in shown["reminder_email"].tolist()[1]
        and "missing" in shown["reminder_email"].tolist()[1]
    )
