"""`arsync sap pull`: read SAP once and write the three frames to files people can open."""

from __future__ import annotations

import sys
from datetime import date

import click

from arsync.common import clock
from arsync.jobs.cli.app import start_logging

#: The file formats of ``arsync.reports.export`` (kept here: the CLI starts without pandas).
FORMATS = ("csv", "xlsx", "parquet")


@click.group("sap")
def sap() -> None:
    """Read open items, cleared items and customers from SAP."""


@sap.command("pull")
@click.option(
    "--key-date",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Open items as of this date (default today).",
)
@click.option("--company-code", "company_codes", multiple=True, help="Company code; repeatable.")
@click.option(
    "--strategy",
    type=click.Choice(["bapi", "table"]),
    default=None,
    help="BAPIs per customer, or RFC_READ_TABLE by key ranges (default: sap.strategy).",
)
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder."
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.pass_context
def pull_cmd(ctx: click.Context, key_date, company_codes, strategy, out_dir, fmt) -> None:
    """Pull from SAP and write open_items, cleared_items and customers files."""
    start_logging(ctx)
    from arsync.connectors.sap import pull
    from arsync.jobs.pipeline.sources import open_sources
    from arsync.reports.export import write_frames

    settings = ctx.find_root().obj["settings"]
    kd: date = key_date.date() if key_date else clock.today()
    with open_sources(settings, kd) as sources, _progress() as progress:
        assert sources.sap is not None
        result = pull(
            settings,
            key_date=kd,
            company_codes=list(company_codes) or None,
            strategy=strategy,
            progress=progress,
            rfc=sources.sap.rfc,
        )
        frames = {**result.frames(), "customers": sources.with_portals(result.customers)}
    paths = write_frames(frames, out_dir, fmt)
    for name, df in frames.items():
        click.echo(f"{name}: {len(df)} rows → {paths[name]}")
    st = result.stats
    calls = ", ".join(f"{k} {v}" for k, v in st["calls"].items())
    click.echo(
        f"{st['strategy']} at {st['key_date']}: {st['rfc_calls']} RFC calls ({calls}) "
        f"in {st['seconds']:.1f}s"
    )


class _progress:
    """A rich progress bar on a terminal; plain lines (one per tenth) otherwise."""

    def __enter__(self):
        self._tty = sys.stderr.isatty()
        self._last: dict[str, int] = {}
        if self._tty:
            from rich.progress import Progress

            self._bar = Progress(transient=True)
            self._bar.start()
            self._tasks: dict[str, int] = {}
        return self

    def __call__(self, done: int, total: int, what: str) -> None:
        if self._tty:
            if what not in self._tasks:
                self._tasks[what] = self._bar.add_task(what, total=total)
            self._bar.update(self._tasks[what], completed=done, total=total)
            return
        step = max(1, total // 10)
        if done == total or done - self._last.get(what, -step) >= step:
            self._last[what] = done
            click.echo(f"{what}: {done}/{total}", err=True)

    def __exit__(self, *exc) -> None:
        if self._tty:
            self._bar.stop()
