"""Portal declarations, status decisions, saved sessions and the simulator's wire format (no browser)."""

from __future__ import annotations

import json
import os
import stat
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from arsync.common.errors import ConfigError, LayoutDriftError
from arsync.connectors.portals import load_definitions, select
from arsync.connectors.portals.definitions import BUNDLED
from arsync.connectors.portals.records import decide_status, frame, to_record
from arsync.connectors.portals.runner import numbers_for
from arsync.connectors.portals.sessions import SessionStore
from arsync.sandbox.portals import start_simulators
from arsync.sandbox.tiny_portals import tiny_world


@pytest.fixture
def defs():
    return load_definitions()


def _copy_bundled(tmp_path: Path) -> Path:
    d = tmp_path / "portals"
    d.mkdir()
    for p in BUNDLED.glob("*.yaml"):
        (d / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    return d


def test_bundled_definitions_cover_three_families(defs):
    assert {p.family for p in defs.values()} == {"government", "hospital", "university"}
    assert {p.spec.list.source for p in defs.values()} == {"json", "table", "search"}
    assert [p.id for p in select(defs, ["uni-bj"])] == ["uni-bj"]
    with pytest.raises(ConfigError, match=r"unknown portal id.*nope"):
        select(defs, ["nope"])


def test_a_new_portal_of_a_known_family_is_one_file(tmp_path):
    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "gov-hn.yaml").write_text(
        "kind: portal\nid: gov-hn\nfamily: government\nbase_url: https://gov.example.cn/\n"
        "accounts:\n  - {id: main, username: '91430000X', password: 'env:ARSYNC_PORTAL_GOV_HN_MAIN_PASSWORD', login: manual}\n"
        "buyers: {湖南某单位: '0000100001'}\n",
        encoding="utf-8",
    )
    d = load_definitions(extra_dir=str(extra))
    p = d["gov-hn"]
    assert p.spec.family == "government" and p.accounts[0].login == "manual"
    assert "env:" not in repr(p.accounts[0])


@pytest.mark.parametrize(
    "edit, where",
    [
        (
            lambda t: t.replace("source: json", "source: jsonp"),
            "family-government.yaml: key list.source",
        ),
        (
            lambda t: t.replace("      待支付: APPROVED", "      待支付: APPROVD"),
            "key status.0.words.待支付.status",
        ),
        (lambda t: t.replace("  record_id: {key: id, type: id}\n", ""), "key fields"),
        (
            lambda t: t.replace("  rows: result.data\n", ""),
            "key list: Value error, source 'json' needs rows",
        ),
        (lambda t: t.replace("login:\n", "logon:\n", 1), "key logon: unknown key"),
    ],
)
def test_family_errors_name_file_and_key(tmp_path, edit, where):
    d = _copy_bundled(tmp_path)
    f = d / "family-government.yaml"
    f.write_text(edit(f.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ConfigError) as ei:
        load_definitions([d])
    assert str(f) in str(ei.value) and where.split(": ", 1)[-1] in str(ei.value)


def test_portal_errors_name_file_and_key(tmp_path):
    d = _copy_bundled(tmp_path)
    f = d / "uni-bj.yaml"
    f.write_text(
        f.read_text(encoding="utf-8").replace("family: university", "family: universty"),
        encoding="utf-8",
    )
    with pytest.raises(
        ConfigError, match=r"uni-bj.yaml: key family: no family definition 'universty'"
    ):
        load_definitions([d])
    f.write_text("kind: portal\nid: x\nfamily: university\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"uni-bj.yaml: key base_url: required"):
        load_definitions([d])
    f.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"uni-bj.yaml: expected a mapping"):
        load_definitions([d])


def test_a_clear_password_in_a_file_is_refused_without_echoing_it(tmp_path):
    d = _copy_bundled(tmp_path)
    f = d / "gov-gd.yaml"
    f.write_text(
        f.read_text(encoding="utf-8").replace(
            "accounts: sandbox", "accounts:\n  - {id: main, username: u1, password: 'Hunter2!x'}"
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as ei:
        load_definitions([d])
    assert (
        "gov-gd.yaml: key accounts.list[Account].0.password: Value error, must be a reference"
        in str(ei.value)
    )
    assert "Hunter2!x" not in str(ei.value) and "env:VARIABLE" in str(ei.value)


def test_hospital_export_keeps_ids_as_text(tmp_path):
    from openpyxl import load_workbook

    world = tiny_world()
    with start_simulators(world) as h:
        sim = h.sims["hosp-sh"]
        s, _ = sim.start_session(next(iter(sim.accounts)))
        req = urllib.request.Request(
            h.url("hosp-sh") + "api/settle/export", headers={"Cookie": f"{sim.cookie}={s.token}"}
        )
        (tmp_path / "x.xlsx").write_bytes(urllib.request.urlopen(req).read())
    ws = load_workbook(tmp_path / "x.xlsx").active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "结算单号" and len(rows) == 46
    assert {r[0] for r in rows[1:]} == set(
        world.portal_records.query("portal == 'hosp-sh'")["record_id"]
    )


def test_status_is_decided_per_column_most_advanced_money_column_first(defs):
    hosp = defs["hosp-sh"].spec
    # 待付款 in the order column: received, not paid; in the settlement column: approved for payment
    assert decide_status(
        hosp, {"订单状态": "待付款", "结算状态": "未对账", "付款状态": "未付款"}, "t"
    )[:3] == ("ACCEPTED", "待付款", "订单状态")
    assert decide_status(hosp, {"订单状态": "待付款", "结算状态": "待付款", "付款状态": ""}, "t")[
        :3
    ] == ("APPROVED", "待付款", "结算状态")
    assert (
        decide_status(
            hosp, {"订单状态": "已完成", "结算状态": "已结算", "付款状态": "已付款"}, "t"
        )[0]
        == "PAID"
    )
    gov = defs["gov-gd"].spec
    assert decide_status(gov, {"payStatus": "待申请", "acceptStatus": "已验收"}, "t") == (
        "ACCEPTED",
        "待申请",
        "支付状态",
        "SUPPLIER",
    )
    assert (
        decide_status(gov, {"payStatus": "未申请", "acceptStatus": "验收不通过"}, "t")[0]
        == "REJECTED"
    )
    with pytest.raises(LayoutDriftError, match=r"'已核销' in column 支付状态"):
        decide_status(gov, {"payStatus": "已核销", "acceptStatus": "已验收"}, "gov-gd/a")


def test_rows_become_typed_records(defs):
    uni = defs["uni-bj"].model_copy(update={"buyers": {"北京某大学": "0000200001"}})
    raw = {
        "预约单号": "YY2026110012345",
        "报销单位": "北京某大学",
        "发票号码": "No.０１２３４５６７",
        "报销金额": "1,234.56元",
        "当前状态": "已支付",
        "状态日期": "2026-11-20",
        "预计支付日期": "",
        "支付日期": "2026年11月20日",
        "银行流水号": "B123",
        "退回原因": "",
    }
    rec = to_record(
        uni,
        "acct",
        raw,
        evidence="e.html",
        fetched_at=__import__("datetime").datetime(2026, 11, 23),
        where="uni-bj/acct",
    )
    assert rec["amount"] == 123456 and rec["customer"] == "0000200001" and rec["status"] == "PAID"
    assert rec["invoice_no"] == "No.０１２３４５６７"  # as shown
    df = frame([rec])
    assert str(df["amount"].dtype) == "Int64" and df.loc[0, "paid_date"].day == 20
    with pytest.raises(Exception, match=r"field amount"):
        to_record(
            uni,
            "acct",
            {**raw, "报销金额": "一些钱"},
            evidence="",
            fetched_at=None,
            where="uni-bj/acct",
        )


def test_search_numbers_come_from_the_customers_open_items(defs):
    uni = defs["uni-bj"].model_copy(update={"customers": ["0000000001"]})
    nums = {"0000000001": ["12345678", " 12345678", "２６１２３"], "0000000002": ["99999999"]}
    assert numbers_for(uni, nums) == ["12345678", "26123"]
    assert numbers_for(uni, ["1", "2"]) == ["1", "2"]
    assert numbers_for(uni, None) == []


def test_sessions_are_encrypted_with_a_configured_private_key_file(tmp_path, monkeypatch):
    monkeypatch.delenv("ARSYNC_SESSION_KEY", raising=False)
    monkeypatch.setattr("arsync.connectors.portals.sessions._keyring_key", lambda: None)
    key = tmp_path / "keys" / "session.key"
    store = SessionStore(tmp_path / "s", key_file=key)
    state = {"cookies": [{"name": "SESSION", "value": "tok-secret-123"}], "origins": []}
    path = store.save("gov-gd", "acct-01", state)
    assert b"tok-secret-123" not in path.read_bytes()
    assert store.load("gov-gd", "acct-01") == state
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "s").st_mode) == 0o700
    assert not list((tmp_path / "s").rglob("*key*"))  # the key is not beside the sessions
    monkeypatch.setenv(
        "ARSYNC_SESSION_KEY",
        __import__("cryptography.fernet").fernet.Fernet.generate_key().decode(),
    )
    assert (
        SessionStore(tmp_path / "s").load("gov-gd", "acct-01") is None
    )  # other key: a new login is needed
    monkeypatch.setenv("ARSYNC_SESSION_KEY", "not-a-key")
    with pytest.raises(ConfigError, match=r"ARSYNC_SESSION_KEY"):
        SessionStore(tmp_path / "s").load("gov-gd", "acct-01")


def test_simulator_serves_19_digit_ids_as_raw_json_numbers():
    world = tiny_world()
    with start_simulators(world) as h:
        sim = h.sims["gov-gd"]
        acc = next(iter(sim.accounts))
        s, _resp = sim.start_session(acc)
        req = urllib.request.Request(
            h.url("gov-gd") + "api/orders?pageNo=1&pageSize=3",
            headers={"Cookie": f"{sim.cookie}={s.token}"},
        )
        text = urllib.request.urlopen(req).read().decode()
        with pytest.raises(urllib.error.HTTPError) as ei:  # no session: 401, as JSON
            urllib.request.urlopen(h.url("gov-gd") + "api/orders")
    assert ei.value.code == 401
    data = json.loads(text)
    rid = world.portal_records.query("portal == 'gov-gd'")["record_id"]
    assert data["result"]["total"] == len(rid)
    first = text.split('"id":', 1)[1].split(",", 1)[0]
    assert first.isdigit() and len(first) == 19 and first in set(rid)  # a bare number, exact
    assert any(int(float(r)) != int(r) for r in rid)  # a JS number would round them
