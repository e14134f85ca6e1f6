"""Property: whatever the collector types and does, and however the world moves, every entry
survives on its own item, and no entry ever lands on another item."""

from __future__ import annotations

import os
import random
import tempfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st

from arsync.common.parse import ParseError, parse_amount, parse_date
from arsync.config.settings import ReportSettings
from arsync.reports.worksheets import refresh_worksheets
from test_worksheets_build import AS_OF, columns, entries, item, key, row_of, sheet, worklist

N = 10
FIELDS = ("notes", "contact_person", "promise_amount", "contact_date", "dispute")


def _means_a_date_or_amount(s: str) -> bool:
    """Text the refresh reads as a date or an amount in those columns (test_worksheets_typed
    covers that); the model here keeps text as text."""
    for parse in (parse_amount, lambda t: parse_date(t, year=AS_OF.year)):
        try:
            parse(s)
            return True
        except ParseError:
            pass
    return False


values = st.one_of(
    st.none(),
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8
    ).filter(
        lambda s: (
            s.strip() and not s.startswith(("=", "+", "-", "@")) and not _means_a_date_or_amount(s)
        )
    ),
    st.integers(1, 10**7).map(lambda n: n / 100),
    st.dates(date(2026, 1, 1), date(2027, 12, 31)).map(lambda d: datetime(d.year, d.month, d.day)),
)
edit_step = st.tuples(st.just("edit"), st.integers(0, N - 1), st.sampled_from(FIELDS), values)
sheet_step = st.tuples(
    st.sampled_from(["shuffle", "delete", "hide", "closed_edit"]),
    st.integers(0, N - 1),
    st.sampled_from(FIELDS),
    values,
)
world_step = st.tuples(
    st.just("world"),
    st.sets(st.integers(0, N - 1)),
    st.integers(0, 2**16),
    st.sampled_from(["zh", "en", "both"]),
)
steps = st.lists(st.one_of(edit_step, edit_step, sheet_step, world_step), min_size=2, max_size=9)


def norm(v):
    return v.date() if isinstance(v, datetime) else v


@settings(max_examples=int(os.environ.get("WS_EXAMPLES", 20)))
@given(start=st.sets(st.integers(0, N - 1), min_size=1), plan=steps)
def test_no_entry_is_lost_or_moved(start, plan):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "C1.xlsx"
        open_now = set(start)
        amounts = {n: 100000 + n for n in range(N)}
        typed: dict[str, dict[str, object]] = {}  # the model: what the collector last typed
        seen: dict[str, dict[str, object]] = {}  # ... as the last refresh read it

        def run(language="both"):
            rows = [item(n, amount=amounts[n], local_amount=amounts[n]) for n in sorted(open_now)]
            refresh_worksheets(
                worklist(rows),
                d,
                as_of=AS_OF,
                settings=ReportSettings(language=language, keep_versions=1),
            )
            check()
            seen.clear()
            seen.update({k: dict(e) for k, e in typed.items()})

        def check():
            got_open, got_closed = entries(path, "open"), entries(path, "closed")
            assert not set(got_open) & set(got_closed)
            got = {**got_open, **got_closed}
            want = {k: {f: norm(v) for f, v in e.items()} for k, e in typed.items() if e}
            assert {k: {f: norm(v) for f, v in e.items()} for k, e in got.items()} == want
            for k in want:
                n = int(k.split("|")[2]) - 90000000
                assert (k in got_open) == (n in open_now)

        run()
        for step in plan:
            wb = openpyxl.load_workbook(path)
            kind = step[0]
            if kind == "world":
                _, flips, seed, language = step
                open_now ^= flips
                rng = random.Random(seed)
                for n in rng.sample(range(N), 3):
                    amounts[n] = rng.randint(1, 10**8)
                run(language)
                continue
            role = "closed" if kind == "closed_edit" else "open"
            ws = sheet(wb, role)
            cols = columns(ws)
            _, n, field, value = step
            try:
                r = row_of(ws, key(n))
            except KeyError:
                r = None
            if kind in ("edit", "closed_edit") and r is not None and field in cols:
                ws.cell(r, cols[field]).value = value
                typed.setdefault(key(n), {})
                if value is None:
                    typed[key(n)].pop(field, None)
                else:
                    typed[key(n)][field] = value
            elif kind == "delete" and r is not None:
                ws.delete_rows(r)
                # what was typed on it since the last refresh goes with the row (no one read it)
                typed[key(n)] = dict(seen.get(key(n), {}))
                wb.save(path)
                run()  # a refresh reads the file right after the deletion
                continue
            elif kind == "shuffle":
                data = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
                random.Random(n).shuffle(data)
                for i, vals in enumerate(data, 2):
                    for c, v in enumerate(vals, 1):
                        ws.cell(i, c).value = v
            elif kind == "hide" and field in cols:
                ws.column_dimensions[openpyxl.utils.get_column_letter(cols[field])].hidden = True
            wb.save(path)
        run()
