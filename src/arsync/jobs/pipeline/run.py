"""The pipeline behind `arsync nightly` and on-demand `arsync reconcile`.

SAP pull → portal fetch → reconcile → worksheets → notify → summary (a file run: files → reconcile →
outputs [→ worksheets] → summary).  The run's sources are opened once, by the seam
:func:`~arsync.jobs.pipeline.sources.open_sources`, for the run's ``as_of``.  Every stage writes its output
frames into the run folder and a stage row into the run store before the next one starts,
so a run killed part-way resumes from the first unfinished stage with nothing lost or done
twice.  A failed portal stops nothing: its items show STALE with the last known status.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from loguru import logger

from arsync.common import clock, interrupt, logs
from arsync.common.errors import InputError
from arsync.common.private import apply_umask, private_dir
from arsync.jobs.pipeline import stages as st
from arsync.jobs.pipeline.outcome import RunInterrupted, StageFailed, advice, describe
from arsync.jobs.pipeline.runstore import RunStore
from arsync.jobs.pipeline.sources import FileSource, Scope, open_sources

#: The stages of each kind of run, in order.
STAGES: tuple[str, ...] = (
    "sap",
    "portals",
    "reconcile",
    "history",
    "statements",
    "worksheets",
    "reports",
    "notify",
    "summary",
)
FILE_STAGES: tuple[str, ...] = ("files", "reconcile", "outputs", "summary")
#: On-demand kinds: narrowed to a scope, or fed from export files; --resume takes either.
ON_DEMAND: tuple[str, ...] = ("reconcile", "files")

__all__ = ["RunInterrupted", "RunResult", "Scope", "StageFailed", "run", "stages_for"]


@dataclass
class RunResult:
    run_id: str
    status: str
    folder: Path
    summary: dict = field(default_factory=dict)
    worksheets: list = field(default_factory=list)
    #: why a run is ``partial``, one line per thing that needs a person (empty when ok)
    attention: list[str] = field(default_factory=list)


def new_run_id() -> str:
    """``YYYYmmdd-HHMMSS-xxxxxx``: sorts by start time, unique across processes."""
    return clock.now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


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
    echo: Callable[[str], None] | None = None,
    store: RunStore | None = None,
    fail_after: str | None = None,
    run_id: str | None = None,
) -> RunResult:
    """Run (or resume) the pipeline; return its result (status ``ok`` or ``partial``).

    ``kind`` is ``nightly``, ``reconcile`` (on demand, narrowed by ``scope``) or ``files``
    (``files`` names the folder of export files; ``worksheets`` adds the collectors' workbooks
    to a file run).  ``as_of`` defaults to today in
    ``runs.timezone``.  Progress goes to the log (and to ``echo``
    when given); the run's own log is ``log.jsonl`` in its folder.  ``fail_after`` is a test
    hook that simulates a crash right after the named stage has been recorded.  ``run_id``
    names a new run (the service picks it before the run's worker process starts); by default
    one is made.

    Raises :class:`StageFailed` (run ``failed``, resumable), :class:`InputError` (run
    ``bad_input``: an unknown customer or collector; or nothing to resume),
    :class:`RunInterrupted` (Ctrl-C / SIGTERM; run ``interrupted``, resumable),
    :class:`~arsync.jobs.pipeline.runstore.RunLocked` (another run is at work)."""
    group = settings.runs.group
    apply_umask(group)  # every file of the run (stage files, state, evidence, logs) owner-only
    clock.use(settings.runs.timezone)  # today, fetched_at, the store's times, epoch stamps
    out = Path(out_dir or settings.runs.out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)  # not closed: worksheets and outputs live here too
    private_dir(out / "runs", group)
    store = store or RunStore.for_settings(settings)

    previous = _resumable(store, kind) if resume else None
    if resume and previous is None:
        raise InputError(f"nothing to resume: the last {kind} run finished")
    if previous is not None:
        run_id, as_of, kind = previous.run_id, previous.as_of, previous.kind
        scope = Scope.from_dict(previous.scope)
        files, worksheets = _file_params(previous.scope)
        done = set(previous.finished_stages())
        folder = Path(previous.folder)
    else:
        run_id = run_id or new_run_id()
        as_of = as_of or clock.today()
        done = set()
        attempt = 1
        folder = out / "runs" / run_id
    if (kind == "files") != (files is not None):
        raise ValueError("a files run needs its folder of export files (and only it does)")
    stages = stages_for(kind, worksheets)

    def say(msg: str, level: str = "INFO", **extra: Any) -> None:
        logger.bind(**extra).log(level, msg)
        if echo is not None:
            echo(msg)

    store.acquire(run_id)
    try:
        if previous is None:
            private_dir(folder, group)
        with interrupt.handlers(), logs.run_log(folder, run_id):
            if previous is None:
                recorded = scope.as_dict()
                if files is not None:
                    recorded |= {
                        "files": [str(files.folder)],
                        "options": _file_options(files, worksheets),
                    }
                store.start_run(run_id, kind, as_of, recorded, str(folder))
                say(f"run {run_id}: {kind} as of {as_of}" + _scope_words(recorded))
            else:
                finished = ", ".join(x for x in stages if x in done) or "none"
                attempt = store.resume(run_id)
                say(
                    f"resuming run {run_id} (as of {as_of}), attempt {attempt}; "
                    f"finished stages: {finished}"
                )
            try:
                with open_sources(settings, as_of, scope, files=files) as sources:
                    ctx = st.StageContext(
                        settings=settings,
                        sources=sources,
                        folder=folder,
                        out=out,
                        echo=say,
                        run_id=run_id,
                        store=store,
                        attempt=attempt,
                    )
                    status = _run_stages(store, run_id, kind, ctx, stages, done, say, fail_after)
            except KeyboardInterrupt as exc:
                stopped = exc if isinstance(exc, RunInterrupted) else None
                stopped = stopped or _interrupted(run_id, kind, "", "")
                store.finish_run(run_id, "interrupted", error=stopped.why)
                logger.bind(final=True).warning(str(stopped))
                raise stopped from None
            except (StageFailed, InputError):
                raise
            except Exception as exc:  # opening the sources: a bad portal declaration, ...
                store.finish_run(run_id, "failed", error=describe(exc))
                logger.bind(final=True).opt(exception=exc).error(
                    "run {} failed: {}", run_id, describe(exc)
                )
                raise
            attention = _attention(ctx.summary) if status == "partial" else []
            why = "; ".join(attention) or ("partial" if status == "partial" else None)
            store.finish_run(run_id, status, error=why)
            # the command prints the outcome itself (its summary's first line): the console
            # leaves this line out (``final``), the run's log.jsonl and ``echo`` keep it
            say(f"run {run_id}: {status}" + (f" — {why}" if why else ""), final=True)
            return RunResult(run_id, status, folder, ctx.summary, ctx.worksheet_results, attention)
    finally:
        store.release(run_id)


def _run_stages(store, run_id, kind, ctx, stages, done, say, fail_after) -> str:
    """Run the stages not ``done`` in order; the run's status (``ok`` or ``partial``).  An
    interrupt marks the stage at work ``interrupted`` (one between stages names the stage
    before it) and raises :class:`RunInterrupted`."""
    status, last = "ok", ""
    for seq, name in enumerate(stages):
        if interrupt.requested():  # a signal whose KeyboardInterrupt got lost (in a __del__)
            raise _interrupted(run_id, kind, "", last)
        with logger.contextualize(stage=name):
            try:
                if name in done:
                    try:
                        ctx.load(name)
                        say(f"[{name}] done earlier; outputs reloaded")
                        last = name
                        continue
                    except st.StageOutputsUnreadable as exc:
                        say(f"[{name}] {exc}; running the stage again", level="WARNING")
                if _stage(store, run_id, kind, ctx, name, seq, say) == "partial":
                    status = "partial"
                last = name
            except KeyboardInterrupt:
                raise _interrupted(run_id, kind, name if last != name else "", last) from None
            if fail_after == name:
                raise StageFailed(f"simulated crash after stage {name}", run_id=run_id, stage=name)
    return status


def _stage(store, run_id, kind, ctx, name, seq, say) -> str:
    """One stage: run it, keep its outputs, record it; its status."""
    store.start_stage(run_id, name, seq)
    t0 = time.perf_counter()
    try:
        say(f"[{name}] started")
        counts, stage_status = getattr(st, f"stage_{name}")(ctx)
        ctx.save(name)
    except KeyboardInterrupt:
        interrupt.request()
        sig = interrupt.signal_name() or "SIGINT"
        secs = time.perf_counter() - t0
        store.finish_stage(run_id, name, "interrupted", secs, error=f"interrupted by {sig}")
        raise
    except Exception as exc:
        if interrupt.requested():  # what broke is the work the interrupt stopped
            sig = interrupt.signal_name() or "SIGINT"
            secs = time.perf_counter() - t0
            store.finish_stage(run_id, name, "interrupted", secs, error=f"interrupted by {sig}")
            raise KeyboardInterrupt(sig) from exc
        if isinstance(exc, InputError):
            store.finish_stage(run_id, name, "failed", time.perf_counter() - t0, error=str(exc))
            store.finish_run(run_id, "bad_input", error=str(exc))
            logger.bind(final=True).error("{} (run {}: bad input; nothing to resume)", exc, run_id)
            raise
        what = describe(exc)
        store.finish_stage(run_id, name, "failed", time.perf_counter() - t0, error=what)
        store.finish_run(run_id, "failed", error=f"stage {name}: {what}")
        msg = f"run {run_id} failed in stage {name}: {what} — {advice(exc, kind)}"
        logger.bind(final=True).opt(exception=exc).error(msg)
        raise StageFailed(msg, run_id=run_id, stage=name, kind=kind) from exc
    secs = time.perf_counter() - t0
    store.finish_stage(run_id, name, stage_status, secs, counts)
    say(f"[{name}] {stage_status} in {secs:.1f}s  " + _fmt_counts(counts))
    return stage_status


def _interrupted(run_id: str, kind: str, during: str, after: str) -> RunInterrupted:
    interrupt.request()  # a bare Ctrl-C (no handler installed): stop the workers too
    sig = interrupt.signal_name() or "SIGINT"
    return RunInterrupted(run_id, kind, during, sig, after=after)


def _scope_words(recorded: dict) -> str:
    parts = [f"{k} {', '.join(v)}" for k, v in recorded.items() if v]
    return f" ({'; '.join(parts)})" if parts else ""


def _attention(summary: dict) -> list[str]:
    """Why a run is partial, for the run store, the CLI and `arsync runs`: each portal account
    not read (its items show STALE) and each workbook not refreshed in place."""
    stale = summary.get("stale", {})
    out = [f"portal {where} not read ({why})" for where, why in sorted(stale.items())]
    return out + list(summary.get("worksheets_attention", []))


def _resumable(store: RunStore, kind: str):
    """The run ``--resume`` continues: the newest unfinished (failed, interrupted, died) run of
    ``kind``; for an on-demand run, of either on-demand kind (narrowed or from files)."""
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
