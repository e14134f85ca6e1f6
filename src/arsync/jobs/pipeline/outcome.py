"""How a run ends: its statuses, what :func:`~arsync.jobs.pipeline.run.run` raises, and the words
an operator reads for a failure (what failed and what to do — never a Python class name).

Run statuses in the run store:

=============  ==============================================================  ==========
status         meaning                                                         --resume
=============  ==============================================================  ==========
running        a run is at work (or died without a word: killed -9, power)      continues
ok             every stage finished and every portal was read                   —
partial        finished; some portal could not be read, its items show STALE    —
failed         a stage failed (SAP unreachable, a bug, …); ``error`` says why   continues
interrupted    stopped by Ctrl-C or SIGTERM; ``error`` says during which stage  continues
bad_input      what was asked cannot be done as typed (an unknown customer)     —
dead           its process went away while running (found by the run lock)  continues
=============  ==============================================================  ==========
"""

from __future__ import annotations

from arsync.common.errors import (
    ArsyncError,
    AuthorizationError,
    ConfigError,
    DataError,
    InputError,
    LayoutDriftError,
    LogonError,
    TransientError,
)

#: The command that resumes each kind of run.
RESUME_COMMAND = {
    "nightly": "arsync nightly --resume",
    "reconcile": "arsync reconcile --resume",
    "files": "arsync reconcile --resume",
}


class StageFailed(ArsyncError):
    """A stage of a run failed; the run resumes from that stage once the cause is fixed."""

    def __init__(self, message: str, *, run_id: str = "", stage: str = "", kind: str = ""):
        super().__init__(message)
        self.run_id, self.stage, self.kind = run_id, stage, kind


class RunInterrupted(KeyboardInterrupt):
    """The run was stopped by Ctrl-C or SIGTERM and is marked ``interrupted`` (resumable)."""

    def __init__(self, run_id: str, kind: str, stage: str, signal: str, *, after: str = ""):
        if stage:
            during = f"during stage {stage}"
        else:
            during = f"after stage {after}" if after else "while opening its sources"
        #: for the run store: what happened and how to go on
        self.why = (
            f"interrupted by {signal} {during}; "
            f"`{RESUME_COMMAND.get(kind, 'arsync nightly --resume')}` continues it"
        )
        super().__init__(f"run {run_id} {self.why}")
        self.run_id, self.kind, self.stage, self.signal = run_id, kind, stage, signal


def describe(exc: BaseException) -> str:
    """What went wrong, in words: arsync's own errors by their message; anything else (a bug)
    with its type, since that is what a developer needs."""
    if isinstance(exc, ArsyncError):
        return str(exc)
    text = str(exc)
    return f"unexpected error ({type(exc).__name__}{': ' + text if text else ''})"


def advice(exc: BaseException, kind: str) -> str:
    """What the operator does next, for a failed stage of a run of ``kind``."""
    resume = RESUME_COMMAND.get(kind, "arsync nightly --resume")
    if isinstance(exc, LogonError):
        return f"check the user and password, then `{resume}` (a logon is never retried: retries lock users)"
    if isinstance(exc, AuthorizationError):
        return f"ask for the missing authorization, then `{resume}`"
    if isinstance(exc, ConfigError):
        return f"fix the configuration, then `{resume}`"
    if isinstance(exc, TransientError):
        return f"the system did not answer in time; try again later with `{resume}`"
    if isinstance(exc, LayoutDriftError):
        return f"the portal changed; see `arsync portals check`, then `{resume}`"
    if isinstance(exc, DataError):
        return f"the data read is not as expected; see the run's log.jsonl, fix it, then `{resume}`"
    return f"this is a bug: the traceback is in the run's log.jsonl; after a fix, `{resume}`"


__all__ = [
    "InputError",
    "RunInterrupted",
    "StageFailed",
    "advice",
    "describe",
]
