"""The workbook's files on a bad night: long names, file modes, stale owner files, ``.new``
files a collector typed into, kills mid-write, a failed write followed by a resume."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from datetime import datetime

import pytest

from arsync.config.settings import ReportSettings
from arsync.reports import _atomic
from arsync.reports.worksheets import refresh_worksheets
from test_worksheets_build import AS_OF, edit, entries, item, key, worklist


def refresh(rows, out, keep=5, **kw):
    settings = ReportSettings(language="en", keep_versions=keep, **kw.pop("report", {}))
    return refresh_worksheets(worklist(rows), out, as_of=AS_OF, settings=settings, **kw)


def names_fit(folder) -> None:
    for p in folder.rglob("*"):
        assert len(p.name.encode()) <= 255 - len("~$") - len(".~lock.#"), p.name


def test_long_collector_names_work_every_night(tmp_path):
    long_name = "华东区域公立医院及高等院校应收账款催收专员" * 4  # 80 Chinese characters
    other = long_name[:-1] + "乙"  # the same beginning: must still get its own file
    rows = [item(0, collector=long_name), item(1, collector=other)]
    for night in range(3):  # the backups of later nights made the name too long before
        by = {r.collector: r for r in refresh(rows, tmp_path)}
        a, b = by[long_name], by[other]
        assert a.outcome == ("created" if night == 0 else "updated"), a.warnings
        assert b.outcome == a.outcome and a.path != b.path
        edit(a.path, {key(0): {"notes": f"night {night}"}})
    assert len(a.path.stem.encode()) <= _atomic.MAX_STEM_BYTES
    assert a.path.stem == _atomic.safe_name(long_name)  # stable: the same file every night
    assert a.path.stem.startswith(long_name[:20]) and "~" in a.path.stem
    assert len(_atomic.versions(a.path)) == 2  # b's unchanged bytes are not kept twice
    names_fit(tmp_path)
    assert entries(a.path) == {key(0): {"notes": "night 2"}}
    # found again as one of ours on a night when the collector has no items
    [c, d] = refresh([item(1, collector=other)], tmp_path)
    assert {c.collector, d.collector} == {long_name, other}
    assert entries(a.path, "closed") == {key(0): {"notes": "night 2"}}


def test_one_workbook_failing_fails_only_itself(tmp_path):
    (tmp_path / "C1.xlsx").mkdir()  # something in the way of C1's workbook
    results = refresh([item(0), item(1, collector="C2")], tmp_path)
    by = {r.collector: r for r in results}
    assert by["C1"].outcome == "failed" and "C1.xlsx" in by["C1"].warnings[0]
    assert "Traceback" not in by["C1"].warnings[0] and "Error:" not in by["C1"].warnings[0]
    assert by["C2"].outcome == "created" and (tmp_path / "C2.xlsx").is_file()


def test_refresh_keeps_the_files_mode_and_group(tmp_path):
    rows = [item(i) for i in range(3)]
    [res] = refresh(rows, tmp_path)
    old_umask = os.umask(0o022)
    os.umask(old_umask)
    assert res.path.stat().st_mode & 0o777 == 0o666 & ~old_umask  # not mkstemp's 0600
    gid = next(g for g in (100, 50, 10, 0) if g != os.getgid()) if os.getuid() == 0 else None
    os.chmod(res.path, 0o660)
    if gid is not None:
        os.chown(res.path, -1, gid)
    group = res.path.stat().st_gid
    for _ in range(2):
        edit(res.path, {key(1): {"notes": "shared"}})
        os.chmod(res.path, 0o660)  # openpyxl's save keeps the file; make sure of the mode
        [res] = refresh(rows, tmp_path)
        st = res.path.stat()
        assert (st.st_mode & 0o777, st.st_gid) == (0o660, group)
    assert res.backup.stat().st_mode & 0o777 == 0o660


def _owner_file(path, who=b"wangli"):
    owner = path.with_name("~$" + path.name)
    owner.write_bytes(bytes([len(who)]) + who + b"\x00" * (53 - len(who)))
    return owner


def _age(p, seconds):
    t = time.time() - seconds
    os.utime(p, (t, t))


def test_stale_owner_file_is_reported_not_obeyed(tmp_path):
    rows = [item(i) for i in range(3)]
    [res] = refresh(rows, tmp_path)
    owner = _owner_file(res.path)
    _age(owner, 3600)  # Excel opened it an hour ago ...
    edit(res.path, {key(0): {"notes": "saved, then Excel crashed"}})  # ... the collector saved
    [res] = refresh(rows, tmp_path)
    assert res.outcome == "updated" and res.path.name == "C1.xlsx"
    assert any("stale" in w and "~$C1.xlsx" in w for w in res.warnings)
    assert entries(res.path) == {key(0): {"notes": "saved, then Excel crashed"}}
    assert not list(tmp_path.glob("C1.new-*"))
    # older than the configured age, even with no save since: stale too
    owner2 = _owner_file(res.path)
    _age(res.path, 3 * 3600)
    _age(owner2, 2 * 3600)
    [res] = refresh(rows, tmp_path, report={"owner_file_max_age_hours": 1})
    assert res.outcome == "updated" and any("2 hours old" in w for w in res.warnings)


def test_new_files_do_not_pile_up_and_their_notes_come_back(tmp_path):
    rows = [item(i) for i in range(4)]
    path = tmp_path / "C1.xlsx"
    refresh(rows, tmp_path)
    edit(path, {key(0): {"notes": "in the workbook"}, key(1): {"notes": "kept"}})
    _owner_file(path)  # open in Excel right now (fresh owner file, workbook saved before)
    _age(path, 60)
    [first] = refresh(rows, tmp_path)
    assert first.outcome == "beside" and first.path.name.startswith("C1.new-")
    edit(first.path, {key(2): {"notes": "typed into the .new file"}, key(1): {"notes": None}})
    [second] = refresh(rows, tmp_path)  # still open: one .new file, not two
    assert second.outcome == "beside"
    assert list(tmp_path.glob("C1.new-*")) == [second.path]
    assert entries(second.path) == {
        key(0): {"notes": "in the workbook"},
        key(2): {"notes": "typed into the .new file"},
    }
    assert any("merged back" in w for w in second.warnings)
    path.with_name("~$C1.xlsx").unlink()  # Excel closed
    [res] = refresh(rows, tmp_path)
    assert res.outcome == "updated" and not list(tmp_path.glob("C1.new-*"))
    assert entries(path) == {
        key(0): {"notes": "in the workbook"},
        key(2): {"notes": "typed into the .new file"},
    }


def test_a_kill_mid_write_leaves_no_temporary_file_behind(tmp_path):
    refresh([item(0)], tmp_path)
    script = textwrap.dedent(
        f"""
        import os, signal
        from arsync.reports import _atomic
        from arsync.config.settings import ReportSettings
        from arsync.reports.worksheets import refresh_worksheets
        from test_worksheets_build import AS_OF, item, worklist

        def killed(src, dst):
            os.kill(os.getpid(), signal.SIGKILL)

        _atomic.os.replace = killed
        refresh_worksheets(worklist([item(0), item(1)]), {str(tmp_path)!r}, as_of=AS_OF,
                           settings=ReportSettings(language="en"))
        """
    )
    env = {**os.environ, "PYTHONPATH": os.path.dirname(__file__)}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True)
    assert proc.returncode == -9, proc.stderr.decode()
    left = [p for p in tmp_path.rglob("*") if p.name.startswith(_atomic.TEMP_PREFIX)]
    assert left  # the kill left its temporary file (the backup's, written first)
    [res] = refresh([item(0), item(1)], tmp_path)
    assert res.outcome == "updated"
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(_atomic.TEMP_PREFIX)]


def test_failed_write_then_resume_keeps_older_versions(tmp_path, monkeypatch):
    rows = [item(i) for i in range(2)]
    path = tmp_path / "C1.xlsx"
    refresh(rows, tmp_path, keep=2)
    kept = []
    for n in range(2):
        edit(path, {key(0): {"notes": f"version {n}"}})
        kept.append(path.read_bytes())
        refresh(rows, tmp_path, keep=2)
    edit(path, {key(0): {"notes": "typed before the disk filled up"}})
    real = _atomic.write_atomic

    def disk_full(target, data, **kw):
        if target == path:
            raise OSError(28, "No space left on device", str(target))
        return real(target, data, **kw)

    monkeypatch.setattr(_atomic, "write_atomic", disk_full)
    [res] = refresh(rows, tmp_path, keep=2)
    assert res.outcome == "failed" and "No space left on device" in res.warnings[0]
    monkeypatch.setattr(_atomic, "write_atomic", real)
    [res] = refresh(rows, tmp_path, keep=2)  # the resume
    assert res.outcome == "updated"
    saved = [p.read_bytes() for _, p in _atomic.versions(path)]
    assert saved[0] == kept[1]  # the older version was not pushed out by a duplicate
    assert entries(path) == {key(0): {"notes": "typed before the disk filled up"}}


@pytest.mark.parametrize("name", ["CON", "a" * 300, "名" * 100, " . "])
def test_safe_name_fits_and_is_stable(name):
    stem = _atomic.safe_name(name)
    assert stem == _atomic.safe_name(name) and stem
    assert len(f"{stem}.v00001.{datetime.now():%Y%m%d-%H%M%S}.xlsx".encode()) <= 255
    assert len(f".~lock.{stem}.xlsx#".encode()) <= 255


def test_a_run_with_one_failed_workbook_is_partial_and_says_which(tmp_path):
    from click.testing import CliRunner

    from arsync.jobs.cli.main import cli
    from arsync.reports.export import write_frames
    from arsync.sandbox.world import World
    from arsync.sandbox.world_frames import world_frames

    frames = world_frames(World.tiny(as_of=AS_OF))
    names = ("open_items", "cleared_items", "customers", "portal_records")
    write_frames({k: frames[k] for k in names}, tmp_path / "in", "csv")
    collectors = sorted(set(frames["customers"]["collector"]))
    out = tmp_path / "out"
    (out / "worksheets" / f"{collectors[0]}.xlsx").mkdir(parents=True)
    args = ["reconcile", "--from-files", str(tmp_path / "in"), "--out", str(out)]
    r = CliRunner().invoke(cli, [*args, "--as-of", AS_OF.isoformat(), "--worksheets"])
    assert ": partial" in r.output, r.output
    assert f"worksheet {collectors[0]}: failed" in r.output
    for c in collectors[1:]:
        assert (out / "worksheets" / f"{c}.xlsx").is_file()


def test_a_workbook_written_beside_makes_the_run_partial_and_says_which(tmp_path):
    """Excel holds a collector's workbook open (a fresh owner file): the refresh goes into one
    ``.new`` file beside it, and the run says so — partial, exit 3, the collector named — instead
    of ``ok``."""
    from click.testing import CliRunner

    from arsync.jobs.cli.main import cli
    from arsync.reports.export import write_frames
    from arsync.sandbox.world import World
    from arsync.sandbox.world_frames import world_frames

    frames = world_frames(World.tiny(as_of=AS_OF))
    names = ("open_items", "cleared_items", "customers", "portal_records")
    write_frames({k: frames[k] for k in names}, tmp_path / "in", "csv")
    out = tmp_path / "out"
    args = ["reconcile", "--from-files", str(tmp_path / "in"), "--out", str(out)]
    args += ["--as-of", AS_OF.isoformat(), "--worksheets"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    held = sorted((out / "worksheets").glob("*.xlsx"))[0]
    _owner_file(held)  # open in Excel right now
    _age(held, 60)  # saved a minute ago
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 3, r.output
    why = r.stderr.strip().splitlines()[-1]
    assert why.startswith("arsync: run ") and " is partial: " in why
    assert f"worksheet {held.stem}: beside — " in why
    assert [p.name.startswith(f"{held.stem}.new-") for p in held.parent.glob("*.new-*")] == [True]
