"""The nightly's worksheets and reports stages on a sandbox world, timed; asserts nothing.

    .venv/bin/python bench/bench_sheets.py [--size medium] [--stage worksheets|reports|both]
        [--profile FILE] [--typed 20] [--keep DIR]

Builds the world's frames and reconciles them once (not timed), then:

- worksheets: night 1 (no workbooks yet) and night 2 (the same worklist a day later, into the
  workbooks of night 1 in which every collector typed a contact date, method, note and
  promise on ``--typed`` items) — as the nightly's stage calls :func:`refresh_worksheets`;
  checks that the typed notes came back (a count, printed);
- reports: the snapshot, plan against actual, the supervisor report (week) and the plans of
  ``plans.nightly``, as the nightly's ``reports`` stage does, on a fresh run store.

Prints wall and CPU seconds (with spawned workers') per phase and the load average.  With
``--profile FILE`` each phase runs under cProfile and its stats go to ``FILE.<phase>``.
Compare old and new code by putting a copy of the old ``src`` first on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import openpyxl

import arsync
from arsync.config import load_settings
from arsync.jobs.engine.reconcile import reconcile
from arsync.reports import labels as L
from arsync.reports.worksheets import refresh_worksheets
from arsync.sandbox.world import World
from arsync.sandbox.world_frames import world_frames

AS_OF = date(2026, 11, 23)


def _cpu() -> float:
    s, k = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + k.ru_utime + k.ru_stime


def _timed(name: str, profile: str | None, fn):
    load = os.getloadavg()[0]
    t, c = time.perf_counter(), _cpu()
    if profile:
        prof = cProfile.Profile()
        out = prof.runcall(fn)
        prof.dump_stats(f"{profile}.{name}")
    else:
        out = fn()
    wall, cpu = time.perf_counter() - t, _cpu() - c
    print(f"  {name:<22} wall {wall:7.1f} s  CPU {cpu:7.1f} s  load {load:.0f}", flush=True)
    return out


def _type_into(folder: Path, rows: int, language: str) -> int:
    """Type into ``rows`` items of every workbook, as a collector would; the notes typed."""
    heads = {f.id: L.text(f.zh, f.en, language) for f in L.COLLECTOR}
    typed = 0
    for path in sorted(folder.glob("*.xlsx")):
        wb = openpyxl.load_workbook(path)
        ws = wb.worksheets[0]
        header = {c.value: c.column for c in ws[1] if c.value}
        col = {fid: header[h] for fid, h in heads.items() if h in header}
        for r in range(2, min(ws.max_row, rows + 1) + 1):
            ws.cell(r, col["contact_date"]).value = AS_OF
            ws.cell(r, col["contact_method"]).value = ws.cell(r, col["contact_method"]).value or (
                "电话" if language == "zh" else "电话 phone" if language == "both" else "phone"
            )
            ws.cell(r, col["notes"]).value = f"called, row {r}: will pay next week"
            ws.cell(r, col["promise_date"]).value = "12/1"  # typed as text, read as a date
            typed += 1
        wb.save(path)
    return typed


def _carried(folder: Path, language: str) -> int:
    head = L.text(*next((f.zh, f.en) for f in L.COLLECTOR if f.id == "notes"), language)
    n = 0
    for path in sorted(folder.glob("*.xlsx")):
        wb = openpyxl.load_workbook(path, read_only=True)
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = list(next(rows))
        i = header.index(head)
        n += sum(1 for r in rows if isinstance(r[i], str) and r[i].startswith("called, row"))
        wb.close()
    return n


def worksheets(f, wl, settings, tmp: Path, typed: int, profile: str | None) -> None:
    out = tmp / "worksheets"
    lang = settings.reports.language

    def night(as_of):
        return refresh_worksheets(
            wl,
            out,
            as_of=as_of,
            settings=settings.reports,
            cleared=f["cleared_items"],
            customers=f["customers"],
            portal_records=f["portal_records"],
        )

    res = _timed("worksheets night 1", profile, lambda: night(AS_OF))
    size = sum(p.stat().st_size for p in out.glob("*.xlsx")) / 2**20
    print(f"    {len(res)} workbooks, {sum(r.open_items for r in res)} rows, {size:.1f} MiB")
    n = _type_into(out, typed, lang)
    _timed("worksheets night 2", profile, lambda: night(AS_OF + timedelta(days=1)))
    print(f"    {n} rows typed, {_carried(out, lang)} notes carried")


def reports(f, wl, settings, tmp: Path, profile: str | None) -> None:
    from arsync.jobs.pipeline import plan as plans
    from arsync.jobs.pipeline.runstore import RunStore
    from arsync.jobs.pipeline.supervision import RunFrames, snapshot, supervisor_report
    from arsync.reports.plan_book import write_plan

    store = RunStore(f"sqlite:///{tmp / 'runs.sqlite'}")
    run_id = f"r-{AS_OF}"
    store.start_run(run_id, "nightly", AS_OF, {}, str(tmp / "run"))
    for seq, stage in enumerate(("sap", "reconcile")):
        store.start_stage(run_id, stage, seq)
        store.finish_stage(run_id, stage, "ok", 1.0, {})
    frames = RunFrames(
        store.get(run_id),
        f["open_items"],
        f["cleared_items"],
        f["customers"],
        wl,
        f["portal_records"],
    )
    out = tmp / "reports"
    _timed(
        "snapshot + actuals",
        profile,
        lambda: (snapshot(settings, store, frames), plans.measure_actuals(store, frames)),
    )
    _timed(
        "supervisor report",
        profile,
        lambda: supervisor_report(
            settings,
            store,
            period=settings.plans.supervisor_period or "week",
            out_dir=out,
            frames=frames,
        ),
    )
    for kind in settings.plans.nightly:
        _timed(
            f"plan {kind}",
            profile,
            lambda kind=kind: write_plan(plans.make_plan(settings, store, frames, kind), out),
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--size", default="medium", choices=["tiny", "small", "medium", "large"])
    ap.add_argument("--stage", default="both", choices=["worksheets", "reports", "both"])
    ap.add_argument("--typed", type=int, default=20, help="items typed into per workbook")
    ap.add_argument("--profile", help="cProfile stats to FILE.<phase>")
    ap.add_argument("--keep", help="write into this folder (kept) instead of a temporary one")
    args = ap.parse_args()
    t0 = time.perf_counter()
    f = world_frames(World(size=args.size, as_of=AS_OF))
    wl = reconcile(
        f["open_items"], f["cleared_items"], f["customers"], f["portal_records"], as_of=AS_OF
    )
    settings = load_settings(environ={})
    print(
        f"arsync from {Path(arsync.__file__).parent}; world {args.size}: "
        f"{wl['collector'].nunique()} collectors, {wl['customer'].nunique()} customers, "
        f"{len(wl)} worklist rows (built in {time.perf_counter() - t0:.0f} s, not timed); "
        f"language {settings.reports.language}; load {os.getloadavg()[0]:.0f}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        if args.keep:
            tmp = args.keep
            Path(tmp).mkdir(parents=True, exist_ok=True)
        if args.stage in ("worksheets", "both"):
            worksheets(f, wl, settings, Path(tmp), args.typed, args.profile)
        if args.stage in ("reports", "both"):
            reports(f, wl, settings, Path(tmp), args.profile)


if __name__ == "__main__":
    main()
