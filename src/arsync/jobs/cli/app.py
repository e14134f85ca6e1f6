"""The `arsync` command line: one group, settings loaded once, errors shown without tracebacks."""

from __future__ import annotations

import logging

import click

from arsync.common.errors import ArsyncError, ConfigError
from arsync.common.private import apply_umask

# Start-up stays light: `arsync --help` and `arsync config show` import no pandas, pyarrow,
# SQLAlchemy or Playwright.  Command modules import what they need inside their commands.

EXIT_CONFIG = 2
EXIT_FAILED = 1


class _Group(click.Group):
    """Turns arsync's own errors into one clear line and an exit code; never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"arsync: {exc}", err=True)
            ctx.exit(EXIT_CONFIG)
        except ArsyncError as exc:
            click.echo(f"arsync: {type(exc).__name__}: {exc}", err=True)
            ctx.exit(EXIT_FAILED)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Settings file (TOML); also ARSYNC_CONFIG.",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int) -> None:
    """arsync: SAP open items reconciled with the customers' payment portals."""
    apply_umask()  # run data, evidence, logs: owner-only until the settings name a group
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = _Obj(config_path=config_path)


class _Obj(dict):
    """``ctx.obj``: ``ctx.obj["settings"]`` loads the settings on first use, so `--help` works
    even with a broken configuration."""

    def __getitem__(self, key):
        if key == "settings" and dict.get(self, "settings") is None:
            from arsync.config import load_settings

            s = load_settings(dict.get(self, "config_path"))
            apply_umask(s.runs.group)
            dict.__setitem__(self, "settings", s)
        return dict.__getitem__(self, key)


def settings_from(ctx: click.Context, **flags):
    """The effective settings for this invocation, with CLI flags (dotted keys) applied last."""
    from arsync.config import load_settings

    obj = ctx.find_root().obj
    overrides = {k: v for k, v in flags.items() if v not in (None, (), [])}
    s = load_settings(obj.get("config_path"), overrides=overrides)
    apply_umask(s.runs.group)
    obj["settings"] = s
    return s


@cli.group("config")
def config_group() -> None:
    """Inspect the effective configuration."""


@config_group.command("show")
@click.pass_context
def config_show(ctx: click.Context) -> None:
    """Print every setting, masked where secret, with where its value came from."""
    from arsync.config import settings_report

    s = settings_from(ctx)
    rows = settings_report(s)
    width = max(len(k) for k, _, _ in rows)
    for key, shown, source in rows:
        click.echo(f"{key:<{width}}  {shown:<30}  ({source})")
    if s.portals.session_key_file:
        click.echo(
            f"warning: portals.session_key_file = {s.portals.session_key_file}: the key of every "
            "saved portal session is kept in a file; whoever can read it (or a backup of it) is "
            "logged in to every portal — prefer ARSYNC_SESSION_KEY or the keyring",
            err=True,
        )
