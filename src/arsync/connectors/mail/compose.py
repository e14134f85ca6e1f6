"""Messages that Chinese mail clients show as written.

Subjects and display names in UTF-8 become RFC 2047 encoded-words (``=?utf-8?b?…?=``, folded);
an attachment's name is given twice, as Thunderbird does: RFC 2231 ``filename*=utf-8''…`` in
Content-Disposition (the standard, continued as ``filename*0*``… when long) and an encoded-word
``name="=?utf-8?b?…?="`` in Content-Type, which Outlook and some webmail read instead
(reference notifications-cn.md §3).
"""

from __future__ import annotations

import mimetypes
import uuid
from dataclasses import dataclass
from datetime import datetime
from email import encoders, policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.mime.base import MIMEBase
from email.utils import format_datetime, parseaddr

#: CRLF line ends, no line longer than 78 characters: what SMTP wants
SMTP_POLICY = policy.SMTP


@dataclass(frozen=True)
class Attachment:
    """A file to attach: its name as the recipient sees it and its bytes."""

    filename: str
    data: bytes
    content_type: str = ""  # guessed from the name when empty

    @property
    def mime(self) -> tuple[str, str]:
        kind = self.content_type or mimetypes.guess_type(self.filename)[0]
        if not kind and self.filename.lower().endswith(".xlsx"):
            kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        main, _, sub = (kind or "application/octet-stream").partition("/")
        return main, sub


def new_message_id(domain: str) -> str:
    """A globally unique Message-ID (RFC 5322 §3.6.4), made once per outbox row."""
    return f"<{uuid.uuid4().hex}@{domain or 'arsync.invalid'}>"


def compose(
    *,
    sender: str,
    to: list[str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: list[Attachment] | tuple[Attachment, ...] = (),
    message_id: str,
    sender_name: str = "",
    cc: list[str] | None = None,
    headers: dict[str, str] | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """The message: plain text (and HTML when given) plus attachments.  Addresses are
    ``user@host`` or ``名字 <user@host>``; ``headers`` adds e.g. ``X-Arsync-Key``."""
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = Address(display_name=sender_name, addr_spec=sender) if sender_name else sender
    msg["To"] = [_address(a) for a in to]
    if cc:
        msg["Cc"] = [_address(a) for a in cc]
    _set_subject(msg, subject)
    msg["Date"] = format_datetime((date or datetime.now()).astimezone())
    msg["Message-ID"] = message_id
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(text, subtype="plain", charset="utf-8", cte="base64")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    if attachments:
        msg.make_mixed()
    for a in attachments:
        msg.attach(_attachment_part(a))  # type: ignore[arg-type]  # a compat32 part, on purpose
    return msg


def _set_subject(msg: EmailMessage, subject: str) -> None:
    """The subject as RFC 2047 encoded-words that keep every space.  CPython's folder (3.11 to
    3.13) may put a space of the text at a fold between two encoded-words, where RFC 2047 §6.2
    has every decoder drop it: "沈阳市生态环境局 长期逾期" arrived as "沈阳市生态环境局长期逾期".
    The classic :class:`~email.header.Header` encoder keeps spaces inside the encoded text;
    ``set_raw`` stores its lines (under 78 characters) as written."""
    if subject.isascii():
        msg["Subject"] = subject
        return
    msg.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode())


def message_bytes(msg: EmailMessage) -> bytes:
    """The message as sent: CRLF line ends, 7-bit headers."""
    return msg.as_bytes(policy=SMTP_POLICY)


def _attachment_part(a: Attachment) -> MIMEBase:
    """The attachment with its name given both ways.  The part keeps its headers as written
    (compat32): a modern policy would turn the encoded-word ``name`` back into RFC 2231.  Both
    header lines are folded here under 78 characters, so nothing refolds them."""
    main, sub = a.mime
    part = MIMEBase(main, sub)
    del part["Content-Type"]
    del part["MIME-Version"]
    if a.filename.isascii() and '"' not in a.filename:
        part["Content-Type"] = f'{main}/{sub};\n name="{a.filename}"'
    else:
        words = Header(a.filename, "utf-8", maxlinelen=68).encode(linesep="\n")
        part["Content-Type"] = f'{main}/{sub};\n name="{words}"'
    if a.filename.isascii():
        part.add_header("Content-Disposition", "attachment", filename=a.filename)
    else:
        part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", a.filename))
    part.set_payload(a.data)
    encoders.encode_base64(part)
    return part


def _address(text: str) -> Address:
    name, addr = parseaddr(text)
    if not addr or "@" not in addr:
        from arsync.common.errors import DataError

        raise DataError(f"not an e-mail address: {text!r}")
    return Address(display_name=name, addr_spec=addr)
