"""`arsync history` and `arsync disputes`: the collector's day from the run store."""

from __future__ import annotations

from datetime import date

import click

from arsync.common import clock
from arsync.jobs.cli.app import cli, existing_store, settings_from

_OUT = click.option(
    "--out", "out_dir", type=click.Path(file_okay=False), help="Output folder of the run store."
)


def _store(ctx, out_dir, option="--out"):
    """The run store these commands read and annotate: never created here."""
    s = settings_from(ctx, **{"runs.out_dir": out_dir})
    return s, existing_store(s, option)


def customer_no(value: str) -> str:
    """A customer number as typed → SAP's internal 10-character form (ALPHA)."""
    from arsync.common.parse import ParseError, alpha

    try:
        return alpha(value.strip())
    except ParseError as e:
        raise click.BadParameter(str(e), param_hint="--customer") from None


def item_key_option(value: str) -> str:
    """An item key as typed (``1000|2026|90000003|1``) → the worklist's form
    (``1000|2026|0090000003|001``: document ALPHA, BELNR; line NUMC 3, BUZEI).  Anything else —
    an invoice number typed in its place, a missing part — is the option's error (exit 2)."""
    from arsync.common.parse import ParseError, alpha

    parts = [p.strip() for p in value.split("|")]
    bad = click.BadParameter(
        f"{value!r} is not an item key: company code|fiscal year|document|line, "
        "e.g. 1000|2026|0090000003|001 (the worksheet's item key column)",
        param_hint="--item",
    )
    if len(parts) != 4 or not all(parts):
        raise bad
    code, year, doc, line = parts
    if not (len(year) == 4 and year.isdigit() and line.isdigit() and len(line) <= 3):
        raise bad
    try:
        doc = alpha(doc)
    except ParseError:
        raise bad from None
    return f"{code}|{year}|{doc}|{int(line):03d}"


@cli.command("history")
@click.option("--customer", help="SAP customer number.")
@click.option(
    "--item",
    "item_key",
    callback=lambda ctx, p, v: item_key_option(v) if v else v,
    help="Item key company|year|document|line.",
)
@_OUT
@click.pass_context
def history_cmd(ctx, customer, item_key, out_dir):
    """The contact log of a customer (all its items) or of one item, oldest first."""
    from arsync.jobs.pipeline.history import contact_log
    from arsync.jobs.pipeline.known import check_customers

    if not customer and not item_key:
        raise click.UsageError("give --customer or --item")
    customer = customer_no(customer) if customer else None
    _, store = _store(ctx, out_dir)
    if customer:
        check_customers(store, [customer])
    log = contact_log(store, customer=customer, item_key=item_key)
    if log.empty:
        click.echo("no history" if customer else f"no history for item {item_key}")
        return
    for r in log.to_dict("records"):
        what = {
            "new": f"{r['value']}",
            "edit": f"{r['previous']} → {r['value']}",
            "cleared": f"{r['previous']} → (cleared)",
            "event": f"{r['value']}",
        }[r["change"]]
        item = r["item_key"] or "(customer)"
        click.echo(
            f"{r['as_of']}  {r['collector']:<10} {item:<26} {r['field']:<16} {r['change']:<7} {what}"
        )


@cli.group("disputes", invoke_without_command=True)
@click.option("--collector", help="Only this collector's disputes.")
@click.option("--customer", help="Only this customer's disputes.")
@click.option("--all", "include_resolved", is_flag=True, help="Resolved disputes too.")
@click.option(
    "--as-of",
    "as_of",
    callback=lambda ctx, p, v: _as_of(v, p),
    help="Date the ages are counted to (default today).",
)
@_OUT
@click.pass_context
def disputes_cmd(ctx, collector, customer, include_resolved, as_of, out_dir):
    """The dispute register across collectors (open disputes, oldest first)."""
    if ctx.invoked_subcommand is not None:
        return
    from arsync.common.money import format_amount
    from arsync.jobs.pipeline.dispute_book import register
    from arsync.jobs.pipeline.known import check_collectors, check_customers

    _, store = _store(ctx, out_dir)
    customer = customer_no(customer) if customer else None
    if customer:
        check_customers(store, [customer])
    if collector:
        check_collectors(store, [collector])
    reg = register(
        store,
        collector=collector,
        customer=customer,
        include_resolved=include_resolved,
    )
    if reg.empty:
        click.echo("no disputes")
        return
    today = as_of or clock.today()
    for r in reg.to_dict("records"):
        end = r["resolved_on"] or today
        state = f"{r['resolution']} {r['resolved_on']}" if r["resolution"] else "open"
        click.echo(
            f"#{r['dispute_id']:<5} {r['customer']} {r['reference']:<22} "
            f"{format_amount(int(r['amount']), r['currency']):>18}  "
            f"{r['reason_code']:<12} opened {r['opened_on']} ({(end - r['opened_on']).days} d)  "
            f"owner {r['owner']}  {state}" + (f"  [{r['reason_text']}]" if r["reason_text"] else "")
        )


@disputes_cmd.command("assign")
@click.argument("dispute_id", type=int)
@click.argument("owner")
@_OUT
@click.pass_context
def disputes_assign(ctx, dispute_id, owner, out_dir):
    """Make OWNER responsible for dispute DISPUTE_ID."""
    from arsync.jobs.pipeline.dispute_book import assign

    _, store = _store(ctx, out_dir)
    assign(store, dispute_id, owner)
    click.echo(f"dispute {dispute_id}: owner {owner}")


@disputes_cmd.command("resolve")
@click.argument("dispute_id", type=int)
@click.option(
    "--resolution",
    required=True,
    type=click.Choice(["credit_memo", "rebill", "withdrawn", "paid"]),
)
@click.option("--note", default="", help="What was agreed.")
@click.option("--on", "on", help="Resolution date (default today).")
@_OUT
@click.pass_context
def disputes_resolve(ctx, dispute_id, resolution, note, on, out_dir):
    """Close dispute DISPUTE_ID with its resolution."""
    from arsync.jobs.pipeline.dispute_book import resolve

    _, store = _store(ctx, out_dir)
    day = date.fromisoformat(on) if on else clock.today()
    resolve(store, dispute_id, resolution, as_of=day, note=note)
    click.echo(f"dispute {dispute_id}: {resolution} on {day}")


def _as_of(value, param=None):
    """An ISO date typed on the command line → date; None stays None.  A bad one is a bad
    parameter naming the option (exit 2)."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO date (YYYY-MM-DD)", param=param, param_hint="--as-of"
        ) from None


_RUNS = click.option(
    "--runs",
    "runs_dir",
    type=click.Path(file_okay=False),
    help="Folder of the runs and the run store (runs.out_dir).",
)


@cli.group("statements", invoke_without_command=True)
@click.option("--customer", "customers", multiple=True, help="SAP customer number (repeatable).")
@click.option("--collector", "collectors", multiple=True, help="Every customer of this collector.")
@click.option("--as-of", "as_of", help="Use the run of this date (default: the newest run).")
@click.option("--language", type=click.Choice(["zh", "en", "both"]), help="Statement language.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Where the files go.")
@_RUNS
@click.pass_context
def statements_cmd(ctx, customers, collectors, as_of, language, out_dir, runs_dir):
    """AR statements (对账单), xlsx and PDF, per customer and company code, from the newest run
    (or the run of --as-of); numbered and recorded in the run store.  A statement issued before
    with the same as-of date and lines keeps its number: asking again writes its files again
    and issues nothing."""
    if ctx.invoked_subcommand is not None:
        return
    from pathlib import Path

    from arsync.common.money import format_amount
    from arsync.jobs.pipeline.day_jobs import run_frames, select_customers
    from arsync.jobs.pipeline.statement_book import issue_statements

    if not out_dir:
        raise click.UsageError("--out DIR is required")
    s, store = _store(ctx, runs_dir, "--runs")
    frames = run_frames(store, _as_of(as_of))
    chosen = select_customers(frames, [customer_no(c) for c in customers], list(collectors))
    issued = issue_statements(
        store,
        frames.worklist,
        frames.customers,
        settings=s,
        as_of=frames.run.as_of,
        folder=Path(out_dir).resolve(),
        only=chosen,
        language=language,
    )
    again = sum(not it.new for it in issued)
    click.echo(
        f"{len(issued)} statement(s) as of {frames.run.as_of} (run {frames.run.run_id})"
        + (f", {again} of them issued before: their numbers again, none new" if again else "")
        + ":"
    )
    for it in issued:
        totals = ", ".join(format_amount(v, c) for c, v in it.totals.items())
        click.echo(
            f"  {it.number}  {it.customer} / {it.company_code}  {it.items} items  {totals}  {it.pdf}"
            + ("" if it.new else "  (issued before)")
        )


@statements_cmd.command("confirm")
@click.argument("customer")
@click.option("--statement", "number", required=True, help="Statement number.")
@click.option("--status", required=True, type=click.Choice(["confirmed", "disputed"]))
@click.option("--note", default="", help="What the customer said.")
@click.option(
    "--file", "signed", type=click.Path(exists=True, dir_okay=False), help="The signed reply."
)
@click.option(
    "--line", "lines", multiple=True, help="Invoice no. (or item key) in question (repeatable)."
)
@click.option("--reason", default="other", help="Dispute reason (code or label) for the lines.")
@click.option("--on", "on", help="Date of the answer (default today).")
@_RUNS
@click.pass_context
def statements_confirm(ctx, customer, number, status, note, signed, lines, reason, on, runs_dir):
    """Record CUSTOMER's answer to a statement; disputed lines open disputes."""
    from arsync.jobs.pipeline.statement_book import confirm

    if lines and status != "disputed":
        raise click.UsageError("--line goes with --status disputed")
    s, store = _store(ctx, runs_dir, "--runs")
    opened = confirm(
        store,
        customer_no(customer),
        number,
        status,
        as_of=_as_of(on) or clock.today(),
        settings=s,
        note=note,
        signed_file=signed,
        lines=list(lines),
        reason=reason,
    )
    click.echo(
        f"statement {number}: {status}"
        + (f"; disputes opened: {', '.join(map(str, opened))}" if opened else "")
    )


@cli.command("aging")
@click.option(
    "--by",
    type=click.Choice(["customer", "collector", "segment", "company-code"]),
    default="customer",
    show_default=True,
)
@click.option("--as-of", "as_of", help="Use the run of this date (default: the newest run).")
@click.option(
    "--language", type=click.Choice(["zh", "en", "both"]), help="Default reports.language."
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Where the report goes.",
)
@_RUNS
@click.pass_context
def aging_cmd(ctx, by, as_of, language, out_dir, runs_dir):
    """The aging report (xlsx with a chart): open items by bucket, totals per currency."""
    from pathlib import Path

    from arsync.jobs.engine.priority import bucket_labels
    from arsync.jobs.pipeline.day_jobs import run_frames
    from arsync.reports.aging import aging_xlsx

    s, store = _store(ctx, runs_dir, "--runs")
    frames = run_frames(store, _as_of(as_of))
    data = aging_xlsx(
        frames.worklist,
        by=by,
        buckets=bucket_labels(s.reconcile.aging_limits),
        as_of=frames.run.as_of,
        language=language or s.reports.language,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"aging-{by}-{frames.run.as_of.isoformat()}.xlsx"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    click.echo(f"aging by {by} as of {frames.run.as_of} (run {frames.run.run_id}): {path}")
