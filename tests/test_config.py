"""Settings: precedence, secrets kept secret, bad values named with their source."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from arsync.common.errors import ConfigError
from arsync.config import load_settings, settings_report
from arsync.jobs.cli.app import cli


def test_defaults_run_on_the_sandbox():
    s = load_settings(environ={})
    assert s.sap.backend == "sandbox"
    assert s.sap.strategy == "bapi"
    assert s.reconcile.aging_limits == [0, 30, 60, 90, 180, 365]


def test_precedence_defaults_file_env_flags(tmp_path):
    f = tmp_path / "arsync.toml"
    f.write_text('[sap]\nstrategy = "table"\nparallel = 2\n[reports]\nlanguage = "zh"\n')
    env = {"ARSYNC_SAP__PARALLEL": "6", "ARSYNC_CONFIG": str(f)}
    s = load_settings(environ=env, overrides={"reports.language": "en"})
    assert s.sap.strategy == "table"  # file beats default
    assert s.sap.parallel == 6  # env beats file
    assert s.reports.language == "en"  # flag beats everything
    where = {k: src for k, _, src in settings_report(s)}
    assert where["sap.strategy"] == f"file {f}"
    assert where["sap.parallel"] == "env ARSYNC_SAP__PARALLEL"
    assert where["reports.language"] == "flag"
    assert where["sap.backend"] == "default"


def test_nested_connection_from_env_and_password_held_apart():
    env = {
        "ARSYNC_SAP__BACKEND": "pyrfc",
        "ARSYNC_SAP__CONNECTION__ASHOST": "sap01",
        "ARSYNC_SAP__CONNECTION__SYSNR": "00",
        "ARSYNC_SAP__CONNECTION__PASSWD": "S3cr3t!pw",
    }
    s = load_settings(environ=env)
    assert s.sap.connection == {"ashost": "sap01", "sysnr": "00"}
    assert s.sap.passwd.get_secret_value() == "S3cr3t!pw"
    shown = "\n".join(f"{k} {v} {src}" for k, v, src in settings_report(s))
    assert "S3cr3t!pw" not in shown
    assert "sap.passwd *** env ARSYNC_SAP__CONNECTION__PASSWD" in shown


def test_bad_value_names_key_and_variable():
    with pytest.raises(ConfigError) as e:
        load_settings(environ={"ARSYNC_SAP__PARALLEL": "many"})
    assert "sap.parallel" in str(e.value) and "ARSYNC_SAP__PARALLEL" in str(e.value)


def test_bad_value_names_key_and_file(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('[reports]\nlanguage = "fr"\n[sap]\nbogus = 1\n')
    with pytest.raises(ConfigError) as e:
        load_settings(f, environ={})
    msg = str(e.value)
    assert "reports.language" in msg and str(f) in msg
    assert "sap.bogus" in msg and "unknown key" in msg


@pytest.mark.parametrize(
    "text, key",
    [
        ('[sap.connection]\nashost = "h"\npasswd = "hunter2"\n', "sap.connection.passwd"),
        ('[sap]\nbackend = "pyrfc"\npasswd = "hunter2"\n', "sap.passwd"),
        ('[sap.connection]\nPASSWD = "hunter2"\n', "sap.connection.PASSWD"),
    ],
)
def test_password_in_a_file_is_refused(tmp_path, text, key):
    f = tmp_path / "pw.toml"
    f.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_settings(f, environ={})
    assert f"key {key}" in str(e.value) and str(f) in str(e.value)
    assert "ARSYNC_SAP__CONNECTION__PASSWD" in str(e.value)
    assert "hunter2" not in str(e.value)


def test_an_unknown_section_in_a_file_names_the_file(tmp_path):
    f = tmp_path / "typo.toml"
    f.write_text('[sapp]\nbackend = "pyrfc"\n')
    with pytest.raises(ConfigError) as e:
        load_settings(f, environ={})
    assert f"sapp (from file {f}): unknown key" in str(e.value)


def test_config_show_prints_values_as_the_file_would_hold_them():
    ok = CliRunner().invoke(cli, ["config", "show"], env={"ARSYNC_SAP__COMPANY_CODES": '["1000"]'})
    shown = {line.split()[0]: line.split()[1] for line in ok.output.splitlines()}
    assert shown["sandbox.epoch"] == "2025-05-01"
    assert shown["sap.company_codes"] == '["1000"]'
    assert shown["portals.headless"] == "true"
    assert "datetime" not in ok.output


def test_unparseable_toml_names_the_file(tmp_path):
    f = tmp_path / "broken.toml"
    f.write_text("[sap\nbackend=")
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid TOML"):
        load_settings(f, environ={})


def test_cli_config_show_masks_and_exits_2_on_bad_config(monkeypatch):
    runner = CliRunner()
    monkeypatch.setenv("ARSYNC_SAP__CONNECTION__PASSWD", "pw-in-env-123")
    ok = runner.invoke(cli, ["config", "show"])
    assert ok.exit_code == 0, ok.output
    assert "pw-in-env-123" not in ok.output and "sap.passwd" in ok.output
    monkeypatch.setenv("ARSYNC_REPORTS__LANGUAGE", "fr")
    bad = runner.invoke(cli, ["config", "show"])
    assert bad.exit_code == 2
    assert "reports.language" in bad.output and "ARSYNC_REPORTS__LANGUAGE" in bad.output
    assert "Traceback" not in bad.output


def test_console_script_reports_bad_config_without_traceback(tmp_path):
    env = {"ARSYNC_SAP__STRATEGY": "odata", "PATH": ""}
    p = subprocess.run(
        [sys.executable, "-m", "arsync", "config", "show"], env=env, capture_output=True, text=True
    )
    assert p.returncode == 2
    assert "sap.strategy" in p.stderr and "Traceback" not in p.stderr


def test_a_missing_config_file_says_where_its_name_came_from(tmp_path):
    with pytest.raises(ConfigError, match=r"nope.toml not found \(from ARSYNC_CONFIG\)"):
        load_settings(environ={"ARSYNC_CONFIG": str(tmp_path / "nope.toml")})
    with pytest.raises(ConfigError, match=r"nope.toml not found \(from --config\)"):
        load_settings(tmp_path / "nope.toml", environ={})
