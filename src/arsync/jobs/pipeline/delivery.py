"""Sending the outbox: each approved message exactly once, politely to every rate limit.

:func:`send_outbox` takes the outbox lock (one sender at a time; a dead sender's lock is taken
over), recovers what a killed sender left (:func:`~.outbox.recover`: a claimed message had not
left; one being handed over is *unknown* and waits for a person), then loops:

- pick the first due message whose channel's rate limit allows it (a robot over its 20 a
  minute waits while e-mail and other robots go on); sleep only when nothing can go, and never
  longer than ``notify.max_wait`` in all — what is left goes with the next send;
- claim it, mark the moment it is handed over (SMTP: just before DATA; WeCom: just before the
  request), send, record the attempt;
- a transient failure (SMTP 4xx, a lost connection before hand-over, WeCom -1 / 45009, HTTP 429
  / 5xx) is tried again after a backoff that doubles from ``notify.initial`` up to
  ``notify.maximum`` (or after the wait the other side asked for), at most ``notify.attempts``
  times; a permanent one (5xx, a refused recipient or payload) fails the message, recorded and
  shown; a configuration error (a refused login, a removed robot) stops that channel for this
  send, leaving its messages approved.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from arsync.common.clock import now as wall_now
from arsync.common.errors import (
    ConfigError,
    DataError,
    LogonError,
    OutcomeUnknown,
    RateLimited,
    TransientError,
)
from arsync.config.settings import NotifySettings
from arsync.jobs.pipeline import outbox
from arsync.jobs.pipeline.channels import Channels
from arsync.jobs.pipeline.runstore import RunStore

LOCK = "outbox"


@dataclass
class SendReport:
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    unknown: list[tuple[str, str]] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # approved, not sent by this send
    channel_errors: dict[str, str] = field(default_factory=dict)
    recovered: dict[str, int] = field(default_factory=dict)
    slept: float = 0.0

    def lines(self) -> list[str]:
        out = [
            f"sent {len(self.sent)}, failed {len(self.failed)}, unknown {len(self.unknown)}, left {len(self.left)}"
        ]
        out += [f"  FAILED {k[:12]}: {why}" for k, why in self.failed]
        out += [f"  UNKNOWN {k[:12]}: {why}" for k, why in self.unknown]
        out += [f"  channel {c}: {why}" for c, why in self.channel_errors.items()]
        if self.recovered.get("unknown"):
            out.append(
                f"  {self.recovered['unknown']} message(s) were being handed over when a sender "
                "stopped: outcome unknown (arsync outbox show KEY; resend with --release-unknown)"
            )
        return out


def backoff(attempt: int, key: str, s: NotifySettings) -> float:
    """Seconds before try ``attempt + 1``: ``initial`` doubled per try, capped at ``maximum``,
    plus up to 10 % jitter derived from the message key (deterministic, but spreads retries)."""
    base = min(s.maximum, s.initial * 2 ** max(0, attempt - 1))
    jitter = int(hashlib.sha256(f"{key}|{attempt}".encode()).hexdigest()[:4], 16) / 0xFFFF
    return base * (1 + 0.1 * jitter)


def send_outbox(
    store: RunStore,
    settings: NotifySettings,
    *,
    keys: list[str] | None = None,
    kind: str | None = None,
    channels: Channels | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = wall_now,
    on_sent: Callable[[dict[str, Any]], None] | None = None,
    echo: Callable[[str], None] = lambda _: None,
) -> SendReport:
    """Send every approved message (or those of ``keys`` / ``kind``); return what happened."""
    ch = channels or Channels(settings, clock=clock)
    report = SendReport()
    store.acquire(f"{LOCK}-send", name=LOCK)
    try:
        report.recovered = outbox.recover(store)
        todo = outbox.rows(store, status=["approved"], keys=keys, kind=kind)
        started = clock()
        broken: dict[str, str] = {}
        while todo:
            wall = now()
            ready, wait = None, None
            for r in todo:
                if _channel(r) in broken:
                    continue
                if r["part"] > 1 and _earlier_part_pending(r, todo):
                    continue
                due = r["next_attempt_at"]
                w = max(0.0, (due - wall).total_seconds()) if due else 0.0
                w = max(w, ch.limit(ch.bucket(r)).wait())
                if w <= 0:
                    ready = r
                    break
                wait = w if wait is None else min(wait, w)
            if ready is None:
                if wait is None:
                    break  # only messages of broken channels are left
                if clock() - started + wait > settings.max_wait:
                    echo(f"  outbox: next message not due for {wait:.0f}s; left for the next send")
                    break
                sleep(wait)
                report.slept += wait
                continue
            todo.remove(ready)
            outcome = _deliver(store, ch, ready, settings, now)
            key = ready["message_key"]
            if outcome[0] == "sent":
                report.sent.append(key)
                echo(
                    f"  sent {ready['kind']} {ready['channel']} → {ready['recipient']} ({key[:12]})"
                )
                if on_sent is not None:
                    on_sent(outbox.get(store, key))
            elif outcome[0] == "retry":
                todo.append(outbox.get(store, key))
                todo.sort(key=lambda r: r["seq"])
            elif outcome[0] == "failed":
                report.failed.append((key, outcome[1]))
                echo(f"  FAILED {ready['channel']} → {ready['recipient']}: {outcome[1]}")
            elif outcome[0] == "unknown":
                report.unknown.append((key, outcome[1]))
            elif outcome[0] == "config":
                todo.append(outbox.get(store, key))  # stays approved: left for the next send
                broken[_channel(ready)] = outcome[1]
                echo(f"  channel {_channel(ready)} stopped: {outcome[1]}")
        report.channel_errors = broken
        report.left = [r["message_key"] for r in todo]
    finally:
        ch.close()
        store.release(f"{LOCK}-send", name=LOCK)
    return report


def _group(r: dict[str, Any]) -> tuple[str, str, str]:
    return (r["run_id"] or "", r["channel"], r["recipient"])


def _earlier_part_pending(r: dict[str, Any], todo: list[dict[str, Any]]) -> bool:
    return any(
        o is not r
        and _group(o) == _group(r)
        and o["kind"] == r["kind"]
        and o["part"] < r["part"]
        and o["as_of"] == r["as_of"]
        for o in todo
    )


def _channel(r: dict[str, Any]) -> str:
    return r["channel"] if r["channel"] != "wecom_robot" else f"wecom_robot:{r['recipient']}"


def _deliver(
    store: RunStore, ch: Channels, r: dict[str, Any], s: NotifySettings, now: Callable[[], datetime]
) -> tuple[str, str]:
    key = r["message_key"]
    if not outbox.claim(store, key):
        return "skipped", "claimed elsewhere"
    limit = ch.limit(ch.bucket(r))
    try:
        folder = Path(r["folder"])
        if r["channel"] == "email":
            data = (folder / "message.eml").read_bytes()
            rcpts = [addr for _, addr in getaddresses([r["recipient"]]) if addr]
            smtp = ch.smtp()
            limit.record()
            smtp.send(
                data,
                sender=ch.sender(),
                recipients=rcpts,
                before_data=lambda: outbox.handing_over(store, key),
            )
        else:
            payload = json.loads((folder / "payload.json").read_text(encoding="utf-8"))
            client = ch.wecom()
            if r["channel"] == "wecom_robot":
                secret = ch.robot_key(r["recipient"])
                outbox.handing_over(store, key)
                limit.record()
                client.robot_send(secret, payload)
            else:
                w = s.wecom
                secret = ch.app_secret()
                outbox.handing_over(store, key)
                limit.record()
                msgtype = payload["msgtype"]
                client.app_send(
                    corp_id=w.corp_id,
                    agent_id=w.agent_id,
                    secret=secret,
                    to_users=r["recipient"].split("|"),
                    msgtype=msgtype,
                    content=payload[msgtype],
                )
    except OutcomeUnknown as exc:
        outbox.finish(store, key, "unknown", str(exc))
        return "unknown", str(exc)
    except (ConfigError, LogonError) as exc:
        if not outbox.release(store, key, str(exc)):
            _back(store, key, str(exc))
        return "config", str(exc)
    except RateLimited as exc:
        wait = max(exc.retry_after or 0.0, backoff(r["attempts"] + 1, key, s))
        limit.block(exc.retry_after or wait)
        return _retry(store, key, r, s, str(exc), now() + timedelta(seconds=wait))
    except TransientError as exc:
        wait = backoff(r["attempts"] + 1, key, s)
        return _retry(store, key, r, s, str(exc), now() + timedelta(seconds=wait))
    except DataError as exc:
        outbox.finish(store, key, "failed", str(exc))
        return "failed", str(exc)
    outbox.finish(store, key, "sent", "ok")
    return "sent", ""


def _back(store: RunStore, key: str, note: str) -> None:
    """A configuration error after hand-over was marked (the robot's key is refused at once):
    nothing was taken, the message goes back to approved."""
    from arsync.jobs.pipeline.outboxtables import outbox as O

    with store.engine.begin() as c:
        c.execute(
            O.update().where(O.c.message_key == key).values(status="approved", last_error=note)
        )


def _retry(store, key, r, s, why: str, at: datetime) -> tuple[str, str]:
    if r["attempts"] + 1 >= s.attempts:
        outbox.finish(store, key, "failed", f"{why} (gave up after {r['attempts'] + 1} tries)")
        return "failed", why
    outbox.finish(store, key, "retry", why, next_attempt_at=at)
    return "retry", why
