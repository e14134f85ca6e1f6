"""Kaplan–Meier survival curves of durations in days, with conditional quantiles.

A days-to-pay sample is censored: an invoice still open after 120 days says only "more than 120".
Dropping such items makes payers look faster than they are; the Kaplan–Meier product-limit
estimator (Kaplan & Meier, 1958) uses them as at risk until their age.  Given that an item has
already waited ``e`` days, what is left of the curve after ``e`` is its distribution:
``P(T > t | T > e) = S(t) / S(e)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Survival:
    """``S(t) = P(T > t)`` as a step function: after ``times[i]`` it is ``surv[i]``."""

    times: np.ndarray  # event times, ascending, float days
    surv: np.ndarray  # S just after each event time
    n: int  # observations (events and censored)
    events: int

    @classmethod
    def fit(cls, durations: np.ndarray, observed: np.ndarray) -> Survival:
        """The product-limit estimate from ``durations`` (days, ≥ 0) and whether each ended
        (``observed``) or was censored at that duration."""
        d = np.asarray(durations, dtype=float)
        e = np.asarray(observed, dtype=bool)
        keep = ~np.isnan(d)
        d, e = d[keep], e[keep]
        if len(d) == 0:
            return cls(np.zeros(0), np.zeros(0), 0, 0)
        times, inverse = np.unique(d, return_inverse=True)
        all_at = np.bincount(inverse, minlength=len(times))
        ev_at = np.bincount(inverse, weights=e.astype(float), minlength=len(times))
        at_risk = len(d) - np.concatenate(([0], np.cumsum(all_at)[:-1]))
        has = ev_at > 0
        factor = 1.0 - ev_at[has] / at_risk[has]
        return cls(times[has], np.cumprod(factor), len(d), int(e.sum()))

    def at(self, t: float) -> float:
        """``S(t)``: the share still waiting after ``t`` days."""
        i = int(np.searchsorted(self.times, t, side="right"))
        return 1.0 if i == 0 else float(self.surv[i - 1])

    @property
    def floor(self) -> float:
        """The share that never ended within the history: the curve's last value (items that
        will never be paid — disputed, stuck — keep it above 0)."""
        return float(self.surv[-1]) if len(self.surv) else 1.0

    def quantile_after(self, elapsed: float, q: float = 0.5, cured: bool = True) -> float | None:
        """The duration by which a share ``q`` of the items still waiting after ``elapsed`` days
        has ended: the smallest event time ``t > elapsed`` with ``S(t) ≤ (1 − q)·S(elapsed)``.
        With ``cured`` the share that never ends (:attr:`floor`) is set apart first — among
        the items that do end (a cure model) — so an old item is not given the never-payers'
        endless wait.  ``None`` when the curve (the history) does not reach that far."""
        low = self.floor if cured else 0.0
        base = self.at(elapsed) - low
        if base <= 1e-12:
            return None
        target = low + (1.0 - q) * base
        after = self.times > elapsed
        ok = np.flatnonzero(after & (self.surv <= target + 1e-12))
        return float(self.times[ok[0]]) if len(ok) else None

    def between(self, elapsed: float, lo: float, hi: float) -> float:
        """``P(lo < T ≤ hi | T > elapsed)``."""
        base = self.at(elapsed)
        if base <= 0:
            return 0.0
        lo = max(lo, elapsed)
        if hi <= lo:
            return 0.0
        return max(0.0, (self.at(lo) - self.at(hi)) / base)
