"""What a collector has typed in their workbook, read back as plain values per item and field.

The worksheet is an input too: at every refresh the pipeline reads these entries and records
what changed in the run store's contact history.  The entries are exactly what the next
refresh carries over (the carry-over rules of :mod:`arsync.reports._carry`: the sheet wins,
the hidden ``_history`` sheet fills in for a deleted row or column), so history and worksheet
never disagree.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd

from arsync.common import clock
from arsync.reports import _atomic
from arsync.reports import _formulas as F
from arsync.reports import labels as L
from arsync.reports._carry import merge
from arsync.reports._read import Formula, read_book

ENTRY_COLUMNS = ["item_key", "customer", "field", "value"]


def read_entries(path: str | Path) -> pd.DataFrame | None:
    """The collector entries in workbook ``path``: one row per item key and non-empty field.

    Columns: ``item_key`` (``company|year|document|line``), ``customer`` (as the row shows it,
    '' when the row is gone), ``field`` (a collector field id of :data:`labels.CARRIED`, or
    ``x:<header>`` for a column the collector added) and ``value`` as text (dates ISO,
    numbers as typed without a trailing ``.0``, a formula as ``=...``).  ``None`` when there
    is no workbook; an unreadable one raises :class:`~arsync.common.errors.DataError`.
    """
    p = Path(path)
    if not p.exists():
        return None
    book = read_book(p.read_bytes(), str(p))
    plan = merge(book, [], as_of=clock.today(), cleared={}, owners={}, language="en")
    customers = {r.key: r.values.get("customer") for r in plan.closed_rows if r.key}
    rows = []
    for key, entries in plan.history.items():
        for field, value in entries.items():
            if field.startswith(L.COMMENT):
                continue
            text = as_text(value)
            if text != "":
                rows.append((key, _text_id(customers.get(key)), field, text))
    return pd.DataFrame(rows, columns=ENTRY_COLUMNS).sort_values(
        ENTRY_COLUMNS[:3], ignore_index=True
    )


def read_all_entries(folder: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """Entries of every collector workbook of ours in ``folder`` (the worksheets folder): the
    frame of :func:`read_entries` with a ``collector`` column first, and the collectors whose
    workbook was read.  A workbook that cannot be read raises
    :class:`~arsync.common.errors.DataError` naming it."""
    frames, read = [], []
    folder = Path(folder)
    for collector in _atomic.existing_collectors(folder) if folder.is_dir() else []:
        df = read_entries(folder / f"{_atomic.safe_name(collector)}.xlsx")
        if df is None:
            continue
        read.append(collector)
        frames.append(df.assign(collector=collector))
    cols = ["collector", *ENTRY_COLUMNS]
    out = pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
    return out.astype(object), read


def as_text(v: object) -> str:
    """A cell value as the text the history keeps."""
    if v is None:
        return ""
    if isinstance(v, Formula):
        return v.text if v.text.startswith("=") else "=" + v.text
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat(" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, (int, Decimal)):
        return str(v)
    return str(v).strip()


def formula_value(text: str, fields: dict[str, Decimal]) -> Decimal | None:
    """The value of a formula entry (``=⟦amount⟧*0.5``, as :func:`read_entries` gives a formula
    that refers to its own row) when it is arithmetic over ``fields`` (field id → value, e.g.
    the item's amount in major units); ``None`` when arsync cannot compute it."""
    return F.evaluate(text, fields)


def formula_shown(text: str) -> str:
    """A formula entry as a person reads it (``=⟦amount⟧*0.5`` → ``=[amount]*0.5``)."""
    return F.shown(text)


def _text_id(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    s = str(v).strip()
    return s.zfill(10) if s.isdigit() else s
