"""`arsync report supervisor` and `arsync plan`: the supervisor's report and the collection
plans, from the last full run on or before a date (thin: the jobs live in
:mod:`arsync.jobs.pipeline.supervision` and :mod:`arsync.jobs.pipeline.plan`)."""

from __future__ import annotations

from pathlib import Path

import click

from arsync.jobs.cli.app import cli, existing_store, settings_from
from arsync.jobs.cli.runs import _date

_LANG = click.Choice(["zh", "en", "both"])


@cli.group("report")
def report() -> None:
    """Reports for the Cash & Collection (信控) supervisor."""


@report.command("supervisor")
@click.option(
    "--period", type=click.Choice(["week", "month", "quarter"]), default="week", show_default=True
)
@click.option("--as-of", callback=_date, help="Report date: the last full run on or before it.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True)
@click.option("--language", type=_LANG, help="zh | en | both (default reports.language).")
@click.option("--runs", "runs_dir", type=click.Path(file_okay=False), help="runs.out_dir.")
@click.pass_context
def supervisor(ctx, period, as_of, out_dir, language, runs_dir):
    """supervisor.xlsx (native charts) and a one-page supervisor.html with PNG charts."""
    from arsync.jobs.pipeline.supervision import supervisor_report

    s = settings_from(ctx, **{"runs.out_dir": runs_dir, "reports.language": language})
    store = existing_store(s, "--runs")
    paths = supervisor_report(s, store, as_of=as_of, period=period, out_dir=out_dir)
    for name, p in paths.items():
        if name.endswith((".xlsx", ".html")):
            click.echo(f"{name}: {p}")


@cli.command("plan")
@click.option(
    "--week", is_flag=True, help="The 7 days after the as-of date, per day (the default)."
)
@click.option(
    "--month",
    is_flag=True,
    help="From the day after the as-of date to the last day of the next calendar month "
    "(as of 30 Nov: 1–31 Dec; as of 16 Nov: 17 Nov–31 Dec), per week.",
)
@click.option("--as-of", callback=_date, help="Plan from the last full run on or before it.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True)
@click.option("--language", type=_LANG, help="zh | en | both (default reports.language).")
@click.option("--runs", "runs_dir", type=click.Path(file_okay=False), help="runs.out_dir.")
@click.pass_context
def plan(ctx, week, month, as_of, out_dir, language, runs_dir):
    """Collections expected per collector and customer, with targets and the items to work."""
    if week and month:
        raise click.UsageError("--week and --month are exclusive: give one of them")
    kind = "month" if month else "week"
    from arsync.common.money import format_amount
    from arsync.jobs.pipeline.plan import make_plan
    from arsync.jobs.pipeline.supervision import last_run, load_run
    from arsync.reports.plan_book import write_plan

    s = settings_from(ctx, **{"runs.out_dir": runs_dir, "reports.language": language})
    store = existing_store(s, "--runs")
    frames = load_run(last_run(store, as_of))
    data = make_plan(s, store, frames, kind)
    path = write_plan(data, Path(out_dir))
    p = data.planned
    p = p[p["currency"] == data.currency]
    click.echo(
        f"plan {data.plan_id}: {data.first} – {data.last}, {len(p)} item(s), "
        f"{format_amount(int(p['amount'].sum()), data.currency)} expected"
    )
    click.echo(f"plan-{kind}.xlsx: {path}")
