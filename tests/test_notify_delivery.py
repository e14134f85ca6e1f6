"""Delivery that can be trusted: a real SMTP server (aiosmtpd) and a WeCom stand-in on
loopback, started here; what they received is what is asserted."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from datetime import date, datetime, timedelta

import openpyxl
import pytest

from arsync.config.settings import EmailSettings, NotifySettings, WecomSettings
from arsync.connectors.mail import compose, message_bytes, new_message_id
from arsync.connectors.mail.compose import Attachment
from arsync.jobs.pipeline import outbox
from arsync.jobs.pipeline.channels import Channels
from arsync.jobs.pipeline.delivery import send_outbox
from arsync.jobs.pipeline.runstore import RunStore
from arsync.sandbox.mailbox import start_mailbox
from arsync.sandbox.wecom import start_wecom

AS_OF = date(2026, 11, 23)
SUBJECT = "每日催收摘要 · 王丽 · 2026-11-23"


class FakeClock:
    """Monotonic seconds and wall time that move only when the sender sleeps."""

    def __init__(self):
        self.t = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.t += s

    def now(self) -> datetime:
        return datetime(2026, 11, 23, 8, 0) + timedelta(seconds=self.t)


@pytest.fixture
def mailbox():
    m = start_mailbox()
    yield m
    m.close()


@pytest.fixture
def store(tmp_path):
    return RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")


def settings(mailbox=None, wecom=None, **kw) -> NotifySettings:
    email = (
        EmailSettings(
            host=mailbox.host, port=mailbox.port, security="none", sender="ar@example.com"
        )
        if mailbox
        else EmailSettings()
    )
    we = (
        WecomSettings(
            base_url=wecom.base_url,
            robots={"team-a": "env:TEST_ROBOT_A", "team-b": "env:TEST_ROBOT_B"},
            corp_id="ww1",
            agent_id=1000002,
        )
        if wecom
        else WecomSettings()
    )
    return NotifySettings(enabled=True, email=email, wecom=we, initial=2.0, maximum=60.0, **kw)


def workbook_bytes(title: str = "未清项") -> bytes:
    wb = openpyxl.Workbook()
    wb.active.title = title
    wb.active["A1"] = "发票号"
    wb.active["A2"] = "26442000000012345678"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def email_draft(
    tmp_path, to: str, n: int = 0, approval: str = "none", attach: bool = True
) -> outbox.Draft:
    files = ()
    if attach:
        p = tmp_path / f"王丽_工作表_{n}.xlsx"
        p.write_bytes(workbook_bytes())
        files = (p,)
    text = f"今日优先 {n}\n- 上海市第一人民医院 ¥1,234.56"
    msg = compose(
        sender="ar@example.com",
        sender_name="应收账款",
        to=[to],
        subject=f"{SUBJECT} #{n}",
        text=text,
        attachments=[Attachment(p.name, p.read_bytes()) for p in files],
        message_id=new_message_id("example.com"),
        headers={"X-Arsync-Draft": str(n)},
    )
    return outbox.Draft(
        kind="digest" if approval == "none" else "reminder",
        channel="email",
        recipient=to,
        collector="王丽",
        subject=f"{SUBJECT} #{n}",
        text=text,
        eml=message_bytes(msg),
        attachments=files,
        approval=approval,
        customer="" if approval == "none" else f"00000{n}",
        level="" if approval == "none" else "polite",
    )


def robot_draft(n: int, robot: str = "team-a") -> outbox.Draft:
    content = f"## 摘要 {n}\n- 今日优先：上海市第一人民医院"
    return outbox.Draft(
        kind="digest",
        channel="wecom_robot",
        recipient=robot,
        collector=f"C{n}",
        subject=f"digest {n}",
        text=content,
        payload={"msgtype": "markdown", "markdown": {"content": content}},
    )


def test_an_email_arrives_once_with_its_chinese_subject_and_an_attachment_that_opens(
    store, mailbox, tmp_path
):
    key, added = outbox.add(
        store,
        tmp_path,
        email_draft(tmp_path, "王丽 <wang.li@corp.example>"),
        as_of=AS_OF,
        run_id="r1",
    )
    assert added
    again = outbox.add(
        store,
        tmp_path,
        email_draft(tmp_path, "王丽 <wang.li@corp.example>"),
        as_of=AS_OF,
        run_id="r2",
    )
    assert again == (key, False)  # the same message drafted again is the same row

    report = send_outbox(store, settings(mailbox))
    assert report.sent == [key]
    assert len(mailbox.received) == 1
    got = mailbox.received[0]
    assert got.rcpt_tos == ("wang.li@corp.example",)
    msg = got.message
    assert msg["Subject"] == f"{SUBJECT} #0"
    assert "=?utf-8?" in got.data.decode("ascii").split("\r\n\r\n")[0]  # RFC 2047 on the wire
    (att,) = list(msg.iter_attachments())
    assert att.get_filename() == "王丽_工作表_0.xlsx"
    assert att.get_param("name") == "王丽_工作表_0.xlsx"  # the encoded-word copy for Outlook
    wb = openpyxl.load_workbook(io.BytesIO(att.get_content()))
    assert wb.sheetnames == ["未清项"] and wb.active["A2"].value == "26442000000012345678"

    assert send_outbox(store, settings(mailbox)).sent == []  # sending again sends nothing
    assert len(mailbox.received) == 1
    assert outbox.get(store, key)["status"] == "sent"


def test_smtp_4xx_is_tried_again_after_a_backoff_and_5xx_fails_and_is_recorded(
    store, mailbox, tmp_path
):
    k1, _ = outbox.add(
        store,
        tmp_path,
        email_draft(tmp_path, "a@corp.example", 1, attach=False),
        as_of=AS_OF,
        run_id="r",
    )
    k2, _ = outbox.add(
        store,
        tmp_path,
        email_draft(tmp_path, "gone@corp.example", 2, attach=False),
        as_of=AS_OF,
        run_id="r",
    )
    answers = {"a@corp.example": ["451 4.7.1 DT:SPM try again later"]}

    def reply(got):
        if "gone@corp.example" in got.rcpt_tos:
            return "550 5.1.1 mailbox unavailable"
        queue = answers.get(got.rcpt_tos[0], [])
        return queue.pop(0) if queue else None

    mailbox.set_reply(reply)
    clock = FakeClock()
    report = send_outbox(store, settings(mailbox), clock=clock, sleep=clock.sleep, now=clock.now)
    assert report.sent == [k1]
    assert [k for k, _ in report.failed] == [k2]
    assert "550" in report.failed[0][1]
    assert [m.rcpt_tos for m in mailbox.received] == [("a@corp.example",)]
    assert clock.sleeps and 2.0 <= clock.sleeps[0] <= 2.2  # notify.initial, with ≤10 % jitter
    tries = outbox.attempts(store, k1)
    assert [t["outcome"] for t in tries] == ["retry", "sent"] and "451" in tries[0]["detail"]
    assert outbox.get(store, k2)["status"] == "failed"
    assert any("FAILED" in line and "550" in line for line in report.lines())


KILLER = r"""
import sys
from arsync.config.settings import EmailSettings, NotifySettings
from arsync.jobs.pipeline.delivery import send_outbox
from arsync.jobs.pipeline.runstore import RunStore
url, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = NotifySettings(email=EmailSettings(host=host, port=port, security="none", sender="ar@example.com"))
send_outbox(RunStore(url), s)
"""


def test_a_sender_killed_while_sending_and_resumed_sends_nothing_twice(store, mailbox, tmp_path):
    keys = [
        outbox.add(
            store,
            tmp_path,
            email_draft(tmp_path, f"c{n}@corp.example", n, attach=False),
            as_of=AS_OF,
            run_id="r",
        )[0]
        for n in range(5)
    ]
    proc: dict[str, subprocess.Popen] = {}

    def kill_on_third(got):
        if "c2@corp.example" in got.rcpt_tos and "p" in proc:
            os.kill(proc["p"].pid, signal.SIGKILL)  # dies while the server holds message 3

    mailbox.set_on_data(kill_on_third)
    proc["p"] = subprocess.Popen(
        [sys.executable, "-c", KILLER, store.url, mailbox.host, str(mailbox.port)]
    )
    assert proc["p"].wait(timeout=120) == -signal.SIGKILL
    mailbox.set_on_data(None)
    assert [outbox.get(store, k)["status"] for k in keys] == [
        "sent",
        "sent",
        "sending",
        "approved",
        "approved",
    ]

    report = send_outbox(store, settings(mailbox))  # the resume
    assert report.recovered == {"reclaimed": 0, "unknown": 1}
    assert report.sent == keys[3:]
    assert [k for k, _ in report.unknown] == [] and outbox.get(store, keys[2])[
        "status"
    ] == "unknown"
    received = [m.rcpt_tos[0] for m in mailbox.received]
    assert sorted(received) == [f"c{n}@corp.example" for n in range(5)]  # each exactly once
    assert len(set(m.message["Message-ID"] for m in mailbox.received)) == 5
    assert send_outbox(store, settings(mailbox)).sent == []
    assert len(mailbox.received) == 5


def test_a_robot_gets_at_most_20_a_minute_while_email_goes_on(
    store, mailbox, tmp_path, monkeypatch
):
    monkeypatch.setenv("TEST_ROBOT_A", "key-a-0123456789")
    clock = FakeClock()
    wecom = start_wecom(robots={"key-a-0123456789"}, clock=clock)
    try:
        robot = [
            outbox.add(store, tmp_path, robot_draft(n), as_of=AS_OF, run_id="r")[0]
            for n in range(25)
        ]
        mails = [
            outbox.add(
                store,
                tmp_path,
                email_draft(tmp_path, f"m{n}@corp.example", n, attach=False),
                as_of=AS_OF,
                run_id="r",
            )[0]
            for n in range(5)
        ]
        s = settings(mailbox, wecom)
        report = send_outbox(
            store,
            s,
            channels=Channels(s, clock=clock),
            clock=clock,
            sleep=clock.sleep,
            now=clock.now,
        )
    finally:
        wecom.close()
    assert sorted(report.sent) == sorted(robot + mails)
    got = [d for d in wecom.state.delivered if d.kind == "robot"]
    assert len(got) == 25 and wecom.state.refused == []  # never asked WeCom for a 45009
    times = [d.at for d in got]
    assert all(sum(1 for t in times if s0 <= t < s0 + 60) <= 20 for s0 in times)
    assert len(clock.sleeps) == 1 and 59 <= clock.sleeps[0] <= 61  # one wait, not one per message
    order = report.sent
    assert max(order.index(k) for k in mails) < order.index(robot[20])  # e-mail did not wait
    assert all(len(json.dumps(d.body["markdown"]["content"]).encode()) <= 4096 for d in got)
