"""State kept across runs survives kills, damage and narrowed runs: written whole or not at all,
a damaged file set aside with its path named, and an on-demand run that merges its portal
records into the last known ones instead of replacing them (issue 10, faults 4 and 6)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

import arsync.connectors.portals as portals_pkg
from arsync.common.frames import PORTAL_RECORDS
from arsync.config import load_settings
from arsync.connectors.portals import load_definitions
from arsync.connectors.portals.runner import Outcome, PortalFetch
from arsync.jobs.pipeline import stages as st
from arsync.jobs.pipeline.run import StageFailed, run
from arsync.jobs.pipeline.sources import FileSource, PortalSource, Scope, Sources
from arsync.reports.export import write_frames
from arsync.sandbox.world import World
from arsync.sandbox.world_frames import world_frames

AS_OF = date(2026, 11, 23)
A, B = "0000100001", "0000100002"


def record(portal: str, rid: str, customer: str, status: str = "UNDER_REVIEW") -> dict:
    blank = {c.name: ("" if c.kind == "str" else None) for c in PORTAL_RECORDS.columns}
    return blank | {
        "portal": portal,
        "account": "acc1",
        "record_id": rid,
        "buyer": "buyer",
        "customer": customer,
        "invoice_no": f"INV{rid}",
        "amount": 100_00,
        "currency": "CNY",
        "status": status,
        "status_text": "审核中",
        "fetched_at": datetime(2026, 11, 22, 3, 0),
    }


def records(*rows: dict) -> pd.DataFrame:
    return PORTAL_RECORDS.coerce(pd.DataFrame(list(rows)))


def open_items(*customers: str) -> pd.DataFrame:
    frames = world_frames(World.tiny(as_of=AS_OF))
    oi = frames["open_items"].head(len(customers)).copy()
    oi["customer"] = list(customers)
    return oi


def context(
    tmp_path: Path,
    scope: Scope,
    fresh: pd.DataFrame,
    monkeypatch,
    *,
    down: tuple[str, ...] = (),
    items: tuple[str, ...] = (),
) -> st.StageContext:
    """A portal stage over bound declarations whose fetch returns ``fresh`` (no browser); the
    portals in ``down`` fail; ``items`` are the customers with open items (default: the scope's
    customers, or both)."""
    defs = load_definitions()
    chosen = tuple(defs[i] for i in ("gov-gd", "uni-bj"))
    source = PortalSource(chosen, {A: ("gov-gd", "uni-bj"), B: ("gov-gd", "uni-bj")})
    sources = Sources(as_of=AS_OF, scope=scope, portals=source)

    def fake_fetch(settings, portals, **kw):
        return PortalFetch(
            fresh,
            [Outcome(p.id, "acc1", "failed" if p.id in down else "ok") for p in portals],
        )

    monkeypatch.setattr(portals_pkg, "fetch", fake_fetch)
    folder = tmp_path / "runs" / "r1"
    folder.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    ctx = st.StageContext(
        settings=load_settings(environ={}),
        sources=sources,
        folder=folder,
        out=tmp_path,
        echo=lambda line, **_: lines.append(line),
    )
    ctx.frames["open_items"] = open_items(*(items or scope.customer_keys or (A, B)))
    ctx.frames["customers"] = pd.DataFrame({"customer": [A, B], "collector": ["C1", "C2"]})
    ctx.lines = lines  # type: ignore[attr-defined]
    return ctx


def state_of(tmp_path: Path) -> pd.DataFrame:
    df = pd.read_parquet(tmp_path / "state" / "portal_records.parquet")
    return df.sort_values(["portal", "record_id"]).reset_index(drop=True)


def test_a_narrowed_run_keeps_the_records_outside_its_scope(tmp_path, monkeypatch):
    before = records(
        record("uni-bj", "1", A),
        record("uni-bj", "2", B),
        record("uni-bj", "3", B),
        record("gov-gd", "4", B),
    )
    (tmp_path / "state").mkdir()
    before.to_parquet(tmp_path / "state" / "portal_records.parquet", index=False)
    # The search portal was searched for A's invoices only; it found A's record, now paid.
    fresh = records(record("uni-bj", "1", A, "PAID"), record("gov-gd", "4", B, "PAID"))
    ctx = context(tmp_path, Scope(customers=("100001",)), fresh, monkeypatch)
    st.stage_portals(ctx)
    after = state_of(tmp_path)
    assert list(after["record_id"]) == ["4", "1", "2", "3"]
    assert after.set_index("record_id")["status"].to_dict() == {
        "1": "PAID",  # what the narrowed run read replaces what was known
        "2": "UNDER_REVIEW",  # B's records, outside the scope, are kept as they were
        "3": "UNDER_REVIEW",
        "4": "PAID",  # a record found again is updated, whoever's it is
    }


def test_after_one_collectors_run_a_night_with_the_portal_down_keeps_everyones_last_status(
    tmp_path, monkeypatch
):
    # the nightly knew uni-bj's records of both collectors' customers (A: C1, B: C2)
    (tmp_path / "state").mkdir()
    records(
        record("uni-bj", "1", A), record("uni-bj", "2", B), record("uni-bj", "3", B)
    ).to_parquet(tmp_path / "state" / "portal_records.parquet", index=False)
    # `reconcile --collector C1`: the search portal is searched for C1's invoices only
    ctx = context(
        tmp_path,
        Scope(collectors=("C1",)),
        records(record("uni-bj", "1", A, "PAID")),
        monkeypatch,
        items=(A,),
    )
    st.stage_portals(ctx)
    assert list(state_of(tmp_path)["record_id"]) == ["1", "2", "3"]  # not C1's subset only

    # the next nightly cannot read uni-bj: every customer's items keep their last known status
    night = context(tmp_path, Scope(), PORTAL_RECORDS.empty(), monkeypatch, down=("uni-bj",))
    counts, status = st.stage_portals(night)
    assert status == "partial" and counts["portal_records"] == 3
    shown = night.frames["portal_records"].set_index("record_id")
    assert shown.loc[["1", "2", "3"], "customer"].tolist() == [A, B, B]
    assert shown["status"].to_dict() == {"1": "PAID", "2": "UNDER_REVIEW", "3": "UNDER_REVIEW"}
    assert night.stale_portals == {"uni-bj": pd.Timestamp(2026, 11, 22, 3, 0)}
    assert list(state_of(tmp_path)["record_id"]) == [
        "1",
        "2",
        "3",
    ]  # a failed portal forgets nothing


def test_a_full_run_replaces_what_it_read(tmp_path, monkeypatch):
    (tmp_path / "state").mkdir()
    records(record("uni-bj", "1", A), record("uni-bj", "2", B)).to_parquet(
        tmp_path / "state" / "portal_records.parquet", index=False
    )
    ctx = context(tmp_path, Scope(), records(record("uni-bj", "1", A, "PAID")), monkeypatch)
    st.stage_portals(ctx)
    assert list(state_of(tmp_path)["record_id"]) == ["1"]  # record 2 is gone from the portal


def test_a_state_file_cut_short_is_set_aside_and_the_run_goes_on(tmp_path, monkeypatch):
    state = tmp_path / "state" / "portal_records.parquet"
    state.parent.mkdir()
    records(record("uni-bj", "1", A)).to_parquet(state, index=False)
    whole = state.read_bytes()
    state.write_bytes(whole[: len(whole) // 2])  # what a kill mid-write used to leave
    ctx = context(tmp_path, Scope(), records(record("gov-gd", "4", B)), monkeypatch)

    counts, status = st.stage_portals(ctx)

    assert status == "ok" and counts["portal_records"] == 1
    aside = list(state.parent.glob("portal_records.parquet.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == whole[: len(whole) // 2]
    warning = next(line for line in ctx.lines if "cannot be read" in line)
    assert str(state) in warning and str(aside[0]) in warning
    assert ctx.summary["state_warnings"] == [warning.split("WARNING ", 1)[1]]
    assert list(state_of(tmp_path)["record_id"]) == ["4"]  # a good state again


class Killed(BaseException):
    """What a kill -9 or a full disk does to a write half-way (BaseException: nothing catches it)."""


def half_then_die(self, path, *a, **kw):
    data = self.head(len(self)).to_json().encode()
    Path(path).write_bytes(data[: len(data) // 2])
    raise Killed


def test_a_write_killed_half_way_leaves_the_last_state_whole(tmp_path, monkeypatch):
    state = tmp_path / "state" / "portal_records.parquet"
    state.parent.mkdir()
    records(record("uni-bj", "1", A)).to_parquet(state, index=False)
    whole = state.read_bytes()
    ctx = context(tmp_path, Scope(), records(record("gov-gd", "4", B)), monkeypatch)
    monkeypatch.setattr(pd.DataFrame, "to_parquet", half_then_die)
    with pytest.raises(Killed):
        st.stage_portals(ctx)
    monkeypatch.undo()
    assert state.read_bytes() == whole
    assert sorted(p.name for p in state.parent.iterdir()) == ["portal_records.parquet"]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    frames = world_frames(World.tiny(as_of=AS_OF))
    d = tmp_path_factory.mktemp("in")
    write_frames({k: frames[k] for k in ("open_items", "customers", "portal_records")}, d, "csv")
    return d


def test_a_stage_output_that_cannot_be_read_back_is_made_again_on_resume(inputs, tmp_path):
    s = load_settings(environ={}, overrides={"runs.out_dir": str(tmp_path)})
    files = FileSource(inputs)
    with pytest.raises(StageFailed, match="simulated crash"):
        run(s, kind="files", files=files, as_of=AS_OF, echo=lambda _: None, fail_after="reconcile")
    (folder,) = (tmp_path / "runs").iterdir()
    worklist = folder / "reconcile" / "worklist.parquet"
    reference = pd.read_parquet(worklist)
    worklist.write_bytes(worklist.read_bytes()[:100])

    lines: list[str] = []
    res = run(s, kind="files", files=files, resume=True, echo=lines.append)

    assert res.status == "ok"
    assert any(str(worklist) in line and "running the stage again" in line for line in lines)
    assert "[files] done earlier; outputs reloaded" in lines
    pd.testing.assert_frame_equal(pd.read_parquet(worklist), reference)
