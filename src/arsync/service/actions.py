"""What the pages and the API do, as plain functions over the service: start a run, read a
run's state, the dashboard's figures, the downloads.  Routes parse input, check who may (the
guard), call one of these and render (STYLE.md 13)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from arsync.common.errors import ArsyncError, DataError
from arsync.jobs.pipeline.run import new_run_id
from arsync.jobs.pipeline.runstore import RunInfo
from arsync.service import downloads as dl
from arsync.service.context import Service
from arsync.service.users import User
from arsync.service.workers import LOG, RunSpec

UPLOAD_SUFFIXES = (".csv", ".xlsx", ".xls", ".txt")


class Busy(ArsyncError):
    """Another run holds the run lock."""


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


def split(text: str | None) -> tuple[str, ...]:
    """``"4711, 4712 4713"`` → ``("4711", "4712", "4713")``."""
    return tuple(x for x in re.split(r"[\s,，;；]+", text or "") if x)


def start_run(
    svc: Service,
    user: User | None,
    *,
    kind: str = "reconcile",
    customers: tuple[str, ...] = (),
    collectors: tuple[str, ...] = (),
    company_codes: tuple[str, ...] = (),
    as_of: date | None = None,
    address: str | None = None,
    wait_lock_s: float = 0.0,
    lock_poll_s: float = 30.0,
    files: list[Upload] | None = None,
    worksheets: bool = False,
) -> str:
    """Start a run in a worker process and return its id at once.

    ``kind`` ``reconcile`` needs a scope (a whole-portfolio run is the nightly); ``files`` takes
    the uploaded export files.  Raises :class:`Busy` when a run holds the lock (unless
    ``wait_lock_s``: the scheduled nightly waits), :class:`DataError` for bad input."""
    scope = {
        k: list(v)
        for k, v in (
            ("customers", customers),
            ("collectors", collectors),
            ("company_codes", company_codes),
        )
        if v
    }
    if kind == "reconcile" and not scope:
        raise DataError("name a customer, a collector or a company code to reconcile")
    if kind not in ("nightly", "reconcile", "files"):
        raise DataError(f"unknown kind of run {kind!r}")
    held = svc.store.holder()
    if held is not None and not wait_lock_s:
        raise Busy(f"run {held['run_id']} is in progress since {held['acquired_at']:%H:%M:%S}")
    run_id = new_run_id()
    out_dir, folder = svc.out, None
    if kind == "files":
        if not files:
            raise DataError("upload at least the open_items and customers files")
        out_dir = svc.out / "files" / run_id
        folder = out_dir / "inputs"
        _save_uploads(folder, files, svc.settings.service.upload_max_mb)
    spec = RunSpec(
        run_id=run_id,
        kind=kind,
        out_dir=str(out_dir),
        as_of=as_of.isoformat() if as_of else None,
        scope=scope,
        files=str(folder) if folder else None,
        worksheets=worksheets,
        wait_lock_s=wait_lock_s,
        lock_poll_s=lock_poll_s,
        config_path=svc.config_path,
        overrides=svc.overrides,
    )
    svc.workers.start_run(spec)
    svc.audit.record(
        user.username if user else None,
        "run.start",
        run_id,
        {"kind": kind, "scope": scope, "as_of": spec.as_of, "files": [f.name for f in files or []]},
        address,
    )
    return run_id


def _save_uploads(folder: Path, files: list[Upload], max_mb: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for f in files:
        name = Path(f.name.replace("\\", "/")).name
        if not name or not name.lower().endswith(UPLOAD_SUFFIXES):
            raise DataError(f"{f.name!r}: upload CSV or XLSX export files only")
        total += len(f.data)
        if total > max_mb * 1024 * 1024:
            raise DataError(f"the upload is larger than service.upload_max_mb ({max_mb} MB)")
        (folder / name).write_bytes(f.data)


def run_state(svc: Service, run_id: str, tail: int = 30) -> dict[str, Any] | None:
    """A run as the run page and ``GET /api/runs/{id}`` show it: the run store's row and stages,
    the worker's last lines, and ``starting`` / ``not_started`` before the run has a row."""
    info = svc.store.get(run_id)
    folder = Path(info.folder) if info else _guess_folder(svc, run_id)
    lines = _tail(folder / LOG, tail) if folder else []
    if info is None:
        code = svc.workers.exit_code(run_id)
        if folder is None and not svc.workers.known(run_id):
            return None
        status = "starting" if code is None else "not_started"
        return {
            "run_id": run_id,
            "status": status,
            "stages": [],
            "lines": lines,
            "done": code is not None,
        }
    state = run_dict(info)
    state["lines"] = lines
    state["done"] = info.status != "running"
    state["downloads"] = [d.path for d in run_downloads(svc, info)]
    return state


def run_dict(info: RunInfo) -> dict[str, Any]:
    took = (info.finished_at - info.started_at).total_seconds() if info.finished_at else None
    return {
        "run_id": info.run_id,
        "kind": info.kind,
        "as_of": info.as_of.isoformat(),
        "scope": info.scope,
        "status": info.status,
        "started_at": info.started_at.isoformat(timespec="seconds"),
        "finished_at": info.finished_at.isoformat(timespec="seconds") if info.finished_at else None,
        "seconds": took,
        "error": info.error,
        "stages": [
            {
                "stage": s["stage"],
                "status": s["status"],
                "seconds": s["seconds"],
                "counts": s["counts"],
                "error": s["error"],
            }
            for s in info.stages
        ],
    }


def _guess_folder(svc: Service, run_id: str) -> Path | None:
    if not re.fullmatch(r"[0-9A-Za-z-]{1,40}", run_id):
        return None
    for p in (svc.out / "runs" / run_id, svc.out / "files" / run_id / "runs" / run_id):
        if p.is_dir():
            return p
    return None


def _tail(path: Path, n: int) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()[-n:]
    except OSError:
        return []


def run_downloads(svc: Service, info: RunInfo) -> list[dl.Download]:
    """The files a run made that are offered: those in its folder (a file run's worklist,
    errors and worksheets; statements, summary) and the shared workbooks it refreshed."""
    refreshed = info.kind != "files" and any(
        s["stage"] == "worksheets" and s["status"] == "ok" for s in info.stages
    )
    return [
        d
        for d in dl.list_downloads(svc.out, _ALL)
        if d.run_id == info.run_id
        or (
            refreshed
            and d.kind == "worksheet"
            and d.run_id is None
            and d.modified >= info.started_at
        )
    ]


_ALL = User("_service", "ops")


def collector_customers(svc: Service, user: User) -> set[str]:
    """The SAP customers of a collector user, from the last full worklist."""
    if user.role != "collector" or not user.collector:
        return set()
    path = svc.out / "state" / "worklist.parquet"
    if not path.exists():
        return set()
    import pyarrow.parquet as pq

    t = pq.read_table(path, columns=["customer", "collector"]).to_pydict()
    return {c for c, who in zip(t["customer"], t["collector"]) if who == user.collector}


def downloads_for(svc: Service, user: User) -> list[dl.Download]:
    return dl.list_downloads(svc.out, user, collector_customers(svc, user))


def may_download(svc: Service, user: User, path: str) -> bool:
    found = dl.find(svc.out, path)
    return found is not None and dl.may_read(user, found[1], collector_customers(svc, user))


def open_download(svc: Service, user: User, path: str, address: str | None) -> Path | None:
    """The file to send (the guard has checked who may); the download is audited."""
    found = dl.find(svc.out, path)
    if found is None:
        return None
    svc.audit.record(user.username, "download", path, {"kind": found[1].kind}, address)
    return found[0]


def dashboard(svc: Service) -> dict[str, Any]:
    """The last runs, items by finding and amount of the last finished run, portal accounts
    that were not read, who holds the lock and when the nightly runs next."""
    runs = svc.store.recent(8)
    last = next((r for r in runs if r.status in ("ok", "partial") and r.kind != "files"), None)
    return {
        "runs": [run_dict(r) for r in runs],
        "last": run_dict(last) if last else None,
        "findings": _findings(Path(last.folder)) if last else [],
        "portals": _portal_attention(svc, runs),
        "holder": svc.store.holder(),
        "next_nightly": svc.scheduler.next_fire() if svc.scheduler else None,
    }


def _findings(folder: Path) -> list[dict[str, Any]]:
    path = folder / "reconcile" / "worklist.parquet"
    if not path.exists():
        return []
    import pyarrow.parquet as pq

    t = pq.read_table(path, columns=["finding", "currency", "amount"]).to_pydict()
    agg: dict[tuple[str, str], list[int]] = {}
    for f, c, a in zip(t["finding"], t["currency"], t["amount"]):
        cell = agg.setdefault((f, c), [0, 0])
        cell[0] += 1
        cell[1] += int(a)
    from decimal import Decimal

    from arsync.common.money import format_major

    return [
        {
            "finding": f,
            "currency": c,
            "count": n,
            "amount": amt,
            "amount_text": f"{Decimal(format_major(amt, c)):,}",
        }
        for (f, c), (n, amt) in sorted(agg.items())
    ]


def _portal_attention(svc: Service, runs: list[RunInfo]) -> list[dict[str, Any]]:
    """Accounts not read in the newest run that read portals (failed, needs_login, stale)."""
    for r in runs:
        path = Path(r.folder) / "portals" / "portal_outcomes.parquet"
        if path.exists():
            import pyarrow.parquet as pq

            rows = pq.read_table(path).to_pylist()
            return [
                {
                    **{k: row.get(k) for k in ("portal", "account", "outcome", "reason")},
                    "run_id": r.run_id,
                }
                for row in rows
                if row.get("outcome") != "ok"
            ]
    return []


def now_text(svc: Service) -> str:
    return svc.clock().strftime("%Y-%m-%d %H:%M")


def parse_date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DataError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") if dt else None
