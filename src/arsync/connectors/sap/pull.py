"""``pull``: open items at a key date, recently cleared items and customers, by either strategy.

Master data (T001, TCURX, KNB1, KNA1, KNKK) comes through RFC_READ_TABLE for both strategies;
with the BAPI strategy a site that forbids RFC_READ_TABLE still gets its items (customers from
``sap.customers``), with the master data it could not read left empty and a warning logged.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import product

import pandas as pd
from loguru import logger

from arsync.common import clock
from arsync.common.errors import AuthorizationError, ConfigError, DataError
from arsync.common.frames import CLEARED_ITEMS, OPEN_ITEMS
from arsync.common.parse import alpha
from arsync.connectors.sap import readers
from arsync.connectors.sap.assemble import ItemBatches, empty_raw, open_and_cleared
from arsync.connectors.sap.bapi import BALANCED, OPEN, fetch_customer, lineitems_raw
from arsync.connectors.sap.connection import CallStats, RfcClient, connection_opener, retry_policy
from arsync.connectors.sap.customers import customers_frame
from arsync.connectors.sap.read_table import TableReader

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class SapPull:
    open_items: pd.DataFrame
    cleared_items: pd.DataFrame
    customers: pd.DataFrame
    stats: dict = field(default_factory=dict)

    def frames(self) -> dict[str, pd.DataFrame]:
        return {
            "open_items": self.open_items,
            "cleared_items": self.cleared_items,
            "customers": self.customers,
        }


class _Decimals(dict):
    """TCURX: currencies it does not list have 2 decimals."""

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> int:
        return 2


class _Clients:
    """One RfcClient (one connection) per thread, reused for all of that thread's calls."""

    def __init__(self, make: Callable[[], RfcClient]):
        self._make, self._local, self._lock = make, threading.local(), threading.Lock()
        self.all: list[RfcClient] = []

    def get(self) -> RfcClient:
        c = getattr(self._local, "client", None)
        if c is None:
            c = self._local.client = self._make()
            with self._lock:
                self.all.append(c)
        return c

    def close(self) -> None:
        for c in self.all:
            c.close()


def pull(
    settings,
    *,
    key_date: date | None = None,
    company_codes: list[str] | None = None,
    strategy: str | None = None,
    progress: Progress | None = None,
    collectors: list[str] | None = None,
    rfc=None,
    sleep: Callable[[float], None] | None = None,
    chunk: int = 500,
) -> SapPull:
    """Read SAP.  ``collectors`` (KNB1-BUSAB codes or their names in ``sap.collectors``) narrows
    the read to those collectors' customers, as ``sap.customers`` narrows it to customers.
    ``rfc`` is what offers pyrfc's ``Connection(**params)``: the pyrfc module by default (imported
    lazily), the run's sandbox SAP when the run's sources say so.  ``sleep`` (retry waits) is for
    tests."""
    t0 = time.perf_counter()
    s = settings.sap
    strategy = strategy or s.strategy
    if strategy not in ("bapi", "table"):
        raise ConfigError(f"sap strategy {strategy!r}: use 'bapi' or 'table'")
    key_date = key_date or clock.today(settings.runs.timezone)
    cleared_from = key_date - timedelta(days=s.cleared_days)
    progress = progress or (lambda done, total, what: None)
    opener, secret = connection_opener(settings, rfc=rfc)
    stats = CallStats()
    policy = retry_policy(settings, sleep)
    clients = _Clients(lambda: RfcClient(opener, policy, stats, secret))
    reader = TableReader()
    try:
        main = clients.get()

        def optional(fn, what):
            try:
                return fn()
            except (AuthorizationError, ConfigError) as exc:
                if strategy == "table":
                    raise
                logger.warning("{} could not be read, continuing without: {}", what, exc)
                return None

        t001 = optional(lambda: readers.t001(reader, main), "T001")
        tcurx = optional(lambda: readers.tcurx(reader, main), "TCURX")
        decimals = _Decimals(tcurx) if tcurx is not None else {}
        known = t001["BUKRS"].tolist() if t001 is not None else []
        codes = sorted(company_codes or s.company_codes or known)
        if not codes:
            raise ConfigError("no company codes: pass --company-code or set sap.company_codes")
        unknown = [c for c in codes if t001 is not None and c not in known]
        if unknown:  # else it reads zero rows in silence (BAPIs would say FN510 per customer)
            raise ConfigError(
                f"company code(s) {', '.join(unknown)} not in SAP (T001 has "
                f"{', '.join(sorted(known)) or 'none'})"
            )
        pairs, knb1 = _pairs(reader, main, codes, s, optional, collectors)
        progress(0, 1, "master data")
        if strategy == "bapi":
            open_items, cleared_items = _bapi(
                clients, pairs, key_date, cleared_from, s, decimals, progress
            )
        else:
            raw_open, raw_cleared = _table(
                clients,
                reader,
                pairs,
                key_date,
                cleared_from,
                t001,
                decimals,
                s.parallel,
                chunk,
                progress,
            )
            open_items, cleared_items = open_and_cleared(
                raw_open, raw_cleared, noted=s.noted_items, where="SAP table"
            )
        customers = _customers(reader, main, knb1, t001, s, settings, optional, chunk)
    finally:
        clients.close()
    seconds = time.perf_counter() - t0
    return SapPull(
        open_items,
        cleared_items,
        customers,
        {
            "strategy": strategy,
            "key_date": key_date.isoformat(),
            "company_codes": codes,
            "calls": dict(sorted(stats.calls.items())),
            "failed_calls": dict(stats.failures),
            "rfc_calls": sum(stats.calls.values()),
            "connections": len(clients.all),
            "seconds": round(seconds, 3),
        },
    )


def _pairs(reader, main, codes, s, optional, collectors=None):
    wanted = sorted({alpha(c) for c in s.customers})
    knb1 = optional(lambda: readers.knb1(reader, main, codes), "KNB1")
    if knb1 is None:
        if not wanted:
            raise ConfigError(
                "KNB1 cannot be read (RFC_READ_TABLE not allowed?): list the customers "
                "to read in sap.customers"
            )
        knb1 = pd.DataFrame(list(product(wanted, codes)), columns=["KUNNR", "BUKRS"]).assign(
            BUSAB=""
        )
    elif wanted:
        knb1 = knb1[knb1["KUNNR"].isin(wanted)]
    if collectors:
        busab = set(collectors) | {
            code for code, name in s.collectors.items() if name in set(collectors)
        }
        knb1 = knb1[knb1["BUSAB"].isin(busab)]
    knb1 = knb1.sort_values(["BUKRS", "KUNNR"]).reset_index(drop=True)
    return list(zip(knb1["BUKRS"], knb1["KUNNR"])), knb1


def _run(tasks, fn, parallel: int, progress: Progress, what: str, consume=None) -> list:
    """``fn`` over ``tasks`` on ``parallel`` threads; the results in task order, or — with
    ``consume(result)`` — handed over as they come (in this thread) and not kept."""
    out: list = [None] * len(tasks)

    def take(i, r):
        if consume is None:
            out[i] = r
        else:
            consume(r)

    if parallel <= 1 or len(tasks) <= 1:
        for i, t in enumerate(tasks):
            take(i, fn(t))
            progress(i + 1, len(tasks), what)
        return out
    # At most a few tasks ahead of the consumer: a finished task holds its rows until taken.
    window, todo = 4 * parallel, iter(enumerate(tasks))
    running: dict = {}
    with ThreadPoolExecutor(parallel, thread_name_prefix="sap") as ex:

        def fill() -> None:
            for i, t in todo:
                # each task runs in a copy of the caller's context: log lines keep the run and stage
                running[ex.submit(contextvars.copy_context().run, fn, t)] = i
                if len(running) >= window:
                    return

        n = 0
        try:
            fill()
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for f in done:
                    take(running.pop(f), f.result())
                    n += 1
                    progress(n, len(tasks), what)
                del done, f  # let go of the results taken
                fill()
        except BaseException:
            for f in running:
                f.cancel()
            raise
    return out


#: BAPI line items converted to canonical rows per this many rows: a row held as the BAPI's dict
#: costs ~20x its frame cell, and its raw text several times its canonical row, so neither waits
#: for the whole portfolio; per-call frames would cost more than the calls.
BATCH_ROWS = 20_000


def _bapi(clients, pairs, key_date, cleared_from, s, decimals, progress):
    """``(open_items, cleared_items)``: canonical frames, built batch by batch as customers come."""

    def one(pair):
        bukrs, kunnr = pair
        return fetch_customer(clients.get(), bukrs, kunnr, key_date, cleared_from, s.noted_items)

    batches: dict[str, list] = {OPEN: [], BALANCED: []}
    items = {
        OPEN: ItemBatches(OPEN_ITEMS, noted=s.noted_items, where="SAP bapi open items"),
        BALANCED: ItemBatches(CLEARED_ITEMS, noted=True, where="SAP bapi cleared items"),
    }
    checked = [False]

    def flush(fn: str, force: bool = False) -> None:
        rows = batches[fn]
        if rows and (force or len(rows) >= BATCH_ROWS):
            batches[fn] = []
            items[fn].add(lineitems_raw(rows, decimals, f"{fn} LINEITEMS"))

    def consume(result) -> None:
        for fn, rows in zip((OPEN, BALANCED), result):
            if rows and not checked[0]:
                checked[0] = True
                if "REF_DOC_NO_LONG" not in rows[0]:
                    _no_long_reference("BAPI3007_2 has no field REF_DOC_NO_LONG")
            batches[fn].extend(rows)
            flush(fn)

    _run(pairs, one, s.parallel, progress, "customers (BAPI)", consume=consume)
    for fn in (OPEN, BALANCED):
        flush(fn, force=True)
    return items[OPEN].frame(), items[BALANCED].frame()


def _no_long_reference(why: str) -> None:
    """Older releases have no long reference: said once per pull, and XBLNR is the reference."""
    logger.warning(
        "{} (an older SAP release): the long reference is not read; the reference is XBLNR, "
        "so a 20-digit 数电 invoice number shows as the 16 characters XBLNR holds",
        why,
    )


def _ranges(kunnrs: list[str], chunk: int) -> list[tuple[str, str]]:
    ks = sorted(set(kunnrs))
    return [(ks[i], ks[min(i + chunk, len(ks)) - 1]) for i in range(0, len(ks), chunk)]


def _table(
    clients, reader, pairs, key_date, cleared_from, t001, decimals, parallel, chunk, progress
):
    by_code: dict[str, list[str]] = {}
    for bukrs, kunnr in pairs:
        by_code.setdefault(bukrs, []).append(kunnr)
    parts = [(b, lo, hi) for b, ks in sorted(by_code.items()) for lo, hi in _ranges(ks, chunk)]
    wanted = set(pairs)

    def one(part):
        b, lo, hi = part
        o, c = readers.items_partition(reader, clients.get(), b, lo, hi, key_date, cleared_from)
        keep = lambda df: df[[p in wanted for p in zip(df["BUKRS"], df["KUNNR"])]]  # noqa: E731
        return keep(o), keep(c)

    res = _run(parts, one, parallel, progress, "partitions (RFC_READ_TABLE)")
    if not res:
        return empty_raw(), empty_raw()
    text_open = pd.concat([r[0] for r in res], ignore_index=True)
    text_cleared = pd.concat([r[1] for r in res], ignore_index=True)
    both = pd.concat([text_open, text_cleared], ignore_index=True)
    has_long = reader.has_field(clients.get(), "BKPF", "XBLNR_ALT")
    if not has_long:
        _no_long_reference("BKPF has no field XBLNR_ALT")
    refs = [
        readers.long_refs(reader, clients.get(), b, sorted(set(g["GJAHR"])))
        for b, g in both.groupby("BUKRS")
        if has_long
    ]
    refs_df = pd.concat(refs, ignore_index=True) if refs else pd.DataFrame()
    local = dict(zip(t001["BUKRS"], t001["WAERS"]))
    return (
        readers.finish_items(text_open, local, refs_df, decimals, "open items"),
        readers.finish_items(text_cleared, local, refs_df, decimals, "cleared items"),
    )


def _customers(reader, main, knb1, t001, s, settings, optional, chunk):
    ranges = _ranges(knb1["KUNNR"].tolist(), chunk)
    kna1 = optional(
        lambda: pd.concat(
            [readers.kna1(reader, main, lo, hi) for lo, hi in ranges]
            or [pd.DataFrame(columns=readers.KNA1_FIELDS)],
            ignore_index=True,
        ),
        "KNA1",
    )
    area = s.credit_control_area
    knkk = optional(
        lambda: pd.concat(
            [readers.knkk(reader, main, area, lo, hi) for lo, hi in ranges]
            or [pd.DataFrame(columns=["KUNNR"])],
            ignore_index=True,
        ),
        "KNKK",
    )
    knvk, adr6 = _contacts(reader, main, kna1, ranges)
    cur = ""
    if t001 is not None:
        # T014-WAERS is not read: take the currency of the lowest company code in the area
        hit = t001[t001["KKBER"] == area].sort_values("BUKRS")
        cur = hit["WAERS"].iloc[0] if len(hit) else ""
    return customers_frame(knb1, kna1, knkk, cur, settings, knvk, adr6)


def _contacts(reader, main, kna1, ranges, per_call: int = 100):
    """KNVK contact persons and ADR6 e-mails.  Nice to have, not the AR data: a site that keeps
    them from the RFC user (S_TABU_DIS on ADR6's group SA) gets a warning, in either strategy."""
    if kna1 is None or not len(ranges):
        return None, None
    try:
        knvk = pd.concat(
            [readers.knvk(reader, main, lo, hi) for lo, hi in ranges]
            or [pd.DataFrame(columns=readers.KNVK_FIELDS)],
            ignore_index=True,
        )
        addrs = sorted(
            (set(kna1["ADRNR"]) | set(knvk["ADRND"])) - {""}
        )  # the customers' and their contact persons' addresses
        adr6 = pd.concat(
            [
                readers.adr6(reader, main, addrs[i : i + per_call])
                for i in range(0, len(addrs), per_call)
            ]
            or [pd.DataFrame(columns=readers.ADR6_FIELDS)],
            ignore_index=True,
        )
    except (AuthorizationError, ConfigError, DataError) as exc:
        logger.warning("contact persons / e-mails (KNVK, ADR6) could not be read: {}", exc)
        return None, None
    return knvk, adr6
