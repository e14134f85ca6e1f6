"""Collector worksheets: one workbook per collector, refreshed without losing a typed word.

Layout of ``<out_dir>/<collector>.xlsx`` (sheet names and headers per ``reports.language``):

- **Open items** — system columns (rewritten every refresh), then the collector columns
  (contact date, method [drop-down], person, promise date and amount, dispute [yes/no] and
  reason, notes, next follow-up), then any column the collector added, then a hidden
  ``_key`` column.  Rows the collector added themselves (no key) stay below the item rows.
- **Summary** — per customer and currency: items, open and overdue amount, items per finding.
- **Disputes** — the collector's open disputes (and those resolved in the last 30 days) with
  age, amount, reason and owner: rebuilt from the run store at every refresh.
- **Closed** — items that left the open list, with when and why, clearing date and
  document when known, and everything typed against them.  Own rows stay here too.
- **_history** (very hidden) — every collector entry by item key as of the last refresh,
  so that a deleted row, column or sheet still loses nothing.
- Any other sheet the collector added is kept (cell values; not charts or styles).

What the collector did is read as they meant it (:mod:`._read`, :mod:`._typed`,
:mod:`._sheetfmt`): formulas move with their row, text typed over a system column goes into
the notes with a marker, merged cells give their value to each item, their formatting,
drop-downs and conditional formats follow, and dates and amounts typed as text are read;
anything that cannot be carried is named in a warning.

Old versions go to ``<out_dir>/.versions/`` (the same bytes are never kept twice).  A
workbook held open by Excel/LibreOffice, or one that keeps changing while we merge, is never
overwritten: the result is written beside it as ``<collector>.new-<time>.xlsx`` (one at a
time: the next refresh merges what was typed into it and replaces it) and the result carries a
warning.  An owner file older than the workbook's last save, or than
``reports.owner_file_max_age_hours``, was left by a crash: reported, not obeyed.  The replaced
file keeps the old file's mode and group; temporary files a killed refresh left are removed.
One collector's failure (a bad item, a file in the way) fails only that workbook.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from filelock import FileLock
from loguru import logger

from arsync.common import clock
from arsync.common.errors import DataError
from arsync.common.frames import CLEARED_ITEMS, WORKLIST
from arsync.config.settings import ReportSettings
from arsync.reports import _atomic
from arsync.reports import labels as L
from arsync.reports._beside import overlay
from arsync.reports._carry import Plan, merge
from arsync.reports._layout import Layout, render
from arsync.reports._read import OldBook, make_key, read_book
from arsync.reports._summary import summary_rows
from arsync.reports._system import Sources, evidence_map, system_rows
from arsync.reports.worksheet_day import DayView, annotate, dispute_rows, statement_cells

MERGE_ATTEMPTS = 3

#: Fewer worklist rows than this are refreshed in the job's own process: starting workers
#: (imports, the shared maps sent to each) costs more than it saves.
POOL_FROM = 5000


@dataclass(frozen=True)
class RefreshResult:
    collector: str
    path: Path  # the file written: the workbook, or the ``.new-`` file beside it
    outcome: str  # "created" | "updated" | "beside" | "failed"
    open_items: int
    closed_items: int
    moved_to_closed: int  # items moved to Closed by this refresh
    reopened: int  # items moved back from Closed to Open
    restored: int  # open items whose entries came from _history (row was deleted)
    own_rows: int
    remerged: int  # times the workbook changed under us and was merged again
    backup: Path | None
    warnings: tuple[str, ...]


def worksheet_path(out: str | Path, collector: str) -> Path:
    """Where the collector's workbook lives in the worksheets folder ``out``."""
    return Path(out) / f"{_atomic.safe_name(collector)}.xlsx"


def refresh_worksheets(
    worklist: pd.DataFrame,
    out_dir: str | Path,
    *,
    as_of: date,
    settings: ReportSettings = ReportSettings(),
    collectors: Iterable[str] | None = None,
    cleared: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    portal_records: pd.DataFrame | None = None,
    day: DayView | None = None,
    pool_from: int = POOL_FROM,
) -> list[RefreshResult]:
    """Refresh each collector's workbook from ``worklist`` (all collectors, or ``collectors``).

    ``cleared`` (a cleared_items frame) supplies the clearing date and document of items
    that move to Closed; ``customers`` the customer's contact person, phone and e-mail (the
    columns it has of these); ``portal_records`` the evidence file each matched record was
    read from (linked from the item); ``day`` (promises, disputes, statements from the run
    store) the promise status and date alert columns, the Disputes sheet and the Summary's
    last statement.  Each collector is one result; warnings say what needs a person.

    From ``pool_from`` worklist rows on, with more than one workbook and
    ``settings.workers`` ≠ 1 (0: one per core), worker processes refresh the workbooks side
    by side; each workbook has its own lock, so the result is the same.
    """
    wl = WORKLIST.validate(worklist, where="refresh_worksheets(worklist)")
    wl = annotate(wl, day, as_of, settings.language)  # promise status and date alerts
    clearing = _clearing(cleared)
    sources = Sources(customers, evidence_map(portal_records))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if collectors is None:  # every collector with items, and every workbook of ours already there
        names = sorted(set(wl["collector"]) | set(_atomic.existing_collectors(out)))
    else:
        names = list(dict.fromkeys(collectors))
    stems: dict[str, str] = {}
    for name in names:
        stem = _atomic.safe_name(name)
        if stem.casefold() in stems:
            raise DataError(
                f"collectors {stems[stem.casefold()]!r} and {name!r} map to one file {stem}.xlsx"
            )
        stems[stem.casefold()] = name
    keys = _keys(wl)
    owners = dict(zip(keys, wl["collector"]))
    shared = _Shared(as_of, settings, clearing, owners, sources, day, _zone_name())
    jobs = [
        (name, wl[(wl["collector"] == name).to_numpy()], out / f"{_atomic.safe_name(name)}.xlsx")
        for name in names
    ]
    n = settings.workers or os.cpu_count() or 1
    if n <= 1 or len(jobs) < 2 or len(wl) < pool_from:
        return [_refresh_safely(shared, *job) for job in jobs]
    return _in_workers(shared, jobs, n)


@dataclass(frozen=True)
class _Shared:
    """What every collector's refresh reads: sent once to each worker process."""

    as_of: date
    settings: ReportSettings
    clearing: dict
    owners: dict
    sources: Sources
    day: DayView | None
    zone: str


def _zone_name() -> str:
    return getattr(clock.zone(), "key", clock.DEFAULT_ZONE)


def _in_workers(shared: _Shared, jobs: list, n: int) -> list[RefreshResult]:
    """The refreshes in ``n`` spawned processes (never forked: the nightly's process runs
    threads), largest workbook first so that no worker is left with a big one at the end;
    results in ``jobs``' order.  Writing a workbook is CPU-bound (openpyxl), and the GIL keeps
    threads to one core."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("spawn")
    order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i][1]))
    with ProcessPoolExecutor(
        max_workers=min(n, len(jobs)), mp_context=ctx, initializer=_share, initargs=(shared,)
    ) as pool:
        futures = {i: pool.submit(_refresh_in_worker, *jobs[i]) for i in order}
        return [futures[i].result() for i in range(len(jobs))]


_worker_shared: _Shared | None = None


def _share(shared: _Shared) -> None:
    global _worker_shared
    _worker_shared = shared
    clock.use(shared.zone)


def _refresh_in_worker(name: str, items: pd.DataFrame, path: Path) -> RefreshResult:
    assert _worker_shared is not None  # set by the pool's initializer
    return _refresh_safely(_worker_shared, name, items, path)


def _refresh_safely(shared: _Shared, name: str, items: pd.DataFrame, path: Path) -> RefreshResult:
    try:
        return _refresh_one(
            name,
            items,
            path,
            as_of=shared.as_of,
            settings=shared.settings,
            clearing=shared.clearing,
            owners=shared.owners,
            sources=shared.sources,
            day=shared.day,
        )
    except Exception as exc:  # one workbook's failure fails only that workbook, visibly
        logger.opt(exception=True).debug("worksheet {} failed", name)
        msg = f"{path.name} not refreshed: {_describe(exc)}"
        logger.error("worksheet {}: {}", name, msg)
        return _result(name, path, "failed", None, 0, None, [msg])


def _describe(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return str(exc) or type(exc).__name__


def _refresh_one(
    name, items, path: Path, *, as_of, settings, clearing, owners, sources: Sources, day=None
) -> RefreshResult:
    language = settings.language
    rows = system_rows(items, language, sources, path.parent)
    layout = Layout(
        language,
        name,
        as_of,
        sources.shown(),
        disputes=tuple(dispute_rows(day, name, as_of, language)),
        statements=tuple(statement_cells(day, language).items()),
    )
    others = {k: v for k, v in owners.items() if v != name}
    (path.parent / _atomic.VERSIONS).mkdir(exist_ok=True)
    warnings: list[str] = []
    with FileLock(str(path.parent / _atomic.VERSIONS / f"{path.stem}.lock"), timeout=600):
        for p in _atomic.remove_temporary(path):
            logger.info("worksheet {}: removed {} left by an interrupted refresh", name, p.name)
        for attempt in range(MERGE_ATTEMPTS):
            snap = _atomic.snapshot(path)
            try:
                old = read_book(snap.data, str(path), as_of) if snap else OldBook()
                old.pending.clear()  # the workbook's own entries are in it: none pending
            except DataError as exc:
                plan = merge(
                    OldBook(), rows, as_of=as_of, cleared=clearing, owners=others, language=language
                )
                data = _render(plan, items, sources, layout)
                return _beside(
                    name, path, data, None, attempt, [*warnings, f"{exc}; left untouched"], []
                )
            news = _take_back_beside(path, old, warnings, as_of)
            plan = merge(old, rows, as_of=as_of, cleared=clearing, owners=others, language=language)
            data = _render(plan, items, sources, layout)
            found = _atomic.owner(path)
            if found is not None:
                why = _atomic.stale_owner(
                    found, path, clock.now(), settings.owner_file_max_age_hours
                )
                if why is None:
                    return _beside(
                        name, path, data, plan, attempt, [*warnings, found.describe()], news
                    )
                if why not in warnings:
                    warnings.append(why)
            if _atomic.unchanged(path, snap) and all(_atomic.unchanged(p, s) for p, s in news):
                now = clock.now()
                backup = (
                    _atomic.keep_version(path, snap.data, settings.keep_versions, now)
                    if snap
                    else None
                )
                try:
                    _atomic.write_atomic(path, data)
                except PermissionError as exc:  # Windows/SMB: the file is locked by its program
                    why = f"{path.name} cannot be replaced ({_describe(exc)})"
                    return _beside(name, path, data, plan, attempt, [*warnings, why], news)
                _drop_beside(news, warnings)
                return _result(
                    name,
                    path,
                    "updated" if snap else "created",
                    plan,
                    attempt,
                    backup,
                    [*warnings, *plan.warnings],
                )
            warnings.append(f"{path.name} changed while it was being refreshed; merged again")
            logger.info(
                "worksheet {} changed during refresh; re-reading (attempt {})", path, attempt + 2
            )
        return _beside(
            name,
            path,
            data,
            plan,
            MERGE_ATTEMPTS,
            [
                *warnings,
                f"{path.name} kept changing during {MERGE_ATTEMPTS} merges; left untouched",
            ],
            news,
        )


def _take_back_beside(path: Path, old: OldBook, warnings: list[str], as_of):
    """Merge what was typed into earlier ``.new-`` files into ``old``; their snapshots."""
    news = []
    for p in _atomic.written_beside(path):
        snap = _atomic.snapshot(p)
        if snap is None:
            continue
        try:
            n = overlay(old, read_book(snap.data, str(p), as_of))
        except DataError as exc:
            warnings.append(f"{exc}; left as it is")
            continue
        news.append((p, snap))
        if n:
            warnings.append(f"{n} entries typed into {p.name} were merged back")
    return news


def _drop_beside(news, warnings: list[str], keep: Path | None = None) -> None:
    """Remove ``.new-`` files whose entries are merged (not one held open or saved meanwhile)."""
    for p, snap in news:
        if p == keep:
            continue
        found = _atomic.owner(p)
        if found is not None:
            warnings.append(f"{p.name} is {found.describe()}; kept, merged again next time")
        elif _atomic.unchanged(p, snap):
            p.unlink(missing_ok=True)
        else:
            warnings.append(f"{p.name} changed during the refresh; kept, merged next time")


def _render(plan: Plan, items: pd.DataFrame, sources: Sources, layout: Layout) -> bytes:
    # a seam of its own: tests change the workbook on disk here, as a collector saving would
    summary, findings = summary_rows(items, plan.open_rows, sources.master(), layout.as_of)
    statements = dict(layout.statements)
    for row in summary:  # the customer's last statement and its answer
        row.update(statements.get(str(row.get("customer")), {}))
    return render(plan, summary, findings, layout)


def _beside(name, path, data, plan, attempts, warnings, news) -> RefreshResult:
    """Write the refresh beside the workbook; it replaces the earlier ``.new-`` files (their
    entries are in it), so at most one waits for the collector."""
    target = _atomic.beside(path, data, clock.now())
    warnings = list(warnings)
    _drop_beside(news, warnings, keep=target)
    msg = f"new version written beside it as {target.name}; nothing was overwritten"
    for w in warnings:
        logger.warning("worksheet {}: {}", name, w)
    logger.warning("worksheet {}: {}", name, msg)
    return _result(
        name,
        target,
        "beside",
        plan,
        attempts,
        None,
        [*warnings, *(plan.warnings if plan else []), msg],
    )


def _result(name, path, outcome, plan: Plan | None, remerged, backup, warnings) -> RefreshResult:
    p = plan or Plan([], [], [], [], [], set(), {})
    return RefreshResult(
        collector=name,
        path=path,
        outcome=outcome,
        open_items=len(p.open_rows),
        closed_items=len(p.closed_rows),
        moved_to_closed=p.moved,
        reopened=p.reopened,
        restored=p.restored,
        own_rows=len(p.own_open) + len(p.own_closed),
        remerged=remerged,
        backup=backup,
        warnings=tuple(warnings),
    )


def _keys(df: pd.DataFrame):
    return pd.Series(
        [make_key(*t) for t in zip(*(df[k] for k in L.KEY_FIELDS))], dtype=object
    ).to_numpy()


def _clearing(cleared: pd.DataFrame | None) -> dict[str, tuple[object, str]]:
    if cleared is None:
        return {}
    cl = CLEARED_ITEMS.validate(cleared, where="refresh_worksheets(cleared)")
    days = [None if pd.isna(d) else pd.Timestamp(d).date() for d in cl["clearing_date"]]
    return dict(zip(_keys(cl), zip(days, cl["clearing_doc"])))
