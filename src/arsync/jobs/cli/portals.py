"""`arsync portals fetch | check | login`: read payment statuses from the customers' portals."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import click

from arsync.common import clock, interrupt
from arsync.common.errors import InputError
from arsync.jobs.cli.app import EXIT_FAILED, EXIT_PARTIAL, start_logging


@click.group("portals")
def portals() -> None:
    """Portal payment status (government, hospital, university portals)."""


def _line(o) -> None:
    extra = f" — {o.reason}" if o.reason else ""
    click.echo(
        f"{o.portal}/{o.account}: {o.outcome} ({o.records} records, {o.attempts} attempt(s), "
        f"{o.seconds:.1f}s){extra}"
    )


def _read_invoices(path: str | None) -> dict[str, list[str]] | None:
    """CSV with columns customer, invoice_no (IDs read as text)."""
    if not path:
        return None
    out: dict[str, list[str]] = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rd = csv.DictReader(fh)
        if not rd.fieldnames or not {"customer", "invoice_no"} <= set(rd.fieldnames):
            raise click.BadParameter(
                f"{path}: needs the columns customer and invoice_no", param_hint="--invoices"
            )
        for row in rd:
            out.setdefault(row["customer"].strip(), []).append(row["invoice_no"].strip())
    return out


@portals.command("fetch")
@click.option("--portal", "portal_ids", multiple=True, help="Portal id; repeatable (default: all).")
@click.option(
    "--concurrency", type=click.IntRange(1, 64), default=None, help="Accounts read at once."
)
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet", "xlsx"]),
    default="csv",
    show_default=True,
)
@click.option(
    "--invoices",
    type=click.Path(exists=True, dir_okay=False),
    help="CSV customer,invoice_no for search-only portals (sandbox: from the world).",
)
@click.pass_context
def fetch_cmd(ctx, portal_ids, concurrency, out_dir, fmt, invoices) -> None:
    """Read every account of the chosen portals; write portal_records and portal_outcomes.
    Exit status 3 when some account could not be read, 1 when none could."""
    start_logging(ctx)
    from arsync.connectors import portals as P
    from arsync.jobs.pipeline.sources import open_sources
    from arsync.reports.export import write_frames

    settings = ctx.find_root().obj["settings"]
    with open_sources(settings, clock.today(), sap=False) as sources:
        assert sources.portals is not None
        numbers = _read_invoices(invoices)
        if numbers is None:  # the sandbox searches for its own open items' numbers
            numbers = sources.sandbox_search_numbers()
        refused = [r for r in sources.portals.rejected if not portal_ids or r.id in portal_ids]
        ids = [i for i in portal_ids if i not in {r.id for r in refused}]
        chosen = sources.portals.chosen(ids) if ids or not portal_ids else []
        result = P.fetch(
            settings,
            chosen,
            out_dir=out_dir,
            invoice_numbers=numbers,
            concurrency=concurrency,
            progress=_line,
        )
    from arsync.connectors.portals.runner import Outcome

    for r in refused:  # a portal file that was refused fails alone, with its reason
        result.outcomes.append(Outcome(r.id, "", "failed", reason=r.reason))
        _line(result.outcomes[-1])
    frames = {"portal_records": result.records, "portal_outcomes": result.outcomes_frame()}
    paths = write_frames(frames, out_dir, fmt)
    for name, df in frames.items():
        click.echo(f"{name}: {len(df)} rows → {paths[name]}")
    bad = [o for o in result.outcomes if o.outcome != "ok"]
    if bad:
        click.echo(
            f"arsync: {len(bad)} of {len(result.outcomes)} account(s) not read; "
            f"see {paths['portal_outcomes']}",
            err=True,
        )
        ctx.exit(EXIT_FAILED if len(bad) == len(result.outcomes) else EXIT_PARTIAL)


@portals.command("check")
@click.argument("portal_id")
@click.option(
    "--out", "out_dir", default=None, type=click.Path(file_okay=False), help="Evidence folder."
)
@click.pass_context
def check_cmd(ctx, portal_id, out_dir) -> None:
    """Log in and validate the layout on the first page only."""
    start_logging(ctx)
    from arsync.connectors import portals as P
    from arsync.jobs.pipeline.sources import open_sources

    settings = ctx.find_root().obj["settings"]
    with open_sources(settings, clock.today(), sap=False) as sources:
        assert sources.portals is not None
        result = P.fetch(
            settings,
            sources.portals.chosen([portal_id]),
            out_dir=out_dir or Path(settings.runs.out_dir) / "check",
            first_page_only=True,
            progress=_line,
        )
    if any(o.outcome != "ok" for o in result.outcomes):
        ctx.exit(EXIT_FAILED)
    click.echo(f"{portal_id}: layout as declared")


@portals.command("login")
@click.argument("account")
@click.option(
    "--terminal", is_flag=True, help="No browser window: answer captcha/SMS prompts here."
)
@click.option(
    "--solver",
    default="manual",
    show_default=True,
    help="With --terminal: manual | sandbox | a registered solver (entry point group arsync.solvers).",
)
@click.option(
    "--wait", "wait_s", default=300, show_default=True, help="Seconds to wait for a person."
)
@click.pass_context
def login_cmd(ctx, account, terminal, solver, wait_s) -> None:
    """Log in to ACCOUNT (portal/account) and keep the session, encrypted, for later fetches.

    Without --terminal a browser window opens for the person (it needs a display); with it,
    the captcha picture is saved in the login's folder (out/runs/<id>/) and the answer typed
    here."""
    if not terminal and not _has_display():
        raise _no_display(account)
    start_logging(ctx)
    from arsync.common import logs
    from arsync.connectors.portals.login import find_account, login_async
    from arsync.connectors.portals.solvers import make_solver
    from arsync.jobs.pipeline.run import new_run_id
    from arsync.jobs.pipeline.sources import open_sources

    settings = ctx.find_root().obj["settings"]
    run_id = new_run_id()
    folder = Path(settings.runs.out_dir).resolve() / "runs" / run_id
    with logs.run_log(folder, run_id), open_sources(settings, clock.today(), sap=False) as sources:
        assert sources.portals is not None
        portal, acc = find_account(sources.portals.chosen([account.partition("/")[0]]), account)
        if terminal:
            click.echo(f"login {run_id}: captcha pictures go to {folder}", err=True)
        try:
            path = interrupt.run_async(
                login_async(
                    settings,
                    portal,
                    acc,
                    visible=not terminal,
                    solver=make_solver(
                        solver, **({"image_dir": folder} if solver == "manual" else {})
                    )
                    if terminal
                    else None,
                    wait_s=wait_s,
                )
            )
        except Exception as exc:
            if "Missing X server" in str(exc) or "cannot open display" in str(exc):
                raise _no_display(account) from None
            raise
    click.echo(f"{portal.id}/{acc.id}: logged in; session saved (encrypted) in {path}")


def _no_display(account: str) -> InputError:
    return InputError(
        f"no display for a browser window here; run `arsync portals login {account} "
        "--terminal` to answer the captcha or SMS prompt in this terminal"
    )


def _has_display() -> bool:
    """A headed browser can open: Windows and macOS always; elsewhere an X or Wayland display."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
