"""`arsync portals fetch | check` with the default configuration: simulators started by arsync itself."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

from arsync.jobs.cli.main import cli
from arsync.sandbox.tiny_portals import tiny_world

pytestmark = pytest.mark.browser


@pytest.fixture
def runner(tmp_path, monkeypatch):
    world = tiny_world()
    monkeypatch.setattr("arsync.jobs.pipeline.sources._world", lambda settings, as_of: world)
    env = {
        "ARSYNC_PORTALS__SESSION_DIR": str(tmp_path / "sessions"),
        "ARSYNC_RUNS__OUT_DIR": str(tmp_path / "out"),
    }
    return CliRunner(env=env), world


def test_fetch_writes_records_and_outcomes_with_a_line_per_account(runner, tmp_path):
    cli_runner, world = runner
    out = tmp_path / "fetch"
    res = cli_runner.invoke(
        cli,
        [
            "portals",
            "fetch",
            "--portal",
            "gov-gd",
            "--portal",
            "uni-sh",
            "--concurrency",
            "2",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert (
        "gov-gd/gov-gd-a1: ok (45 records" in res.output
        and "uni-sh/uni-sh-a1: ok (12 records" in res.output
    )
    recs = pd.read_csv(out / "portal_records.csv", dtype=str)
    assert len(recs) == 57 and recs["record_id"].str.len().max() == 19
    truth = world.portal_records.set_index(["portal", "record_id"])["status"]
    assert (
        recs.set_index(["portal", "record_id"])["status"]
        == truth.reindex(recs.set_index(["portal", "record_id"]).index)
    ).all()
    outcomes = pd.read_csv(out / "portal_outcomes.csv")
    assert list(outcomes["outcome"]) == ["ok", "ok"]


def test_check_validates_the_first_page(runner, tmp_path):
    cli_runner, _ = runner
    res = cli_runner.invoke(cli, ["portals", "check", "hosp-gd", "--out", str(tmp_path / "chk")])
    assert res.exit_code == 0, res.output
    assert "hosp-gd: layout as declared" in res.output


def test_unknown_portal_is_a_clear_error(runner, tmp_path):
    cli_runner, _ = runner
    res = cli_runner.invoke(
        cli, ["portals", "fetch", "--portal", "nope", "--out", str(tmp_path / "x")]
    )
    assert res.exit_code == 2 and "unknown portal id(s) nope" in res.output


def test_login_in_the_terminal_keeps_the_captcha_picture_in_the_logins_folder(
    runner, tmp_path, monkeypatch
):
    """A person answers the captcha in the terminal: the picture is written into the login's own
    folder under runs.out_dir (with its log), not into the working directory.  (Wrong answers
    here: the portal refuses them, and that is one line.)"""
    cli_runner, _ = runner
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    key = Fernet.generate_key().decode()  # a login is only worth it if its session can be kept
    res = cli_runner.invoke(
        cli,
        ["portals", "login", "gov-gd/gov-gd-a1", "--terminal"],
        input="0000\n" * 10,
        env={"ARSYNC_SESSION_KEY": key},
    )
    (folder,) = (tmp_path / "out" / "runs").iterdir()
    picture = folder / "captcha-gov-gd.png"
    assert picture.read_bytes().startswith(b"\x89PNG")
    assert (folder / "log.jsonl").exists()
    assert list(cwd.iterdir()) == []
    assert f"captcha pictures go to {folder}" in res.stderr
    assert res.exit_code == 1
    assert res.stderr.strip().splitlines()[-1].startswith("arsync: gov-gd/gov-gd-a1: ")
    assert "Traceback" not in res.output and "Error" not in res.output
