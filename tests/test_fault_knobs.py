"""Rehearsing a bad night: the portal simulators' fault knobs come from the configuration or the
environment, for every portal or one, and reach the simulators through the seam (issue 10,
fault 14)."""

from __future__ import annotations

from datetime import date

import pytest

from arsync.common.errors import ConfigError
from arsync.config import load_settings
from arsync.config.settings import settings_report
from arsync.jobs.pipeline.sources import open_sources
from arsync.sandbox.portals import Faults

AS_OF = date(2026, 11, 23)


def simulator_faults(settings) -> dict[str, Faults]:
    with open_sources(settings, AS_OF, sap=False) as src:
        src.portals.chosen()  # starts the simulators
        return {pid: sim.faults for pid, sim in src.simulators.sims.items()}


def test_knobs_from_the_environment_for_every_portal_and_for_one():
    s = load_settings(
        environ={
            "ARSYNC_SANDBOX__SIZE": "tiny",
            "ARSYNC_SANDBOX__FAULTS__ERROR_RATE": "0.25",
            "ARSYNC_SANDBOX__FAULTS__SEED": "9",
            "ARSYNC_SANDBOX__FAULTS__PORTALS__UNI_BJ__STALL_EVERY": "3",
            "ARSYNC_SANDBOX__FAULTS__PORTALS__HOSP_SH__ERROR_RATE": "0",
            "ARSYNC_SANDBOX__FAULTS__PORTALS__HOSP_SH__RATE_LIMIT_EVERY": "5",
        }
    )
    got = simulator_faults(s)
    assert got["uni-bj"] == Faults(error_rate=0.25, seed=9, stall_every=3)
    assert got["hosp-sh"] == Faults(error_rate=0.0, seed=9, rate_limit_every=5)
    others = {pid: f for pid, f in got.items() if pid not in ("uni-bj", "hosp-sh")}
    assert others and set(others.values()) == {Faults(error_rate=0.25, seed=9)}
    shown = {key: (value, src) for key, value, src in settings_report(s)}
    assert shown["sandbox.faults.portals.uni_bj.stall_every"] == (
        "3",
        "env ARSYNC_SANDBOX__FAULTS__PORTALS__UNI_BJ__STALL_EVERY",
    )


def test_knobs_from_a_file_with_the_portal_ids_as_written(tmp_path):
    cfg = tmp_path / "bad-night.toml"
    cfg.write_text(
        "[sandbox]\nsize = 'tiny'\nlatency_ms = 40\n"
        "[sandbox.faults]\ncaptcha_fail_once = true\n"
        "[sandbox.faults.portals.gov-zj]\nredesigned = true\nexpire_after = 2\nlatency_ms = 5\n"
    )
    got = simulator_faults(load_settings(cfg, environ={}))
    assert got["gov-zj"] == Faults(
        latency_ms=5, captcha_fail_once=True, redesigned=True, expire_after=2
    )
    assert got["uni-sh"] == Faults(latency_ms=40, captcha_fail_once=True)  # sandbox.latency_ms


def test_a_quiet_night_has_no_faults():
    got = simulator_faults(load_settings(environ={"ARSYNC_SANDBOX__SIZE": "tiny"}))
    assert set(got.values()) == {Faults()}


def test_a_knob_for_a_portal_the_sandbox_does_not_serve_is_a_config_error():
    s = load_settings(
        environ={
            "ARSYNC_SANDBOX__SIZE": "tiny",
            "ARSYNC_SANDBOX__FAULTS__PORTALS__UNI_XX__STALL_EVERY": "3",
        }
    )
    with pytest.raises(ConfigError, match=r"sandbox.faults.portals.uni_xx: .*serves gov-gd"):
        simulator_faults(s)


@pytest.mark.parametrize(
    ("name", "value", "why"),
    [
        ("ERROR_RATE", "1.5", "less than or equal to 1"),
        ("STALL_EVERY", "-1", "greater than or equal to 0"),
        ("PORTALS__UNI_BJ__LATENCY", "5", "unknown key"),
    ],
)
def test_a_bad_knob_names_its_variable(name, value, why):
    var = f"ARSYNC_SANDBOX__FAULTS__{name}"
    with pytest.raises(ConfigError, match=why) as e:
        load_settings(environ={var: value})
    assert var in str(e.value)
