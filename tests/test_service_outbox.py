"""The outbox page of `arsync serve`: a collector sees and approves only their own reminders of
a level a collector may approve; a final reminder waits for a supervisor; every form carries
the CSRF token; sending runs in a worker and reaches the SMTP server once."""

from __future__ import annotations

import re
from datetime import date

import httpx
import pytest

from arsync.common.secrets import Secret
from arsync.jobs.pipeline import outbox
from arsync.sandbox.mailbox import start_mailbox
from arsync.service.app import create_app
from arsync.service.context import open_service
from arsync.service.server import BackgroundServer

PASSWORD = "correct horse battery"
AS_OF = date(2026, 11, 23)


def reminder(tmp, collector: str, customer: str, level: str, approval: str) -> outbox.Draft:
    from arsync.connectors.mail import compose, message_bytes, new_message_id

    subject = f"催款函：客户 {customer}"
    to = f"ap@{customer}.arsync.example"
    eml = message_bytes(
        compose(
            sender="ar@example.com",
            to=[to],
            subject=subject,
            text="尊敬的客户：……",
            message_id=new_message_id("example.com"),
        )
    )
    return outbox.Draft(
        kind="reminder",
        channel="email",
        recipient=to,
        collector=collector,
        customer=customer,
        level=level,
        subject=subject,
        text="尊敬的客户：……",
        eml=eml,
        approval=approval,
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory, module_store_url):
    out = tmp_path_factory.mktemp("svc-outbox")
    mailbox = start_mailbox()
    svc = open_service(
        overrides={
            "runs.out_dir": str(out),
            "sandbox.size": "tiny",
            "runs.store_url": module_store_url,
            "notify.email.host": mailbox.host,
            "notify.email.port": mailbox.port,
            "notify.email.security": "none",
            "notify.email.sender": "ar@example.com",
        }
    )
    svc.users.add("sam", "supervisor", Secret(PASSWORD))
    svc.users.add("cora", "collector", Secret(PASSWORD), collector="C1")
    keys = {
        name: outbox.add(svc.store, out, reminder(out, *args), as_of=AS_OF, run_id="r")[0]
        for name, args in {
            "c1_polite": ("C1", "0000100001", "polite", "collector"),
            "c1_final": ("C1", "0000100002", "final", "supervisor"),
            "c2_firm": ("C2", "0000100003", "firm", "collector"),
        }.items()
    }
    app = create_app(svc, schedule=False)
    with BackgroundServer(app) as url:
        yield svc, url, keys, mailbox
    mailbox.close()


def sign_in(url: str, username: str) -> httpx.Client:
    c = httpx.Client(base_url=url, timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"username": username, "password": PASSWORD, "csrf": csrf, "next": "/"})
    return c


def csrf(c: httpx.Client) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get("/outbox").text).group(1)


def test_a_collector_sees_and_approves_only_their_own(world):
    svc, url, keys, _ = world
    c = sign_in(url, "cora")
    page = c.get("/outbox").text
    assert "0000100001" in page and "0000100002" in page and "0000100003" not in page
    assert c.get(f"/outbox/{keys['c2_firm']}").status_code == 403
    token = csrf(c)
    assert c.post(f"/outbox/{keys['c1_final']}/approve", data={"csrf": token}).status_code == 403
    assert c.post(f"/outbox/{keys['c1_polite']}/approve", data={}).status_code == 403  # no CSRF
    r = c.post(f"/outbox/{keys['c1_polite']}/approve", data={"csrf": token})
    assert r.status_code == 303
    row = outbox.get(svc.store, keys["c1_polite"])
    assert row["status"] == "approved" and row["approved_by"] == "cora"
    assert c.post("/outbox/send", data={"csrf": token}).status_code == 403  # collectors don't send


def test_a_supervisor_approves_a_final_reminder_and_sends(world):
    svc, url, keys, mailbox = world
    s = sign_in(url, "sam")
    token = csrf(s)
    assert s.post(f"/outbox/{keys['c1_final']}/approve", data={"csrf": token}).status_code == 303
    assert (
        s.post(
            f"/outbox/{keys['c2_firm']}/reject", data={"csrf": token, "note": "已付款"}
        ).status_code
        == 303
    )
    assert outbox.get(svc.store, keys["c1_final"])["approved_by"] == "sam"
    assert s.post("/outbox/send", data={"csrf": token}).status_code == 303
    svc.workers.wait_all(timeout=120)
    got = sorted(m.rcpt_tos[0] for m in mailbox.received)
    assert got == ["ap@0000100001.arsync.example", "ap@0000100002.arsync.example"]
    page = s.get("/outbox?show=all").text
    assert page.count("已发送") >= 2 and "已驳回" in page
    entries = [e.action for e in svc.audit.recent(50)]
    assert {"outbox.approve", "outbox.reject", "outbox.send"} <= set(entries)
