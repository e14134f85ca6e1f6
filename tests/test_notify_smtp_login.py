"""The SMTP channel from the environment (ARSYNC_NOTIFY__EMAIL__*), logging in to a real SMTP
server (aiosmtpd, loopback) with the password from ARSYNC_NOTIFY__EMAIL__PASSWORD: a refused
login stops the channel and leaves the message for the next send; the password is in no file,
row, error or line of output."""

from __future__ import annotations

from datetime import date

import pytest

from arsync.config import load_settings
from arsync.connectors.mail import compose, message_bytes, new_message_id
from arsync.jobs.pipeline import outbox
from arsync.jobs.pipeline.delivery import send_outbox
from arsync.jobs.pipeline.runstore import RunStore
from arsync.sandbox.mailbox import start_mailbox

PASSWORD = "qwhkzrbnpdtyfbce"  # a 授权码 as QQ / 163 mail hand them out
USER = "ar@example.com"


@pytest.fixture
def mailbox():
    m = start_mailbox(users={USER: PASSWORD})
    yield m
    m.close()


def env(mailbox, password: str) -> dict[str, str]:
    return {
        "ARSYNC_NOTIFY__ENABLED": "true",
        "ARSYNC_NOTIFY__EMAIL__HOST": mailbox.host,
        "ARSYNC_NOTIFY__EMAIL__PORT": str(mailbox.port),
        "ARSYNC_NOTIFY__EMAIL__SECURITY": "none",
        "ARSYNC_NOTIFY__EMAIL__USER": USER,
        "ARSYNC_NOTIFY__EMAIL__PASSWORD": password,
    }


def draft(tmp_path) -> outbox.Draft:
    msg = compose(
        sender=USER,
        to=["c1@corp.example"],
        subject="每日催收摘要 · C1",
        text="今日优先",
        message_id=new_message_id("example.com"),
    )
    return outbox.Draft(
        kind="digest",
        channel="email",
        recipient="c1@corp.example",
        collector="C1",
        subject="每日催收摘要 · C1",
        text="今日优先",
        eml=message_bytes(msg),
    )


def test_a_refused_login_stops_email_and_the_right_password_sends_it_once(mailbox, tmp_path):
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    key, _ = outbox.add(store, tmp_path, draft(tmp_path), as_of=date(2026, 11, 23), run_id="r")
    said: list[str] = []

    odd = load_settings(environ=env(mailbox, "授权码"))  # SMTP AUTH cannot send it: a config error
    report = send_outbox(store, odd.notify, echo=said.append)
    assert "ASCII" in report.channel_errors["email"] and report.failed == []
    assert outbox.get(store, key)["status"] == "approved"

    wrong = load_settings(environ=env(mailbox, "not-the-password"))
    assert wrong.notify.email.host == mailbox.host and wrong.notify.email.user == USER
    report = send_outbox(store, wrong.notify, echo=said.append)
    assert report.sent == [] and list(report.channel_errors) == ["email"]
    assert "535" in report.channel_errors["email"] or "login" in report.channel_errors["email"]
    assert outbox.get(store, key)["status"] == "approved"  # left for the next send
    assert mailbox.received == [] and mailbox.logins == []

    right = load_settings(environ=env(mailbox, PASSWORD))
    report = send_outbox(store, right.notify, echo=said.append)
    assert report.sent == [key] and mailbox.logins == [USER]
    assert [m.rcpt_tos for m in mailbox.received] == [("c1@corp.example",)]
    assert send_outbox(store, right.notify).sent == []  # once

    secret = PASSWORD.encode("utf-8")
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files and not [p for p in files if secret in p.read_bytes()]  # store, outbox files
    assert PASSWORD not in repr(right.notify) and PASSWORD not in "\n".join(said)
    assert all(PASSWORD not in (a["detail"] or "") for a in outbox.attempts(store, key))
