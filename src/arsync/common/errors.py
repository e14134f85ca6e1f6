"""Failure classes shared by every connector and job.

Connectors classify each failure once, at their boundary, into one of these
classes; jobs decide what to do with each class (STYLE.md rule 4).
"""

from __future__ import annotations


class ArsyncError(Exception):
    """Base of every error arsync raises on purpose."""


class ConfigError(ArsyncError):
    """Bad or missing configuration: fail fast and tell the operator what to fix.

    The message always names the key and where it came from (file or variable).
    """


class InputError(ArsyncError):
    """What the operator asked for cannot be done as typed (an unknown customer or collector,
    nothing to resume): say so and stop — not a failed run, and nothing to retry or resume."""


class TransientError(ArsyncError):
    """A failure worth retrying: network, timeout, busy server, expired session."""


class LogonError(ArsyncError):
    """Credentials refused or the user is locked: never retried (retries lock users)."""


class AuthorizationError(ArsyncError):
    """The user may log on but may not read this: never retried."""


class DataError(ArsyncError):
    """Business or data problem (bad row, unknown word): no retry, becomes a visible exception row."""


class LayoutDriftError(ArsyncError):
    """A portal page no longer looks as declared: fail that portal loudly, never return partial data."""


class SchemaError(DataError):
    """A frame crossing a boundary does not match its declared schema."""


class RateLimited(TransientError):
    """A transient failure that says how long to wait: WeCom 45009 / HTTP 429 (``retry_after``
    seconds; ``None`` when the other side did not say)."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class OutcomeUnknown(TransientError):
    """The connection broke after the message was handed over (SMTP DATA sent, an HTTP request
    written) and before the answer: the other side may have it (RFC 1047).  Never resent
    automatically; a person decides."""
