"""Working days in mainland China: Monday to Friday less the statutory public holidays.

Public-sector buyers do not approve or pay on weekends or during the holidays; Spring Festival
and National Day are week-long breaks that visibly stall the portals.  The payment-date estimate
(:mod:`arsync.jobs.engine.paydate`) and the sandbox world use this one calendar.  Make-up
working weekends (调休) are ignored: numpy's business-day calendar has a fixed weekmask.
Sources: the State Council's published schedules for 2025 and 2026 (国务院办公厅关于部分节假日
安排的通知); other years from the lunar new year's day and the fixed holidays.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: Lunar New Year's Day (春节), 2020-2035; the official break runs from the eve for about a week.
_SPRING_FESTIVAL = {
    2020: "2020-01-25",
    2021: "2021-02-12",
    2022: "2022-02-01",
    2023: "2023-01-22",
    2024: "2024-02-10",
    2025: "2025-01-29",
    2026: "2026-02-17",
    2027: "2027-02-06",
    2028: "2028-01-26",
    2029: "2029-02-13",
    2030: "2030-02-03",
    2031: "2031-01-23",
    2032: "2032-02-11",
    2033: "2033-01-31",
    2034: "2034-02-19",
    2035: "2035-02-08",
}

#: Published schedules where they are known (2025, 2026): (first day, days).
_PUBLISHED = {
    2025: [
        ("2025-01-01", 1),
        ("2025-01-28", 8),
        ("2025-04-04", 3),
        ("2025-05-01", 5),
        ("2025-05-31", 3),
        ("2025-10-01", 8),
    ],
    2026: [
        ("2026-01-01", 3),
        ("2026-02-15", 9),
        ("2026-04-04", 3),
        ("2026-05-01", 5),
        ("2026-06-19", 3),
        ("2026-09-25", 3),
        ("2026-10-01", 7),
    ],
}


def _year_holidays(year: int) -> list[np.datetime64]:
    if year in _PUBLISHED:
        spans = _PUBLISHED[year]
    else:
        sf = np.datetime64(_SPRING_FESTIVAL[year], "D") - 1
        spans = [(f"{year}-01-01", 1), (str(sf), 8), (f"{year}-05-01", 5), (f"{year}-10-01", 7)]
    out: list[np.datetime64] = []
    for first, n in spans:
        d0 = np.datetime64(first, "D")
        out.extend(d0 + np.arange(n))
    return out


@lru_cache(maxsize=1)
def calendar() -> np.busdaycalendar:
    """Mon-Fri minus the Chinese public holidays of 2020-2035."""
    days: list[np.datetime64] = []
    for y in _SPRING_FESTIVAL:
        days.extend(_year_holidays(y))
    return np.busdaycalendar(weekmask="1111100", holidays=np.array(days, dtype="datetime64[D]"))


def roll_workday(dates: np.ndarray) -> np.ndarray:
    """The first working day on or after each date (datetime64[D]; NaT stays NaT)."""
    return np.busday_offset(
        np.asarray(dates, dtype="datetime64[D]"), 0, roll="forward", busdaycal=calendar()
    )
