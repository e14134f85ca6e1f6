"""`arsync worker`: run portal accounts sent by runs whose ``portals.executor`` is ``celery``."""

from __future__ import annotations

import click

from arsync.jobs.cli.app import start_logging


@click.command("worker")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=None,
    help="Accounts read at once by this worker (default: portals.concurrency).",
)
@click.option("--name", default=None, help="Worker name, e.g. portals1@%h (Celery's --hostname).")
@click.pass_context
def worker(ctx: click.Context, concurrency: int | None, name: str | None) -> None:
    """Fetch portal accounts from the Celery queue ([celery] broker_url and queue) with this
    machine's own browser until stopped (Ctrl-C / SIGTERM let the running accounts finish)."""
    start_logging(ctx, stdlib=False)  # Celery sets up the standard library's logging itself
    from arsync.connectors.portals.distributed import run_worker

    run_worker(ctx.find_root().obj["settings"], concurrency=concurrency, name=name)
