"""Entries typed into a ``<collector>.new-<time>.xlsx`` file go back into the workbook.

When the workbook was held open, the refresh was written beside it; a collector may well
type into that file.  Its hidden ``_history`` sheet holds the entries as the refresh wrote
them, so what differs on its sheets was typed there since: a three-way merge per item and
field, with the ``.new`` file's edit winning over the workbook's (it is the newer file).
"""

from __future__ import annotations

from arsync.reports import labels as L
from arsync.reports._read import OldBook, Row, as_date


def typed_since_written(book: OldBook) -> dict[str, dict[str, object]]:
    """Per item key, the collector fields whose value on the sheet differs from the value the
    refresh wrote (``_history``); ``None`` means the collector emptied the cell.  Entries the
    refresh itself took from an earlier file written beside (marked pending) count as typed:
    that earlier file is gone, and the workbook does not have them yet."""
    edits: dict[str, dict[str, object]] = {}
    seen = set()
    for row in book.open_rows + book.closed_rows:
        key = row.key or ""
        written = book.history.get(key, {})
        for f in row.present:
            if not _carried(f, book):
                continue
            seen.add((key, f))
            now, then = row.values.get(f), written.get(f)
            if _same(now, then) and (key, f) not in book.pending:
                continue
            edits.setdefault(key, {})[f] = now
    for key, f in book.pending - seen:  # pending, and its row or column gone from the sheet
        if f in book.history.get(key, {}):
            edits.setdefault(key, {})[f] = book.history[key][f]
    return edits


def overlay(base: OldBook, newer: OldBook) -> int:
    """Apply what was typed into ``newer`` (a file written beside) onto ``base``; the count of
    fields taken over.  Own rows and added columns of ``newer`` are added when new."""
    n = 0
    rows = {r.key: r for r in base.open_rows + base.closed_rows}
    for key, fields in typed_since_written(newer).items():
        row = rows.get(key)
        for f, v in fields.items():
            n += 1
            base.pending.add((key, f))
            if row is not None:
                if v is None:
                    row.values.pop(f, None)
                else:
                    row.values[f] = v
                row.present = row.present | {f}
            else:  # the row is gone from the workbook: its history restores it
                hist = base.history.setdefault(key, {})
                if v is None:
                    hist.pop(f, None)
                else:
                    hist[f] = v
    for mine, theirs in ((base.own_open, newer.own_open), (base.own_closed, newer.own_closed)):
        known = [_own_values(r) for r in mine]
        for r in theirs:
            if _own_values(r) not in known:
                mine.append(r)
                known.append(_own_values(r))
                n += 1
    for x in newer.extras:
        if x not in base.extras:
            base.extras.append(x)
    titles = {t for t, _ in base.user_sheets}
    base.user_sheets.extend((t, c) for t, c in newer.user_sheets if t not in titles)
    return n


def _carried(f: str, book: OldBook) -> bool:
    base = f.removeprefix(L.COMMENT)
    return base in L.CARRIED or base in book.extras or (f.startswith(L.COMMENT) and base in L.BY_ID)


def _same(a: object, b: object) -> bool:
    a, b = as_date(a), as_date(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) < 1e-9
    return a == b


def _own_values(r: Row) -> dict[str, object]:
    return {f: as_date(v) for f, v in r.values.items()}
