"""Password handling, the pyrfc backend (missing / drop-in / keyring) and `arsync sap pull`."""

from __future__ import annotations

import logging
import sys
import types
from datetime import date

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from arsync.common.errors import ConfigError, TransientError
from arsync.config.settings import load_settings
from arsync.connectors.sap import pull
from arsync.jobs.cli.sap import sap
from arsync.jobs.pipeline import sources
from arsync.sandbox._rfc_tinyworld import tiny_world
from arsync.sandbox.sap import SandboxSap

PW = "S3cr3t-Pa55-7781"
KEY = date(2026, 11, 10)
ENV = {
    "ARSYNC_SAP__CONNECTION__PASSWD": PW,
    "ARSYNC_SAP__CONNECTION__USER": "RFC_AR",
    "ARSYNC_SAP__CONNECTION__ASHOST": "sap.example.com",
    "ARSYNC_SAP__CONNECTION__SYSNR": "00",
    "ARSYNC_SAP__CONNECTION__CLIENT": "100",
}


@pytest.fixture(scope="module")
def world():
    return tiny_world(extra=5)


def test_password_from_environment_appears_nowhere(world, tmp_path, caplog, monkeypatch):
    st = load_settings(environ=ENV, overrides={"sap.retry.initial": 0.0, "sap.retry.maximum": 0.0})
    leaky = SandboxSap(world, comm_errors_first=2, leak_secret_in_errors=True)
    monkeypatch.setattr(sources, "_sandbox_sap", lambda settings, _world: leaky)
    caplog.set_level(logging.DEBUG)
    res = CliRunner().invoke(
        sap, ["pull", "--out", str(tmp_path), "--key-date", "2026-11-10"], obj={"settings": st}
    )
    assert res.exit_code == 0, res.output
    assert leaky.injected_errors == 2 and caplog.text.count("retrying") == 2
    failing = SandboxSap(world, comm_errors_first=100, leak_secret_in_errors=True)
    with pytest.raises(TransientError) as ei:
        pull(st, key_date=KEY, rfc=failing, sleep=lambda s: None)
    texts = [caplog.text, res.output, str(ei.value), repr(ei.value), repr(st), str(st.sap)]
    texts += [p.read_text(encoding="utf-8-sig") for p in tmp_path.iterdir()]
    assert ei.value.__cause__ is None and "passwd=***" in str(ei.value)  # the driver leaked it
    assert all(PW not in t for t in texts)


def test_cli_writes_files_in_major_units_with_text_ids(world, tmp_path, monkeypatch):
    st = load_settings(environ={})
    monkeypatch.setattr(sources, "_sandbox_sap", lambda settings, _world: SandboxSap(world))
    for fmt in ("csv", "xlsx", "parquet"):
        res = CliRunner().invoke(
            sap,
            [
                "pull",
                "--out",
                str(tmp_path),
                "--key-date",
                "2026-11-10",
                "--strategy",
                "table",
                "--format",
                fmt,
            ],
            obj={"settings": st},
        )
        assert res.exit_code == 0, res.output
    assert "open_items:" in res.output and "RFC calls" in res.output
    df = pd.read_csv(tmp_path / "open_items.csv", dtype=str, encoding="utf-8-sig").set_index(
        "document_no"
    )
    assert df.loc["0090000001", ["amount", "customer", "due_date"]].tolist() == [
        "12345.67",
        "0000001000",
        "2026-10-31",
    ]
    assert df.loc["0090000005", ["amount", "currency"]].tolist() == ["1000000", "JPY"]
    assert df.loc["1400000002", "amount"] == "-30000.00"
    ws = openpyxl.load_workbook(tmp_path / "open_items.xlsx").active
    head = [c.value for c in ws[1]]
    row = {h: c.value for h, c in zip(head, ws[2])}
    assert isinstance(row["customer"], str) and row["customer"].startswith("0")
    assert isinstance(row["amount"], (int, float))
    pq = pd.read_parquet(tmp_path / "customers.parquet")
    assert str(pq.loc[pq.customer == "0000001001", "credit_limit"].iloc[0]) == "20000000.00"


def test_missing_pyrfc_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyrfc", None)
    st = load_settings(environ={**ENV, "ARSYNC_SAP__BACKEND": "pyrfc"})
    with pytest.raises(ConfigError, match=r"pip install 'arsync\[sap\]'.*pyrfcx") as ei:
        pull(st, key_date=KEY)
    assert PW not in str(ei.value)


def test_pyrfc_backend_with_a_drop_in_and_the_keyring(world, monkeypatch):
    system = SandboxSap(world)
    seen: list[dict] = []

    def connection(**params):
        seen.append(params)
        return system.connect(**params)

    monkeypatch.setitem(sys.modules, "pyrfc", types.SimpleNamespace(Connection=connection))
    env = {k: v for k, v in ENV.items() if "PASSWD" not in k} | {"ARSYNC_SAP__BACKEND": "pyrfc"}
    import keyring

    monkeypatch.setattr(
        keyring,
        "get_password",
        lambda service, user: "kr-pw" if (service, user) == ("arsync", "sap:RFC_AR") else None,
    )
    p = pull(load_settings(environ=env), key_date=KEY, strategy="table")
    assert len(p.open_items) > 0
    assert seen and all(isinstance(v, str) for s in seen for v in s.values())
    assert seen[0]["passwd"] == "kr-pw" and seen[0]["sysnr"] == "00"
