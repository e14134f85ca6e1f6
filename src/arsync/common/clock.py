"""The one time zone of every date and time arsync derives.

Today, the default as-of date and SAP key date, the time a portal row was read (``fetched_at``),
the run store's times and run ids, the calendar day of an epoch stamp or a zoned time read from a
file or a portal, and so the age of a status: all are wall time in one zone, ``runs.timezone``
(``Asia/Shanghai`` by default).  The host's own zone never matters: a server on UTC at 20:00 is
already tomorrow in Shanghai, and a STALE item read at 04:00 Shanghai time must not come out
one day old before it was read.

Times are kept naive (no tzinfo), as wall time in that zone: that is what the frames hold
(``datetime`` columns, see :mod:`arsync.common.schema`) and what people read.

The zone is set once per process (:func:`use`: the CLI and every pipeline run do it from the
settings); code that has the settings at hand may also name it (``now(zone_name)``).
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"

_zone: tzinfo = ZoneInfo(DEFAULT_ZONE)


def zone(name: str | None = None) -> tzinfo:
    """The zone ``name`` (an IANA name such as ``Asia/Shanghai``), or the process's zone.
    Raises ``ValueError`` for a name the time-zone database does not know."""
    if name is None:
        return _zone
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (an IANA name, e.g. Asia/Shanghai)") from exc


def use(name: str) -> None:
    """Make ``name`` the process's zone (from ``runs.timezone``)."""
    global _zone
    _zone = zone(name)


def now(name: str | None = None) -> datetime:
    """The wall time now in the zone, naive, to the second."""
    return datetime.now(zone(name)).replace(tzinfo=None, microsecond=0)


def today(name: str | None = None) -> date:
    """Today's date in the zone."""
    return datetime.now(zone(name)).date()


def wall(at: datetime | float, name: str | None = None) -> datetime:
    """An aware datetime or an epoch second as naive wall time in the zone."""
    aware = datetime.fromtimestamp(at, zone(name)) if isinstance(at, (int, float)) else at
    return aware.astimezone(zone(name)).replace(tzinfo=None)
