"""Working days in mainland China, for the world's stage and payment dates.

Public-sector buyers do not approve or pay on weekends or during the statutory holidays;
Spring Festival and National Day are week-long breaks that visibly stall the portals.
Make-up working weekends (调休) are ignored: numpy's business-day calendar has a fixed weekmask.
"""

from __future__ import annotations

import numpy as np

from arsync.common.workdays import calendar

__all__ = ["add_workdays", "calendar", "holidays", "roll_workday", "workdays_between"]


def holidays() -> np.ndarray:
    """The holiday dates (datetime64[D]) the calendar skips."""
    return calendar().holidays


def add_workdays(dates: np.ndarray, n: np.ndarray | int) -> np.ndarray:
    """``dates`` rolled forward to a working day, then ``n`` working days later (NaT stays NaT)."""
    return np.busday_offset(dates.astype("datetime64[D]"), n, roll="forward", busdaycal=calendar())


def roll_workday(dates: np.ndarray) -> np.ndarray:
    """The first working day on or after each date."""
    return add_workdays(dates, 0)


def workdays_between(start: np.datetime64, end: np.datetime64) -> np.ndarray:
    """All working days in ``[start, end)``."""
    days = np.arange(start, end, dtype="datetime64[D]")
    return days[np.is_busday(days, busdaycal=calendar())]
