"""The pipeline behind `arsync nightly` and on-demand `arsync reconcile`.

SAP pull → portal fetch → reconcile → worksheets → notify → summary (a file run: files → reconcile →
outputs [→ worksheets] → summary).  The run's sources are opened once, by the seam
:func:`~arsync.jobs.pipeline.sources.open_sources`, for the run's ``as_of``.  Every stage writes its output
frames into the run folder and a stage row into the run store before the next one starts,
so a run killed part-way resumes from the first unfinished stage with nothing lost or done
twice.  A failed portal stops nothing: its items show STALE with the last known status.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from arsync.common.errors import ArsyncError, DataError
from arsync.common.private import apply_umask, private_dir
from arsync.jobs.pipeline import stages as st
from arsync.jobs.pipeline.runstore import RunStore
from arsync.jobs.pipeline.sources import FileSource, Scope, open_sources

log = logging.getLogger("arsync.pipeline")

#: The stages of each kind of run, in order.
STAGES: tuple[str, ...] = (
    "sap",
    "portals",
    "reconcile",
    "history",
    "statements",
    "worksheets",
    "notify",
    "summary",
)
FILE_STAGES: tuple[str, ...] = ("files", "reconcile", "outputs", "summary")
#: On-demand kinds: narrowed to a scope, or fed from export files; --resume takes either.
ON_DEMAND: tuple[str, ...] = ("reconcile", "files")


@dataclass
class RunResult:
    run_id: str
    status: str
    folder: Path
    summary: dict = field(default_factory=dict)
    worksheets: list = field(default_factory=list)


class StageFailed(ArsyncError):
    pass


def new_run_id() -> str:
    """``YYYYmmdd-HHMMSS-xxxxxx``: sorts by start time, unique across processes."""
    return datetime.now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def stages_for(kind: str, worksheets: bool = False) -> tuple[str, ...]:
    """``files`` runs read export files and write worklist files (and worksheets when asked);
    every other kind reads SAP and the portals and refreshes the worksheets."""
    if kind != "files":
        return STAGES
    return (
        (*FILE_STAGES[:3], "history", "worksheets", *FILE_STAGES[3:]) if worksheets else FILE_STAGES
    )


def run(
    settings,
    *,
    kind: str = "nightly",
    as_of: date | None = None,
    scope: Scope = Scope(),
    files: FileSource | None = None,
    worksheets: bool = False,
    out_dir: str | Path | None = None,
    resume: bool = False,
    echo: Callable[[str], None] = print,
    store: RunStore | None = None,
    fail_after: str | None = None,
    run_id: str | None = None,
) -> RunResult:
    """Run (or resume) the pipeline; return its result.

    ``kind`` is ``nightly``, ``reconcile`` (on demand, narrowed by ``scope``) or ``files``
    (``files`` names the folder of export files; ``worksheets`` adds the collectors' workbooks
    to a file run).  ``as_of`` defaults to today.  ``fail_after`` is a test hook that simulates
    a crash right after the named stage has been recorded.  ``run_id`` names a new run (the
    service picks it before the run's worker process starts); by default one is made."""
    group = settings.runs.group
    apply_umask(group)  # every file of the run (stage files, state, evidence, logs) owner-only
    out = Path(out_dir or settings.runs.out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)  # not closed: worksheets and outputs live here too
    private_dir(out / "runs", group)
    store = store or RunStore.for_settings(settings)

    previous = _resumable(store, kind) if resume else None
    if resume and previous is None:
        raise StageFailed(f"nothing to resume: the last {kind} run finished")
    if previous is not None:
        run_id, as_of, kind = previous.run_id, previous.as_of, previous.kind
        scope = Scope.from_dict(previous.scope)
        files, worksheets = _file_params(previous.scope)
        done = set(previous.finished_stages())
        folder = Path(previous.folder)
    else:
        run_id = run_id or new_run_id()
        as_of = as_of or date.today()
        done = set()
        attempt = 1
        folder = out / "runs" / run_id
    if (kind == "files") != (files is not None):
        raise StageFailed("a files run needs its folder of export files (and only it does)")
    stages = stages_for(kind, worksheets)

    store.acquire(run_id)
    try:
        if previous is None:
            private_dir(folder, group)
            recorded = scope.as_dict()
            if files is not None:
                recorded |= {
                    "files": [str(files.folder)],
                    "options": _file_options(files, worksheets),
                }
            store.start_run(run_id, kind, as_of, recorded, str(folder))
        else:
            finished = ", ".join(x for x in stages if x in done) or "none"
            attempt = store.resume(run_id)
            echo(
                f"resuming run {run_id} (as of {as_of}), attempt {attempt}; "
                f"finished stages: {finished}"
            )
        with open_sources(settings, as_of, scope, files=files) as sources:
            ctx = st.StageContext(
                settings=settings,
                sources=sources,
                folder=folder,
                out=out,
                echo=echo,
                run_id=run_id,
                store=store,
                attempt=attempt,
            )
            status = _run_stages(store, run_id, ctx, stages, done, echo, fail_after)
        store.finish_run(run_id, status)
        return RunResult(run_id, status, folder, ctx.summary, ctx.worksheet_results)
    finally:
        store.release(run_id)


def _run_stages(store, run_id, ctx, stages, done, echo, fail_after) -> str:
    status = "ok"
    for seq, name in enumerate(stages):
        if name in done:
            try:
                ctx.load(name)
                echo(f"[{name}] done earlier; outputs reloaded")
                continue
            except st.StageOutputsUnreadable as exc:
                echo(f"[{name}] WARNING {exc}; running the stage again")
        store.start_stage(run_id, name, seq)
        t0 = time.perf_counter()
        try:
            counts, stage_status = getattr(st, f"stage_{name}")(ctx)
        except Exception as exc:
            secs = time.perf_counter() - t0
            msg = f"{type(exc).__name__}: {exc}"
            store.finish_stage(run_id, name, "failed", secs, error=msg)
            store.finish_run(run_id, "failed", error=f"stage {name}: {msg}")
            log.debug("stage %s failed", name, exc_info=True)
            hint = (
                "" if isinstance(exc, DataError) else " — fix the cause and run again with --resume"
            )
            raise StageFailed(f"stage {name} failed: {msg}{hint}") from exc
        ctx.save(name)
        secs = time.perf_counter() - t0
        store.finish_stage(run_id, name, stage_status, secs, counts)
        echo(f"[{name}] {stage_status} in {secs:.1f}s  " + _fmt_counts(counts))
        if stage_status == "partial":
            status = "partial"
        if fail_after == name:
            raise StageFailed(f"simulated crash after stage {name}")
    return status


def _resumable(store: RunStore, kind: str):
    """The run ``--resume`` continues: the newest unfinished run of ``kind``; for an on-demand
    run, of either on-demand kind (narrowed or from files)."""
    kinds = ON_DEMAND if kind in ON_DEMAND else (kind,)
    found = [r for k in kinds if (r := store.last_unfinished(k)) is not None]
    return max(found, key=lambda r: r.started_at) if found else None


def _file_options(files: FileSource, worksheets: bool) -> list[str]:
    return [o for o, on in (("strict", files.strict), ("worksheets", worksheets)) if on]


def _file_params(recorded: dict) -> tuple[FileSource | None, bool]:
    """The folder and options of a recorded file run (for --resume)."""
    if not recorded.get("files"):
        return None, False
    options = set(recorded.get("options", ()))
    return FileSource(
        Path(recorded["files"][0]), strict="strict" in options
    ), "worksheets" in options


def _fmt_counts(counts: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in counts.items() if not isinstance(v, (dict, list)))
