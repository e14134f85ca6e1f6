"""The pipeline behind `arsync nightly` and on-demand `arsync reconcile`.

SAP pull → portal fetch → reconcile → worksheets → summary.  Every stage writes its output
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
from arsync.jobs.pipeline import stages as st
from arsync.jobs.pipeline.runstore import RunStore

log = logging.getLogger("arsync.pipeline")

STAGES: tuple[str, ...] = ("sap", "portals", "reconcile", "worksheets", "summary")


@dataclass(frozen=True)
class Scope:
    """What an on-demand run is narrowed to; empty means everything (the nightly run)."""

    customers: tuple[str, ...] = ()
    collectors: tuple[str, ...] = ()
    company_codes: tuple[str, ...] = ()

    @property
    def narrowed(self) -> bool:
        return bool(self.customers or self.collectors or self.company_codes)

    def as_dict(self) -> dict:
        return {k: list(v) for k, v in self.__dict__.items() if v}


@dataclass
class RunResult:
    run_id: str
    status: str
    folder: Path
    summary: dict = field(default_factory=dict)
    worksheets: list = field(default_factory=list)


class StageFailed(ArsyncError):
    pass


def run(
    settings,
    *,
    kind: str = "nightly",
    as_of: date | None = None,
    scope: Scope = Scope(),
    out_dir: str | Path | None = None,
    resume: bool = False,
    echo: Callable[[str], None] = print,
    store: RunStore | None = None,
    fail_after: str | None = None,
) -> RunResult:
    """Run (or resume) the pipeline; return its result.  ``fail_after`` is a test hook that
    simulates a crash right after the named stage has been recorded."""
    out = Path(out_dir or settings.runs.out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    store = store or RunStore.for_settings(settings)

    previous = store.last_unfinished(kind) if resume else None
    if resume and previous is None:
        raise StageFailed(f"nothing to resume: the last {kind} run finished")
    if previous is not None:
        run_id, as_of = previous.run_id, previous.as_of
        scope = Scope(**{k: tuple(v) for k, v in previous.scope.items()})
        done = set(previous.finished_stages())
        folder = Path(previous.folder)
    else:
        run_id = datetime.now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        as_of = as_of or settings.sandbox.as_of or date.today()
        done = set()
        folder = out / "runs" / run_id

    store.acquire(run_id)
    try:
        if previous is None:
            folder.mkdir(parents=True, exist_ok=True)
            store.start_run(run_id, kind, as_of, scope.as_dict(), str(folder))
        else:
            echo(
                f"resuming run {run_id} (as of {as_of}); finished stages: {', '.join(x for x in STAGES if x in done) or 'none'}"
            )
            store.finish_run(run_id, "running")
        if settings.sap.backend == "sandbox" or settings.sandbox.as_of is None:
            # The sandbox world is seen on the run's date, by SAP and the portals alike.
            settings = settings.model_copy(
                update={"sandbox": settings.sandbox.model_copy(update={"as_of": as_of})}
            )
        ctx = st.StageContext(
            settings=settings, as_of=as_of, scope=scope, folder=folder, out=out, echo=echo
        )
        status = "ok"
        for seq, name in enumerate(STAGES):
            if name in done:
                ctx.load(name)
                echo(f"[{name}] done earlier; outputs reloaded")
                continue
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
                    ""
                    if isinstance(exc, DataError)
                    else " — fix the cause and run again with --resume"
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
        store.finish_run(run_id, status)
        return RunResult(run_id, status, folder, ctx.summary, ctx.worksheet_results)
    finally:
        store.release(run_id)


def _fmt_counts(counts: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in counts.items() if not isinstance(v, (dict, list)))
