"""One portal account's fetch as a self-contained job, and its result committed once.

A job is what a Celery task carries (:mod:`.distributed`): the run folder, the account's bound
declaration as JSON, the invoice numbers a search portal looks up and the day.  A password held
in memory (the sandbox's) travels sealed with the session key, never in clear; a reference
(``env:``/``keyring:``) travels as it is and is resolved by the worker.

Whoever runs a job writes evidence and records into a private staging folder and commits by
renaming that folder to ``<run>/evidence/<portal>/<account>`` (with ``_records.parquet`` and
``_outcome.json`` inside).  A rename is atomic and refuses an existing target, so the first
commit wins and a re-delivered task's second result is dropped: records and evidence reach
the run folder once per (run, portal, account).  ``<run>/portal-tasks.jsonl`` journals every
start and commit (worker, time) for audits.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from arsync.common.frames import PORTAL_RECORDS
from arsync.common.secrets import Secret

from . import records
from .definitions import Account, Portal, accounts_of
from .runner import Outcome, Runner
from .sessions import SessionStore, _safe

STAGING = ".portal-staging"
JOURNAL = "portal-tasks.jsonl"


@dataclass(frozen=True)
class AccountJob:
    folder: str  # the run folder (shared by the workers and the run)
    portal: dict[str, Any]  # the declaration without accounts, as JSON
    account: dict[str, Any]  # the one account; a sandbox password sealed
    invoice_numbers: dict[str, list[str]] | list[str] | None = None
    today: str | None = None  # ISO date
    portals: dict[str, Any] = field(default_factory=dict)  # timeout_ms, retry, account deadline

    @property
    def key(self) -> tuple[str, str]:
        return self.portal["id"], self.account["id"]

    def to_message(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_message(cls, msg: dict[str, Any]) -> AccountJob:
        return cls(**msg)


def make_job(
    settings, portal: Portal, acc: Account, folder: Path, invoice_numbers, today: date | None
) -> AccountJob:
    """The job for one account of a bound declaration (``invoice_numbers`` narrowed to the
    portal's customers, so a message carries only what its search needs)."""
    sessions = SessionStore(
        settings.portals.session_dir, key_file=settings.portals.session_key_file
    )
    pw: Any = acc.password
    if isinstance(pw, Secret):
        pw = {"sealed": sessions.seal(pw.reveal())}
    nums = invoice_numbers
    if isinstance(nums, dict) and isinstance(portal.customers, list) and portal.customers:
        nums = {c: list(nums[c]) for c in portal.customers if c in nums}
    elif nums is not None and not isinstance(nums, dict):
        nums = list(nums)
    return AccountJob(
        folder=str(Path(folder).resolve()),
        portal=portal.model_dump(mode="json", exclude={"accounts"}),
        account={**acc.model_dump(mode="json", exclude={"password"}), "password": pw},
        invoice_numbers=nums,
        today=today.isoformat() if today else None,
        portals={
            "timeout_ms": settings.portals.timeout_ms,
            "retry": settings.portals.retry.model_dump(),
            "account_deadline_s": settings.portals.account_deadline_s,
        },
    )


def declaration(job: AccountJob, sessions: SessionStore) -> tuple[Portal, Account]:
    """The bound declaration and account back from a job (a sealed password unsealed)."""
    a = dict(job.account)
    if isinstance(a.get("password"), dict):
        a["password"] = Secret(sessions.unseal(a["password"]["sealed"]), source="portal task")
    acc = Account.model_validate(a)
    portal = Portal.model_validate({**job.portal, "accounts": [acc]})
    return portal, accounts_of(portal)[0]


def final_dir(folder: str | Path, portal: str, account: str) -> Path:
    return Path(folder) / "evidence" / _safe(portal) / _safe(account)


def committed(folder: str | Path, portal: str, account: str) -> Outcome | None:
    """The committed outcome of an account in this run, or ``None`` while it has none."""
    p = final_dir(folder, portal, account) / "_outcome.json"
    if not p.exists():
        return None
    return Outcome(**json.loads(p.read_text(encoding="utf-8")))


def committed_records(folder: str | Path, portal: str, account: str) -> pd.DataFrame:
    p = final_dir(folder, portal, account) / "_records.parquet"
    return PORTAL_RECORDS.coerce(pd.read_parquet(p)) if p.exists() else PORTAL_RECORDS.empty()


def journal(folder: str | Path, **event: Any) -> None:
    """One line per event, appended (one small write: whole lines even from many workers)."""
    line = json.dumps({"at": datetime.now().isoformat(timespec="milliseconds"), **event})
    fd = os.open(Path(folder) / JOURNAL, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


async def run_job(settings, browser, job: AccountJob, *, worker: str = "") -> Outcome:
    """Fetch the job's account with ``browser`` and commit the result; an account this run has
    already committed is not fetched again (its committed outcome is returned)."""
    from arsync.config.settings import RetrySettings

    pid, aid = job.key
    worker = worker or worker_name()
    done = committed(job.folder, pid, aid)
    if done is not None:
        journal(job.folder, event="skipped", portal=pid, account=aid, worker=worker)
        return done
    journal(job.folder, event="start", portal=pid, account=aid, worker=worker)
    ps = settings.portals.model_copy(
        update={
            "timeout_ms": job.portals.get("timeout_ms", settings.portals.timeout_ms),
            "account_deadline_s": job.portals.get(
                "account_deadline_s", settings.portals.account_deadline_s
            ),
            "retry": RetrySettings(**job.portals["retry"])
            if "retry" in job.portals
            else settings.portals.retry,
        }
    )
    s = settings.model_copy(update={"portals": ps})
    staging = Path(job.folder) / STAGING / f"{_safe(worker)}-{uuid.uuid4().hex[:8]}"
    try:
        runner = Runner(
            s,
            browser,
            staging,
            invoice_numbers=job.invoice_numbers,
            today=date.fromisoformat(job.today) if job.today else None,
        )
        portal, acc = declaration(job, runner.sessions)
        rows: list[dict] = []
        out = await runner.account(portal, acc, into=rows)
        out.worker = worker
        return _commit(job, staging, rows, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _commit(job: AccountJob, staging: Path, rows: list[dict], out: Outcome) -> Outcome:
    pid, aid = job.key
    src, dst = final_dir(staging, pid, aid), final_dir(job.folder, pid, aid)
    src.mkdir(parents=True, exist_ok=True)
    moved = lambda path: path.replace(str(src), str(dst), 1) if path else path  # noqa: E731
    for r in rows:
        r["evidence"] = moved(r["evidence"])
    out.evidence = moved(out.evidence)
    records.frame(rows).to_parquet(src / "_records.parquet", index=False)
    (src / "_outcome.json").write_text(json.dumps(asdict(out), ensure_ascii=False))
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(src, dst)
    except OSError:  # another delivery of this task committed first: its result stands
        journal(job.folder, event="duplicate", portal=pid, account=aid, worker=out.worker)
        return committed(job.folder, pid, aid) or out
    journal(
        job.folder,
        event="commit",
        portal=pid,
        account=aid,
        worker=out.worker,
        outcome=out.outcome,
        records=out.records,
        logged_in=out.logged_in,
    )
    return out
