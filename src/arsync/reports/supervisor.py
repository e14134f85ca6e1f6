"""The supervisor's report: ``supervisor.xlsx`` (native Excel charts) and a one-page
``supervisor.html`` with PNG charts, in ``reports.language`` (zh / en / both).

The figures are computed before (:mod:`arsync.jobs.pipeline.supervision`, with the engine's
measures); this module only lays them out.  Charts: XlsxWriter's native charts in the workbook
(they stay live when the supervisor filters or copies the data) and matplotlib PNGs in the page
(a browser shows and prints them as they are).  Money is shown in the currency's major unit.
Every file is written to a temporary name and moved into place with the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

import pandas as pd

from arsync.common.money import decimals

TEAM = ""


@dataclass
class SupervisorData:
    """What the report shows.  ``figures``: ``scope, currency, measure, current, previous``
    (money in minor units); ``trend``: the run store's snapshots (``run_id, as_of, scope,
    currency, measure, value``); ``top``: top overdue customers."""

    as_of: date
    period: str
    start: date
    previous_start: date
    figures: pd.DataFrame
    trend: pd.DataFrame
    top: pd.DataFrame
    aging_labels: list[str]
    notes: list[str] = field(default_factory=list)
    run_id: str = ""
    language: str = "both"

    @cached_property
    def currencies(self) -> list[str]:
        """Currencies by team AR, largest first (the first is the report's main currency)."""
        f = self.figures
        ar = f[(f["scope"] == TEAM) & (f["measure"] == "ar")].set_index("currency")["current"]
        cur = sorted(set(f["currency"]))
        return sorted(cur, key=lambda c: (-float(ar.get(c, 0) or 0), c))

    @property
    def main_currency(self) -> str:
        return self.currencies[0] if self.currencies else "CNY"

    @property
    def collectors(self) -> list[str]:
        return sorted(s for s in set(self.figures["scope"]) if s != TEAM)

    def value(
        self, measure: str, scope: str = TEAM, currency: str | None = None, which: str = "current"
    ) -> float | None:
        row = self._rows.get((scope, currency or self.main_currency, measure))
        if row is None:
            return None
        v = row[which]
        return None if pd.isna(v) else float(v)

    @cached_property
    def _rows(self) -> dict[tuple[str, str, str], dict]:
        """The figures by scope, currency and measure (the first row of each): the writers ask
        for about a thousand values, and a filter over the whole frame for each was most of
        their time."""
        out: dict[tuple[str, str, str], dict] = {}
        for rec in self.figures.to_dict("records"):
            out.setdefault((rec["scope"], rec["currency"], rec["measure"]), rec)
        return out

    def major(self, minor: float | None, currency: str | None = None) -> float | None:
        """Minor units → the currency's major unit (a number)."""
        if minor is None:
            return None
        return minor / 10 ** decimals(currency or self.main_currency)


def write_supervisor(data: SupervisorData, out_dir: Path) -> dict[str, Path]:
    """``supervisor.xlsx``, ``supervisor.html`` and ``supervisor_charts/*.png`` in ``out_dir``."""
    from arsync.reports import _supervisor_charts, _supervisor_html, _supervisor_xlsx
    from arsync.reports.export import _commit, _staged

    out_dir.mkdir(parents=True, exist_ok=True)
    charts_dir = out_dir / "supervisor_charts"
    charts_dir.mkdir(exist_ok=True)
    pngs = _supervisor_charts.draw(data, charts_dir)
    staged = {}
    xlsx = out_dir / "supervisor.xlsx"
    html = out_dir / "supervisor.html"
    try:
        staged[xlsx] = _staged(xlsx, lambda tmp: _supervisor_xlsx.write(data, tmp))
        staged[html] = _staged(
            html,
            lambda tmp: _supervisor_html.write(
                data, tmp, {k: f"supervisor_charts/{p.name}" for k, p in pngs.items()}
            ),
        )
    except BaseException:
        for tmp in staged.values():
            Path(tmp).unlink(missing_ok=True)
        raise
    _commit(staged)
    return {
        "supervisor.xlsx": xlsx,
        "supervisor.html": html,
        **{f"{k}.png": p for k, p in pngs.items()},
    }
