"""The nightly's communications: each collector's digest (and worksheet), customer reminders
into the outbox, and the digests sent.

Runs after the worksheets (:func:`notify_stage`).  Reminders are drafted by rule
(:mod:`arsync.jobs.engine.dunning`) to the customer's e-mail (:mod:`.contacts`) with the
statement of account attached, and wait in the outbox for approval (``arsync outbox``).  Digests
need none: they go to our own collectors at once.  Drafting is idempotent (:mod:`.outbox`): a
resumed stage adds nothing it added before, and one digest per collector, channel and day is
ever drafted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from arsync.config.settings import Settings
from arsync.jobs.engine.dunning import DunningRules, choose
from arsync.jobs.pipeline import outbox
from arsync.jobs.pipeline.contacts import customer_contacts, missing_addresses
from arsync.jobs.pipeline.runstore import RunStore


@dataclass
class Drafted:
    digests: list[str] = field(default_factory=list)
    reminders: list[str] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)  # collector → lines
    no_address: pd.DataFrame = field(default_factory=pd.DataFrame)


def company_of(settings: Settings) -> dict[str, str]:
    """Our company's name, phone, e-mail (``[company]``) for the signature block."""
    company = getattr(settings, "company", None)
    if company is None:
        return {}
    return {k: str(v) for k, v in company.model_dump().items() if isinstance(v, str)}


def draft_reminders(
    store: RunStore,
    settings: Settings,
    *,
    out: Path,
    as_of: date,
    run_id: str | None,
    worklist: pd.DataFrame,
    customers: pd.DataFrame,
    promises: pd.DataFrame | None = None,
    disputed: set[str] | None = None,
    statements: dict[str, tuple[Path, ...]] | None = None,
) -> Drafted:
    """Draft the reminders due today into the outbox; customers without an address become
    problems (per collector), not drafts."""
    from arsync.connectors.mail import compose, message_bytes, new_message_id
    from arsync.connectors.mail.compose import Attachment
    from arsync.reports.messages import Reminder, ReminderLine, render_reminder
    from arsync.reports.vocabulary import pick

    s = settings.notify
    r = s.reminders
    rules = DunningRules(
        r.min_days_overdue, r.firm_days, r.final_days, r.interval_days, _grace(settings)
    )
    sent = outbox.last_reminders(store, sent=True)
    plan = choose(
        worklist,
        as_of=as_of,
        rules=rules,
        disputed=disputed or set(),
        promises=promises,
        last_reminders=sent,
        drafted=outbox.last_reminders(store),
    )
    contacts = customer_contacts(customers, s.contacts_file).set_index("customer")
    done = Drafted()
    gone = missing_addresses(contacts.reset_index(), list(plan.customers["customer"]))
    done.no_address = gone
    collectors = s.collectors
    for row in gone.to_dict("records"):  # in the language of the collector's digest
        ch = collectors.get(row["collector"])
        lang = (ch.language if ch else "") or settings.reports.language
        done.problems.setdefault(row["collector"], []).append(
            f"{row['name']} ({row['customer']}): "
            + pick("无催款邮箱", "no e-mail address for reminders", lang)
        )
    company = company_of(settings)
    for c in plan.customers.to_dict("records"):
        cust = str(c["customer"])
        if cust in set(gone["customer"]):
            continue
        who = contacts.loc[cust]
        items = plan.items[plan.items["customer"] == cust].sort_values(["due_date", "reference"])
        files = (statements or {}).get(cust, ())
        reminder = Reminder(
            customer=cust,
            customer_name=str(who["name"]),
            segment=str(who["segment"]),
            level=str(c["level"]),
            as_of=as_of,
            lines=tuple(
                ReminderLine(
                    reference=str(x["reference"] or x["document_no"]),
                    document_date=_day(x["document_date"]),
                    due_date=_day(x["due_date"]),
                    amount=int(x["amount"]),
                    currency=str(x["currency"]),
                    days_overdue=int(x["days_overdue"]),
                )
                for x in items.to_dict("records")
            ),
            contact_person=str(who["contact_person"]),
            collector=str(who["collector"]),
            company=company,
            signature={"zh": s.signature_zh, "en": s.signature_en},
            statement_no=_statement_no(files),
            broken_promise=_day(c["broken_promise"]),
            reminded_before=_reminded(sent.get(cust)),
            reply_days=r.reply_days,
        )
        language = str(who["language"]) or r.language
        subject, text = render_reminder(reminder, language, r.templates_dir)
        collector_mail = collectors.get(str(who["collector"]))
        msg = compose(
            sender=_sender(settings),
            sender_name=s.email.sender_name or company.get("name_zh", ""),
            to=[_named(str(who["contact_person"]), str(who["email"]))],
            cc=[collector_mail.email] if collector_mail and collector_mail.email else None,
            subject=subject,
            text=text,
            attachments=[Attachment(p.name, p.read_bytes()) for p in files],
            message_id=new_message_id(_domain(settings)),
        )
        key, added = outbox.add(
            store,
            out,
            outbox.Draft(
                kind="reminder",
                channel="email",
                recipient=str(who["email"]),
                collector=str(who["collector"]),
                customer=cust,
                level=str(c["level"]),
                subject=subject,
                text=text,
                eml=message_bytes(msg),
                attachments=tuple(files),
                items=tuple(items["item_key"]),
                approval=r.approval.get(str(c["level"]), "supervisor"),
            ),
            as_of=as_of,
            run_id=run_id,
        )
        if added:
            done.reminders.append(key)
            outbox.supersede(store, cust, keep=key)
    return done


def draft_digests(
    store: RunStore,
    settings: Settings,
    *,
    out: Path,
    as_of: date,
    run_id: str | None,
    worklist: pd.DataFrame,
    previous: pd.DataFrame | None = None,
    promises: pd.DataFrame | None = None,
    follow_ups: pd.DataFrame | None = None,
    stale_portals: dict[str, Any] | None = None,
    problems: dict[str, list[str]] | None = None,
) -> list[str]:
    """One digest per collector with a channel in ``notify.collectors``, on each of its
    channels; a collector already sent (or drafted) a digest today on a channel gets no other."""
    from arsync.connectors.mail import compose, message_bytes, new_message_id
    from arsync.connectors.mail.compose import Attachment
    from arsync.reports.messages import build_digest, render_digest
    from arsync.reports.worksheets import worksheet_path

    s = settings.notify
    have = {
        (r["collector"], r["channel"])
        for r in outbox.rows(store, kind="digest")
        if r["as_of"] == as_of
    }
    waiting = _waiting(store)
    added: list[str] = []
    for name in sorted(set(worklist["collector"])):
        ch = s.collectors.get(name)
        if ch is None:
            continue
        language = ch.language or settings.reports.language
        book = worksheet_path(out / "worksheets", name)
        link = f"{s.service_url.rstrip('/')}/downloads" if s.service_url else ""
        attach = s.attach_worksheet and not link and book.is_file()
        d = build_digest(
            worklist,
            name,
            as_of=as_of,
            language=language,
            previous=previous,
            promises=promises,
            follow_ups=follow_ups,
            stale_portals=stale_portals,
            grace_days=_grace(settings),
            top=s.digest_top,
            problems=(problems or {}).get(name, []),
            reminders_waiting=waiting.get(name, 0),
            link=link,
            attached=book.name if attach else "",
        )
        subject = _digest_subject(name, as_of, language)
        drafts: list[outbox.Draft] = []
        if ch.email and (name, "email") not in have:
            (text,) = render_digest(d, fmt="md")
            (html,) = render_digest(d, fmt="html")
            files = (book,) if attach else ()
            msg = compose(
                sender=_sender(settings),
                sender_name=s.email.sender_name or "arsync",
                to=[ch.email],
                subject=subject,
                text=text,
                html=html,
                attachments=[Attachment(p.name, p.read_bytes()) for p in files],
                message_id=new_message_id(_domain(settings)),
            )
            drafts.append(
                outbox.Draft(
                    kind="digest",
                    channel="email",
                    recipient=ch.email,
                    collector=name,
                    subject=subject,
                    text=text,
                    html=html,
                    eml=message_bytes(msg),
                    attachments=files,
                )
            )
        for channel, target, limit in (
            ("wecom_robot", ch.robot, s.wecom.markdown_bytes),
            ("wecom_app", ch.wecom_user, s.wecom.app_markdown_bytes),
        ):
            if not target or (name, channel) in have:
                continue
            parts = render_digest(d, fmt="md", limit=limit, max_parts=s.max_parts)
            for i, part in enumerate(parts, start=1):
                drafts.append(
                    outbox.Draft(
                        kind="digest",
                        channel=channel,
                        recipient=target,
                        collector=name,
                        subject=f"{subject} ({i}/{len(parts)})" if len(parts) > 1 else subject,
                        text=part,
                        payload={"msgtype": "markdown", "markdown": {"content": part}},
                        part=i,
                        parts=len(parts),
                    )
                )
        for draft in drafts:
            key, new = outbox.add(store, out, draft, as_of=as_of, run_id=run_id)
            if new:
                added.append(key)
    return added


def _digest_subject(collector: str, as_of: date, language: str) -> str:
    from arsync.reports.vocabulary import pick

    return f"{pick('每日催收摘要', 'Daily collections digest', language)} · {collector} · {as_of}"


def _waiting(store: RunStore) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in outbox.rows(store, status=["draft"], kind="reminder"):
        out[r["collector"]] = out.get(r["collector"], 0) + 1
    return out


def _grace(settings: Settings) -> int:
    promises = getattr(settings, "promises", None)
    return int(getattr(promises, "grace_days", 0) or 0)


def _sender(settings: Settings) -> str:
    e = settings.notify.email
    return e.sender or e.user or "arsync@localhost"


def _domain(settings: Settings) -> str:
    return _sender(settings).rpartition("@")[2] or "localhost"


def _named(name: str, address: str) -> str:
    from email.utils import formataddr

    return formataddr((name, address)) if name else address


def _statement_no(files: tuple[Path, ...]) -> str:
    """The numbers of the statements attached (one per company code), in order, joined by
    " / " for the subject and the letter: a customer billed by two company codes gets two."""
    numbers: list[str] = []
    for p in files:
        for part in p.stem.replace("-", "_").split("_"):
            if part[:3].isalpha() and part[3:].isdigit() and len(part) > 6 and part not in numbers:
                numbers.append(part)
    return " / ".join(numbers)


def _reminded(last: dict[str, Any] | None) -> date | None:
    """The day our last reminder to the customer was sent (a final letter may cite it)."""
    if not last:
        return None
    return last["sent_at"].date() if last.get("sent_at") else last["as_of"]


def _day(v: object) -> date | None:
    if v is None or (not isinstance(v, date) and pd.isna(v)):  # type: ignore[call-overload]
        return None
    return pd.Timestamp(v).date()  # type: ignore[arg-type]


LEVEL_WORDS = {
    "polite": ("付款提醒", "Polite"),
    "firm": ("催款函", "Firm"),
    "final": ("最后催告函", "Final"),
}


def with_communications(
    store: RunStore, customers: pd.DataFrame, settings: Settings
) -> pd.DataFrame:
    """The customers frame plus what the worksheet's Summary shows of communications:
    ``dunning`` (the last reminder sent: its level and date) and ``reminder_email`` (where
    reminders go, or that the address is missing — a problem to fix, never a silent skip)."""
    from arsync.reports.vocabulary import pick

    language = settings.reports.language
    last = outbox.last_reminders(store, sent=True)
    contacts = customer_contacts(customers, settings.notify.contacts_file).set_index("customer")
    missing = pick("⚠ 缺失：请补充联系人邮箱", "⚠ missing: add the contact's e-mail", language)

    def dunning(c: str) -> str:
        r = last.get(c)
        if not r or r["level"] not in LEVEL_WORDS:
            return ""
        sent = r["sent_at"].date() if r["sent_at"] else r["as_of"]
        return f"{pick(*LEVEL_WORDS[r['level']], language)} {sent}"

    def email(c: str) -> str:
        found = str(contacts["email"].get(c, "") or "").strip()
        return found or missing

    keys = customers["customer"].astype(str)
    return customers.assign(
        dunning=keys.map(dunning).astype(object), reminder_email=keys.map(email).astype(object)
    )


def previous_worklist(store: RunStore, run_id: str) -> pd.DataFrame | None:
    """The worklist of the last finished nightly before this run (what is "new" in a digest)."""
    for info in store.recent(20, kind="nightly"):
        if info.run_id == run_id or info.status not in ("ok", "partial"):
            continue
        for stage in ("history", "reconcile"):
            p = Path(info.folder) / stage / "worklist.parquet"
            if p.is_file():
                try:
                    return pd.read_parquet(p)
                except Exception:  # an unreadable old file: nothing counts as new
                    return None
    return None


def notify_stage(ctx: Any) -> tuple[dict[str, int], str]:
    """Draft reminders and digests, send the digests (the reminders wait for approval)."""
    from arsync.jobs.pipeline.delivery import send_outbox

    s = ctx.settings.notify
    if not s.enabled or ctx.scope.narrowed:
        return {"skipped": 1}, "ok"
    wl = ctx.frames["worklist"]
    disputes = ctx.frames.get("disputes")
    disputed = (
        set(disputes.loc[disputes["resolution"].isna(), "item_key"])
        if disputes is not None and len(disputes) and "resolution" in disputes
        else set()
    )
    drafted = draft_reminders(
        ctx.store,
        ctx.settings,
        out=ctx.out,
        as_of=ctx.as_of,
        run_id=ctx.run_id,
        worklist=wl,
        customers=ctx.frames["customers"],
        promises=ctx.frames.get("promises"),
        disputed=disputed,
        statements=statement_files(ctx),
    )
    for line in (x for lines in drafted.problems.values() for x in lines):
        ctx.echo(f"  notify: {line}")
    digests = []
    if s.digest:
        digests = draft_digests(
            ctx.store,
            ctx.settings,
            out=ctx.out,
            as_of=ctx.as_of,
            run_id=ctx.run_id,
            worklist=wl,
            previous=previous_worklist(ctx.store, ctx.run_id),
            promises=ctx.frames.get("promises"),
            follow_ups=ctx.frames.get("follow_ups"),
            stale_portals=ctx.stale_portals,
            problems=drafted.problems,
        )
    report = send_outbox(ctx.store, s, kind="digest", echo=ctx.echo)
    waiting = sum(_waiting(ctx.store).values())
    ctx.summary["notify"] = [
        f"digests sent {len(report.sent)}, failed {len(report.failed)}, left {len(report.left)}",
        f"reminders drafted {len(drafted.reminders)}, awaiting approval {waiting} (arsync outbox list)",
        *(
            f"no e-mail address: {r['name']} ({r['customer']})"
            for r in drafted.no_address.to_dict("records")
        ),
        *report.lines()[1:],
    ]
    counts = {
        "digests": len(digests),
        "digests_sent": len(report.sent),
        "digests_failed": len(report.failed) + len(report.unknown),
        "reminders": len(drafted.reminders),
        "awaiting_approval": waiting,
        "no_address": len(drafted.no_address),
    }
    bad = report.failed or report.unknown or report.channel_errors or report.left
    return counts, "partial" if bad else "ok"


def statement_files(ctx: Any) -> dict[str, tuple[Path, ...]]:
    """customer → the statement of account (对账单) files to attach to its reminder: the
    newest statement of each of its company codes (the nightly's, or `arsync statements`)."""
    from arsync.jobs.pipeline.statement_book import latest_files

    return latest_files(ctx.store) if ctx.store is not None else {}
