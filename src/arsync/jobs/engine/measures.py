"""The standard AR measures as formulas over plain numbers (collections-kpis.md §1–2).

Money is integer minor units of one currency; days are calendar days; a result is a float in
days or in percent.  Each function states its formula and the source it follows.  The frame
side (which items make up AR on a date, the sales of a window) is in
:mod:`arsync.jobs.engine.portfolio`; these functions only compute.

Worked example of the reference (CNY, Q1 = 90 days; sales Jan 1 000 000 / Feb 800 000 /
Mar 1 200 000, opening AR 1 700 000, ending AR 1 900 000 of which current 1 100 000):
DSO period-end 57.0 d, average-balance 54.0 d, countback 55.5 d; BPDSO 33.0 / 28.4 d;
ADD 24.0 / 27.1 d; CEI 77.8 % (total sales), 50.0 % (CRF, N = 3); percent current 57.9 %.
``tests/test_measures.py`` checks every one of these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """The credit sales of one window of time: ``days`` calendar days, ``sales`` minor units."""

    days: int
    sales: int


@dataclass(frozen=True)
class Countback:
    """A countback result: ``days``; ``complete`` is False when the AR left was more than every
    window's sales (then ``days`` is a lower bound: all the windows' days)."""

    days: float
    complete: bool


def dso_simple(ar: int, sales: int, days: int) -> float | None:
    """DSO by the simple average-sales (period-end) method, in days.

    ``DSO = ending AR ÷ credit sales of the period × days in the period``; it assumes sales were
    flat over the period.  Source: upflow, "DSO calculation formula"; aro2c (reference §1).
    ``None`` when there were no sales (the ratio has no meaning)."""
    if sales <= 0:
        return None
    return ar / sales * days


def dso_average_balance(opening_ar: int, ending_ar: int, sales: int, days: int) -> float | None:
    """DSO on the average balance, in days: ``(opening AR + ending AR) ÷ 2 ÷ sales × days``.

    Source: the reference's "average" variant of the period-end method (§1, [U])."""
    if sales <= 0:
        return None
    return (opening_ar + ending_ar) / 2 / sales * days


def countback(ar: int, windows: Sequence[Window]) -> Countback:
    """DSO by the countback method, in days; ``windows`` newest first.

    From the ending AR, walk back window by window (calendar months): while the AR left is at
    least the window's sales, add its days and subtract its sales; then add
    ``AR left ÷ that window's sales × its days`` and stop.  Follows sales swings where the
    average method does not.  Source: benjipays, "the count-back method explained"; Nestlé's
    group method (highako) (reference §1).  AR of zero or less gives 0 days."""
    left = ar
    total = 0.0
    if left <= 0:
        return Countback(0.0, True)
    for w in windows:
        if w.sales > 0 and left < w.sales:
            return Countback(total + left / w.sales * w.days, True)
        total += w.days
        left -= max(w.sales, 0)
        if left <= 0:
            return Countback(total, True)
    return Countback(total, False)


def best_possible_dso(current_ar: int, sales: int, days: int) -> float | None:
    """Best possible DSO (BPDSO) by the average-sales method: ``current AR ÷ sales × days``.

    The DSO if every customer paid on the due date; the same method as the DSO it is compared
    with, only the numerator changes.  Source: apruve, "best possible DSO"; The Hackett Group,
    "Using DSO to measure receivables, part 2" (reference §2)."""
    return dso_simple(current_ar, sales, days)


def best_possible_countback(current_ar: int, windows: Sequence[Window]) -> Countback:
    """Best possible DSO by countback: :func:`countback` over the current (not yet due) AR.
    Source: as :func:`best_possible_dso` (Hackett: same method, numerator changed)."""
    return countback(current_ar, windows)


def average_days_delinquent(dso: float | None, bpdso: float | None) -> float | None:
    """Average days delinquent (ADD) = DSO − best possible DSO, in days, both by one method.

    A widening gap at a flat DSO is an early warning.  Source: waycalculator, "Average days
    delinquent"; Hackett (reference §2)."""
    if dso is None or bpdso is None:
        return None
    return dso - bpdso


def cei(
    opening_ar: int, sales: int, ending_ar: int, ending_current_ar: int, months: int | None = None
) -> float | None:
    """Collection effectiveness index, in percent.

    ``CEI = (opening AR + credit sales − ending total AR) ÷ (opening AR + credit sales − ending
    current AR) × 100``: what was collected of what could have been.  With ``months`` = N the
    Credit Research Foundation form divides the credit sales by N (monthly sales); without it
    the total-sales form that most vendors use.  Source: Credit Management Association / CRF,
    "Collection effectiveness index"; creditguru; gaviti (reference §2) — the two forms differ
    a lot, so the report names its form.  ``None`` when the denominator is not positive."""
    s = sales / months if months else sales
    denominator = opening_ar + s - ending_current_ar
    if denominator <= 0:
        return None
    return (opening_ar + s - ending_ar) / denominator * 100


def percent_current(current_ar: int, total_ar: int) -> float | None:
    """Percentage current = current (not past due) AR ÷ total AR × 100.

    "Current" in the Credit Research Foundation's sense: not past the net due date.  Source: CRF
    national summary of domestic trade receivables (reference §2).  ``None`` when total AR is not
    positive."""
    if total_ar <= 0:
        return None
    return current_ar / total_ar * 100
