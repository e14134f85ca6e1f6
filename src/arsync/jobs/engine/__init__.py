"""The reconciliation engine: a pure, vectorised function of the canonical frames.

Imports no browser, RFC or database library, so finance ops can use it on its own.
"""

from arsync.jobs.engine.reconcile import reconcile

__all__ = ["reconcile"]
