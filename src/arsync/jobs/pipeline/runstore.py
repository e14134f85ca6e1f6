"""The run store: one row per run and per stage, and the lock that keeps runs from overlapping.

SQLAlchemy Core over any URL (a SQLite file by default, PostgreSQL in production).  Stage
outputs themselves live as files in the run's folder; the store says which stages finished,
so a failed run can resume from the first stage that did not.  The schema is built and changed
by Alembic migrations (``migrations/versions``); the tables below mirror them for queries, and a
test checks that the two agree.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from arsync.common import clock
from arsync.common.errors import ArsyncError
from arsync.common.private import create_private, private_file
from arsync.jobs.pipeline.lock import Holder, judge, this_process
from arsync.jobs.pipeline.storemeta import meta

runs = sa.Table(
    "runs",
    meta,
    sa.Column("run_id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),  # nightly | reconcile
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("scope", sa.Text, nullable=False, default="{}"),  # JSON: narrowed customers, ...
    # running | ok | partial | failed | interrupted | bad_input | dead (see outcome.py)
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("folder", sa.Text, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("resumed_from", sa.String(40)),
    sa.Column("attempt", sa.Integer, nullable=False, server_default="1"),  # +1 per --resume
)

stages = sa.Table(
    "stages",
    meta,
    sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.run_id"), primary_key=True),
    sa.Column("stage", sa.String(30), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # running|ok|partial|failed|interrupted
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("seconds", sa.Float),
    sa.Column("counts", sa.Text, nullable=False, default="{}"),
    sa.Column("error", sa.Text),
)

locks = sa.Table(
    "locks",
    meta,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("run_id", sa.String(40), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("acquired_at", sa.DateTime, nullable=False),
    sa.Column("process_started", sa.Float),  # the holder's start time: a reused PID is not it
)


portal_accounts = sa.Table(
    "portal_accounts",
    meta,
    sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.run_id"), primary_key=True),
    sa.Column("portal", sa.String(60), primary_key=True),
    sa.Column("account", sa.String(120), primary_key=True),
    sa.Column("outcome", sa.String(12), nullable=False),  # ok | failed | needs_login | stale
    sa.Column("reason", sa.Text),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("logged_in", sa.Boolean, nullable=False),
    sa.Column("worker", sa.String(255), nullable=False),  # empty: the run's own process
    sa.Column("seconds", sa.Float),
    sa.Column("evidence", sa.Text),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
)


class RunLocked(ArsyncError):
    """Another run holds the lock."""


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    kind: str
    as_of: date
    scope: dict[str, Any]
    status: str
    started_at: datetime
    finished_at: datetime | None
    folder: str
    error: str | None
    stages: tuple[dict[str, Any], ...]
    attempt: int = 1

    def finished_stages(self) -> list[str]:
        return [s["stage"] for s in self.stages if s["status"] in ("ok", "partial")]


#: Statuses --resume continues: failed, interrupted (Ctrl-C, SIGTERM), or died while running.
UNFINISHED = ("failed", "running", "dead", "interrupted")


class RunStore:
    """Runs, stages and the run lock in one database.

    ``lock_stale_hours``: a lock held from another host for longer than this is taken over (its
    process cannot be checked from here); ``runs.lock_stale_hours`` in the settings."""

    def __init__(self, url: str, lock_stale_hours: float = 24.0, group: str = ""):
        self.url = url
        self.stale_after = timedelta(hours=lock_stale_hours)
        if url.startswith("sqlite:///"):
            # owner-only (or runs.group) from its first byte: SQLite gives its journal and WAL
            # files the database file's mode
            db = Path(url[len("sqlite:///") :]).expanduser()
            db.parent.mkdir(parents=True, exist_ok=True)
            if not db.exists():
                create_private(db, b"", group)
            private_file(db, group)
        self.engine = sa.create_engine(url, future=True)
        upgrade(self.engine)

    @classmethod
    def for_settings(cls, settings) -> RunStore:
        return cls(store_url(settings), settings.runs.lock_stale_hours, settings.runs.group)

    @classmethod
    def existing(cls, settings) -> RunStore | None:
        """The store if there is one: a SQLite file that does not exist yet is not created
        (`arsync runs` in a folder that is no project); any other URL is opened."""
        url = store_url(settings)
        if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).is_file():
            return None
        return cls(url, settings.runs.lock_stale_hours, settings.runs.group)

    # -- lock --------------------------------------------------------------------------------
    def acquire(self, run_id: str, name: str = "pipeline") -> None:
        """Take the lock or raise :class:`RunLocked`.  A lock whose holder is gone (its process
        ended, its PID now another process's, or another host's lock older than the stale age;
        :mod:`.lock`) is taken over, and the run it held is marked ``dead``."""
        row = dict(name=name, run_id=run_id, acquired_at=clock.now(), **this_process())
        for _ in range(5):
            with self.engine.begin() as c:
                try:
                    c.execute(locks.insert().values(**row))
                    return
                except IntegrityError:
                    pass
            with self.engine.begin() as c:
                held = self._holder(c, name)
                if held is None:
                    continue  # released meanwhile: try again
                if not held.gone:
                    raise RunLocked(_locked_message(held))
                taken = c.execute(
                    locks.update()
                    .where(locks.c.name == name)
                    .where(locks.c.run_id == held.run_id)
                    .where(locks.c.pid == held.pid)
                    .where(locks.c.host == held.host)
                    .values(**row)
                ).rowcount
                if taken:
                    _mark_dead(c, held.run_id, f"{held.why}; lock taken over by run {run_id}")
                    return
        raise RunLocked(f"the lock {name!r} changed hands five times while run {run_id} waited")

    def lock(self, name: str = "pipeline") -> Holder | None:
        """Who holds the lock, judged (running / gone / unknown), or ``None`` when it is free."""
        with self.engine.connect() as c:
            return self._holder(c, name)

    def holder(self, name: str = "pipeline") -> dict[str, Any] | None:
        """The lock's row (run_id, host, pid, acquired_at, process_started, with ``state`` and
        ``why``) while its holder may be running, else ``None``: a lock whose holder is gone
        counts as free (the next run takes it over)."""
        held = self.lock(name)
        return None if held is None or held.gone else asdict(held)

    def unlock(self, name: str = "pipeline", *, run_id: str | None = None) -> Holder | None:
        """Remove the lock (an operator's ``arsync unlock``, after confirming that its run is
        not running); the run it held is marked ``dead``.  With ``run_id``, only if that run
        still holds it.  Returns the holder removed, or ``None``."""
        with self.engine.begin() as c:
            held = self._holder(c, name)
            if held is None or (run_id is not None and held.run_id != run_id):
                return None
            c.execute(
                locks.delete().where(locks.c.name == name).where(locks.c.run_id == held.run_id)
            )
            _mark_dead(c, held.run_id, f"lock removed by an operator (arsync unlock); {held.why}")
            return held

    def _holder(self, c, name: str) -> Holder | None:
        held = c.execute(sa.select(locks).where(locks.c.name == name)).mappings().first()
        if held is None:
            return None
        return judge(held, now=clock.now(), stale_after=self.stale_after)

    def release(self, run_id: str, name: str = "pipeline") -> None:
        with self.engine.begin() as c:
            c.execute(locks.delete().where(locks.c.name == name).where(locks.c.run_id == run_id))

    # -- runs and stages ---------------------------------------------------------------------
    def start_run(
        self,
        run_id: str,
        kind: str,
        as_of: date,
        scope: dict,
        folder: str,
        resumed_from: str | None = None,
    ) -> None:
        with self.engine.begin() as c:
            c.execute(
                runs.insert().values(
                    run_id=run_id,
                    kind=kind,
                    as_of=as_of,
                    scope=json.dumps(scope, sort_keys=True),
                    status="running",
                    started_at=clock.now(),
                    folder=folder,
                    resumed_from=resumed_from,
                )
            )

    def finish_run(self, run_id: str, status: str, error: str | None = None) -> None:
        with self.engine.begin() as c:
            c.execute(
                runs.update()
                .where(runs.c.run_id == run_id)
                .values(status=status, finished_at=clock.now(), error=error)
            )

    def resume(self, run_id: str) -> int:
        """Mark a failed, interrupted or dead run ``running`` again as its next attempt; the
        attempt number."""
        with self.engine.begin() as c:
            c.execute(
                runs.update()
                .where(runs.c.run_id == run_id)
                .values(status="running", finished_at=None, error=None, attempt=runs.c.attempt + 1)
            )
            return c.execute(sa.select(runs.c.attempt).where(runs.c.run_id == run_id)).scalar_one()

    def reap(self, name: str = "pipeline") -> list[str]:
        """Mark every run still ``running`` whose process is gone as ``dead`` (a live run always
        holds the lock: a running run that does not, or whose holder is gone, was killed); the
        run ids marked."""
        with self.engine.begin() as c:
            running = list(c.execute(sa.select(runs.c.run_id).where(runs.c.status == "running")))
            if not running:
                return []
            held = self._holder(c, name)
            dead = []
            for (rid,) in running:
                if held is not None and held.run_id == rid and not held.gone:
                    continue
                why = (
                    held.why
                    if held is not None and held.run_id == rid
                    else "it no longer holds the run lock"
                )
                if _mark_dead(c, rid, f"its process is gone ({why})"):
                    dead.append(rid)
            return dead

    def start_stage(self, run_id: str, stage: str, seq: int) -> None:
        with self.engine.begin() as c:
            c.execute(
                stages.delete().where(stages.c.run_id == run_id).where(stages.c.stage == stage)
            )
            c.execute(
                stages.insert().values(
                    run_id=run_id,
                    stage=stage,
                    seq=seq,
                    status="running",
                    started_at=clock.now(),
                    counts="{}",
                )
            )

    def finish_stage(
        self,
        run_id: str,
        stage: str,
        status: str,
        seconds: float,
        counts: dict | None = None,
        error: str | None = None,
    ) -> None:
        with self.engine.begin() as c:
            c.execute(
                stages.update()
                .where(stages.c.run_id == run_id)
                .where(stages.c.stage == stage)
                .values(
                    status=status,
                    finished_at=clock.now(),
                    seconds=seconds,
                    counts=json.dumps(counts or {}, sort_keys=True, default=str),
                    error=error,
                )
            )

    def record_accounts(self, run_id: str, outcomes: list[dict[str, Any]]) -> int:
        """One row per portal account of the run, written once: an account already recorded
        (a resumed stage, a re-delivered task) keeps its row.  Returns the rows added."""
        with self.engine.begin() as c:
            have = {
                (r.portal, r.account)
                for r in c.execute(
                    sa.select(portal_accounts.c.portal, portal_accounts.c.account).where(
                        portal_accounts.c.run_id == run_id
                    )
                )
            }
            cols = set(portal_accounts.c.keys())
            new = [
                {
                    **{k: v for k, v in o.items() if k in cols},
                    "run_id": run_id,
                    "recorded_at": clock.now(),
                }
                for o in outcomes
                if (o["portal"], o["account"]) not in have
            ]
            if new:
                c.execute(portal_accounts.insert(), new)
        return len(new)

    def accounts(self, run_id: str) -> list[dict[str, Any]]:
        """The run's portal accounts as recorded, by portal and account."""
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(portal_accounts)
                .where(portal_accounts.c.run_id == run_id)
                .order_by(portal_accounts.c.portal, portal_accounts.c.account)
            )
            return [dict(r) for r in rows.mappings()]

    def get(self, run_id: str) -> RunInfo | None:
        self.reap()
        with self.engine.connect() as c:
            r = c.execute(sa.select(runs).where(runs.c.run_id == run_id)).mappings().first()
            if r is None:
                return None
            st = (
                c.execute(sa.select(stages).where(stages.c.run_id == run_id).order_by(stages.c.seq))
                .mappings()
                .all()
            )
        return _info(r, st)

    def recent(self, limit: int = 20, kind: str | None = None) -> list[RunInfo]:
        q = sa.select(runs).order_by(runs.c.started_at.desc(), runs.c.run_id.desc()).limit(limit)
        if kind:
            q = q.where(runs.c.kind == kind)
        self.reap()
        with self.engine.connect() as c:
            rows = c.execute(q).mappings().all()
            out = []
            for r in rows:
                st = (
                    c.execute(
                        sa.select(stages)
                        .where(stages.c.run_id == r["run_id"])
                        .order_by(stages.c.seq)
                    )
                    .mappings()
                    .all()
                )
                out.append(_info(r, st))
        return out

    def last_unfinished(self, kind: str) -> RunInfo | None:
        """The newest run of ``kind`` if it failed, was interrupted or died while running: what
        --resume continues.

        A run that finished (ok, or partial with a failed portal) leaves nothing to resume; a run
        refused for bad input (a mistyped customer) did nothing and is passed over.
        """
        for info in self.recent(20, kind):
            if info.status == "bad_input":
                continue
            return info if info.status in UNFINISHED else None
        return None


MIGRATIONS = Path(__file__).with_name("migrations")


def upgrade(engine: sa.Engine) -> None:
    """Bring the store's schema to the newest migration.  A store made before migrations existed
    (tables, no ``alembic_version``) is stamped at revision 0001 first.  Two processes opening a
    new store at once: the loser finds the schema made and goes on."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    for attempt in (1, 2):
        try:
            with engine.begin() as conn:
                current = MigrationContext.configure(conn).get_current_revision()
                if current == head:
                    return
                cfg.attributes["connection"] = conn
                if current is None and sa.inspect(conn).has_table("runs"):
                    command.stamp(cfg, "0001")
                command.upgrade(cfg, "head")
                return
        except sa.exc.DBAPIError:
            if attempt == 2:
                raise


def store_url(settings) -> str:
    """``runs.store_url``, or the SQLite file ``runs.sqlite`` in ``runs.out_dir``."""
    return (
        settings.runs.store_url
        or f"sqlite:///{Path(settings.runs.out_dir).resolve() / 'runs.sqlite'}"
    )


def _info(r, st) -> RunInfo:
    return RunInfo(
        run_id=r["run_id"],
        kind=r["kind"],
        as_of=r["as_of"],
        scope=json.loads(r["scope"] or "{}"),
        status=r["status"],
        started_at=r["started_at"],
        finished_at=r["finished_at"],
        folder=r["folder"],
        error=r["error"],
        stages=tuple({**dict(s), "counts": json.loads(s["counts"] or "{}")} for s in st),
        attempt=r["attempt"] or 1,
    )


def _mark_dead(c, run_id: str, why: str) -> bool:
    """A run still ``running`` whose process is gone becomes ``dead`` (resumable)."""
    return bool(
        c.execute(
            runs.update()
            .where(runs.c.run_id == run_id)
            .where(runs.c.status == "running")
            .values(status="dead", error=f"died while running: {why}")
        ).rowcount
    )


def _locked_message(held: Holder) -> str:
    if held.state == "unknown":
        return (
            f"{held.describe()}; {held.why} — wait for it to finish, or when that run is surely "
            "not running any more, remove the lock with `arsync unlock`"
        )
    return f"{held.describe()}; wait for it to finish"


# The outbox's and the collector's-day tables live on the same MetaData in modules of their own;
# importing them here keeps ``meta`` complete for whoever holds the run store.
from arsync.jobs.pipeline import daytables as _daytables  # noqa: E402, F401
from arsync.jobs.pipeline import outboxtables as _outboxtables  # noqa: E402, F401

# The supervisor report's and the plans' tables, likewise.
from arsync.jobs.pipeline import supervisiontables as _supervisiontables  # noqa: E402, F401


def where(store: RunStore) -> str:
    """The store as people name it: the SQLite file, else the URL without its password."""
    if store.url.startswith("sqlite:///"):
        return store.url.removeprefix("sqlite:///")
    return sa.engine.make_url(store.url).render_as_string(hide_password=True)
