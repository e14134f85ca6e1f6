"""Never overwrite blind: versions, atomic replace, files held open or changed under us."""

from __future__ import annotations

import openpyxl

from arsync.config.settings import ReportSettings
from arsync.reports import worksheets
from arsync.reports.worksheets import refresh_worksheets
from test_worksheets_build import AS_OF, calamine_rows, edit, entries, item, key, worklist


def refresh(rows, out, keep=5, **kw):
    return refresh_worksheets(
        worklist(rows),
        out,
        as_of=AS_OF,
        settings=ReportSettings(language="en", keep_versions=keep),
        **kw,
    )


def test_versions_kept_and_pruned(tmp_path):
    rows = [item(i) for i in range(3)]
    path = tmp_path / "C1.xlsx"
    [res] = refresh(rows, tmp_path, keep=2)
    assert res.backup is None
    previous = []
    for n in range(4):
        edit(path, {key(0): {"notes": f"round {n}"}})
        previous.append(path.read_bytes())
        [res] = refresh(rows, tmp_path, keep=2)
        assert res.outcome == "updated" and res.backup.read_bytes() == previous[-1]
    kept = sorted(p.name for p in (tmp_path / ".versions").glob("*.xlsx"))
    assert [n.split(".")[1] for n in kept] == ["v00003", "v00004"]
    assert [(tmp_path / ".versions" / n).read_bytes() for n in kept] == previous[-2:]
    assert not list(tmp_path.glob(".~arsync-*"))  # no temporary file left behind
    [res] = refresh(rows, tmp_path, keep=0)
    assert res.backup is None and not list((tmp_path / ".versions").glob("*.xlsx"))


def test_workbook_open_in_excel_is_not_overwritten(tmp_path):
    rows = [item(i) for i in range(3)]
    path = tmp_path / "C1.xlsx"
    refresh(rows, tmp_path)
    edit(path, {key(1): {"notes": "typed and saved"}})
    before = path.read_bytes()
    owner = bytes([6]) + b"wangli" + b"\x00" * 47  # Excel's ~$ owner file: length, user name
    (tmp_path / "~$C1.xlsx").write_bytes(owner)
    [res] = refresh(rows[:2], tmp_path)
    assert path.read_bytes() == before
    assert res.outcome == "beside" and res.path.name.startswith("C1.new-") and res.path.exists()
    assert any("open in Excel by wangli" in w for w in res.warnings)
    assert entries(res.path) == {key(1): {"notes": "typed and saved"}}  # merged from the saved file
    assert res.closed_items == 1
    (tmp_path / "~$C1.xlsx").unlink()
    (tmp_path / ".~lock.C1.xlsx#").write_text("王丽,host,/home/wl,23.11.2026 09:00;")
    [res] = refresh(rows, tmp_path)
    assert res.outcome == "beside" and any("LibreOffice by 王丽" in w for w in res.warnings)
    assert path.read_bytes() == before


def test_changed_while_refreshing_is_merged_again(tmp_path, monkeypatch):
    rows = [item(i) for i in range(4)]
    path = tmp_path / "C1.xlsx"
    refresh(rows, tmp_path)
    real = worksheets._render
    calls = []

    def collector_saves_meanwhile(*args):
        calls.append(1)
        if len(calls) == 1:
            edit(path, {key(2): {"notes": "saved during the refresh"}})
        return real(*args)

    monkeypatch.setattr(worksheets, "_render", collector_saves_meanwhile)
    rows[0]["amount"] = 500
    [res] = refresh(rows, tmp_path)
    assert res.outcome == "updated" and res.remerged == 1 and len(calls) == 2
    assert entries(path) == {key(2): {"notes": "saved during the refresh"}}
    assert {r["_key"]: r["amount"] for r in calamine_rows(path, "open")}[key(0)] == 5.0
    assert any("merged again" in w for w in res.warnings)


def test_keeps_changing_goes_beside(tmp_path, monkeypatch):
    rows = [item(i) for i in range(2)]
    path = tmp_path / "C1.xlsx"
    refresh(rows, tmp_path)
    real = worksheets._render
    n = iter(range(100))

    def always_saving(*args):
        edit(path, {key(0): {"notes": f"edit {next(n)}"}})
        return real(*args)

    monkeypatch.setattr(worksheets, "_render", always_saving)
    [res] = refresh(rows, tmp_path)
    last = path.read_bytes()
    assert res.outcome == "beside" and res.remerged == worksheets.MERGE_ATTEMPTS
    assert entries(path) == {key(0): {"notes": f"edit {worksheets.MERGE_ATTEMPTS - 1}"}}
    assert path.read_bytes() == last and any("kept changing" in w for w in res.warnings)
    assert openpyxl.load_workbook(res.path).sheetnames[0] == "Open items"


def test_unreadable_workbook_is_left_alone(tmp_path):
    path = tmp_path / "C1.xlsx"
    path.write_bytes(b"not a zip file")
    [res] = refresh([item(0)], tmp_path)
    assert path.read_bytes() == b"not a zip file"
    assert res.outcome == "beside" and any("cannot be read" in w for w in res.warnings)
    assert [r["_key"] for r in calamine_rows(res.path, "open")] == [key(0)]
