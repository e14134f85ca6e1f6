"""What a collection plan holds (made by :mod:`arsync.jobs.pipeline.plan`, written by
:mod:`arsync.reports.plan_book`), and the plan's columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

__all__ = ["PlanData", "buckets"]


def buckets(first: date, last: date, kind: str) -> list[tuple[date, date]]:
    """The plan's columns: each day of a week plan, 7-day weeks of a month plan (the last one
    shorter)."""
    step = 1 if kind == "week" else 7
    out, d = [], first
    while d <= last:
        e = min(d + timedelta(days=step - 1), last)
        out.append((d, e))
        d = e + timedelta(days=1)
    return out


@dataclass
class PlanData:
    """A plan: ``items`` (every open debit item with its estimate: ``KEY + customer, name,
    collector, segment, currency, amount`` (minor units), ``expected_date, source, basis,
    confidence, probability, in_plan, finding``), ``targets`` (collector → minor units) and the
    items to work first (``work``)."""

    plan_id: str
    kind: str
    as_of: date
    first: date
    last: date
    items: pd.DataFrame
    targets: dict[str, int]
    currency: str
    run_id: str = ""
    language: str = "both"
    actual: pd.DataFrame | None = None  # the previous plan against actual
    work: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def planned(self) -> pd.DataFrame:
        return self.items[self.items["in_plan"]]
