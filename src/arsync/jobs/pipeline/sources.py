"""The one seam that opens what a run reads: SAP, the portals, or a folder of export files.

``open_sources(settings, as_of, scope)`` is the only production code that imports
:mod:`arsync.sandbox`.  When SAP's backend is ``sandbox`` or a portal is declared with
``base_url: sandbox``, it builds *one* world for the run's ``as_of`` and serves both from it, so
SAP and the portals see the same day.  ``as_of`` is an argument here and everywhere after; it is
never written into the settings.  Portal declarations are loaded once per run and bound here
(URLs, accounts, customers, buyer names); the customer → portal map comes with them.

Stages take these sources, not settings, for what they read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from arsync.common.errors import ConfigError
from arsync.common.parse import alpha
from arsync.common.secrets import Secret
from arsync.connectors.portals.definitions import (
    SANDBOX,
    Account,
    Portal,
    Rejected,
    load_definitions,
    select,
)
from arsync.jobs.engine.invoice_no import search_numbers

if TYPE_CHECKING:
    from arsync.config.settings import Settings


@dataclass(frozen=True)
class Scope:
    """What an on-demand run is narrowed to; empty means everything (the nightly run).

    Customer numbers are given as people type them (``4711``) and compared in SAP's internal,
    zero-padded form (``0000004711``)."""

    customers: tuple[str, ...] = ()
    collectors: tuple[str, ...] = ()
    company_codes: tuple[str, ...] = ()

    @property
    def narrowed(self) -> bool:
        return bool(self.customers or self.collectors or self.company_codes)

    @property
    def customer_keys(self) -> tuple[str, ...]:
        """The customers in SAP's internal form (ALPHA: ``4711`` → ``0000004711``); a number
        longer than SAP's 10 digits raises :class:`~arsync.common.parse.ParseError`."""
        return tuple(alpha(c) for c in self.customers)

    def as_dict(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in self.__dict__.items() if v}

    @classmethod
    def from_dict(cls, data: Mapping[str, Sequence[str]]) -> Scope:
        return cls(
            **{k: tuple(data.get(k, ())) for k in ("customers", "collectors", "company_codes")}
        )


@dataclass(frozen=True)
class SapSource:
    """What offers pyrfc's ``Connection(**params)``: ``None`` for the real pyrfc module (imported
    lazily by the connector), or the run's sandbox SAP."""

    rfc: Any = None


@dataclass
class PortalSource:
    """The run's portal declarations with the SAP customer → portal ids map.

    Accounts, customers and buyer names are bound when the sources open; a declaration served
    by the sandbox simulators gets its URL when it is first :meth:`chosen` (the simulators
    start then, once), so a run that needs only the customer map never starts them."""

    definitions: tuple[Portal, ...]
    customer_portals: Mapping[str, tuple[str, ...]]
    _serve: Any = field(default=None, repr=False)
    #: portal files refused on load: these portals fail (their items stale), the others run
    rejected: tuple[Rejected, ...] = ()

    def ids_for(self, customers: Sequence[str]) -> list[str]:
        """The portals these customers pay through, sorted."""
        return sorted({p for c in customers for p in self.customer_portals.get(c, ())})

    def chosen(self, ids: Sequence[str] | None = None) -> list[Portal]:
        """The declarations of ``ids`` (all when ``None``), ready to fetch; an unknown id is a
        :class:`ConfigError`, a refused one its reason."""
        refused = {r.id: r for r in self.rejected}
        for i in ids or ():
            if i in refused:
                raise ConfigError(refused[i].reason)
        picked = select({p.id: p for p in self.definitions}, list(ids) if ids else None)
        if self._serve is not None and any(p.base_url == SANDBOX for p in picked):
            self.definitions = tuple(self._serve(list(self.definitions)))
            self._serve = None
            return self.chosen(ids)
        return picked


@dataclass(frozen=True)
class FileSource:
    """A folder of export files (CSV / XLSX / FBL5N) standing in for SAP and the portals."""

    folder: Path
    strict: bool = False


@dataclass
class Sources:
    """What one run reads.  A context manager: leaving it stops what it started (simulators)."""

    as_of: date
    scope: Scope
    sap: SapSource | None = None
    portals: PortalSource | None = None
    files: FileSource | None = None
    world: Any = None  # the sandbox world, when one was built (demo and CLI defaults only)
    simulators: Any = None  # the portal simulators' handle once started (their fault counters)
    _stack: ExitStack = field(default_factory=ExitStack, repr=False)

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Sources:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sandbox_search_numbers(self) -> dict[str, list[str]] | None:
        """What to search the sandbox's search portals for when no one gave invoice numbers:
        the world's open items' numbers (``None`` outside the sandbox)."""
        return None if self.world is None else sandbox_search_numbers(self.world)

    def with_portals(self, customers: Any) -> Any:
        """``customers`` (CUSTOMERS frame) with its ``portals`` column filled from the portal
        declarations (``;``-separated ids; empty: the customer pays through no portal)."""
        if self.portals is None:
            return customers
        cp = self.portals.customer_portals
        return customers.assign(portals=[";".join(cp.get(c, ())) for c in customers["customer"]])


def open_sources(
    settings: Settings,
    as_of: date,
    scope: Scope = Scope(),
    *,
    files: FileSource | None = None,
    sap: bool = True,
    portals: bool = True,
    faults: Any = None,
    world: Any = None,
) -> Sources:
    """Open the sources of one run on ``as_of``.

    ``files``: a file run (no SAP, no portals).  ``sap`` / ``portals``: which sources the caller
    needs (``portals`` starts the simulators when a declaration points at the sandbox).
    ``faults`` (sandbox simulators' fault knobs) and ``world`` (a ready world) are for tests and
    benchmarks.  Raises :class:`ConfigError` for a bad portal declaration."""
    src = Sources(as_of=as_of, scope=scope, files=files)
    if files is not None:
        return src
    try:
        need_world = sap and settings.sap.backend == "sandbox"
        defs: list[Portal] = []
        rejected: list[Rejected] = []
        if portals:
            loaded = load_definitions(extra_dir=settings.portals.definitions_dir, strict=False)
            defs, rejected = list(loaded.values()), loaded.rejected
            if settings.sap.backend != "sandbox":
                # The bundled instances are the sandbox demo: a production run reads real ones.
                defs = [p for p in defs if not _is_sandbox(p)]
            need_world = need_world or any(_is_sandbox(p) for p in defs)
        if need_world and world is None:
            world = _world(settings, as_of)
        src.world = world
        if sap:
            src.sap = SapSource(
                rfc=_sandbox_sap(settings, world) if settings.sap.backend == "sandbox" else None
            )
        if portals:
            bound = _bind(defs, world) if world is not None else defs
            src.portals = PortalSource(
                tuple(sorted(bound, key=lambda p: p.id)),
                _customer_portals(bound, rejected),
                _serve=lambda ps: _serve(ps, world, settings, faults, src),
                rejected=tuple(rejected),
            )
    except BaseException:
        src.close()
        raise
    return src


@contextmanager
def sandbox_portals(
    portals: Sequence[Portal], world: Any, *, faults: Any = None
) -> Iterator[tuple[list[Portal], Any]]:
    """Serve ``portals`` from the simulators over ``world`` (any object with the attributes of
    sandbox/WORLD.md, e.g. the tiny portal world); yield them bound, with the simulators' handle
    (its fault counters).  For tests and benchmarks."""
    with _simulators(world, None, faults) as handle:
        bound = _bind(list(portals), world)
        yield [_at(p, handle) for p in bound], handle


def sandbox_search_numbers(world: Any) -> dict[str, list[str]]:
    """SAP customer → invoice numbers of ``world``'s open items (a hand-made portal world lists
    its own, as ``invoice_numbers``)."""
    given = getattr(world, "invoice_numbers", None)
    if given is not None:
        return dict(given)
    from arsync.sandbox.world_frames import world_frames

    return search_numbers(world_frames(world)["open_items"])


# --- the sandbox ------------------------------------------------------------------------------


def _is_sandbox(p: Portal) -> bool:
    return SANDBOX in (p.base_url, p.accounts, p.customers, p.buyers)


def _world(settings: Settings, as_of: date) -> Any:
    from arsync.sandbox.world import World

    sb = settings.sandbox
    return World(seed=sb.seed, size=sb.size, epoch=sb.epoch, as_of=as_of)


def _sandbox_sap(settings: Settings, world: Any) -> Any:
    from arsync.sandbox.sap import SandboxSap

    return SandboxSap(world, latency=settings.sandbox.latency_ms / 1000.0)


def _bind(portals: list[Portal], world: Any) -> list[Portal]:
    """Replace the ``sandbox`` accounts, customers and buyer names with the world's.
    Credentials of sandbox accounts live in memory only, never on disk."""
    out = []
    for p in portals:
        upd: dict[str, Any] = {}
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


def _serve(
    portals: list[Portal], world: Any, settings: Settings | None, faults: Any, src: Sources
) -> list[Portal]:
    """Start the simulators over ``world`` (closed with ``src``) and point every ``sandbox``
    URL at them."""
    if not any(p.base_url == SANDBOX for p in portals):
        return portals
    handle = src._stack.enter_context(_simulators(world, settings, faults))
    src.simulators = handle
    return [_at(p, handle) for p in portals]


def _at(p: Portal, handle: Any) -> Portal:
    return p.model_copy(update={"base_url": handle.url(p.id)}) if p.base_url == SANDBOX else p


def _simulators(world: Any, settings: Settings | None, faults: Any) -> Any:
    from arsync.sandbox.portals import start_simulators

    if faults is None and settings is not None:
        faults = sandbox_faults(settings, [str(p) for p in world.portals["portal"]])
    return start_simulators(world, faults=faults)


def sandbox_faults(settings: Settings, portal_ids: Sequence[str]) -> dict[str, Any]:
    """The simulators' fault knobs per portal from ``[sandbox.faults]`` (every portal) and
    ``[sandbox.faults.portals.<id>]`` (one portal); ``sandbox.latency_ms`` is the latency of a
    portal that sets none.  A knob block for a portal the sandbox does not serve is a
    :class:`ConfigError` (a typo must not pass for a quiet night)."""
    from arsync.sandbox.portals import Faults

    sb = settings.sandbox
    known = {p.lower().replace("_", "-"): p for p in portal_ids}
    unknown = [k for k in sb.faults.portals if k.lower().replace("_", "-") not in known]
    if unknown:
        raise ConfigError(
            f"sandbox.faults.portals.{unknown[0]}: the sandbox serves no such portal "
            f"(it serves {', '.join(sorted(portal_ids))})"
        )
    out = {}
    for pid in portal_ids:
        knobs = sb.faults.for_portal(pid)
        knobs["latency_ms"] = knobs["latency_ms"] or sb.latency_ms
        out[pid] = Faults(**knobs)
    return out


def _customer_portals(
    portals: Sequence[Portal], rejected: Sequence[Rejected] = ()
) -> dict[str, tuple[str, ...]]:
    """SAP customer → the portals it pays through; a refused portal file still names its
    customers, so their items show STALE with the last known status, not NO_PORTAL."""
    out: dict[str, list[str]] = {}
    for p in sorted(portals, key=lambda p: p.id):
        if p.customers == SANDBOX:
            raise ConfigError(f"portal {p.id}: customers: sandbox needs the sandbox world")
        for c in p.customers:
            out.setdefault(c, []).append(p.id)
    for r in rejected:
        for c in r.customers:
            out.setdefault(c, []).append(r.id)
    return {c: tuple(sorted(ps)) for c, ps in out.items()}
