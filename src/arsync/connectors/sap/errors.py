"""Classify RFC failures once, at the boundary, into arsync's failure classes (reference §1.5).

Exceptions are recognised by class *name* and attributes (code, key, message), never by
``isinstance`` against an imported module, so real pyrfc, its drop-ins and the sandbox all work.
Every message is scrubbed of the password before it leaves this module.
"""

from __future__ import annotations

import re

from arsync.common.errors import (
    ArsyncError,
    AuthorizationError,
    ConfigError,
    DataError,
    LogonError,
    TransientError,
)
from arsync.common.secrets import Secret, scrub

# RFC_RC codes worth another try: communication, closed, canceled, timeout, memory, handle, retry
TRANSIENT_CODES = {1, 6, 7, 8, 9, 13, 14}
AUTH_KEYS = {"NOT_AUTHORIZED", "RFC_NO_AUTHORITY", "NO_AUTHORITY", "RFC_AUTHORIZATION_FAILURE"}
RESOURCE_DUMPS = {"TIME_OUT", "TSV_TNEW_PAGE_ALLOC_FAILED", "SYSTEM_NO_ROLL"}


def _names(exc: BaseException) -> set[str]:
    return {c.__name__ for c in type(exc).__mro__}


def describe(exc: BaseException) -> str:
    """One line: class, key, rc and the SAP message (CPIC blocks folded)."""
    key, code = getattr(exc, "key", None), getattr(exc, "code", None)
    msg = getattr(exc, "message", None)
    if msg is None:
        msg = str(exc) if not isinstance(exc, TypeError) else " ".join(map(str, exc.args))
    msg = re.sub(r"\s+", " ", str(msg)).strip()
    parts = [type(exc).__name__]
    if key:
        parts.append(str(key))
    if code is not None:
        parts.append(f"(rc={code})")
    mc, mn = getattr(exc, "msg_class", None), getattr(exc, "msg_number", None)
    text = " ".join(parts) + (f": {msg}" if msg and msg != key else "")
    if mc or mn:
        text += f" [message {mc or ''} {mn or ''}]".replace("  ", " ")
    return text


def classify(
    exc: BaseException,
    *,
    function: str,
    where: str = "",
    secrets: tuple[Secret | str | None, ...] = (),
) -> ArsyncError:
    """The arsync error for an exception raised by a pyrfc-style call; attributes kept for callers."""
    if isinstance(exc, ArsyncError):
        return exc
    names = _names(exc)
    code, key = getattr(exc, "code", None), str(getattr(exc, "key", "") or "")
    at = f" ({where})" if where else ""
    text = scrub(describe(exc), *secrets)
    head = f"SAP {function}{at}: {text}"
    low = text.lower()
    err: ArsyncError
    if isinstance(exc, TypeError) and "RFCError" not in names:
        err = DataError(f"{head} — a parameter has the wrong Python type (RFC wants str)")
    elif "LogonError" in names or code == 2 or key == "RFC_LOGON_FAILURE":
        err = LogonError(
            f"{head} — check sap.connection user / password; not retried "
            "(failed logons lock the user)"
        )
    elif (
        "ExternalAuthorizationError" in names
        or key in AUTH_KEYS
        or code in (29, 30)
        or "no rfc authorization" in low
    ):
        err = AuthorizationError(f"{head} — the RFC user lacks an authorization; ask SAP security")
    elif "CommunicationError" in names or code in TRANSIENT_CODES or "connection is closed" in low:
        err = TransientError(head)
    elif key in RESOURCE_DUMPS:
        err = DataError(f"{head} — the request was too large for the server; narrow it")
    elif key in ("FU_NOT_FOUND", "TABLE_NOT_AVAILABLE"):
        err = ConfigError(f"{head} — not available in this SAP system")
    else:
        err = DataError(head)
    # Extra attributes on the instance (not declared on the common error classes).
    vars(err).update(sap_key=key, sap_code=code, sap_function=function)
    return err


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TransientError)
