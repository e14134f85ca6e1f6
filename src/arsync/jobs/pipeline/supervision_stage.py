"""The nightly's ``reports`` stage: the run's snapshot and portal stages into the run store, plan
against actual brought up to date, then ``<out>/reports/supervisor.xlsx`` and the plans of
``plans.nightly`` refreshed.

Only a full nightly keeps a snapshot (a run narrowed to a customer or fed from files is not the
portfolio).  The snapshot and the actuals are the run store's history, so they are written
first; a report that cannot be written is a warning and a partial stage, never a lost snapshot.
"""

from __future__ import annotations

from pathlib import Path

from arsync.common.errors import ArsyncError
from arsync.jobs.pipeline import plan as plans
from arsync.jobs.pipeline.supervision import RunFrames, snapshot, supervisor_report


def frames_of(ctx) -> RunFrames | None:
    """The run's frames as the report reads them (``None`` when the run is not a full one)."""
    needed = ("open_items", "cleared_items", "customers", "worklist")
    if any(k not in ctx.frames for k in needed) or ctx.scope.narrowed:
        return None
    info = ctx.store.get(ctx.run_id)
    if info is None or info.kind != "nightly":
        return None
    f = ctx.frames
    return RunFrames(
        info,
        f["open_items"],
        f["cleared_items"],
        f["customers"],
        f["worklist"],
        f.get("portal_records"),
    )


def reports_stage(ctx):
    frames = frames_of(ctx)
    if frames is None:
        ctx.echo("[reports] not a full nightly: no snapshot, report or plan")
        return {"snapshot": 0}, "ok"
    s = ctx.settings
    pos = snapshot(s, ctx.store, frames)
    measured = plans.measure_actuals(ctx.store, frames)
    counts: dict[str, int] = {"snapshot": len(pos), "plans_measured": len(measured)}
    out = Path(ctx.out) / "reports"
    status = "ok"
    try:
        if s.plans.supervisor_period:
            supervisor_report(
                s, ctx.store, period=s.plans.supervisor_period, out_dir=out, frames=frames
            )
            counts["supervisor"] = 1
            ctx.summary["supervisor_report"] = str(out / "supervisor.xlsx")
        from arsync.reports.plan_book import write_plan

        for kind in s.plans.nightly:
            data = plans.make_plan(s, ctx.store, frames, kind)
            write_plan(data, out)
            counts[f"plan_{kind}_items"] = len(data.planned)
    except (ArsyncError, OSError, ValueError, KeyError) as exc:
        ctx.echo(f"[reports] WARNING {type(exc).__name__}: {exc}")
        status = "partial"
    return counts, status
