"""Run data is its owner's alone (or a configured group's): evidence, run store, state, stage
files, sessions — and the session key is not kept beside the sessions unless configured."""

from __future__ import annotations

import grp
import os
import stat
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from arsync.common.errors import ConfigError
from arsync.config import load_settings
from arsync.connectors.portals.evidence import Evidence
from arsync.connectors.portals.sessions import NO_KEY, SessionStore
from arsync.jobs.cli.main import cli
from arsync.jobs.pipeline.run import run
from arsync.jobs.pipeline.runstore import RunStore
from arsync.jobs.pipeline.sources import FileSource
from arsync.reports.export import write_frames
from arsync.sandbox.world import World
from arsync.sandbox.world_frames import world_frames

AS_OF = date(2026, 11, 23)


def mode(p: Path) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


@pytest.fixture
def loose_umask():
    """The umask a careless shell leaves (022: files 0644), restored after the test."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _inputs(tmp_path: Path) -> Path:
    frames = world_frames(World.tiny(as_of=AS_OF))
    d = tmp_path / "in"
    names = ("open_items", "cleared_items", "customers", "portal_records")
    write_frames({k: frames[k] for k in names}, d, "csv")
    return d


def test_a_run_leaves_nothing_readable_by_others(tmp_path, loose_umask):
    out = tmp_path / "out"
    settings = load_settings(environ={}, overrides={"runs.out_dir": str(out)})
    res = run(
        settings,
        kind="files",
        files=FileSource(_inputs(tmp_path)),
        as_of=AS_OF,
        echo=lambda m: None,
    )
    assert res.status == "ok"
    closed = [out / "runs.sqlite", out / "runs", res.folder]
    closed += [p for p in (out / "runs").rglob("*")]
    assert len(closed) > 8
    for p in closed:
        assert mode(p) & 0o077 == 0, f"{p.relative_to(tmp_path)}: {oct(mode(p))}"


def test_a_configured_group_may_read_and_no_one_else(tmp_path, loose_umask):
    group = grp.getgrgid(os.getgid()).gr_name
    out = tmp_path / "out"
    settings = load_settings(environ={}, overrides={"runs.out_dir": str(out), "runs.group": group})
    res = run(
        settings,
        kind="files",
        files=FileSource(_inputs(tmp_path)),
        as_of=AS_OF,
        echo=lambda m: None,
    )
    assert mode(res.folder) == 0o2750 and mode(out / "runs.sqlite") == 0o640
    for p in (out / "runs").rglob("*"):
        assert mode(p) & 0o007 == 0, p
    with pytest.raises(ConfigError, match="no Unix group"):
        RunStore(f"sqlite:///{tmp_path / 'x.sqlite'}", group="no-such-group-arsync")


def test_the_state_folder_is_closed_even_when_it_existed_open(tmp_path, loose_umask):
    from types import SimpleNamespace

    from arsync.jobs.pipeline.stages import StageContext

    (tmp_path / "state").mkdir(mode=0o755)
    ctx = SimpleNamespace(out=tmp_path, settings=load_settings(environ={}))
    assert mode(StageContext.state_dir.fget(ctx)) == 0o700


def test_evidence_files_are_owner_only(tmp_path, loose_umask):
    ev = Evidence(tmp_path / "run", "gov-gd", "acct-01", None)
    path = ev.write("page-1", ".html", "<html>客户 甲</html>")
    for p in (path, path.parent, path.parent.parent, tmp_path / "run" / "evidence"):
        assert mode(p) & 0o077 == 0, p


def test_no_session_key_beside_the_sessions_by_default(tmp_path, monkeypatch, loose_umask):
    monkeypatch.delenv("ARSYNC_SESSION_KEY", raising=False)
    monkeypatch.setattr("arsync.connectors.portals.sessions._keyring_key", lambda: None)
    folder = tmp_path / "sessions"
    folder.mkdir(mode=0o755)
    store = SessionStore(folder)
    assert not store.has_key()
    with pytest.raises(ConfigError) as ei:
        store.save("gov-gd", "acct-01", {"cookies": []})
    assert str(ei.value) == NO_KEY and "ARSYNC_SESSION_KEY" in NO_KEY
    assert list(folder.iterdir()) == []  # no key file was made beside them
    monkeypatch.setenv(
        "ARSYNC_SESSION_KEY",
        __import__("cryptography.fernet").fernet.Fernet.generate_key().decode(),
    )
    path = SessionStore(folder).save("gov-gd", "acct-01", {"cookies": []})
    assert mode(folder) == 0o700 and mode(path.parent) == 0o700 and mode(path) == 0o600


def test_config_show_warns_about_a_session_key_file(tmp_path, monkeypatch):
    monkeypatch.setenv("ARSYNC_PORTALS__SESSION_KEY_FILE", str(tmp_path / "session.key"))
    r = CliRunner().invoke(cli, ["config", "show"])
    assert r.exit_code == 0, r.output
    assert "warning: portals.session_key_file" in r.stderr and "keyring" in r.stderr
    monkeypatch.delenv("ARSYNC_PORTALS__SESSION_KEY_FILE")
    r = CliRunner().invoke(cli, ["config", "show"])
    assert "warning" not in r.stderr
