"""Merge what the collector typed into the new worklist: the carry-over rules, as one pure step.

Per item key and per collector column, the value on the sheet wins (an emptied cell is
a deliberate deletion); when the row or the column is gone from the sheet, the value the
hidden ``_history`` sheet remembers from the last refresh is used.  So a deleted row, a
deleted column or a deleted sheet loses nothing, and an entry only ever follows its key.
Items that left the open list move to Closed with their entries; items that came back
move back to Open.  Rows without a key (the collector's own) stay on their sheet.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from arsync.reports import labels as L
from arsync.reports._read import Formula, OldBook, Row, as_date, split_key
from arsync.reports._system import changed, norm_equal

DUPLICATE = L.EXTRA + "duplicate of"


@dataclass
class Plan:
    open_rows: list[Row]
    closed_rows: list[Row]
    own_open: list[Row]
    own_closed: list[Row]
    extras: list[str]
    hidden: set[str]
    history: dict[str, dict[str, object]]
    moved: int = 0
    reopened: int = 0
    restored: int = 0
    user_sheets: list = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    pending: set[tuple[str, str]] = field(default_factory=set)
    rules: list[tuple[object, str]] = field(default_factory=list)  # (ColumnRule, sheet role)


def merge(
    old: OldBook,
    rows: list[tuple[str, dict[str, object]]],
    *,
    as_of: date,
    cleared: dict[str, tuple[object, str]],
    owners: dict[str, str],
    language: str,
) -> Plan:
    carried = set(L.CARRIED) | set(old.extras)
    carried |= {L.COMMENT + f for f in carried | {f.id for f in L.SYSTEM + L.CLOSED_ONLY}}
    plan = Plan(
        [],
        [],
        list(old.own_open),
        list(old.own_closed),
        list(old.extras),
        set(old.hidden),
        {},
        user_sheets=list(old.user_sheets),
        warnings=list(old.warnings),
        pending=set(old.pending),
        rules=list(zip(old.rules, old.rule_roles)),
    )
    chosen, from_closed = _choose(old, carried, plan)

    def entries(key: str) -> dict[str, object]:
        e = {f: v for f, v in old.history.get(key, {}).items() if f in carried}
        row = chosen.get(key)
        if row is not None:
            for f in carried & row.present:
                if f in row.values:
                    e[f] = row.values[f]
                else:
                    e.pop(f, None)
        return e

    open_keys = set()
    for key, sysvals in rows:
        open_keys.add(key)
        if key not in chosen and old.history.get(key):
            plan.restored += 1
        mine = entries(key)
        row = chosen.get(key)
        if row is not None and key not in from_closed:
            _typed_in_system(old, row, sysvals, mine, language, plan.warnings)
        plan.open_rows.append(_row(key, {**sysvals, **mine}, row))
        if key in from_closed:
            plan.reopened += 1

    def closing(key: str, base: dict[str, object], newly: bool) -> None:
        base = dict(base)
        if newly:
            plan.moved += 1
            base["closed_on"] = as_of
            base["closed_reason"] = _reason(key, cleared, owners, language, base)
        if key in cleared and "clearing_date" not in base:
            day, doc = cleared[key]
            if day is not None:
                base["clearing_date"] = day
            if doc:
                base["clearing_doc"] = doc
        plan.closed_rows.append(_row(key, {**base, **entries(key)}, chosen.get(key)))

    for key, row in chosen.items():
        if key in open_keys:
            continue
        base = {f: v for f, v in row.values.items() if f not in carried and f != L.KEY}
        closing(key, base, newly=key not in from_closed)
    for key in sorted(k for k in old.history if k not in chosen and k not in open_keys):
        if entries(key):
            base = {**split_key(key), "_deleted": True}
            closing(key, base, newly=True)
            plan.warnings.append(
                f"item {key}: its row was deleted; its entries were kept on Closed"
            )
    plan.closed_rows.sort(key=lambda r: (_sortable(r.values.get("closed_on")), r.key), reverse=True)
    for r in plan.open_rows + plan.closed_rows:
        e = {f: v for f, v in r.values.items() if f in carried}
        if e:
            plan.history[_key(r)] = e
    plan.extras = [x for x in plan.extras if x != DUPLICATE] + (
        [DUPLICATE] if any(DUPLICATE in r.values for r in plan.own_open + plan.own_closed) else []
    )
    return plan


def _choose(old: OldBook, carried: set[str], plan: Plan) -> tuple[dict[str, Row], set[str]]:
    """One row per key; a duplicated row whose entries differ is kept as an own row."""
    groups: dict[str, list[tuple[bool, Row]]] = defaultdict(list)
    for r in old.open_rows:
        groups[_key(r)].append((False, r))
    for r in old.closed_rows:
        groups[_key(r)].append((True, r))
    chosen: dict[str, Row] = {}
    from_closed: set[str] = set()
    for key, group in groups.items():

        def n(item: tuple[bool, Row]) -> int:
            return sum(1 for f in item[1].values if f in carried)

        best = max(group, key=n)  # first of the fullest: open rows come first
        chosen[key] = best[1]
        if best[0]:
            from_closed.add(key)
        mine = _entries_of(best[1], carried)
        for closed, r in group:
            theirs = _entries_of(r, carried)
            if r is best[1] or not theirs or theirs == mine:
                continue
            values = {f: v for f, v in r.values.items() if f != L.KEY and f not in L.KEY_FIELDS}
            values[DUPLICATE] = key
            (plan.own_closed if closed else plan.own_open).append(
                Row(None, values, r.present, r.sheet)
            )
            plan.warnings.append(
                f"item {key} appears twice on {r.sheet!r}; the second copy is kept as an own row"
            )
    return chosen, from_closed


def _key(r: Row) -> str:
    """The item key of a row on the open or closed list (rows without one are own rows)."""
    assert r.key is not None, r.values
    return r.key


def _entries_of(r: Row, carried: set[str]) -> dict[str, object]:
    return {f: v for f, v in r.values.items() if f in carried}


def _row(key: str, values: dict[str, object], was: Row | None = None) -> Row:
    """The item's row as it will be written; the collector's formatting comes along."""
    return Row(key, {**values, L.KEY: key}, styles=dict(was.styles) if was is not None else {})


def _typed_in_system(
    old: OldBook,
    row: Row,
    sysvals: dict[str, object],
    entries: dict[str, object],
    language: str,
    warnings: list[str],
) -> None:
    """Text the collector typed over a system cell (rewritten at every refresh) goes into the
    item's notes with a marker saying where it was typed, and a warning names the cell.

    Sheet protection would stop the typing instead, but a protected sheet can be sorted only
    where every cell is unlocked, and no rows or columns of one's own can be added: the
    collector's work with the sheet matters more than the lock."""
    written = old.fingerprints.get(row.key or "")
    if not written or not old.fingerprint_fields:
        return
    for fid in changed(row.values, old.fingerprint_fields, written):
        typed = row.values.get(fid)
        if typed is None or typed == "" or norm_equal(typed, sysvals.get(fid)):
            continue  # emptied (it comes back), or typed what the refresh writes anyway
        text = typed.text if isinstance(typed, Formula) else typed
        head = L.header(fid, language)
        mark = L.text(f"〔写在「{head}」栏〕", f"[typed in {head}] ", language)
        if language == "both":
            mark = f"〔写在「{head}」栏 typed in {head}〕"
        moved = f"{mark}{text}"
        notes = entries.get("notes")
        if isinstance(notes, str) and moved in notes:
            continue  # carried already (a refresh written beside, then merged back)
        prior = notes.text if isinstance(notes, Formula) else notes
        entries["notes"] = moved if prior in (None, "") else f"{prior}\n{moved}"
        warnings.append(
            f"{row.cell(fid)} (item {row.key}): {text!r} typed in the system column "
            f"{head!r} was moved into the notes (system columns are rewritten at every refresh)"
        )


def _reason(key: str, cleared: dict, owners: dict[str, str], language: str, base: dict) -> str:
    if base.pop("_deleted", False) and key not in cleared:
        return L.text("行已删除，记录保留", "row deleted, entries kept", language)
    if key in cleared:
        return L.text("已清账", "cleared", language)
    if key in owners:
        return L.text(f"转给 {owners[key]}", f"reassigned to {owners[key]}", language)
    return L.text("不再未清", "no longer open", language)


def _sortable(v: object) -> str:
    v = as_date(v)
    if isinstance(v, date):
        return v.isoformat()
    return "" if v is None or isinstance(v, Formula) else str(v)
