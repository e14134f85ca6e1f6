"""The pipeline's stages as plain functions over an explicit context.

Each ``stage_<name>(ctx) -> (counts, status)`` reads what earlier stages left in ``ctx.frames``
and adds its own outputs; the pipeline saves those to the run folder after the stage and
reloads them on --resume.  What a stage reads from outside comes from ``ctx.sources`` (the
seam, :mod:`arsync.jobs.pipeline.sources`); the settings give it parameters only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from arsync.common import atomic
from arsync.common.errors import ArsyncError
from arsync.common.frames import CLEARED_ITEMS, CUSTOMERS, OPEN_ITEMS, PORTAL_RECORDS, WORKLIST
from arsync.common.private import private_dir
from arsync.common.schema import Schema
from arsync.config.settings import Settings
from arsync.jobs.engine.invoice_no import search_numbers
from arsync.jobs.pipeline.sources import Scope, Sources
from arsync.jobs.pipeline.state import (
    PORTAL_STATE,
    WORKLIST_STATE,
    merge_records,
    read_state,
    write_state,
)

#: the last full run's customers: a narrowed run shows the others' contact details from it
CUSTOMERS_STATE = "customers.parquet"

OUTPUTS: dict[str, dict[str, Schema | None]] = {
    "sap": {"open_items": OPEN_ITEMS, "cleared_items": CLEARED_ITEMS, "customers": CUSTOMERS},
    "files": {
        "open_items": OPEN_ITEMS,
        "cleared_items": CLEARED_ITEMS,
        "customers": CUSTOMERS,
        "portal_records": PORTAL_RECORDS,
        "input_errors": None,
    },
    "outputs": {},
    "portals": {"portal_records": PORTAL_RECORDS, "portal_outcomes": None},
    "reconcile": {"worklist": WORKLIST},
    "history": {
        "worklist": WORKLIST,
        "promises": None,
        "promise_problems": None,
        "follow_ups": None,
        "disputes": None,
    },
    "statements": {},
    "worksheets": {},
    "reports": {},
    "notify": {},
    "summary": {},
}


@dataclass
class StageContext:
    settings: Settings
    sources: Sources
    folder: Path
    out: Path
    #: progress lines (the pipeline logs them; keywords are bound to the log line)
    echo: Callable[..., None] = print
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
    worksheet_results: list = field(default_factory=list)
    stale_portals: dict = field(default_factory=dict)
    run_id: str = ""
    store: Any = None  # the run store (per-account portal outcomes go there)
    attempt: int = 1  # 2, 3, ... when resumed

    @property
    def attempt_dir(self) -> Path:
        """Where this attempt keeps what must not mix with an earlier attempt's (evidence): the
        run folder for the first, ``attempt-<n>/`` in it for a resumed one."""
        return self.folder if self.attempt == 1 else self.folder / f"attempt-{self.attempt}"

    @property
    def as_of(self) -> date:
        return self.sources.as_of

    @property
    def scope(self) -> Scope:
        return self.sources.scope

    @property
    def state_dir(self) -> Path:
        """Last known good data across runs (portal records per portal, the full worklist)."""
        return private_dir(self.out / "state", self.settings.runs.group)

    def save(self, stage: str) -> None:
        d = self.folder / stage
        d.mkdir(parents=True, exist_ok=True)
        for name in OUTPUTS[stage]:
            if name in self.frames:
                atomic.write_parquet(self.frames[name], d / f"{name}.parquet")
        meta = {
            "summary": self.summary,
            "stale_portals": {k: str(v) for k, v in self.stale_portals.items()},
        }
        atomic.write_text(
            d / "_meta.json", json.dumps(meta, default=str, ensure_ascii=False, indent=1)
        )

    def load(self, stage: str) -> None:
        """Reload a finished stage's outputs; :class:`StageOutputsUnreadable` (naming the file)
        when one cannot be read, so that the stage is run again instead."""
        d = self.folder / stage
        frames, summary, stale = {}, {}, {}
        p = d
        try:
            for name, schema in OUTPUTS[stage].items():
                p = d / f"{name}.parquet"
                if p.exists():
                    df = pd.read_parquet(p)
                    frames[name] = schema.coerce(df) if schema is not None else df
            p = d / "_meta.json"
            if p.exists():
                meta = json.loads(p.read_text(encoding="utf-8"))
                summary = meta.get("summary", {})
                stale = {k: pd.Timestamp(v) for k, v in meta.get("stale_portals", {}).items()}
        except Exception as exc:
            raise StageOutputsUnreadable(
                f"stage {stage}: {p} cannot be read ({type(exc).__name__}: {exc})"
            ) from exc
        self.frames.update(frames)
        self.summary.update(summary)
        self.stale_portals.update(stale)

    def warn_state(self, warning: str) -> None:
        """A state file was unreadable and set aside: say so now and in the run's summary."""
        if warning:
            self.echo(f"  WARNING {warning}")
            self.summary.setdefault("state_warnings", []).append(warning)


class StageOutputsUnreadable(ArsyncError):
    """A finished stage's output file cannot be read back (on --resume): run the stage again."""


# --- stages ------------------------------------------------------------------------------------


def _in_scope(df: pd.DataFrame, scope, customers: pd.DataFrame | None = None) -> pd.Series:
    """Which rows of ``df`` fall inside the run's scope (customer, collector, company code)."""
    keep = pd.Series(True, index=df.index)
    if not scope.narrowed or df.empty:
        return keep
    if scope.customers and "customer" in df:
        keep &= df["customer"].isin(scope.customer_keys)
    if scope.company_codes and "company_code" in df:
        keep &= df["company_code"].isin(scope.company_codes)
    if scope.collectors and "customer" in df and customers is not None:
        mine = customers.loc[customers["collector"].isin(scope.collectors), "customer"]
        keep &= df["customer"].isin(mine)
    return keep


def _narrow(df: pd.DataFrame, scope, customers: pd.DataFrame | None = None) -> pd.DataFrame:
    return df[_in_scope(df, scope, customers)].reset_index(drop=True)


def stage_sap(ctx: StageContext):
    from arsync.connectors.sap import pull

    s = ctx.settings
    assert ctx.sources.sap is not None, "a SAP run opens its SAP source"
    codes = list(ctx.scope.company_codes) or (s.sap.company_codes or None)

    def progress(done, total, what):
        if total and (done == total or done % max(1, total // 10) == 0):
            ctx.echo(f"  sap: {done}/{total} {what}")

    if ctx.scope.customers:  # read only these customers from SAP, not the whole portfolio
        s = s.model_copy(
            update={"sap": s.sap.model_copy(update={"customers": list(ctx.scope.customers)})}
        )
    res = pull(
        s,
        key_date=ctx.as_of,
        company_codes=codes,
        progress=progress,
        collectors=list(ctx.scope.collectors) or None,
        rfc=ctx.sources.sap.rfc,
    )
    customers = ctx.sources.with_portals(res.customers)
    _check_scope(ctx.scope, customers, codes)
    ctx.frames["customers"] = customers
    ctx.frames["open_items"] = _narrow(res.open_items, ctx.scope, customers)
    ctx.frames["cleared_items"] = _narrow(res.cleared_items, ctx.scope, customers)
    counts = {
        "open_items": len(ctx.frames["open_items"]),
        "cleared_items": len(ctx.frames["cleared_items"]),
        "customers": len(customers),
        "rfc_calls": sum(res.stats.get("calls", {}).values()),
    }
    return counts, "ok"


def stage_files(ctx: StageContext):
    """A file run's inputs: open items, customers, portal records (and cleared items) read from
    the export files; problems are kept as ``input_errors`` (file, row, column, value, problem,
    outcome)."""
    from arsync.common.errors import InputError
    from arsync.connectors.files.read import bad_rows, read_inputs

    assert ctx.sources.files is not None, "a file run opens its folder"
    frames, errors = read_inputs(ctx.sources.files.folder, strict=ctx.sources.files.strict)
    customers = frames["customers"]
    _check_scope(ctx.scope, customers, None, source="the files")
    codes = set(frames["open_items"]["company_code"]) | set(frames["cleared_items"]["company_code"])
    unknown = [c for c in ctx.scope.company_codes if c not in codes]
    if unknown:  # mistyped, like a customer: the operator's input error, nothing to resume
        raise InputError(
            f"company code(s) {', '.join(unknown)} not in the files (they have "
            f"{', '.join(sorted(codes)) or 'none'})"
        )
    for note in _portal_notes(frames["customers"], frames["portal_records"]):
        ctx.echo(f"  files: {note}")
        ctx.summary.setdefault("notes", []).append(note)
    ctx.frames["customers"] = _narrow(customers, ctx.scope, customers)
    for name in ("open_items", "cleared_items"):
        df = frames.get(name)
        df = (
            df
            if df is not None
            else (OPEN_ITEMS if name == "open_items" else CLEARED_ITEMS).empty()
        )
        ctx.frames[name] = _narrow(df, ctx.scope, customers)
    records = frames.get("portal_records")
    records = records if records is not None else PORTAL_RECORDS.empty()
    ctx.frames["portal_records"] = _narrow(records, ctx.scope, customers)
    ctx.frames["input_errors"] = errors
    counts = {
        "open_items": len(ctx.frames["open_items"]),
        "cleared_items": len(ctx.frames["cleared_items"]),
        "customers": len(ctx.frames["customers"]),
        "portal_records": len(ctx.frames["portal_records"]),
        "bad_rows": bad_rows(errors),
        "problems": len(errors),
    }
    return counts, "ok"  # bad rows are reported (input_errors, errors.csv), not a failure


def _portal_notes(customers: pd.DataFrame, records: pd.DataFrame) -> list[str]:
    """Portal records that no customer's ``portals`` names: their customers' items would all be
    NO_PORTAL (a customers file written without the column) — said, never silent."""
    if records.empty:
        return []
    listed = {p for ps in customers["portals"] for p in ps.split(";") if p}
    if not listed:
        return [
            f"{len(records)} portal record(s) but no customer lists a portal (the customers "
            "file's portals column is empty): every item is NO_PORTAL or matched by the records "
            "alone; fill the column (sap pull --out writes it)"
        ]
    gone = sorted(set(records["portal"]) - listed)
    return (
        [f"portal(s) {', '.join(gone)} have records but no customer lists them in portals"]
        if gone
        else []
    )


def _check_scope(scope, customers: pd.DataFrame, codes, source: str = "SAP") -> None:
    """An on-demand run for a customer or collector its source does not know is an error, not
    '0 items'.  ``customers`` is what the source returned for the scope (SAP reads only the
    scoped customers; a file run passes every customer of its file).  A mistyped customer is
    the operator's input error (:class:`InputError`), not a failure to resume."""
    from arsync.common.errors import InputError

    where = f" in company code(s) {', '.join(codes)}" if codes else ""
    known = set(customers["customer"])
    missing = [c for c, k in zip(scope.customers, scope.customer_keys) if k not in known]
    if missing:
        raise InputError(f"customer(s) {', '.join(missing)} not found in {source}{where}")
    if scope.collectors:
        mine = (
            customers
            if source == "SAP"
            else customers[customers["collector"].isin(scope.collectors)]
        )
        if mine.empty:
            hint = (
                " (KNB1-BUSAB code, or a name given in sap.collectors)" if source == "SAP" else ""
            )
            raise InputError(
                f"no customer in {source} has collector {', '.join(scope.collectors)}{where}{hint}"
            )


def stage_portals(ctx: StageContext):
    """Fetch every portal the scoped customers pay through; a failed portal keeps its last
    known records (marked stale) and makes the stage 'partial', never a failure of the run."""
    from arsync.connectors.portals import fetch

    assert ctx.sources.portals is not None, "a SAP run opens its portal source"
    from arsync.connectors.portals.runner import Outcome

    open_items = ctx.frames["open_items"]
    wanted = ctx.sources.portals.ids_for(sorted(set(open_items["customer"])))
    refused = [r for r in ctx.sources.portals.rejected if r.id in wanted]
    wanted = [p for p in wanted if p not in {r.id for r in refused}]
    if not wanted:
        fresh, outcomes = PORTAL_RECORDS.empty(), []
    else:

        def progress(o):
            ctx.echo(
                f"  portal {o.portal}/{o.account}: {o.outcome} ({o.records} records, {o.seconds:.1f}s)",
                portal=o.portal,
                account=o.account,
            )

        res = fetch(
            ctx.settings,
            ctx.sources.portals.chosen(wanted),
            out_dir=ctx.attempt_dir,
            invoice_numbers=search_numbers(open_items),
            today=ctx.as_of,
            progress=progress,
        )
        fresh, outcomes = res.records, res.outcomes
    if ctx.store is not None and outcomes:
        ctx.store.record_accounts(ctx.run_id, [asdict(o) for o in outcomes])
    # a portal whose file was refused fails alone: its items keep their last known status
    outcomes = [*outcomes, *(Outcome(r.id, "", "failed", reason=r.reason) for r in refused)]
    failed = {o.portal for o in outcomes if o.outcome != "ok"}
    ok_portals = {o.portal for o in outcomes} - failed

    last_path = ctx.state_dir / PORTAL_STATE
    state = read_state(last_path, PORTAL_RECORDS)
    ctx.warn_state(state.warning)
    last = state.frame
    stale = last[last["portal"].isin(failed)]
    fresh = fresh[~fresh["portal"].isin(failed)]
    ctx.stale_portals = {
        p: (
            stale.loc[stale["portal"] == p, "fetched_at"].max()
            if (stale["portal"] == p).any()
            else pd.NaT
        )
        for p in failed
    }
    records = pd.concat([fresh, stale], ignore_index=True) if len(stale) else fresh
    ctx.frames["portal_records"] = PORTAL_RECORDS.validate(records, "portal stage")
    ctx.frames["portal_outcomes"] = pd.DataFrame(
        [
            {
                "portal": o.portal,
                "account": o.account,
                "outcome": o.outcome,
                "reason": o.reason,
                "records": o.records,
                "evidence": o.evidence,
            }
            for o in outcomes
        ],
        columns=["portal", "account", "outcome", "reason", "records", "evidence"],
    )
    # Remember what was read fine, for the next run that cannot reach a portal; a narrowed run
    # merges what it read into what the others read.
    scoped = _scoped_customers(ctx)
    remembered = merge_records(
        last, fresh, ok_portals, None if scoped is None else last["customer"].isin(scoped)
    )
    write_state(PORTAL_RECORDS.validate(remembered, "last known"), last_path)

    ctx.summary["stale"] = {
        f"{o.portal}/{o.account}": f"{o.outcome}: {o.reason}" for o in outcomes if o.outcome != "ok"
    }
    for o in outcomes:
        if o.outcome != "ok":
            ctx.echo(
                f"  portal {o.portal}/{o.account}: {o.outcome.upper()} {o.reason}"
                + (f" (evidence: {o.evidence})" if o.evidence else ""),
                level="WARNING",
                portal=o.portal,
                account=o.account,
            )
    counts = {
        "portal_records": len(records),
        "accounts": len(outcomes),
        "failed_accounts": sum(o.outcome != "ok" for o in outcomes),
    }
    return counts, ("partial" if failed else "ok")


def _scoped_customers(ctx: StageContext) -> set[str] | None:
    """The customers a narrowed run read portal records for (``None`` for a full run).  A run
    narrowed only to company codes names no customer: it replaces only records it found again."""
    if not ctx.scope.narrowed:
        return None
    mine: set[str] = set(ctx.scope.customer_keys)
    if ctx.scope.collectors:
        cu = ctx.frames["customers"]
        mine |= set(cu.loc[cu["collector"].isin(ctx.scope.collectors), "customer"])
    return mine


def stage_reconcile(ctx: StageContext):
    from arsync.jobs.engine.reconcile import reconcile

    wl = reconcile(
        ctx.frames["open_items"],
        ctx.frames["cleared_items"],
        ctx.frames["customers"],
        ctx.frames["portal_records"],
        as_of=ctx.as_of,
        settings=ctx.settings.reconcile,
        stale_portals=ctx.stale_portals or None,
    )
    ctx.frames["worklist"] = wl
    counts = wl["finding"].value_counts().sort_index().to_dict()
    return {"items": len(wl), **counts}, "ok"


def stage_worksheets(ctx: StageContext):
    """Refresh the affected collectors' workbooks.  A narrowed run merges its rows into the last
    full worklist, so the collector's other customers are neither dropped nor moved to Closed."""
    from arsync.reports.worksheets import refresh_worksheets

    wl = ctx.frames["worklist"]
    full_path = ctx.state_dir / WORKLIST_STATE
    collectors = None
    if ctx.scope.narrowed:
        collectors = sorted(set(wl["collector"]) | set(ctx.scope.collectors))
        state = read_state(full_path, WORKLIST)
        ctx.warn_state(state.warning)
        if len(state.frame):
            prev = state.frame
            prev = prev[~_in_scope(prev, ctx.scope, ctx.frames["customers"])]
            wl = pd.concat([prev[prev["collector"].isin(collectors)], wl], ignore_index=True)
            full = pd.concat([prev, ctx.frames["worklist"]], ignore_index=True)
        else:
            full = wl
    else:
        full = wl
    full = full.sort_values(list(WORKLIST.key)).reset_index(drop=True)
    write_state(full, full_path)

    out = ctx.out / "worksheets"
    customers, records = _master_and_evidence(ctx)
    day = None
    if "promises" in ctx.frames:  # a run with the history stage
        from arsync.jobs.pipeline.day_stages import day_view

        day = day_view(ctx)
    if ctx.settings.notify.enabled and customers is not None and ctx.store is not None:
        from arsync.jobs.pipeline.notify import with_communications

        customers = with_communications(ctx.store, customers, ctx.settings)
    results = refresh_worksheets(
        wl,
        out,
        as_of=ctx.as_of,
        settings=ctx.settings.reports,
        collectors=collectors,
        cleared=ctx.frames.get("cleared_items"),
        customers=customers,
        portal_records=records,
        day=day,
    )
    ctx.worksheet_results = results
    ctx.summary["worksheets_dir"] = str(out)
    warnings = [w for r in results for w in r.warnings]
    for r in results:
        for w in r.warnings:
            ctx.echo(f"  worksheet {r.collector}: {w}")
    failed = [r for r in results if r.outcome == "failed"]
    beside = [r for r in results if r.outcome == "beside"]
    if results and len(failed) == len(results):
        from arsync.common.errors import DataError

        raise DataError("no workbook could be refreshed: " + "; ".join(failed[0].warnings))
    # a workbook written beside (held open) or not written at all needs a person: the run
    # says so in its outcome instead of 'ok'
    ctx.summary["worksheets_attention"] = [
        f"worksheet {r.collector}: {r.outcome} — {r.warnings[-1]}" for r in failed + beside
    ]
    counts = {
        "workbooks": len(results),
        "failed": len(failed),
        "beside": len(beside),
        "warnings": len(warnings),
    }
    return counts, ("partial" if failed or beside else "ok")


def _master_and_evidence(ctx: StageContext) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The customers (contact person, phone) and portal records (evidence files) behind the
    worksheets; a narrowed run adds the last full run's for the collector's other customers."""
    customers = ctx.frames.get("customers")
    records = ctx.frames.get("portal_records")
    saved = ctx.state_dir / CUSTOMERS_STATE
    if customers is not None and not ctx.scope.narrowed:
        write_state(customers, saved)
    elif customers is not None and saved.exists():
        state = read_state(saved, CUSTOMERS)
        ctx.warn_state(state.warning)
        customers = pd.concat([customers, state.frame], ignore_index=True).drop_duplicates(
            "customer"
        )
    last = ctx.state_dir / PORTAL_STATE
    if ctx.scope.narrowed and last.exists():
        state = read_state(last, PORTAL_RECORDS)
        ctx.warn_state(state.warning)
        records = state.frame if records is None else pd.concat([records, state.frame])
    return customers, records


def stage_history(ctx: StageContext):
    """What collectors typed → contact history; promises judged; disputes kept
    (:mod:`arsync.jobs.pipeline.day_stages`)."""
    from arsync.jobs.pipeline.day_stages import history_stage

    return history_stage(ctx)


def stage_statements(ctx: StageContext):
    """Statements (对账单) by rule into the run folder (:mod:`arsync.jobs.pipeline.day_stages`)."""
    from arsync.jobs.pipeline.day_stages import statements_stage

    return statements_stage(ctx)


def stage_reports(ctx: StageContext):
    """The run's snapshot, plan against actual, the supervisor's workbook and the week's plan
    (:mod:`arsync.jobs.pipeline.supervision_stage`)."""
    from arsync.jobs.pipeline.supervision_stage import reports_stage

    return reports_stage(ctx)


def stage_notify(ctx: StageContext):
    """Digests to collectors, reminders into the outbox (:mod:`arsync.jobs.pipeline.notify`)."""
    from arsync.jobs.pipeline.notify import notify_stage

    return notify_stage(ctx)


def stage_outputs(ctx: StageContext):
    """A file run's results beside its inputs' answer: ``worklist.csv``, ``worklist.xlsx`` and,
    for the problems in the input files, ``errors.csv`` (file, row, column, value, problem,
    outcome; UTF-8 with a BOM) in the output folder — all or none
    (:func:`arsync.reports.export.write_run_outputs`)."""
    from arsync.connectors.files.read import bad_rows
    from arsync.reports.export import write_run_outputs

    wl = ctx.frames["worklist"]
    errors = ctx.frames.get("input_errors")
    paths = write_run_outputs(ctx.out, wl, errors, language=ctx.settings.reports.language)
    if "errors.csv" in paths:
        ctx.summary["errors_file"] = str(paths["errors.csv"])
    ctx.summary["outputs"] = [str(paths["worklist.csv"]), str(paths["worklist.xlsx"])]
    return {"rows": len(wl), "bad_rows": 0 if errors is None else bad_rows(errors)}, "ok"


def stage_summary(ctx: StageContext):
    from arsync.common.money import format_major

    wl = ctx.frames["worklist"]
    lines = [f"as of {ctx.as_of}: {len(wl)} open items"]
    by = (
        wl.groupby(["finding", "currency"])["amount"]
        .agg(items="size", total="sum")
        .reset_index()
        .sort_values(["finding", "currency"])
    )
    for r in by.itertuples():
        total = f"{Decimal(format_major(r.total, r.currency)):,}"
        lines.append(f"  {r.finding:<17} {r.items:>6} items  {total:>18} {r.currency}")
    if ctx.stale_portals:
        lines.append("  stale portals: " + ", ".join(sorted(ctx.stale_portals)))
    lines.extend(f"  {line}" for line in ctx.summary.get("worksheets_attention", []))
    lines.extend(f"  {w}" for w in ctx.summary.get("state_warnings", []))
    lines.extend(f"  notify: {n}" for n in ctx.summary.get("notify", []))
    errors = ctx.frames.get("input_errors")
    if errors is not None and len(errors):
        from arsync.connectors.files.read import bad_rows

        where = ctx.summary.get("errors_file", "the run's input_errors")
        n, kept = bad_rows(errors), int(errors["outcome"].ne("left out").sum())
        lines.append(
            f"  {n} bad row(s) in the input files left out, {kept} note(s) on rows kept"
            f" — see {where}"
        )
    for note in ctx.summary.get("notes", []):
        lines.append(f"  note: {note}")
    if "promises" in ctx.frames:
        from arsync.jobs.pipeline.day_stages import summary_lines

        lines.extend(summary_lines(ctx))
    ctx.summary["lines"] = lines
    ctx.summary["findings"] = wl["finding"].value_counts().to_dict()
    atomic.write_text(ctx.folder / "summary.txt", "\n".join(lines) + "\n")
    return {"items": len(wl)}, "ok"
