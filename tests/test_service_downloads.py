"""What the service offers for download is found by looking at the output folder: each file gets
a kind from where it lies and what it is called, so reports added later (statements, aging,
supervisor reports, plans) appear without a new route; a collector gets their own workbook and
their own customers' statements; nothing else in the folder is ever offered."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from arsync.service.downloads import classify, find, list_downloads
from arsync.service.users import User

OPS = User("olga", "ops")
CORA = User("cora", "collector", "王丽")


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("worksheets/王丽.xlsx", "worksheet"),
        ("worksheets/王丽.new-20261123-0101.xlsx", "worksheet"),
        ("reports/supervisor.xlsx", "supervisor"),
        ("reports/aging-collector.xlsx", "aging"),
        ("reports/plan_2026-W48.xlsx", "plan"),
        ("reports/dso.pdf", "dso"),
        ("runs/20261123-013000-abcdef/summary.txt", "summary"),
        ("runs/20261123-013000-abcdef/statements/0000100002-S000123.pdf", "statement"),
        ("runs/20261123-013000-abcdef/statements/0000100002-S000123.xlsx", "statement"),
        ("runs/20261123-013000-abcdef/aging/aging-segment.xlsx", "aging"),
        ("statements/100003-2026-11.pdf", "statement"),
        ("files/20261123-090000-abcdef/worklist.xlsx", "worklist"),
        ("files/20261123-090000-abcdef/errors.csv", "errors"),
        ("files/20261123-090000-abcdef/worksheets/C1.xlsx", "worksheet"),
        ("files/20261123-090000-abcdef/runs/20261123-090000-abcdef/summary.txt", "summary"),
    ],
)
def test_report_files_get_their_kind(path, kind):
    c = classify(PurePosixPath(path))
    assert c is not None and c["kind"] == kind


@pytest.mark.parametrize(
    "path",
    [
        "runs.sqlite",
        "state/worklist.parquet",
        "state/portal_records.parquet",
        "runs/20261123-013000-abcdef/reconcile/worklist.parquet",
        "runs/20261123-013000-abcdef/progress.log",
        "runs/20261123-013000-abcdef/portals/_meta.json",
        "runs/20261123-013000-abcdef/evidence/gov-gd/acct-01/001-list.html",
        "runs/20261123-013000-abcdef/evidence/gov-gd/acct-01/001-list.csv",
        "worksheets/.versions/王丽-20261122.xlsx",
        "worksheets/~$王丽.xlsx",
        "files/20261123-090000-abcdef/inputs/open_items.csv",
        "logins/abc.log",
        "sessions/.session-key",
    ],
)
def test_nothing_else_is_offered(path):
    assert classify(PurePosixPath(path)) is None


def test_a_collector_gets_their_workbook_and_their_customers_statements(tmp_path):
    files = {
        "worksheets/王丽.xlsx": b"x",
        "worksheets/李强.xlsx": b"x",
        "reports/supervisor.xlsx": b"x",
        "runs/r1/statements/0000100002-S1.pdf": b"x",
        "runs/r1/statements/0000100003-S2.pdf": b"x",
    }
    for rel, data in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    mine = {d.path for d in list_downloads(tmp_path, CORA, {"0000100002"})}
    assert mine == {"worksheets/王丽.xlsx", "runs/r1/statements/0000100002-S1.pdf"}
    everything = list_downloads(tmp_path, OPS)
    assert {d.path for d in everything} == set(files)
    assert [d.kind for d in everything][:2] == ["worksheet", "worksheet"]  # workbooks first


def test_a_path_outside_the_output_folder_is_not_found(tmp_path):
    (tmp_path / "out" / "worksheets").mkdir(parents=True)
    (tmp_path / "out" / "worksheets" / "C1.xlsx").write_bytes(b"x")
    (tmp_path / "secret.xlsx").write_bytes(b"x")
    out = tmp_path / "out"
    assert find(out, "worksheets/C1.xlsx") is not None
    for bad in ("../secret.xlsx", "/etc/passwd", "worksheets/../../secret.xlsx", "worksheets"):
        assert find(out, bad) is None, bad
