"""`arsync reconcile --from-files`: files written by arsync itself (and edited by a person) reconcile
to the same findings as the frames, and bad rows are named, never silently dropped."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from arsync.common.frames import STATUSES
from arsync.config import load_settings
from arsync.connectors.files.spec import SPECS
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
    rows[5][header.index("currency")] = "人民币"  # no currency key (XXQ would be: 2 decimals)
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


def _copy(src, dst):
    dst.mkdir()
    for p in src.iterdir():
        (dst / p.name).write_bytes(p.read_bytes())
    return dst


def _files_run(d, out, *extra):
    return CliRunner().invoke(
        cli,
        [
            "reconcile",
            "--from-files",
            str(d),
            "--out",
            str(out),
            "--as-of",
            AS_OF.isoformat(),
            *extra,
        ],
    )


def test_errors_csv_has_a_bom_and_the_summary_counts_rows(inputs, tmp_path):
    d, _ = inputs
    bad = _copy(d, tmp_path / "bad")
    rows = list(csv.reader((bad / "open_items.csv").open(encoding="utf-8-sig")))
    header = rows[0]
    rows[3][header.index("due_date")] = "31.02.2026"
    rows[3][header.index("amount")] = "12x"  # two bad cells, one bad row
    with (bad / "open_items.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    r = _files_run(bad, tmp_path / "out")
    assert r.exit_code == 0, r.output
    assert "1 bad row(s) in the input files left out" in r.output
    raw = (tmp_path / "out" / "errors.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese file names right
    errors = pd.read_csv(tmp_path / "out" / "errors.csv", dtype=str, encoding="utf-8-sig")
    assert list(errors.columns) == ["file", "row", "column", "value", "problem", "outcome"]
    assert set(errors["outcome"]) == {"left out"} and set(errors["row"]) == {"4"}
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_outputs_are_all_written_or_none(inputs, tmp_path, monkeypatch):
    """Issue 10.9: worklist.csv was written, then worklist.xlsx failed."""
    import arsync.reports.worklist_book as book

    d, _ = inputs
    out = tmp_path / "out"
    assert _files_run(d, out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".csv", ".xlsx")}

    def broken(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(book, "write_worklist_xlsx", broken)
    r = _files_run(d, out, "--as-of", "2026-11-30")
    assert r.exit_code == 1 and "No space left on device" in r.output
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".csv", ".xlsx")}
    assert after == before  # the last run's outputs, whole; no new csv beside an old xlsx
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    fresh = tmp_path / "fresh"
    assert _files_run(d, fresh).exit_code == 1
    assert not (fresh / "worklist.csv").exists()


def test_an_unknown_company_code_in_a_file_run_is_an_error(inputs, tmp_path):
    d, _ = inputs
    r = _files_run(d, tmp_path / "out", "--company-code", "9999")
    assert r.exit_code == 2  # the operator's input error, as a mistyped customer
    assert "company code(s) 9999 not in the files (they have 1000, 2000" in r.output


def test_own_outputs_give_the_nightlys_findings(tmp_path, monkeypatch):
    """Issue 8.11: sap pull --out D plus portal records written by arsync's writer must give
    the findings of the frames they came from; customers.csv carries the portals column."""
    from arsync.jobs.pipeline.sources import open_sources

    monkeypatch.setenv("ARSYNC_SANDBOX__SIZE", "small")
    d = tmp_path / "d"
    r = CliRunner().invoke(
        cli, ["sap", "pull", "--key-date", AS_OF.isoformat(), "--out", str(d), "--format", "csv"]
    )
    assert r.exit_code == 0, r.output
    world = World(size="small", as_of=AS_OF)
    records = world_frames(world)["portal_records"]
    write_frames({"portal_records": records}, d, "csv")
    customers = pd.read_csv(d / "customers.csv", dtype=str, keep_default_na=False)
    assert (customers["portals"] != "").sum() > 10

    s = load_settings(environ={"ARSYNC_SANDBOX__SIZE": "small"})
    with open_sources(s, AS_OF) as src:
        from arsync.connectors.sap import pull

        p = pull(s, key_date=AS_OF, rfc=src.sap.rfc)
        expected = reconcile(
            p.open_items, p.cleared_items, src.with_portals(p.customers), records, as_of=AS_OF
        )
    out = tmp_path / "out"
    res = _files_run(d, out)
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out / "worklist.csv", dtype=str, keep_default_na=False)
    assert len(got) == len(expected) > 1000
    key = ["company_code", "fiscal_year", "document_no", "line_item"]
    both = got.merge(expected.astype({"finding": str}), on=key, suffixes=("", "_x"))
    assert len(both) == len(expected) and (both["finding"] == both["finding_x"]).all()
    assert not (out / "errors.csv").exists() or "left out" not in (out / "errors.csv").read_text(
        encoding="utf-8-sig"
    )

    # the same files with the portals column emptied: said, not silent
    customers.assign(portals="").to_csv(d / "customers.csv", index=False)
    res = _files_run(d, tmp_path / "out2")
    assert "but no customer lists a portal" in res.output


def test_the_documented_example_folder_runs(tmp_path):
    """Issue 8.12: the input files are documented, with a folder that runs as it is."""
    root = Path(__file__).resolve().parents[1]
    doc = (root / "docs" / "input-files.md").read_text(encoding="utf-8")
    assert "docs/input-files.md" in (root / "README.md").read_text(encoding="utf-8")
    for name in ("open_items", "customers", "portal_records"):  # every column is documented
        for col, _, _ in SPECS[name]:
            assert f"`{col}`" in doc, (name, col)
    assert all(f"`{s}`" in doc for s in STATUSES)
    out = tmp_path / "out"
    r = _files_run(root / "examples" / "from-files", out)
    assert r.exit_code == 0, r.output
    assert not (out / "errors.csv").exists()
    got = pd.read_csv(out / "worklist.csv", dtype=str, keep_default_na=False)
    assert dict(zip(got["document_no"], got["finding"])) == {
        "0090000101": "IN_PROCESS",
        "0090000102": "PAID_NOT_APPLIED",
        "0090000103": "REJECTED",
        "0090000104": "NOT_SUBMITTED",
        "0090000105": "REVERSED",
        "0090000106": "NO_PORTAL",
        "0190000001": "REVERSED",
        "1400000009": "UNAPPLIED_CREDIT",
    }
