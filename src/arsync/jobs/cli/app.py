"""The `arsync` command line: one group, settings loaded once, errors shown without tracebacks.

Exit statuses (for cron and monitoring; README, "Exit statuses"):

====  =====================================================================================
0     all well
1     failed: a stage or a command failed (the run can be resumed: ``--resume``)
2     bad input: configuration, options, an unknown customer / collector / portal — fix the
      command or the settings; nothing ran that needs resuming
3     partial: the run finished but some portal could not be read (its items show STALE)
4     another run holds the lock; nothing was done
130   interrupted by Ctrl-C (SIGINT); 143 by SIGTERM — the run is marked ``interrupted`` and
      ``--resume`` continues it
====  =====================================================================================
"""

from __future__ import annotations

import sys

import click

from arsync.common import interrupt
from arsync.common.errors import ArsyncError, ConfigError, InputError
from arsync.common.private import apply_umask

# Start-up stays light: `arsync --help` and `arsync config show` import no pandas, pyarrow,
# SQLAlchemy, Playwright (nor loguru: logging is set up by the commands that do work).
# Command modules import what they need inside their commands.

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INPUT = 2
EXIT_CONFIG = EXIT_INPUT
EXIT_PARTIAL = 3
EXIT_LOCKED = 4


class _Group(click.Group):
    """Turns every error into one clear line and an exit status; never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except (ConfigError, InputError) as exc:
            _fail(ctx, str(exc), EXIT_INPUT)
        except KeyboardInterrupt as exc:
            # a stopped run says which signal and where; a bare interrupt only the signal
            sig = getattr(exc, "signal", None) or interrupt.signal_name() or "SIGINT"
            text = str(exc) if str(exc).startswith("run ") else f"interrupted by {sig}"
            _fail(ctx, text, interrupt.exit_status(sig))
        except ArsyncError as exc:
            _fail(ctx, str(exc), EXIT_LOCKED if _locked(exc) else EXIT_FAILED)
        except Exception as exc:  # a bug: one line here, the traceback in the log (-vv shows it)
            if "loguru" in sys.modules:
                from loguru import logger

                logger.opt(exception=exc).bind(final=True).error("unexpected error")
            _fail(
                ctx,
                f"unexpected error ({type(exc).__name__}: {exc}) — this is a bug; "
                "run again with -vv for the traceback",
                EXIT_FAILED,
            )


def _fail(ctx: click.Context, text: str, code: int) -> None:
    from arsync.common.secrets import known, scrub

    click.echo(f"arsync: {scrub(text, *known())}", err=True)
    ctx.exit(code)


def _locked(exc: BaseException) -> bool:
    runstore = sys.modules.get("arsync.jobs.pipeline.runstore")
    return runstore is not None and isinstance(exc, runstore.RunLocked)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Settings file (TOML); also ARSYNC_CONFIG.",
)
@click.option(
    "-v", "--verbose", count=True, help="More log output: -v where each line comes from, -vv debug."
)
@click.option(
    "-q", "--quiet", is_flag=True, help="Only warnings and errors; no progress or summary."
)
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int, quiet: bool) -> None:
    """arsync: SAP open items reconciled with the customers' payment portals."""
    apply_umask()  # run data, evidence, logs: owner-only until the settings name a group
    ctx.obj = _Obj(config_path=config_path, verbose=verbose, quiet=quiet)


def start_logging(ctx: click.Context, *, stdlib: bool = True) -> None:
    """Set up the console log for a command that does work (``--verbose`` / ``--quiet``);
    ``stdlib=False`` leaves the standard library's logging to the program that runs (Celery)."""
    from arsync.common import logs

    obj = ctx.find_root().obj or {}
    logs.console(verbose=obj.get("verbose", 0), quiet=obj.get("quiet", False), stdlib=stdlib)


def quiet(ctx: click.Context) -> bool:
    return bool((ctx.find_root().obj or {}).get("quiet", False))


class _Obj(dict):
    """``ctx.obj``: ``ctx.obj["settings"]`` loads the settings on first use, so `--help` works
    even with a broken configuration."""

    def __getitem__(self, key):
        if key == "settings" and dict.get(self, "settings") is None:
            from arsync.config import load_settings

            s = load_settings(dict.get(self, "config_path"))
            apply_umask(s.runs.group)
            _use_zone(s)
            dict.__setitem__(self, "settings", s)
        return dict.__getitem__(self, key)


def settings_from(ctx: click.Context, **flags):
    """The effective settings for this invocation, with CLI flags (dotted keys) applied last."""
    from arsync.config import load_settings

    obj = ctx.find_root().obj
    overrides = {k: v for k, v in flags.items() if v not in (None, (), [])}
    s = load_settings(obj.get("config_path"), overrides=overrides)
    apply_umask(s.runs.group)
    _use_zone(s)
    obj["settings"] = s
    return s


def existing_store(settings, option: str | None = "--out"):
    """The run store a reading command works on: never created by it.  A folder that holds
    no run store is an :class:`InputError` naming where it looked and how to point at one
    (``option``: the command's folder option; ``None`` when it has none)."""
    from arsync.jobs.pipeline.runstore import RunStore, store_url

    store = RunStore.existing(settings)
    if store is None:
        where = store_url(settings).removeprefix("sqlite:///")
        point = (
            f"give {option} the folder of one"
            if option
            else "set runs.out_dir (ARSYNC_RUNS__OUT_DIR) to the folder of one"
        )
        raise InputError(f"no run store at {where}: run `arsync nightly` first, or {point}")
    return store


def _use_zone(settings) -> None:
    """Every date this command derives is in ``runs.timezone``, whatever the host's zone."""
    from arsync.common import clock

    clock.use(settings.runs.timezone)


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
