"""Enterprise WeChat delivery against the stand-in on loopback: limits and errcodes as WeCom
answers them, tokens cached, keys never written anywhere."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from arsync.config.settings import NotifySettings, WecomSettings
from arsync.jobs.pipeline import outbox
from arsync.jobs.pipeline.channels import Channels
from arsync.jobs.pipeline.delivery import send_outbox
from arsync.jobs.pipeline.runstore import RunStore
from arsync.sandbox.wecom import start_wecom

AS_OF = date(2026, 11, 23)
KEY = "wh-key-5b1e7c9a3d"
SECRET = "app-secret-0c4f8e2b6a"


class Clock:
    def __init__(self):
        self.t = 50.0
        self.sleeps: list[float] = []

    def __call__(self):
        return self.t

    def sleep(self, s):
        self.sleeps.append(s)
        self.t += s

    def now(self):
        return datetime(2026, 11, 23, 8) + timedelta(seconds=self.t)


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_WECOM_KEY", KEY)
    monkeypatch.setenv("TEST_WECOM_GONE", "no-such-robot-key")
    clock = Clock()
    we = start_wecom(robots={KEY}, apps={"ww1": SECRET}, users={"wangli", "zhangwei"}, clock=clock)
    s = NotifySettings(
        enabled=True,
        wecom=WecomSettings(
            base_url=we.base_url,
            robots={"team": "env:TEST_WECOM_KEY", "gone": "env:TEST_WECOM_GONE"},
            corp_id="ww1",
            agent_id=1000002,
            secret=SECRET,
        ),
    )
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    yield store, s, we, clock, tmp_path
    we.close()


def add(store, out, channel, recipient, n, content=None):
    content = content or f"## 摘要 {n}\n- 上海市第一人民医院"
    d = outbox.Draft(
        kind="digest",
        channel=channel,
        recipient=recipient,
        collector="C1",
        subject=f"d{n}",
        text=content,
        payload={"msgtype": "markdown", "markdown": {"content": content}},
    )
    return outbox.add(store, out, d, as_of=AS_OF, run_id="r")[0]


def send(store, s, clock):
    return send_outbox(
        store, s, channels=Channels(s, clock=clock), clock=clock, sleep=clock.sleep, now=clock.now
    )


def test_45009_and_http_429_and_busy_are_tried_again_and_arrive_once(env):
    store, s, we, clock, out = env
    we.state.fail_next.extend([45009, "http429", -1])
    k = add(store, out, "wecom_robot", "team", 1)
    report = send(store, s, clock)
    assert report.sent == [k]
    assert [d.kind for d in we.state.delivered] == ["robot"]
    assert [x for x in we.state.refused] == [("robot", 45009), ("robot", 429), ("robot", -1)]
    assert clock.sleeps[0] >= 60  # 45009: WeCom's per-minute block lifts after about a minute
    assert [a["outcome"] for a in outbox.attempts(store, k)] == ["retry", "retry", "retry", "sent"]


def test_a_removed_robot_stops_its_channel_and_a_refused_payload_fails_alone(env):
    store, s, _, clock, out = env
    gone = add(store, out, "wecom_robot", "gone", 1)
    too_long = add(store, out, "wecom_robot", "team", 2, content="长" * 1400)  # 4,200 bytes
    fine = add(store, out, "wecom_robot", "team", 3)
    report = send(store, s, clock)
    assert report.sent == [fine]
    assert [k for k, _ in report.failed] == [too_long] and "40058" in report.failed[0][1]
    assert "93000" in report.channel_errors["wecom_robot:gone"]
    assert outbox.get(store, gone)["status"] == "approved"  # waits for the robot to be fixed
    assert report.left == [gone]


def test_app_messages_fetch_the_token_once_and_again_when_it_expired(env):
    store, s, we, clock, out = env
    a = add(store, out, "wecom_app", "wangli", 1)
    b = add(store, out, "wecom_app", "zhangwei", 2)
    channels = Channels(s, clock=clock)
    report = send_outbox(store, s, channels=channels, clock=clock, sleep=clock.sleep, now=clock.now)
    assert report.sent == [a, b] and we.state.token_seq == 1
    we.state.tokens.clear()  # WeCom revoked the token early
    c = add(store, out, "wecom_app", "wangli", 3)
    report = send(store, s, clock)
    assert report.sent == [c]
    assert [d.target for d in we.state.delivered] == ["wangli", "zhangwei", "wangli"]
    body = we.state.delivered[0].body
    assert body["agentid"] == 1000002 and body["enable_duplicate_check"] == 1


def test_no_key_secret_or_token_reaches_the_store_the_files_or_an_error(env):
    store, s, we, clock, out = env
    add(store, out, "wecom_robot", "team", 1)
    add(store, out, "wecom_app", "wangli", 2)
    add(store, out, "wecom_robot", "gone", 3)
    we.state.fail_next.append(93000)
    send(store, s, clock)
    send(store, s, clock)
    tokens = list(we.state.tokens)
    dump = "\n".join(
        repr(r) + repr(outbox.attempts(store, r["message_key"])) for r in outbox.rows(store)
    )
    files = "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in out.rglob("*")
        if p.is_file() and p.suffix != ".sqlite"
    )
    db = (out / "runs.sqlite").read_bytes().decode("latin-1")
    for secret in (KEY, SECRET, "no-such-robot-key", *tokens):
        assert secret not in dump and secret not in files and secret not in db
