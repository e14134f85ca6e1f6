"""`arsync reconcile --from-files`: files written by arsync itself (and edited by a person) reconcile
to the same findings as the frames, and bad rows are named, never silently dropped."""

from __future__ import annotations

import csv
from datetime import date

import pandas as pd
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from arsync.config import load_settings
from arsync.jobs.cli.main import cli
from arsync.jobs.engine.reconcile import reconcile
from arsync.jobs.pipeline.run import StageFailed, run
from arsync.jobs.pipeline.runstore import RunStore
from arsync.jobs.pipeline.sources import FileSource
from arsync.reports.export import write_frames
from arsync.sandbox.world import World
from arsync.sandbox.world_frames import world_frames

AS_OF = date(2026, 11, 23)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    frames = world_frames(World.tiny(as_of=AS_OF))
    d = tmp_path_factory.mktemp("in")
    write_frames(
        {k: frames[k] for k in ("open_items", "cleared_items", "customers", "portal_records")},
        d,
        "csv",
    )
    return d, frames


def test_files_reconcile_like_the_frames(inputs, tmp_path):
    d, frames = inputs
    out = tmp_path / "out"
    r = CliRunner().invoke(
        cli, ["reconcile", "--from-files", str(d), "--out", str(out), "--as-of", AS_OF.isoformat()]
    )
    assert r.exit_code == 0, r.output
    expected = reconcile(
        frames["open_items"],
        frames["cleared_items"],
        frames["customers"],
        frames["portal_records"],
        as_of=AS_OF,
    )
    got = pd.read_csv(out / "worklist.csv", dtype=str, keep_default_na=False)
    assert len(got) == len(expected)
    assert sorted(got["finding"]) == sorted(expected["finding"])
    for finding, n in expected["finding"].value_counts().items():
        assert f"{finding}" in r.output and str(n) in r.output
    sheet = CalamineWorkbook.from_path(str(out / "worklist.xlsx")).get_sheet_by_index(0).to_python()
    assert len(sheet) == len(expected) + 1
    assert not (out / "errors.csv").exists()


def test_bad_rows_are_reported_with_file_row_and_column(inputs, tmp_path):
    d, _ = inputs
    bad = tmp_path / "bad"
    bad.mkdir()
    for p in d.iterdir():
        (bad / p.name).write_bytes(p.read_bytes())
    rows = list(csv.reader((bad / "open_items.csv").open(encoding="utf-8-sig")))
    header = rows[0]
    rows[3][header.index("due_date")] = "31.02.2026"
    rows[5][header.index("currency")] = "XXQ"
    with (bad / "open_items.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)

    runner = CliRunner()
    lenient = runner.invoke(
        cli,
        [
            "reconcile",
            "--from-files",
            str(bad),
            "--out",
            str(tmp_path / "o1"),
            "--as-of",
            AS_OF.isoformat(),
        ],
    )
    assert lenient.exit_code == 0, lenient.output
    errors = pd.read_csv(tmp_path / "o1" / "errors.csv", dtype=str, keep_default_na=False)
    assert {"file", "row", "column"} <= set(errors.columns)
    assert set(zip(errors["row"], errors["column"])) >= {("4", "due_date"), ("6", "currency")}
    got = pd.read_csv(tmp_path / "o1" / "worklist.csv", dtype=str)
    assert len(got) == len(rows) - 1 - 2

    strict = runner.invoke(
        cli,
        [
            "reconcile",
            "--from-files",
            str(bad),
            "--out",
            str(tmp_path / "o2"),
            "--as-of",
            AS_OF.isoformat(),
            "--strict",
        ],
    )
    assert strict.exit_code == 1
    assert "open_items.csv" in strict.output and "due_date" in strict.output
    assert "Traceback" not in strict.output
    assert not (tmp_path / "o2" / "worklist.csv").exists()


def test_a_file_run_is_a_run_with_stages_and_resumes_like_a_nightly(
    inputs, tmp_path, store_url, monkeypatch
):
    d, _ = inputs
    out = tmp_path / "out"
    s = load_settings(environ={}, overrides={"runs.out_dir": str(out), "runs.store_url": store_url})
    monkeypatch.setenv("ARSYNC_RUNS__STORE_URL", store_url)  # the CLI's resume below
    files = FileSource(d)
    with pytest.raises(StageFailed, match="simulated crash after stage reconcile"):
        run(s, kind="files", files=files, as_of=AS_OF, echo=lambda _: None, fail_after="reconcile")
    assert not (out / "worklist.csv").exists()

    res = CliRunner().invoke(
        cli, ["reconcile", "--resume", "--out", str(out)], catch_exceptions=False
    )
    assert res.exit_code == 0, res.output
    assert "INFO    [files] done earlier; outputs reloaded\n" in res.output
    assert "INFO    [reconcile] done earlier; outputs reloaded\n" in res.output
    assert (out / "worklist.csv").exists()
    listed = CliRunner().invoke(cli, ["runs", "--out", str(out)])
    assert "files" in listed.output and "ok" in listed.output
    info = RunStore(store_url).recent(5)
    assert len(info) == 1  # resumed, not a second run
    assert [st["stage"] for st in info[0].stages] == ["files", "reconcile", "outputs", "summary"]


def test_a_file_run_narrows_to_a_collector_and_refreshes_worksheets_when_asked(inputs, tmp_path):
    d, frames = inputs
    collector = sorted(set(frames["customers"]["collector"]))[0]
    out = tmp_path / "out"
    r = CliRunner().invoke(
        cli,
        [
            "reconcile",
            "--from-files",
            str(d),
            "--out",
            str(out),
            "--as-of",
            AS_OF.isoformat(),
            "--collector",
            collector,
            "--worksheets",
        ],
    )
    assert r.exit_code == 0, r.output
    got = pd.read_csv(out / "worklist.csv", dtype=str, keep_default_na=False)
    mine = frames["customers"].loc[frames["customers"]["collector"] == collector, "customer"]
    expected = frames["open_items"]["customer"].isin(mine).sum()
    assert set(got["collector"]) == {collector} and len(got) == expected
    assert [p.name for p in (out / "worksheets").glob("*.xlsx")] == [f"{collector}.xlsx"]

    unknown = CliRunner().invoke(
        cli, ["reconcile", "--from-files", str(d), "--out", str(out), "--customer", "4711"]
    )
    # a mistyped customer is the operator's input error (2), not a failed run to resume
    assert unknown.exit_code == 2 and "customer(s) 4711 not found in the files" in unknown.output
