"""The `arsync` command line."""

from arsync.jobs.cli.app import main

__all__ = ["main"]
