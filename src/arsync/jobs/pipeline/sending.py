"""Sending the approved messages from a command or a page: the sender plus what a sent
reminder changes — recorded in the contact history and raising the customer's dunning level."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from arsync.config.settings import Settings
from arsync.jobs.pipeline.delivery import SendReport, send_outbox
from arsync.jobs.pipeline.runstore import RunStore


def send_approved(
    store: RunStore,
    settings: Settings,
    *,
    keys: list[str] | None = None,
    echo: Callable[[str], None] = lambda _: None,
    **kw: Any,
) -> SendReport:
    """Send approved messages (all, or ``keys``); each reminder sent is recorded."""
    return send_outbox(
        store,
        settings.notify,
        keys=keys,
        echo=echo,
        on_sent=lambda row: reminder_sent(store, row),
        **kw,
    )


def reminder_sent(store: RunStore, row: dict[str, Any]) -> None:
    """A reminder left: the contact history records a ``reminder_sent`` event (source
    ``reminder``) for the customer — value ``<level> <message key[:12]>`` — and one for each item
    it listed, so the item's history shows it too.  The dunning level the worksheet shows is
    read from the outbox (:func:`.notify.with_communications`)."""
    if row["kind"] != "reminder":
        return
    from arsync.jobs.pipeline.history import record_event

    value = f"{row['level']} {row['message_key'][:12]}"
    for item in ("", *row["items"]):
        record_event(
            store,
            collector=row["collector"],
            customer=row["customer"],
            field="reminder_sent",
            value=value,
            source="reminder",
            as_of=row["as_of"],
            item_key=item,
            run_id=row["run_id"],
        )
