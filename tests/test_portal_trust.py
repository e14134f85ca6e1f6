"""A portal file cannot send a secret to any host or run code, and a bad one fails only itself."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from arsync.common.errors import ConfigError
from arsync.config import load_settings
from arsync.connectors.portals import load_definitions, trust
from arsync.connectors.portals import solvers as S
from arsync.connectors.portals.definitions import BUNDLED
from arsync.jobs.pipeline.sources import open_sources

PORTAL = """kind: portal
id: gov-hn
family: government
base_url: {url}
accounts:
  - {{id: main, username: '91430000X', password: '{ref}', solver: {solver}}}
customers: ['0000100001']
"""
OWN_ENV = "env:ARSYNC_PORTAL_GOV_HN_MAIN_PASSWORD"
OWN_KEYRING = "keyring:arsync-portal/gov-hn/main"


def _folder(tmp_path: Path, **kw) -> Path:
    d = tmp_path / "portals"
    d.mkdir(exist_ok=True)
    values = {"url": "https://gov.example.cn/", "ref": OWN_ENV, "solver": "manual", **kw}
    (d / "gov-hn.yaml").write_text(PORTAL.format(**values), encoding="utf-8")
    return d


def _load(tmp_path: Path, **kw):
    return load_definitions(extra_dir=str(_folder(tmp_path, **kw)), strict=False)


@pytest.mark.parametrize("ref", [OWN_ENV, OWN_KEYRING])
def test_an_account_may_name_its_own_secret(tmp_path, ref):
    defs = _load(tmp_path, ref=ref)
    assert "gov-hn" in defs and not defs.rejected


@pytest.mark.parametrize(
    "ref",
    [
        "env:ARSYNC_SAP__CONNECTION__PASSWD",  # the SAP password
        "env:ARSYNC_SESSION_KEY",  # the key of every saved session
        "env:HOME",
        "env:ARSYNC_PORTAL_GOV_GD_MAIN_PASSWORD",  # another portal's
        "env:ARSYNC_PORTAL_GOV_HN_OTHER_PASSWORD",  # another account's
        "keyring:arsync/session-key",
        "keyring:arsync/sap:RFC_AR",
        "keyring:arsync-portal/gov-gd/main",
    ],
)
def test_a_reference_outside_the_portals_namespace_is_refused(tmp_path, ref, monkeypatch):
    monkeypatch.setenv("ARSYNC_SAP__CONNECTION__PASSWD", "sap-Secret-1")
    defs = _load(tmp_path, ref=ref)
    assert "gov-hn" not in defs
    (bad,) = defs.rejected
    assert bad.id == "gov-hn" and bad.customers == ("0000100001",)
    assert OWN_ENV in bad.reason and OWN_KEYRING in bad.reason
    assert "sap-Secret-1" not in bad.reason
    # the bundled portals are unaffected
    assert {"gov-gd", "hosp-sh", "uni-bj"} <= set(defs)


@pytest.mark.parametrize(
    "url, allow, ok",
    [
        ("https://gov.example.cn/", False, True),
        ("http://127.0.0.1:8123/", False, True),
        ("http://localhost:8123/", False, True),
        ("http://[::1]:8123/", False, True),
        ("http://gov.example.cn/", False, False),
        ("http://10.0.0.5/", False, False),
        ("http://gov.example.cn/", True, True),
        ("file:///etc/passwd", False, False),
        ("javascript:alert(1)", True, False),
        ("ftp://gov.example.cn/", True, False),
    ],
)
def test_plain_http_only_to_loopback_or_when_allowed_for_that_portal(tmp_path, url, allow, ok):
    d = _folder(tmp_path, url=url)
    if allow:
        f = d / "gov-hn.yaml"
        f.write_text(f.read_text(encoding="utf-8") + "allow_http: true\n", encoding="utf-8")
    defs = load_definitions(extra_dir=str(d), strict=False)
    assert ("gov-hn" in defs) is ok
    if not ok:
        assert "base_url" in defs.rejected[0].reason


def test_the_password_is_typed_only_on_the_portals_own_origin():
    trust.check_same_origin("https://gov.example.cn/login", "https://gov.example.cn/", "p/a")
    trust.check_same_origin("http://127.0.0.1:81/x", "http://127.0.0.1:81", "p/a")
    for elsewhere in (
        "https://evil.example.com/login",
        "http://gov.example.cn/login",  # downgraded
        "https://gov.example.cn:8443/login",
    ):
        with pytest.raises(ConfigError, match="typed only there"):
            trust.check_same_origin(elsewhere, "https://gov.example.cn/", "gov-hn/main")


def test_the_reference_is_checked_again_where_the_password_is_read(monkeypatch):
    monkeypatch.setenv("ARSYNC_SAP__CONNECTION__PASSWD", "sap-Secret-1")
    with pytest.raises(ConfigError, match="own accounts' secrets"):
        trust.account_password("gov-hn", "x.yaml", "main", "env:ARSYNC_SAP__CONNECTION__PASSWD")
    monkeypatch.setenv("ARSYNC_PORTAL_GOV_HN_MAIN_PASSWORD", "pw-1")
    got = trust.account_password("gov-hn", "x.yaml", "main", OWN_ENV)
    assert got is not None and got.reveal() == "pw-1"


@pytest.mark.parametrize("solver", ["os:system", "subprocess:Popen", "'my.mod:make'", "../x"])
def test_a_solver_is_never_a_module_path(tmp_path, solver):
    defs = _load(tmp_path, solver=solver)
    assert "gov-hn" not in defs and "entry point group arsync.solvers" in defs.rejected[0].reason
    with pytest.raises(ConfigError, match=r"not imported|not registered"):
        S.make_solver(solver.strip("'"))


class _EP:
    def __init__(self, factory):
        self.factory = factory

    def load(self):
        return self.factory


class GoodSolver:
    interactive = False
    needs_image = False

    async def image_captcha(self, ch):
        return "1234"

    async def sms_code(self, ch):
        return "5678"


def _boom():
    raise RuntimeError("plug-in exploded")


def test_solvers_come_from_registered_entry_points(monkeypatch):
    monkeypatch.setattr(
        S,
        "entry_points",
        lambda: {"good-ocr": _EP(GoodSolver), "boom": _EP(_boom), "not-one": _EP(object)},
    )
    assert isinstance(S.make_solver("good-ocr"), GoodSolver)
    with pytest.raises(ConfigError, match="'boom' cannot be loaded: RuntimeError"):
        S.make_solver("boom")
    with pytest.raises(ConfigError, match="'not-one' is not a solver"):
        S.make_solver("not-one")
    with pytest.raises(ConfigError, match=r"not registered \(known: boom, good-ocr, manual"):
        S.make_solver("other")


def test_a_run_goes_on_when_one_portal_file_is_bad(tmp_path):
    """The bad portal is reported with its reason, its customers stay mapped to it (their items
    keep their last known status), and the bundled portals open as usual."""
    d = _folder(tmp_path, ref="env:ARSYNC_SESSION_KEY")
    settings = load_settings(
        environ={}, overrides={"sandbox.size": "tiny", "portals.definitions_dir": str(d)}
    )
    with open_sources(settings, pd.Timestamp("2026-11-23").date(), sap=False) as src:
        assert src.portals is not None
        assert [r.id for r in src.portals.rejected] == ["gov-hn"]
        assert "gov-hn" in src.portals.customer_portals["0000100001"]
        assert {p.id for p in src.portals.definitions} >= {"gov-gd", "hosp-sh", "uni-bj"}
        with pytest.raises(ConfigError, match="own accounts' secrets"):
            src.portals.chosen(["gov-hn"])


def test_the_bundled_examples_show_the_namespaced_reference():
    for f in BUNDLED.glob("*.yaml"):
        text = f.read_text(encoding="utf-8")
        if "password:" in text and "env:" in text:
            pid = text.split("\nid: ", 1)[1].split("\n", 1)[0]
            assert trust.env_name(pid, "main") in text, f.name
