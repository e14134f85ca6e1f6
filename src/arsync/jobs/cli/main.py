"""The `arsync` entry point: the group of :mod:`app` with every command module attached.

Command modules import the group from :mod:`app` (or define their own, attached here); nothing
imports this module but the entry point and tests, so the commands never import each other.
"""

from __future__ import annotations

from arsync.common import interrupt
from arsync.jobs.cli import (  # noqa: F401  (runs, day, reports register themselves)
    day,
    outbox,
    portals,
    reports,
    runs,
    sap,
    worker,
)
from arsync.jobs.cli.app import cli

cli.add_command(sap.sap)
cli.add_command(portals.portals)
cli.add_command(worker.worker)


def _attach_service() -> None:
    """`arsync serve` and `arsync users`: the service sits above the CLI (import contract), so
    its commands are attached by name; its module imports nothing heavy until a command runs."""
    import importlib

    try:
        module = importlib.import_module("arsync.service.cli")
    except ModuleNotFoundError as exc:  # a build without the service
        if exc.name != "arsync.service.cli":
            raise
        return
    cli.add_command(module.serve)
    cli.add_command(module.users)


_attach_service()

__all__ = ["cli", "main"]


def main(argv: list[str] | None = None) -> None:
    """Run the command line.  Ctrl-C and SIGTERM stop it the same way (one line, status 130 /
    143, a run marked ``interrupted``): see :mod:`arsync.common.interrupt`."""
    with interrupt.handlers():
        cli.main(args=argv, prog_name="arsync", standalone_mode=True)
