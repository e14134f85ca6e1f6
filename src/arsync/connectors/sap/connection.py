"""Configuration → pyrfc-style connections, and the per-thread client that calls through them.

``backend = "pyrfc"`` imports pyrfc lazily (SAP's or a drop-in with the same API); the sandbox
SAP is handed in by the pipeline's sources, the one module that builds backends.
:class:`RfcClient` adds what every call needs: classification,
retries from ``settings.sap.retry`` (logged), call counting, and password scrubbing.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from arsync.common.errors import ArsyncError, ConfigError
from arsync.common.retry import RetryPolicy
from arsync.common.secrets import Secret, resolve
from arsync.connectors.sap.errors import classify, is_transient

Opener = Callable[[], Any]
_NO_PASSWORD_LOGON = ("snc_mode", "x509cert", "mysapsso2", "dest")


def import_pyrfc():
    """Import pyrfc, or tell the operator what to install."""
    try:
        import pyrfc
    except ImportError:
        raise ConfigError(
            "sap.backend = 'pyrfc' but the pyrfc package is not installed: pip install 'arsync[sap]' "
            "and install SAP's pyrfc (needs the NW RFC SDK) or a drop-in such as pyrfcx or erpl-pyrfc"
        ) from None
    return pyrfc


def sap_password(settings) -> Secret | None:
    """settings.sap.passwd (ARSYNC_SAP__CONNECTION__PASSWD), else the keyring (arsync / sap:<user>)."""
    s = settings.sap
    if s.passwd is not None and s.passwd.get_secret_value():
        return Secret(s.passwd.get_secret_value(), source="settings")
    conn = {k.lower(): v for k, v in s.connection.items()}
    user = conn.get("user")
    if s.backend != "pyrfc" or not user or any(k in conn for k in _NO_PASSWORD_LOGON):
        return None
    return resolve(
        f"keyring:arsync/sap:{user}",
        what="SAP password (set ARSYNC_SAP__CONNECTION__PASSWD or the keyring entry)",
    )


def connection_opener(settings, *, rfc=None) -> tuple[Opener, Secret | None]:
    """A function that opens one new connection per call, and the password it uses (to scrub).

    ``rfc`` offers pyrfc's ``Connection(**params)`` constructor: the pyrfc module itself when
    omitted (``sap.backend = "pyrfc"``), or the run's sandbox SAP, which the pipeline's sources
    pass in (this connector never builds a backend of its own).
    """
    s = settings.sap
    params = {k: str(v) for k, v in s.connection.items()}
    pw = sap_password(settings)
    if pw is not None:
        params["passwd"] = pw.reveal()
    if rfc is None:
        if s.backend != "pyrfc":
            raise ConfigError(
                f"sap.backend = {s.backend!r}: the SAP connection comes from the run's sources "
                "(arsync.jobs.pipeline.sources.open_sources)"
            )
        if not params:
            raise ConfigError(
                "sap.backend = 'pyrfc' needs [sap.connection] (ashost, sysnr, client, user)"
            )
        rfc = import_pyrfc()
    else:
        params = params or {"user": "ARSYNC", "client": "100"}
    constructor = rfc.Connection
    return (lambda: constructor(**params)), pw


def retry_policy(settings, sleep: Callable[[float], None] | None = None) -> RetryPolicy:
    return RetryPolicy.from_settings(settings.sap.retry, sleep=sleep or time.sleep)


class CallStats:
    """RFC calls per function (every attempt counts), shared by the worker threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()

    def add(self, func: str, failed: bool = False) -> None:
        with self._lock:
            self.calls[func] += 1
            if failed:
                self.failures[func] += 1


class RfcClient:
    """One connection, used by one thread; opened lazily, reopened after a broken session."""

    def __init__(
        self, opener: Opener, policy: RetryPolicy, stats: CallStats, secret: Secret | None = None
    ):
        self._opener, self._policy, self._stats, self._secret = opener, policy, stats, secret
        self._conn = None

    def _connection(self):
        if self._conn is None:
            try:
                self._conn = self._opener()
            except Exception as exc:
                raise classify(exc, function="logon", secrets=(self._secret,)) from None
        elif not getattr(self._conn, "alive", True):
            try:
                self._conn.open()
            except Exception as exc:
                self._conn = None
                raise classify(exc, function="logon", secrets=(self._secret,)) from None
        return self._conn

    def call(self, func: str, where: str = "", **params: Any) -> dict:
        """Call ``func``; transient failures retry with backoff, everything else raises classified."""

        def attempt() -> dict:
            conn = self._connection()
            try:
                result = conn.call(func, **params)
            except Exception as exc:
                self._stats.add(func, failed=True)
                if isinstance(exc, ArsyncError):
                    raise
                raise classify(exc, function=func, where=where, secrets=(self._secret,)) from None
            self._stats.add(func)
            return result

        return self._policy.call(
            attempt, transient=is_transient, what=f"SAP {func} {where}".strip()
        )

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
