"""Messages people receive: the collectors' daily digest and the customers' reminders.

Rendered from Jinja2 templates (``templates/``; a reminder's templates can be replaced from a
folder in the settings), in Chinese, English or both, and fitted to a channel's limits by
:mod:`.split` (whole lines only).  Nothing here sends: the outbox does
(:mod:`arsync.jobs.pipeline.outbox`).
"""

from .digest import Digest, DigestItem, build_digest, render_digest
from .reminders import Reminder, ReminderLine, render_reminder
from .split import fit_line, nbytes, split_lines

__all__ = [
    "Digest",
    "DigestItem",
    "Reminder",
    "ReminderLine",
    "build_digest",
    "fit_line",
    "nbytes",
    "render_digest",
    "render_reminder",
    "split_lines",
]
