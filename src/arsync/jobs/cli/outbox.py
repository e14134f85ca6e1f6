"""`arsync outbox list|show|approve|reject|send`: the messages waiting to leave, and sending them.

Nothing reaches a customer unapproved: a reminder is a draft until someone approves it with
their name (``--by``); a level that needs a supervisor (``notify.reminders.approval``; a final
reminder always) needs ``--supervisor`` too.  ``send`` sends every approved message once.
"""

from __future__ import annotations

from pathlib import Path

import click

from arsync.jobs.cli.app import cli, existing_store, settings_from, start_logging

OPEN = ("draft", "approved", "unknown", "failed")
#: the states a message can be in (:data:`arsync.jobs.pipeline.outbox.STATUSES`; kept here so
#: that `arsync outbox --help` imports no SQLAlchemy)
STATUSES = ("draft", "approved", "claimed", "sending", "sent", "unknown", "failed", "rejected")


@cli.group("outbox")
def outbox_group() -> None:
    """Messages drafted by the nightly: digests and customer reminders."""


def _store(ctx):
    """The run store whose outbox the command works on: never created here (the nightly
    drafts the messages; a folder without a store has none)."""
    s = settings_from(ctx)
    return s, existing_store(s, None)


@outbox_group.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUSES),
    help="Only these states (repeatable).",
)
@click.option("--kind", type=click.Choice(["digest", "reminder"]))
@click.option("--collector", help="Only this collector's messages.")
@click.option("--all", "everything", is_flag=True, help="Sent and rejected messages too.")
@click.pass_context
def outbox_list(ctx, statuses, kind, collector, everything):
    """Messages not yet sent (draft, approved, unknown, failed), oldest first."""
    from arsync.jobs.pipeline import outbox
    from arsync.jobs.pipeline.known import check_collectors

    _, store = _store(ctx)
    if collector:
        check_collectors(store, [collector])
    wanted = list(statuses) or (None if everything else list(OPEN))
    rows = outbox.rows(store, status=wanted, kind=kind, collector=collector)
    if not rows:
        click.echo("the outbox is empty" if everything else "nothing waiting in the outbox")
        return
    for r in rows:
        who = r["customer"] or "-"
        level = r["level"] or "-"
        need = f" needs {r['approval']}" if r["status"] == "draft" else ""
        click.echo(
            f"{r['message_key'][:12]}  {r['as_of']}  {r['status']:<8} {r['kind']:<8} "
            f"{level:<6} {r['channel']:<11} {r['collector']:<8} {who:<10} {r['recipient']}"
            f"  {r['subject']}{need}"
        )
        if r["last_error"] and r["status"] in ("failed", "unknown", "approved"):
            click.echo(f"              last error: {r['last_error']}")


@outbox_group.command("show")
@click.argument("key")
@click.pass_context
def outbox_show(ctx, key):
    """One message: its state, attempts, text and attachments."""
    from arsync.jobs.pipeline import outbox

    _, store = _store(ctx)
    r = outbox.get(store, key)
    for k in (
        "message_key",
        "status",
        "kind",
        "level",
        "channel",
        "recipient",
        "collector",
        "customer",
        "approval",
        "approved_by",
        "approved_at",
        "message_id",
        "attempts",
        "sent_at",
        "last_error",
        "folder",
    ):
        if r.get(k) not in (None, ""):
            click.echo(f"{k:<12} {r[k]}")
    if r["attachments"]:
        click.echo("attachments  " + ", ".join(r["attachments"]))
    for a in outbox.attempts(store, r["message_key"]):
        click.echo(
            f"attempt {a['attempt']}  {a['at']:%Y-%m-%d %H:%M:%S}  {a['outcome']}  {a['detail']}"
        )
    body = Path(r["folder"]) / "body.txt"
    click.echo("")
    click.echo(
        body.read_text(encoding="utf-8") if body.is_file() else "(the message's folder is gone)"
    )


@outbox_group.command("approve")
@click.argument("keys", nargs=-1)
@click.option("--by", required=True, help="Who approves (recorded).")
@click.option(
    "--supervisor", is_flag=True, help="Approve as a supervisor (needed for final reminders)."
)
@click.option("--all-drafts", is_flag=True, help="Every draft this approval may approve.")
@click.option(
    "--level",
    type=click.Choice(["polite", "firm", "final"]),
    help="With --all-drafts: only this level.",
)
@click.pass_context
def outbox_approve(ctx, keys, by, supervisor, all_drafts, level):
    """Approve reminders so that `arsync outbox send` sends them."""
    from arsync.jobs.pipeline import outbox

    _, store = _store(ctx)
    if all_drafts:
        keys = tuple(
            r["message_key"]
            for r in outbox.rows(store, status=["draft"])
            if (supervisor or r["approval"] != "supervisor") and (not level or r["level"] == level)
        )
    if not keys:
        raise click.UsageError("name the messages to approve (or --all-drafts)")
    for k in keys:
        r = outbox.approve(store, k, by=by, supervisor=supervisor)
        click.echo(
            f"approved {r['message_key'][:12]} ({r['level'] or r['kind']} → {r['recipient']})"
        )


@outbox_group.command("reject")
@click.argument("key")
@click.option("--by", required=True)
@click.option("--note", default="")
@click.pass_context
def outbox_reject(ctx, key, by, note):
    """Drop a message: it is never sent."""
    from arsync.jobs.pipeline import outbox

    _, store = _store(ctx)
    r = outbox.reject(store, key, by=by, note=note)
    click.echo(f"rejected {r['message_key'][:12]}")


@outbox_group.command("send")
@click.argument("keys", nargs=-1)
@click.option(
    "--release-unknown",
    "release",
    multiple=True,
    help="A message whose outcome was unknown and that did not arrive: send it again.",
)
@click.option("--by", default="", help="Who releases an unknown message (with --release-unknown).")
@click.pass_context
def outbox_send(ctx, keys, release, by):
    """Send every approved message (or the ones named) exactly once."""
    start_logging(ctx)
    from arsync.jobs.pipeline import outbox
    from arsync.jobs.pipeline.sending import send_approved

    s, store = _store(ctx)
    for k in release:
        if not by:
            raise click.UsageError("--release-unknown needs --by NAME")
        outbox.release_unknown(store, k, by=by)
    full = [outbox.get(store, k)["message_key"] for k in keys] or None
    report = send_approved(store, s, keys=full, echo=click.echo)
    for line in report.lines():
        click.echo(line)
    if report.failed or report.channel_errors:
        ctx.exit(1)
