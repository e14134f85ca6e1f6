"""A nightly killed while it sends the digests, then resumed: the SMTP server (aiosmtpd) and the
WeCom stand-in receive each collector's digest once — real processes, real servers, loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from arsync.config import load_settings
from arsync.jobs.pipeline import outbox
from arsync.jobs.pipeline.runstore import RunStore
from arsync.sandbox.mailbox import start_mailbox
from arsync.sandbox.wecom import start_wecom

pytestmark = pytest.mark.browser

ROBOT_KEY = "robot-key-5b1e8d07aa"
ARSYNC = str(Path(sys.executable).with_name("arsync"))  # the installed command


@pytest.fixture
def servers():
    mailbox = start_mailbox()
    wecom = start_wecom(robots={ROBOT_KEY})
    yield mailbox, wecom
    mailbox.close()
    wecom.close()


def write_config(tmp_path, mailbox, wecom):
    config = tmp_path / "arsync.toml"
    config.write_text(
        f"""
[sandbox]
size = "tiny"
[runs]
out_dir = "{tmp_path / "out"}"
[portals.retry]
attempts = 2
initial = 0.0
maximum = 0.0
[notify]
enabled = true
[notify.email]
host = "{mailbox.host}"
port = {mailbox.port}
security = "none"
sender = "ar@example.com"
[notify.wecom]
base_url = "{wecom.base_url}"
[notify.wecom.robots]
team = "env:ARSYNC_TEST_ROBOT"
[notify.collectors.C1]
email = "c1@corp.example"
robot = "team"
[notify.collectors.C2]
email = "c2@corp.example"
""",
        encoding="utf-8",
    )
    return config


def nightly(config, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "ARSYNC_TEST_ROBOT": ROBOT_KEY}
    return subprocess.Popen(
        [ARSYNC, "--config", str(config), "nightly", "--as-of", "2026-11-23", *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_nightly_killed_while_sending_digests_and_resumed_sends_each_digest_once(
    tmp_path, servers
):
    mailbox, wecom = servers
    config = write_config(tmp_path, mailbox, wecom)
    proc: dict[str, subprocess.Popen] = {}

    def kill_at_first_digest(got):
        if "p" in proc:
            os.kill(proc["p"].pid, signal.SIGKILL)  # the server holds the first digest

    mailbox.set_on_data(kill_at_first_digest)
    proc["p"] = nightly(config)
    out, _ = proc["p"].communicate(timeout=600)
    assert proc["p"].returncode == -signal.SIGKILL, out
    mailbox.set_on_data(None)
    assert [m.rcpt_tos for m in mailbox.received] == [("c1@corp.example",)]
    assert wecom.state.delivered == []  # C1's robot message came after its e-mail

    again = nightly(config, "--resume")
    out, _ = again.communicate(timeout=600)
    assert again.returncode == 0, out
    assert sorted(m.rcpt_tos for m in mailbox.received) == [
        ("c1@corp.example",),
        ("c2@corp.example",),
    ]  # C1's digest was being handed over when the sender died: not sent again
    assert len({m.message["Message-ID"] for m in mailbox.received}) == 2
    robot = [d for d in wecom.state.delivered if d.kind == "robot"]
    assert robot and len({d.body["markdown"]["content"] for d in robot}) == len(robot)

    store = RunStore.for_settings(load_settings(config))
    c1 = [
        r
        for r in outbox.rows(store, kind="digest")
        if r["collector"] == "C1" and r["channel"] == "email"
    ]
    assert [r["status"] for r in c1] == ["unknown"]  # for a person to check, never resent

    third = nightly(config)  # the same day run once more: no second digest to anyone
    out, _ = third.communicate(timeout=600)
    assert third.returncode == 0, out
    assert len(mailbox.received) == 2
    assert len([d for d in wecom.state.delivered if d.kind == "robot"]) == len(robot)
