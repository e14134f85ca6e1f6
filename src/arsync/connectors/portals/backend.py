"""The sandbox backend: portals declared with ``base_url: sandbox`` are served by the simulators.

This is the one production module that imports ``arsync.sandbox`` (DESIGN.md): accounts,
credentials (in memory, never on disk), customers and buyer names come from the world.
"""

from __future__ import annotations

from datetime import date

from arsync.common.secrets import Secret

from .definitions import SANDBOX, Account, Portal


def make_world(settings, as_of: date | None = None):
    from arsync.sandbox.world import World

    sb = settings.sandbox
    return World(seed=sb.seed, size=sb.size, epoch=sb.epoch, as_of=as_of or sb.as_of)


def bind(portals: list[Portal], world, handle) -> list[Portal]:
    """Replace every ``sandbox`` value with what the world and the running simulators say."""
    out = []
    for p in portals:
        upd: dict = {}
        if p.base_url == SANDBOX:
            upd["base_url"] = handle.url(p.id)
        if p.accounts == SANDBOX:
            accs = world.portal_accounts[world.portal_accounts["portal"] == p.id]
            upd["accounts"] = [
                Account(
                    id=str(a.account),
                    username=str(a.username),
                    password=Secret(str(a.password), source="sandbox world"),
                    login="auto",
                    solver="sandbox",
                )
                for a in accs.itertuples()
            ]
        pc = world.portal_customers[world.portal_customers["portal"] == p.id]
        if p.customers == SANDBOX:
            upd["customers"] = sorted(set(pc["customer"].astype(str)))
        if p.buyers == SANDBOX:
            upd["buyers"] = dict(zip(pc["buyer"].astype(str), pc["customer"].astype(str)))
        out.append(p.model_copy(update=upd))
    return out


def invoice_numbers(world) -> dict[str, list[str]]:
    """The numbers a collector would search for: each open debit item's invoice number."""
    given = getattr(world, "invoice_numbers", None)
    if given is not None:
        return given
    led = world.ledger
    open_ = led[led["AUGDT"].isna() & (led["SHKZG"] == "S")]
    ref = (
        open_["XBLNR_LONG"].where(open_["XBLNR_LONG"].astype(str) != "", open_["XBLNR"]).astype(str)
    )
    out: dict[str, list[str]] = {}
    for cust, r in zip(open_["KUNNR"].astype(str), ref):
        if r:
            out.setdefault(cust, []).append(r)
    return out


def open_sandbox(portals: list[Portal], settings, *, world=None, faults=None):
    """Start the simulators for the ``sandbox`` portals: (bound portals, handle, invoice numbers)."""
    from arsync.sandbox.portals import Faults, start_simulators

    world = world if world is not None else make_world(settings)
    if faults is None and settings.sandbox.latency_ms:
        faults = Faults(latency_ms=settings.sandbox.latency_ms)
    handle = start_simulators(world, faults=faults)
    return bind(portals, world, handle), handle, invoice_numbers(world)
