"""`arsync serve` and `arsync users add|passwd|remove|list|token|revoke`.

Attached to the `arsync` group by name (``arsync.jobs.cli.main``); heavy imports
(FastAPI, uvicorn, SQLAlchemy, argon2) happen inside the commands, so `arsync --help` stays fast.
"""

from __future__ import annotations

import sys

import click


def _service(ctx: click.Context, **flags):
    from arsync.service.context import open_service

    root = ctx.find_root().obj
    return open_service(root.get("config_path"), {k: v for k, v in flags.items() if v is not None})


def _password(prompt: str, from_stdin: bool):
    from arsync.common.secrets import Secret

    if from_stdin:
        return Secret(sys.stdin.readline().rstrip("\r\n"), source="stdin")
    return Secret(click.prompt(prompt, hide_input=True, confirmation_prompt=True), source="prompt")


@click.command("serve")
@click.option("--host", default=None, help="Address to bind (service.host; default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (service.port; 0: any free port).")
@click.option(
    "--first-user",
    default=None,
    help="When no user exists yet: add this ops user with a new password, shown once.",
)
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, first_user: str | None) -> None:
    """Serve the web pages and the API, and run the nightly on its schedule."""
    import secrets

    from arsync.jobs.cli.app import start_logging

    start_logging(ctx, stdlib=False)  # uvicorn sets up the standard library's logging itself

    import uvicorn

    from arsync.common.secrets import Secret
    from arsync.service.app import create_app

    svc = _service(ctx, **{"service.host": host, "service.port": port})
    if first_user and not svc.users.list():
        password = secrets.token_urlsafe(12)
        svc.users.add(first_user, "ops", Secret(password))
        click.echo(
            f"added ops user {first_user!r} with password {password}  (change it: arsync users passwd {first_user})"
        )
    s = svc.settings.service
    click.echo(
        f"arsync serving on http://{s.host}:{s.port}/  (run store: {svc.store.url.split('?')[0]})"
    )
    uvicorn.run(create_app(svc), host=s.host, port=s.port, proxy_headers=True, log_level="info")


@click.group("users")
def users() -> None:
    """Users of `arsync serve` (roles ops, supervisor, collector) and their API tokens."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["ops", "supervisor", "collector"]), required=True)
@click.option("--collector", default=None, help="For a collector: their name on the worksheets.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def users_add(ctx, username, role, collector, password_stdin) -> None:
    """Add a user (the password is asked twice, or read from standard input)."""
    svc = _service(ctx)
    user = svc.users.add(username, role, _password("Password", password_stdin), collector)
    svc.audit.record(None, "user.add", user.username, {"role": role, "by": "cli"})
    click.echo(
        f"added {user.username} ({user.role}{', ' + user.collector if user.collector else ''})"
    )


@users.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def users_passwd(ctx, username, password_stdin) -> None:
    """Set a new password; the user's browser sessions end."""
    svc = _service(ctx)
    svc.users.set_password(username, _password("New password", password_stdin))
    svc.audit.record(None, "user.passwd", username, {"by": "cli"})
    click.echo(f"password of {username} changed; their sessions ended")


@users.command("remove")
@click.argument("username")
@click.pass_context
def users_remove(ctx, username) -> None:
    """Remove a user with their sessions and API tokens."""
    svc = _service(ctx)
    svc.users.remove(username)
    svc.audit.record(None, "user.remove", username, {"by": "cli"})
    click.echo(f"removed {username}")


@users.command("list")
@click.pass_context
def users_list(ctx) -> None:
    """Users, their roles and their API tokens (ids only)."""
    svc = _service(ctx)
    tokens = svc.credentials.tokens()
    found = svc.users.list()
    if not found:
        click.echo("no users yet: arsync users add NAME --role ops")
    for u in found:
        click.echo(f"{u.username:<20} {u.role:<10} {u.collector or ''}")
        for t in tokens:
            if t.username == u.username:
                state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "live"
                used = f", last used {t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else ""
                click.echo(f"    token {t.token_id} {t.name!r} {state}{used}")


@users.command("token")
@click.argument("username")
@click.option("--name", default="api", show_default=True, help="What the token is for.")
@click.pass_context
def users_token(ctx, username, name) -> None:
    """Issue an API token for USERNAME; it is shown once (only its hash is kept)."""
    svc = _service(ctx)
    token = svc.credentials.issue_token(username, name)
    svc.audit.record(None, "token.issue", username, {"name": name, "by": "cli"})
    click.echo(token)


@users.command("revoke")
@click.argument("token_id")
@click.pass_context
def users_revoke(ctx, token_id) -> None:
    """Revoke an API token by its id (see `arsync users list`)."""
    svc = _service(ctx)
    svc.credentials.revoke_token(token_id)
    svc.audit.record(None, "token.revoke", token_id, {"by": "cli"})
    click.echo(f"token {token_id} revoked")
