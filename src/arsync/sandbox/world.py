"""The sandbox world: a deterministic, seeded AR portfolio seen on an as-of date (sandbox/WORLD.md).

The sandbox SAP, the portal simulators and the tests all read one :class:`World`, so what SAP
shows and what the portals show agree, and ``truth`` says what a perfect reconciliation finds.
Generation is month by month from the epoch with an RNG seeded by ``(seed, month)``; each
invoice's future is drawn when it is generated, and the as-of date is only a filter.  Frames are
built on first access (``functools.cached_property``) and cached.

Sizes: ``tiny`` (12 customers, for unit tests of other modules), ``small`` (≈50 / ≈2k open
items), ``medium`` (≈2k / ≈50k), ``large`` (≈20k / ≈500k).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cached_property

import numpy as np
import pandas as pd

from arsync.common import clock
from arsync.sandbox import _world_contacts as C
from arsync.sandbox import _world_master as M
from arsync.sandbox import _world_portal as P
from arsync.sandbox import _world_view as V
from arsync.sandbox._world_facts import Facts, facts

__all__ = ["SIZES", "World"]
SIZES = tuple(M.SIZES)


class World:
    """One seeded portfolio on one date. ``World(...).at(d)`` equals ``World(..., as_of=d)``."""

    def __init__(
        self,
        seed: int = 20261123,
        size: str = "small",
        as_of: date | None = None,
        epoch: date = date(2025, 5, 1),
    ) -> None:
        if size not in M.SIZES:
            raise ValueError(f"World: unknown size {size!r}; expected one of {', '.join(M.SIZES)}")
        as_of = clock.today() if as_of is None else as_of
        if isinstance(as_of, datetime):  # also pd.Timestamp: the world has dates, not times
            as_of = as_of.date()
        if not isinstance(as_of, date) or not isinstance(epoch, date):
            raise TypeError(f"World: as_of and epoch must be dates, got {as_of!r} and {epoch!r}")
        if as_of < epoch:
            raise ValueError(f"World: as_of {as_of} is before the epoch {epoch}")
        self.seed, self.size, self.as_of, self.epoch = int(seed), size, as_of, epoch
        self._d = np.datetime64(as_of, "D")
        e = np.datetime64(epoch, "D")
        months = int(self._d.astype("datetime64[M]") - e.astype("datetime64[M]")) + 1
        self._facts: Facts = facts(self.seed, size, e, months)

    def __repr__(self) -> str:
        return (
            f"World(seed={self.seed}, size={self.size!r}, as_of={self.as_of}, epoch={self.epoch})"
        )

    def at(self, as_of: date) -> World:
        """The same world on another date (later dates see invoices further along)."""
        return World(self.seed, self.size, as_of, self.epoch)

    def __eq__(self, other: object) -> bool:
        """Same seed, size, epoch and date ⇒ the same frames (that is the determinism contract)."""
        if not isinstance(other, World):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple:
        return (self.seed, self.size, self.epoch, self.as_of)

    # --- master data (copies: worlds of the same seed share the generated facts)
    @property
    def company_codes(self) -> pd.DataFrame:
        return M.COMPANY_CODES.copy()

    @property
    def currency_decimals(self) -> dict[str, int]:
        return dict(M.CURRENCY_DECIMALS)

    @property
    def portals(self) -> pd.DataFrame:
        return M.PORTALS.copy()

    @cached_property
    def _contacts(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        return C.contacts(self.seed, self._facts.cust.kna1)

    @property
    def kna1(self) -> pd.DataFrame:
        return self._contacts[0].copy()

    @property
    def knvk(self) -> pd.DataFrame:
        """Contact persons (KNVK); the first of a customer's is its finance contact."""
        return self._contacts[1].copy()

    @property
    def adr6(self) -> pd.DataFrame:
        """E-mail addresses (ADR6) of customers (KNA1-ADRNR) and contact persons (KNVK-PRSNR)."""
        return self._contacts[2].copy()

    @cached_property
    def knb1(self) -> pd.DataFrame:
        return self._facts.cust.knb1.copy()

    @cached_property
    def knkk(self) -> pd.DataFrame:
        return V.knkk(self._facts, self.ledger)

    @cached_property
    def portal_accounts(self) -> pd.DataFrame:
        return M.portal_accounts(self.size)

    @cached_property
    def portal_customers(self) -> pd.DataFrame:
        return P.portal_customers(self._facts)

    # --- movement data on as_of
    @cached_property
    def _docs(self) -> tuple[np.ndarray, np.ndarray]:
        return V.doc_strings(self._facts)

    @cached_property
    def _ledger_parts(self) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        return V.ledger(self._facts, self._d, *self._docs)

    @property
    def ledger(self) -> pd.DataFrame:
        """BSID ∪ BSAD on as_of: every customer line item posted on or before it."""
        return self._ledger_parts[0]

    @cached_property
    def portal_records(self) -> pd.DataFrame:
        return P.portal_records(
            self._facts, self._d, *self._docs, self.portal_customers, M.SIZES[self.size][3]
        )

    @cached_property
    def truth(self) -> pd.DataFrame:
        """What a perfect reconciliation finds for every open item on as_of."""
        return P.truth(self._facts, self._d, *self._ledger_parts)

    # --- conveniences for tests and the demo
    def open_items(self) -> pd.DataFrame:
        """Ledger rows open on as_of (BSID)."""
        return self.ledger[self.ledger["AUGDT"].isna()].reset_index(drop=True)

    @staticmethod
    def clear_cache() -> None:
        """Forget the generated facts kept for the last two (seed, size, epoch, months)."""
        facts.cache_clear()

    @classmethod
    def tiny(cls, seed: int = 20261123, as_of: date | None = None) -> World:
        """A 12-customer world that builds in well under a second, for other modules' tests."""
        return cls(seed, "tiny", as_of)
