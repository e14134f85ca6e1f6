"""SMTP submission with every failure classified once, here at the boundary.

One :class:`SmtpSession` holds one connection for many messages.  :meth:`SmtpSession.send`
runs MAIL and RCPT first and calls ``before_data`` just before DATA: only from then on may the
server have the message, so a caller that records that moment knows which messages may have
left (the outcome of a connection lost after the final ``.`` is unknown, RFC 1047) and which
surely did not.

Reply codes (RFC 5321 §4.2.1, enhanced codes RFC 3463): 4yz transient — try again later;
5yz permanent — do not repeat unchanged; 530/534/535 a login refused — a configuration error
(a wrong 授权码), never retried.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from arsync.common.errors import (
    ArsyncError,
    DataError,
    LogonError,
    OutcomeUnknown,
    TransientError,
)
from arsync.common.secrets import Secret, scrub

from .compose import message_bytes

AUTH_CODES = {530, 534, 535, 538}


@dataclass(frozen=True)
class MailServer:
    host: str
    port: int = 465
    security: str = "ssl"  # ssl | starttls | none
    user: str = ""
    timeout: float = 30.0

    def __repr__(self) -> str:
        return f"MailServer({self.host}:{self.port}, {self.security}, user={self.user or '-'})"


@dataclass(frozen=True)
class Sent:
    """What the server said when it took the message: its reply code and text."""

    code: int
    reply: str
    refused: dict[str, str]  # recipients refused while others were accepted


class SmtpSession:
    """``with SmtpSession(server, password) as s: s.send(msg, ...)``; errors classified."""

    def __init__(
        self,
        server: MailServer,
        password: Secret | None = None,
        *,
        context: ssl.SSLContext | None = None,
    ):
        self.server = server
        self._password = password
        self._context = context
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSession:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        s = self.server
        try:
            if s.security == "ssl":
                ctx = self._context or ssl.create_default_context()
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=ctx
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    smtp.starttls(context=self._context or ssl.create_default_context())
            if s.user:
                password = self._password.reveal() if self._password else ""
                if not (s.user + password).isascii():  # smtplib's AUTH sends ASCII only
                    smtp.close()
                    raise LogonError(
                        f"SMTP {s.host}: notify.email.user or the password has characters "
                        "outside ASCII, which SMTP AUTH cannot send — check them"
                    )
                smtp.login(s.user, password)
        except LogonError:
            raise
        except Exception as exc:
            raise self._classified(exc, f"connecting to {s.host}:{s.port}") from None
        self._smtp = smtp

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(Exception):  # the server went away first
                self._smtp.quit()
            self._smtp = None

    def send(
        self,
        msg: EmailMessage | bytes,
        *,
        sender: str,
        recipients: list[str],
        before_data: Callable[[], None] = lambda: None,
    ) -> Sent:
        """Send one message (composed, or its bytes as stored) to ``recipients`` (the
        envelope); raise a classified error.  A
        connection lost before DATA reconnects on the next call."""
        if self._smtp is None:
            self.connect()
        smtp = self._smtp
        assert smtp is not None
        try:
            smtp.ehlo_or_helo_if_needed()
            code, resp = smtp.mail(sender)
            if code != 250:
                smtp.rset()
                raise smtplib.SMTPSenderRefused(code, resp, sender)
            refused: dict[str, tuple[int, bytes]] = {}
            for rcpt in recipients:
                code, resp = smtp.rcpt(rcpt)
                if code not in (250, 251):
                    refused[rcpt] = (code, resp)
            if len(refused) == len(recipients):
                smtp.rset()
                raise smtplib.SMTPRecipientsRefused(refused)
        except Exception as exc:
            self._drop_if_gone(exc)
            raise self._classified(exc, "before the message was sent") from None
        before_data()
        try:
            code, resp = smtp.data(msg if isinstance(msg, bytes) else message_bytes(msg))
        except smtplib.SMTPResponseException as exc:  # the server answered: it did not take it
            raise self._classified(exc, "at DATA") from None
        except Exception as exc:
            # the connection broke while or after the message went: the server may have it
            self._drop_if_gone(exc)
            what = f"{type(exc).__name__}: {exc}"
            raise OutcomeUnknown(
                scrub(
                    f"SMTP {self.server.host}:{self.server.port}: connection lost after "
                    f"DATA ({what}); the message may have been delivered",
                    self._password,
                )
            ) from None
        if code != 250:
            raise self._classified(smtplib.SMTPDataError(code, resp), "after the message")
        return Sent(
            code,
            resp.decode("utf-8", "replace"),
            {r: f"{c} {m.decode('utf-8', 'replace')}" for r, (c, m) in refused.items()},
        )

    def _drop_if_gone(self, exc: Exception) -> None:
        if isinstance(exc, (smtplib.SMTPServerDisconnected, OSError)):
            self._smtp = None

    def _classified(self, exc: BaseException, when: str) -> ArsyncError:
        return classify(exc, f"SMTP {self.server.host}:{self.server.port} {when}", self._password)


def classify(
    exc: BaseException, where: str = "SMTP", password: Secret | None = None
) -> ArsyncError:
    """An SMTP or network failure → TransientError (retry), DataError (permanent: do not repeat
    unchanged) or LogonError (the login was refused: fix the configuration)."""
    if isinstance(exc, ArsyncError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = {c for c, _ in exc.recipients.values()}
        text = "; ".join(
            f"{r}: {c} {m.decode('utf-8', 'replace') if isinstance(m, bytes) else m}"
            for r, (c, m) in exc.recipients.items()
        )
        kind = TransientError if all(400 <= c < 500 for c in codes) else DataError
        return kind(scrub(f"{where}: recipient refused — {text}", password))
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        msg = scrub(f"{where}: {code} {text}", password)
        if code in AUTH_CODES:
            return LogonError(msg + " — check notify.email.user and the password (授权码)")
        if 400 <= code < 500:
            return TransientError(msg)
        return DataError(msg)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return LogonError(f"{where}: TLS certificate not trusted ({exc.verify_message})")
    if isinstance(exc, (smtplib.SMTPServerDisconnected, socket.timeout, OSError)):
        return TransientError(scrub(f"{where}: {type(exc).__name__}: {exc}", password))
    if isinstance(exc, smtplib.SMTPException):
        return TransientError(scrub(f"{where}: {type(exc).__name__}: {exc}", password))
    return DataError(scrub(f"{where}: {type(exc).__name__}: {exc}", password))
