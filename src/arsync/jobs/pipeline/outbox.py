"""The outbox: messages drafted, approved, then sent — each exactly once.

A message is written whole into its folder (``<out>/outbox/<as_of>/<key>/``: ``message.eml``
for e-mail, ``payload.json`` for WeCom, the attachments, ``body.txt`` to read) and then gets its
row in the run store (:mod:`.outboxtables`).  Its **idempotency key** is a hash of the run's
business date, kind, channel, recipient and content (subject, text, attachment names): drafting
the same message again — a resumed run, the nightly run twice on one day — finds the row there
and adds nothing.  What a sender does with a row is in :mod:`.delivery`.

Approval: digests go to our own collectors and need none; a reminder needs the approval its
level asks for (``notify.reminders.approval``; a final reminder always a supervisor's).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from arsync.common import clock
from arsync.common.errors import ArsyncError, DataError, InputError
from arsync.jobs.pipeline.outboxtables import outbox as O
from arsync.jobs.pipeline.outboxtables import outbox_attempts as A
from arsync.jobs.pipeline.runstore import RunStore

KINDS = ("digest", "reminder")
CHANNELS = ("email", "wecom_robot", "wecom_app")


#: every state a message can be in: drafted, approved (by a person or by rule), claimed and being
#: handed over by a sender, sent, its outcome unknown (a person decides), failed, rejected
STATUSES = ("draft", "approved", "claimed", "sending", "sent", "unknown", "failed", "rejected")


class OutboxError(ArsyncError):
    """A message cannot be found, approved or sent as asked (the message says why)."""


class UnknownMessage(OutboxError, InputError):
    """No message (or more than one) has the key typed: the command's input is wrong."""


@dataclass(frozen=True)
class Draft:
    """One message to add to the outbox.

    ``recipient``: e-mail addresses (``,``-joined), a robot's name, or WeCom userids
    (``|``-joined).  ``eml`` is the whole e-mail as it will be sent (its Message-ID made once,
    here); ``payload`` the WeCom JSON.  ``attachments`` are copied into the message's folder."""

    kind: str
    channel: str
    recipient: str
    collector: str
    subject: str
    text: str
    customer: str = ""
    level: str = ""
    html: str | None = None
    eml: bytes | None = None
    payload: dict[str, Any] | None = None
    attachments: tuple[Path, ...] = ()
    items: tuple[str, ...] = ()
    approval: str = "none"  # none | collector | supervisor
    part: int = 1
    parts: int = 1
    extra: dict[str, str] = field(default_factory=dict)

    def content_hash(self) -> str:
        h = hashlib.sha256()
        for piece in (self.subject, self.text, json.dumps(self.payload or {}, sort_keys=True)):
            h.update(piece.encode("utf-8") + b"\0")
        for a in self.attachments:
            h.update(Path(a).name.encode("utf-8") + b"\0")
        return h.hexdigest()


def message_key(as_of: date, d: Draft) -> str:
    """The idempotency key: (the run's business date, kind, channel, recipient, content)."""
    raw = f"{as_of.isoformat()}|{d.kind}|{d.channel}|{d.recipient}|{d.content_hash()}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def add(
    store: RunStore, out: Path, d: Draft, *, as_of: date, run_id: str | None
) -> tuple[str, bool]:
    """Add ``d`` unless it is there already; (key, added)."""
    if d.kind not in KINDS or d.channel not in CHANNELS:
        raise OutboxError(f"unknown kind/channel {d.kind}/{d.channel}")
    key = message_key(as_of, d)
    with store.engine.connect() as c:
        if c.execute(sa.select(O.c.message_key).where(O.c.message_key == key)).first():
            return key, False
    folder = Path(out) / "outbox" / as_of.isoformat() / key[:20]
    _write_folder(folder, d)
    now = clock.now()
    status = "approved" if d.approval == "none" else "draft"
    with store.engine.begin() as c:
        if c.execute(sa.select(O.c.message_key).where(O.c.message_key == key)).first():
            return key, False
        seq = (c.execute(sa.select(sa.func.max(O.c.seq))).scalar() or 0) + 1
        c.execute(
            O.insert().values(
                message_key=key,
                seq=seq,
                run_id=run_id,
                as_of=as_of,
                kind=d.kind,
                channel=d.channel,
                recipient=d.recipient,
                collector=d.collector,
                customer=d.customer,
                level=d.level,
                part=d.part,
                parts=d.parts,
                subject=d.subject,
                folder=str(folder),
                attachments=json.dumps([Path(a).name for a in d.attachments], ensure_ascii=False),
                items=json.dumps(list(d.items)),
                content_hash=d.content_hash(),
                approval=d.approval,
                message_id=_message_id(d.eml),
                status=status,
                approved_by="(no approval needed)" if status == "approved" else None,
                approved_at=now if status == "approved" else None,
                attempts=0,
                created_at=now,
            )
        )
    return key, True


def _message_id(eml: bytes | None) -> str | None:
    """The e-mail's Message-ID, as made when it was composed (kept to show and to trace)."""
    if eml is None:
        return None
    from email.parser import BytesHeaderParser

    found = BytesHeaderParser().parsebytes(eml).get("Message-ID")
    return str(found) if found else None


def _write_folder(folder: Path, d: Draft) -> None:
    """Everything the sender needs, written whole before the row exists (a temporary folder
    renamed into place)."""
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    (tmp / "body.txt").write_text(f"{d.subject}\n\n{d.text}", encoding="utf-8")
    if d.html is not None:
        (tmp / "body.html").write_text(d.html, encoding="utf-8")
    if d.eml is not None:
        (tmp / "message.eml").write_bytes(d.eml)
    if d.payload is not None:
        (tmp / "payload.json").write_text(
            json.dumps(d.payload, ensure_ascii=False, indent=1), encoding="utf-8"
        )
    if d.attachments:
        (tmp / "attachments").mkdir()
        for a in d.attachments:
            shutil.copyfile(a, tmp / "attachments" / Path(a).name)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)


# --- reading ---------------------------------------------------------------------------------


def rows(
    store: RunStore,
    *,
    status: Iterable[str] | None = None,
    kind: str | None = None,
    run_id: str | None = None,
    collector: str | None = None,
    keys: Iterable[str] | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Outbox rows, in drafting order."""
    q = sa.select(O).order_by(O.c.seq)
    if status is not None:
        q = q.where(O.c.status.in_(list(status)))
    if kind:
        q = q.where(O.c.kind == kind)
    if run_id:
        q = q.where(O.c.run_id == run_id)
    if collector:
        q = q.where(O.c.collector == collector)
    if keys is not None:
        q = q.where(O.c.message_key.in_(list(keys)))
    if limit:
        q = q.limit(limit)
    with store.engine.connect() as c:
        return [_row(r) for r in c.execute(q).mappings()]


def get(store: RunStore, key: str) -> dict[str, Any]:
    """One row by its key or a unique prefix of it (at least 6 characters).  A key too short,
    unknown or not unique is :class:`UnknownMessage` (an input error: exit 2)."""
    if len(key) < 6:
        raise UnknownMessage(f"message key {key!r}: give at least 6 characters")
    with store.engine.connect() as c:
        found = c.execute(sa.select(O).where(O.c.message_key.like(f"{key}%")).limit(2)).mappings()
        got = [_row(r) for r in found]
    if not got:
        raise UnknownMessage(
            f"no message {key} in the outbox (`arsync outbox list --all` lists every message "
            "with its key)"
        )
    if len(got) > 1:
        raise UnknownMessage(f"message key {key} is not unique: give more characters")
    return got[0]


def attempts(store: RunStore, key: str) -> list[dict[str, Any]]:
    with store.engine.connect() as c:
        q = sa.select(A).where(A.c.message_key == key).order_by(A.c.attempt)
        return [dict(r) for r in c.execute(q).mappings()]


def counts(store: RunStore, *, collector: str | None = None) -> dict[str, int]:
    """Messages by status."""
    q = sa.select(O.c.status, sa.func.count()).group_by(O.c.status)
    if collector:
        q = q.where(O.c.collector == collector)
    with store.engine.connect() as c:
        return {s: int(n) for s, n in c.execute(q)}


def last_reminders(store: RunStore, *, sent: bool = False) -> dict[str, dict[str, Any]]:
    """customer → the newest reminder drafted for them that was not rejected or failed (with
    ``sent``: the newest sent) — level, as_of, status, sent_at: the ladder and the interval
    between reminders read it, the worksheet shows it as the customer's dunning level."""
    wanted = O.c.status == "sent" if sent else O.c.status.notin_(["rejected", "failed"])
    q = (
        sa.select(O.c.customer, O.c.level, O.c.as_of, O.c.status, O.c.sent_at)
        .where(O.c.kind == "reminder", wanted)
        .order_by(O.c.as_of, O.c.seq)
    )
    with store.engine.connect() as c:
        return {r.customer: dict(r._mapping) for r in c.execute(q)}


def _row(r: Any) -> dict[str, Any]:
    d = dict(r)
    d["attachments"] = json.loads(d["attachments"] or "[]")
    d["items"] = json.loads(d["items"] or "[]")
    return d


# --- what people do ----------------------------------------------------------------------


def approve(store: RunStore, key: str, *, by: str, supervisor: bool) -> dict[str, Any]:
    """Approve a draft.  A level that needs a supervisor's approval refuses anyone else."""
    row = get(store, key)
    if row["status"] != "draft":
        raise OutboxError(f"message {row['message_key'][:12]} is {row['status']}, not a draft")
    if row["approval"] == "supervisor" and not supervisor:
        raise OutboxError(
            f"message {row['message_key'][:12]} is a {row['level']} reminder: a supervisor "
            "must approve it"
        )
    if not by.strip():
        raise DataError("say who approves (a name)")
    _set(
        store,
        row["message_key"],
        "draft",
        status="approved",
        approved_by=by,
        approved_at=clock.now(),
    )
    return get(store, row["message_key"])


def reject(store: RunStore, key: str, *, by: str, note: str = "") -> dict[str, Any]:
    row = get(store, key)
    if row["status"] not in ("draft", "approved", "unknown"):
        raise OutboxError(
            f"message {row['message_key'][:12]} is {row['status']}: too late to reject"
        )
    _set(
        store,
        row["message_key"],
        row["status"],
        status="rejected",
        approved_by=by,
        approved_at=clock.now(),
        last_error=f"rejected by {by}" + (f": {note}" if note else ""),
    )
    return get(store, row["message_key"])


def supersede(store: RunStore, customer: str, *, keep: str) -> int:
    """Older drafts of reminders to ``customer`` give way to the newest (``keep``): rejected,
    saying so.  Returns how many."""
    with store.engine.begin() as c:
        return int(
            c.execute(
                O.update()
                .where(
                    O.c.kind == "reminder",
                    O.c.customer == customer,
                    O.c.status == "draft",
                    O.c.message_key != keep,
                )
                .values(status="rejected", last_error=f"superseded by {keep[:12]}")
            ).rowcount
        )


def release_unknown(store: RunStore, key: str, *, by: str) -> dict[str, Any]:
    """A person checked that a message whose outcome was unknown did not arrive: send it again
    (with the same Message-ID and bytes)."""
    row = get(store, key)
    if row["status"] != "unknown":
        raise OutboxError(f"message {row['message_key'][:12]} is {row['status']}, not unknown")
    _set(
        store,
        row["message_key"],
        "unknown",
        status="approved",
        last_error=f"resend approved by {by}",
    )
    return get(store, row["message_key"])


# --- what the sender does ------------------------------------------------------------------


def recover(store: RunStore) -> dict[str, int]:
    """After a sender died: a claimed message had not left (back to approved); a message being
    handed over may have arrived (unknown: a person decides)."""
    with store.engine.begin() as c:
        back = c.execute(
            O.update().where(O.c.status == "claimed").values(status="approved")
        ).rowcount
        doubt = c.execute(
            O.update()
            .where(O.c.status == "sending")
            .values(status="unknown", last_error="the sender stopped while handing it over")
        ).rowcount
    return {"reclaimed": back, "unknown": doubt}


def claim(store: RunStore, key: str) -> bool:
    """approved → claimed, if still approved (one sender per message)."""
    return _set(store, key, "approved", status="claimed")


def handing_over(store: RunStore, key: str) -> None:
    """From now on the other side may have the message."""
    if not _set(store, key, "claimed", status="sending"):
        raise OutboxError(f"message {key[:12]} was not claimed")


def finish(
    store: RunStore,
    key: str,
    outcome: str,
    detail: str,
    *,
    next_attempt_at: datetime | None = None,
) -> None:
    """Record an attempt: ``sent``, ``retry`` (back to approved until ``next_attempt_at``),
    ``failed`` or ``unknown``; ``release`` puts a claimed message back untouched."""
    now = clock.now()
    status = {"sent": "sent", "retry": "approved", "failed": "failed", "unknown": "unknown"}[
        outcome
    ]
    with store.engine.begin() as c:
        n = (
            c.execute(
                sa.select(sa.func.count()).select_from(A).where(A.c.message_key == key)
            ).scalar()
            or 0
        )
        c.execute(
            A.insert().values(
                message_key=key, attempt=n + 1, at=now, outcome=outcome, detail=detail
            )
        )
        values: dict[str, Any] = {"status": status, "attempts": n + 1}
        if outcome == "sent":
            values.update(sent_at=now, last_error=None, next_attempt_at=None)
        else:
            values.update(last_error=detail, next_attempt_at=next_attempt_at)
        c.execute(O.update().where(O.c.message_key == key).values(**values))


def release(store: RunStore, key: str, note: str) -> bool:
    """A claimed message that did not leave (its channel is misconfigured): approved again."""
    return _set(store, key, "claimed", status="approved", last_error=note)


def _set(store: RunStore, key: str, expected: str, **values: Any) -> bool:
    with store.engine.begin() as c:
        n = c.execute(
            O.update().where(O.c.message_key == key, O.c.status == expected).values(**values)
        ).rowcount
    return n == 1
