"""An SMTP server on loopback that keeps what it receives: the sandbox's mail stand-in.

``start_mailbox()`` runs aiosmtpd on 127.0.0.1 and a free port; every accepted message is a
:class:`Received` (envelope sender, recipients, the bytes as sent), in order.  ``reply`` lets a
test answer a message with a failure (``"451 4.7.1 try again later"``) and ``on_data`` run
something when a message's DATA arrives (a test kills the sender there).
"""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        msg = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    reply: Callable[[Received], str | None] | None = None
    on_data: Callable[[Received], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    logins: list[str] = field(default_factory=list)  # users that logged in, in order

    async def handle_DATA(self, server, session, envelope) -> str:
        got = Received(
            envelope.mail_from,
            tuple(envelope.rcpt_tos),
            bytes(envelope.original_content or envelope.content),
        )
        if self.on_data is not None:
            self.on_data(got)
        answer = self.reply(got) if self.reply is not None else None
        if answer:
            return answer
        with self.lock:
            self.received.append(got)
        return "250 2.0.0 Message accepted for delivery"


class _LoopbackController(Controller):
    def _trigger_server(self) -> None:
        assert self.server is not None
        sockets: list = list(getattr(self.server, "sockets", []))  # an asyncio.Server's sockets
        self.port = sockets[0].getsockname()[1]  # port 0: the one the OS gave
        super()._trigger_server()


@dataclass
class Mailbox:
    host: str
    port: int
    _handler: _Handler
    _controller: _LoopbackController

    @property
    def received(self) -> list[Received]:
        with self._handler.lock:
            return list(self._handler.received)

    @property
    def logins(self) -> list[str]:
        return list(self._handler.logins)

    def set_reply(self, reply: Callable[[Received], str | None] | None) -> None:
        self._handler.reply = reply

    def set_on_data(self, hook: Callable[[Received], None] | None) -> None:
        self._handler.on_data = hook

    def close(self) -> None:
        self._controller.stop()


def start_mailbox(users: dict[str, str] | None = None) -> Mailbox:
    """An SMTP server on 127.0.0.1 and a free port: plain SMTP, no login; with ``users``
    (login → password) it asks for AUTH PLAIN / LOGIN (allowed without TLS: loopback only)
    and refuses a wrong password with 535, as a mail provider does."""
    handler = _Handler()
    kw: dict = {}
    if users is not None:

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and users.get(auth_data.login.decode()) == auth_data.password.decode()
            )
            if ok:
                handler.logins.append(auth_data.login.decode())
            return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535

        kw = dict(authenticator=authenticator, auth_require_tls=False)
    ctl = _LoopbackController(handler, hostname="127.0.0.1", port=0, ready_timeout=30, **kw)
    ctl.start()
    return Mailbox("127.0.0.1", ctl.port, handler, ctl)
