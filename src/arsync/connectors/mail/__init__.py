"""E-mail out: messages composed for Chinese mail clients and sent over SMTP submission.

:func:`compose` builds the message (RFC 2047 subjects and names, RFC 2231 attachment names
with the encoded-word ``name`` beside it); :class:`SmtpSession` sends messages over one
connection and classifies every failure once (:func:`classify`): transient (4xx, connection
lost) → :class:`~arsync.common.errors.TransientError`, permanent (5xx, recipient refused) →
:class:`~arsync.common.errors.DataError`, a refused login (535) →
:class:`~arsync.common.errors.LogonError`.
"""

from .compose import Attachment, compose, message_bytes, new_message_id
from .smtp import MailServer, SmtpSession, classify

__all__ = [
    "Attachment",
    "MailServer",
    "SmtpSession",
    "classify",
    "compose",
    "message_bytes",
    "new_message_id",
]
