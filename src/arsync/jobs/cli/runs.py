"""`arsync nightly`, `arsync reconcile` and `arsync runs`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from arsync.jobs.cli.app import EXIT_PARTIAL, cli, quiet, settings_from, start_logging


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date (YYYY-MM-DD)") from None


@cli.command("nightly")
@click.option(
    "--as-of", callback=_date, help="Key date (default today; on the sandbox the world's date)."
)
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False), help="Output folder (runs.out_dir)."
)
@click.option(
    "--resume", is_flag=True, help="Continue the last failed run from its last finished stage."
)
@click.option("--strategy", type=click.Choice(["bapi", "table"]), help="SAP read strategy.")
@click.option("--company-code", "company_codes", multiple=True, help="Company code (repeatable).")
@click.pass_context
def nightly(ctx, as_of, out_dir, resume, strategy, company_codes):
    """SAP pull → portal fetch → reconcile → worksheets → run summary."""
    start_logging(ctx)
    from arsync.jobs.pipeline.run import run

    s = settings_from(
        ctx,
        **{
            "sap.strategy": strategy,
            "runs.out_dir": out_dir,
            "sap.company_codes": list(company_codes) or None,
        },
    )
    res = run(s, kind="nightly", as_of=as_of, out_dir=out_dir, resume=resume)
    _print_result(ctx, res)


@cli.command("reconcile")
@click.option("--customer", "customers", multiple=True, help="SAP customer number (repeatable).")
@click.option("--collector", "collectors", multiple=True, help="Collector (repeatable).")
@click.option("--company-code", "company_codes", multiple=True, help="Company code (repeatable).")
@click.option("--as-of", callback=_date, help="Key date (default today).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Output folder.")
@click.option(
    "--from-files",
    "from_files",
    type=click.Path(exists=True, file_okay=False),
    help="Read open_items / customers / portal_records (CSV or XLSX, or an FBL5N export) "
    "from this folder instead of SAP and the portals.",
)
@click.option("--strict", is_flag=True, help="With --from-files: stop at the first bad row.")
@click.option(
    "--worksheets", is_flag=True, help="With --from-files: refresh the collectors' workbooks too."
)
@click.option("--resume", is_flag=True, help="Continue the last failed on-demand run.")
@click.pass_context
def reconcile_cmd(
    ctx,
    customers,
    collectors,
    company_codes,
    as_of,
    out_dir,
    from_files,
    strict,
    worksheets,
    resume,
):
    """Reconcile on demand: narrowed to customers / collectors / company codes, or from files."""
    start_logging(ctx)
    from arsync.jobs.pipeline.run import run
    from arsync.jobs.pipeline.sources import FileSource, Scope

    s = settings_from(ctx, **{"runs.out_dir": out_dir})
    scope = Scope(tuple(customers), tuple(collectors), tuple(company_codes))
    if (strict or worksheets) and not from_files:
        raise click.UsageError("--strict and --worksheets go with --from-files")
    if from_files and not out_dir:
        raise click.UsageError("--from-files needs --out DIR")
    res = run(
        s,
        kind="files" if from_files else "reconcile",
        as_of=as_of,
        scope=scope,
        files=FileSource(Path(from_files).resolve(), strict=strict) if from_files else None,
        worksheets=worksheets,
        out_dir=out_dir,
        resume=resume,
    )
    _print_result(ctx, res)


@cli.command("runs")
@click.option(
    "--limit", type=click.IntRange(min=1), default=10, show_default=True, help="Runs to show."
)
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False), help="Output folder of the store."
)
@click.pass_context
def runs_cmd(ctx, limit, out_dir):
    """Recent runs with their stages, outcome and why (a store is never created here)."""
    from arsync.jobs.pipeline.runstore import RunStore, store_url

    s = settings_from(ctx, **{"runs.out_dir": out_dir})
    store = RunStore.existing(s)
    infos = store.recent(limit) if store is not None else []
    if store is None:
        click.echo(f"no runs yet: no run store at {store_url(s).removeprefix('sqlite:///')}")
    elif not infos:
        click.echo("no runs yet")
    for r in infos:
        took = (r.finished_at - r.started_at).total_seconds() if r.finished_at else None
        scope = " ".join(f"{k}={','.join(v)}" for k, v in r.scope.items())
        click.echo(
            f"{r.run_id}  {r.kind:<9} as of {r.as_of}  {r.status:<11}"
            + (f" {took:.1f}s" if took is not None else "")
            + (f"  attempt {r.attempt}" if r.attempt > 1 else "")
            + (f"  [{scope}]" if scope else "")
        )
        if r.error:
            resume = " — continue it with --resume" if r.status == "dead" else ""
            click.echo(f"    why: {r.error}{resume}")
        for stg in r.stages:
            counts = ", ".join(
                f"{k}={v}" for k, v in stg["counts"].items() if not isinstance(v, (dict, list))
            )
            secs = f"{stg['seconds']:.1f}s" if stg["seconds"] is not None else ""
            click.echo(
                f"    {stg['stage']:<11} {stg['status']:<11} {secs:>7}  {counts}"
                + (f"  error: {stg['error']}" if stg["error"] else "")
            )


@cli.command("unlock")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False), help="Output folder of the store."
)
@click.pass_context
def unlock_cmd(ctx, yes, out_dir):
    """Remove the run lock left by a run that is not running any more (e.g. on another host).

    Runs on this host need no unlock: a lock whose process is gone is taken over by the next
    run.  The run that held the lock is marked dead (`--resume` continues it)."""
    from arsync.jobs.pipeline.runstore import RunStore

    s = settings_from(ctx, **{"runs.out_dir": out_dir})
    store = RunStore.for_settings(s)
    held = store.lock()
    if held is None:
        click.echo("the run lock is free")
        return
    click.echo(f"{held.describe()}: {held.why}")
    if held.state == "running":
        raise click.ClickException(
            f"process {held.pid} on this host is that run: stop it (or let it finish) instead"
        )
    if not yes:
        click.confirm(
            f"Remove the lock of run {held.run_id}? Only if that run is not running any more",
            abort=True,
        )
    if store.unlock(run_id=held.run_id) is None:
        click.echo("the lock changed hands meanwhile; nothing removed")
        return
    click.echo(f"lock removed; run {held.run_id} is marked dead (continue it with --resume)")


def _print_result(ctx, res) -> None:
    """The run's summary on stdout (not with --quiet); a partial run also says why on stderr
    (portals not read: their items show STALE; workbooks not refreshed in place) and exits
    with status 3."""
    sm = res.summary
    if not quiet(ctx):
        click.echo(f"run {res.run_id}: {res.status}")
        for line in sm.get("lines", []):
            click.echo(line)
        if sm.get("worksheets_dir"):
            click.echo(f"worksheets: {sm['worksheets_dir']}")
        if sm.get("statements_dir"):
            click.echo(f"statements: {sm['statements_dir']}")
        click.echo(f"run folder: {res.folder}")
    if res.status == "partial":
        why = "; ".join(res.attention) or "see `arsync runs`"
        click.echo(f"arsync: run {res.run_id} is partial: {why}", err=True)
        ctx.exit(EXIT_PARTIAL)
