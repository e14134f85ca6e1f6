"""The portal runner end to end: real headless Chromium against the simulators (one browser per session)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import urllib.request
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from arsync.config import load_settings
from arsync.connectors.portals import load_definitions
from arsync.connectors.portals.browser import launch
from arsync.connectors.portals.login import login_async
from arsync.connectors.portals.runner import fetch_async
from arsync.connectors.portals.solvers import SandboxSolver
from arsync.jobs.pipeline.sources import sandbox_portals, sandbox_search_numbers
from arsync.sandbox.portals import Faults
from arsync.sandbox.tiny_portals import make_world, tiny_world

pytestmark = pytest.mark.browser
TODAY = date(2026, 11, 23)
ALL = ["gov-gd", "gov-zj", "hosp-sh", "hosp-gd", "uni-bj", "uni-sh"]


@pytest.fixture(scope="session")
def pw():
    """One event loop and one Chromium for the whole session."""
    loop = asyncio.new_event_loop()
    cm = launch(load_settings())
    browser = loop.run_until_complete(cm.__aenter__())
    yield loop, browser
    loop.run_until_complete(cm.__aexit__(None, None, None))
    loop.close()


@pytest.fixture
def settings(tmp_path):
    return load_settings(
        overrides={
            "portals.session_dir": str(tmp_path / "sessions"),
            # sessions are kept only with a key (env, keyring or a configured file)
            "portals.session_key_file": str(tmp_path / "keys" / "session.key"),
            "portals.timeout_ms": 10000,
            "portals.retry.initial": 0.01,
            "portals.retry.maximum": 0.05,
            "portals.retry.attempts": 4,
        }
    )


@pytest.fixture
def sandbox():
    """Start simulators for a world with faults; bind the bundled definitions to them."""
    with contextlib.ExitStack() as stack:

        def make(world=None, faults=None, ids=ALL):
            world = world if world is not None else tiny_world()
            defs = load_definitions()
            bound, handle = stack.enter_context(
                sandbox_portals([defs[i] for i in ids], world, faults=faults)
            )
            return bound, handle, sandbox_search_numbers(world)

        yield make


def run(pw, settings, portals, out, **kw):
    loop, browser = pw
    # A hang is a failure of this test, not of the whole session.
    return loop.run_until_complete(
        asyncio.wait_for(
            fetch_async(settings, portals, out_dir=out, browser=browser, today=TODAY, **kw),
            timeout=600,
        )
    )


def one_number_searches(defs):
    """The declarations with one invoice number per search (``list.search_batch: 1``)."""
    out = []
    for p in defs:
        lst = p.spec.list.model_copy(update={"search_batch": 1})
        out.append(p.model_copy(update={"spec": p.spec.model_copy(update={"list": lst})}))
    return out


def _compare(world, recs: pd.DataFrame, search_portals=("uni-bj", "uni-sh")) -> pd.DataFrame:
    truth = world.portal_records
    m = recs.merge(
        truth,
        on=["portal", "account", "record_id"],
        how="outer",
        suffixes=("", "_w"),
        indicator=True,
    )
    listed = ~m["portal"].isin(search_portals)
    assert (m.loc[listed, "_merge"] == "both").all(), m.loc[
        listed & (m["_merge"] != "both"), ["portal", "record_id"]
    ]
    assert (m.loc[~listed, "_merge"] != "left_only").all()  # a search finds only real records
    both = m[m["_merge"] == "both"]
    assert (both["status"] == both["status_w"]).all(), both.loc[
        both["status"] != both["status_w"], ["portal", "record_id", "status", "status_w"]
    ]
    assert (both["amount"].astype("int64") == both["amount_w"]).all()
    assert (
        both["invoice_no"] == both["invoice_no_w"].str.strip()
    ).all()  # verbatim, noise included
    assert (both["customer"] == both["customer_w"]).all()
    return both


def test_all_three_families_agree_with_the_world(pw, settings, sandbox, tmp_path):
    world = make_world()
    defs, _h, numbers = sandbox(world=world)
    numbers = {c: ns[:12] for c, ns in numbers.items()}  # one search per number: keep it quick
    res = run(pw, settings, defs, tmp_path / "run", invoice_numbers=numbers)
    assert [o.outcome for o in res.outcomes] == ["ok"] * len(res.outcomes), res.outcomes
    both = _compare(world, res.records)
    assert set(both["portal"]) == set(ALL)
    gov = both[both["portal"].str.startswith("gov")]
    assert (
        gov["record_id"].str.fullmatch(r"\d{19}").all()
    )  # exact 19-digit ids, never via JS numbers
    hosp = both[both["portal"].str.startswith("hosp")]
    # 待付款 means ACCEPTED in 订单状态 and APPROVED in 结算状态
    assert set(hosp.loc[hosp["status_column"] == "订单状态", "status"]) >= {"ACCEPTED"}
    assert "APPROVED" in set(
        hosp.loc[
            (hosp["status_column"] == "结算状态") & (hosp["status_text"] == "待付款"), "status"
        ]
    )
    assert (gov.loc[gov["status_text"] == "待申请", "action_by"] == "SUPPLIER").all()
    paid = both[both["status"] == "PAID"]
    assert paid["paid_date"].notna().all()
    ev = [Path(p) for p in res.records["evidence"].unique()]
    assert ev and all(p.is_file() for p in ev)
    assert all(Path(o.evidence).is_file() for o in res.outcomes)


def test_fault_knobs_are_survived(pw, settings, sandbox, tmp_path):
    faults = {
        "gov-gd": Faults(error_rate=0.5, seed=3),
        "gov-zj": Faults(expire_after=1, latency_ms=20),
        "hosp-sh": Faults(rate_limit_every=2),
        "hosp-gd": Faults(captcha_fail_once=True, error_rate=0.5, seed=1),
        "uni-bj": Faults(expire_after=4),
        "uni-sh": Faults(captcha_fail_once=True, rate_limit_every=5),
    }
    world = tiny_world(
        per_account={"government": 130, "hospital": 230, "university": 14}
    )  # several pages
    defs, h, numbers = sandbox(world=world, faults=faults)
    defs = one_number_searches(defs)  # enough search requests for the faults to strike
    res = run(pw, settings, defs, tmp_path / "run", invoice_numbers=numbers)
    assert [o.outcome for o in res.outcomes] == ["ok"] * 6, res.outcomes
    _compare(world, res.records)
    by = {o.portal: o for o in res.outcomes}
    assert h.sims["gov-gd"].stats["errors"] > 0 and h.sims["hosp-gd"].stats["errors"] > 0
    assert h.sims["hosp-sh"].stats["limited"] > 0 and h.sims["uni-sh"].stats["limited"] > 0
    assert by["gov-zj"].attempts == 2 and sum(h.sims["gov-zj"].logins.values()) == 2  # re-login
    assert by["uni-bj"].attempts == 2
    assert (
        len(h.sims["hosp-gd"].refused_once) == 1 and by["hosp-gd"].attempts == 1
    )  # solved again in place


def test_an_unreadable_portal_is_reported_with_evidence_and_stops_nothing(
    pw, settings, sandbox, tmp_path
):
    defs, _h, numbers = sandbox(
        faults={"gov-gd": Faults(error_rate=1.0)}, ids=["gov-gd", "hosp-sh"]
    )
    res = run(pw, settings, defs, tmp_path / "run", invoice_numbers=numbers)
    by = {o.portal: o for o in res.outcomes}
    assert by["gov-gd"].outcome == "stale" and "HTTP 500" in by["gov-gd"].reason
    assert (
        Path(by["gov-gd"].evidence).is_file()
        and Path(by["gov-gd"].evidence).with_suffix(".png").is_file()
    )
    assert by["hosp-sh"].outcome == "ok"
    assert set(res.records["portal"]) == {"hosp-sh"}


@pytest.mark.parametrize("pid", ["gov-gd", "hosp-sh", "uni-bj"])
def test_redesigned_layout_fails_loudly(pw, settings, sandbox, tmp_path, pid):
    defs, _h, numbers = sandbox(faults={pid: Faults(redesigned=True)}, ids=[pid])
    res = run(pw, settings, defs, tmp_path / "run", invoice_numbers=numbers)
    (o,) = res.outcomes
    assert o.outcome == "failed" and o.reason.startswith("layout changed: ") and o.attempts == 1
    assert "missing" in o.reason and Path(o.evidence).is_file()
    assert res.records.empty  # never a partial result


def test_unknown_status_word_is_drift(pw, settings, sandbox, tmp_path):
    (gov,), _h, _ = sandbox(ids=["gov-gd"])
    spec = gov.spec
    cols = [
        c.model_copy(update={"words": {k: v for k, v in c.words.items() if k != "支付中"}})
        for c in spec.status
    ]
    gov = gov.model_copy(update={"spec": spec.model_copy(update={"status": cols})})
    res = run(pw, settings, [gov], tmp_path / "run")
    (o,) = res.outcomes
    assert o.outcome == "failed" and "'支付中'" in o.reason and "支付状态" in o.reason
    assert res.records.empty


def test_session_is_reused_and_an_expired_one_needs_login(pw, settings, sandbox, tmp_path):
    (gov,), h, _ = sandbox(ids=["gov-gd"])
    acc = gov.accounts[0]
    loop, browser = pw
    loop.run_until_complete(
        login_async(settings, gov, acc, browser=browser, visible=False, solver=SandboxSolver())
    )
    manual = gov.model_copy(update={"accounts": [acc.model_copy(update={"login": "manual"})]})
    first = run(pw, settings, [manual], tmp_path / "a")
    assert first.outcomes[0].outcome == "ok" and not first.outcomes[0].logged_in
    assert sum(h.sims["gov-gd"].logins.values()) == 1
    urllib.request.urlopen(
        h.url("gov-gd") + "_test/expire"
    ).read()  # the portal forgets every session
    second = run(pw, settings, [manual], tmp_path / "b")
    (o,) = second.outcomes
    assert (
        o.outcome == "needs_login"
        and "arsync portals login gov-gd/" in o.reason
        and o.attempts == 1
    )
    assert second.records.empty
    auto = run(pw, settings, [gov], tmp_path / "c")  # an auto account logs in again
    assert auto.outcomes[0].outcome == "ok" and auto.outcomes[0].logged_in


def test_password_never_in_logs_evidence_or_file_names(pw, settings, sandbox, tmp_path, caplog):
    world = tiny_world()
    defs, _h, numbers = sandbox(
        world=world, faults={"hosp-sh": Faults(error_rate=1.0)}, ids=["gov-gd", "hosp-sh", "uni-bj"]
    )
    passwords = [a.password.reveal() for p in defs for a in p.accounts]
    wrong = defs[0].model_copy(
        update={
            "id": "gov-gd",
            "accounts": [
                defs[0]
                .accounts[0]
                .model_copy(
                    update={"password": type(defs[0].accounts[0].password)(passwords[0] + "x")}
                )
            ],
        }
    )
    caplog.set_level(logging.DEBUG)
    res = run(pw, settings, defs, tmp_path / "run", invoice_numbers=numbers)
    fresh = settings.model_copy(
        update={
            "portals": settings.portals.model_copy(
                update={"session_dir": str(tmp_path / "sessions2")}
            )
        }
    )  # no saved session to fall back on
    bad = run(pw, fresh, [wrong], tmp_path / "run2")
    assert bad.outcomes[0].outcome == "failed" and bad.outcomes[0].reason.startswith(
        "login refused: "
    )
    assert bad.outcomes[0].attempts == 1  # a refused login is never retried
    secrets = [*passwords, passwords[0] + "x"]
    texts = [caplog.text, repr(res.outcomes), repr(bad.outcomes), repr(defs), res.records.to_csv()]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) > 10
    for s in secrets:
        assert all(s not in t for t in texts)
        for p in files:
            assert s not in str(p)
            assert s.encode() not in p.read_bytes(), p


def test_search_by_click_reads_what_the_form_search_reads(pw, settings, sandbox, tmp_path):
    """Both ways of searching (press 查询 and wait for the page / send the form from the page) agree."""
    world = tiny_world()
    (uni,), h, numbers = sandbox(
        world=world, faults={"uni-bj": Faults(rate_limit_every=4)}, ids=["uni-bj"]
    )
    numbers = {c: ns[:8] for c, ns in numbers.items()}
    assert uni.spec.list.search_by == "form"

    def searched(by: str):  # one number per search: enough requests for the 429s
        spec = uni.spec
        lst = spec.list.model_copy(update={"search_by": by, "search_batch": 1})
        return uni.model_copy(update={"spec": spec.model_copy(update={"list": lst})})

    uni, click = searched("form"), searched("click")
    got = {}
    for name, portal in (("form", uni), ("click", click)):
        res = run(pw, settings, [portal], tmp_path / name, invoice_numbers=numbers)
        assert [o.outcome for o in res.outcomes] == ["ok"], res.outcomes
        got[name] = res.records.drop(columns=["fetched_at", "evidence"]).reset_index(drop=True)
    assert len(got["form"]) > 0 and h.sims["uni-bj"].stats["limited"] > 0
    pd.testing.assert_frame_equal(got["form"], got["click"])


def test_batched_searches_read_what_one_number_searches_read_in_fewer_requests(
    pw, settings, sandbox, tmp_path
):
    """list.search_batch: several numbers in one query, the portal lists every hit."""
    world = tiny_world()
    (uni,), h, numbers = sandbox(world=world, ids=["uni-bj"])
    assert uni.spec.list.search_batch > 1
    spec = uni.spec
    single = uni.model_copy(
        update={
            "spec": spec.model_copy(
                update={"list": spec.list.model_copy(update={"search_batch": 1})}
            )
        }
    )
    got, requests = {}, {}
    for name, portal in (("single", single), ("batched", uni)):
        before = h.sims["uni-bj"].stats["data"]
        res = run(pw, settings, [portal], tmp_path / name, invoice_numbers=numbers)
        assert [o.outcome for o in res.outcomes] == ["ok"], res.outcomes
        requests[name] = h.sims["uni-bj"].stats["data"] - before
        got[name] = (
            res.records.drop(columns=["fetched_at", "evidence"])
            .sort_values("record_id")
            .reset_index(drop=True)
        )
    assert len(got["single"]) > 0
    pd.testing.assert_frame_equal(got["batched"], got["single"])
    assert requests["batched"] * 5 <= requests["single"]


def test_a_request_the_portal_never_answers_is_abandoned_and_retried(pw, tmp_path, sandbox):
    quick = load_settings(
        overrides={
            "portals.session_dir": str(tmp_path / "sessions"),
            "portals.timeout_ms": 1500,
            "portals.retry.initial": 0.01,
            "portals.retry.maximum": 0.05,
            "portals.retry.attempts": 4,
        }
    )
    ids = ("gov-gd", "hosp-sh", "uni-bj")
    world = tiny_world(per_account={"government": 60, "hospital": 60, "university": 6})
    defs, h, numbers = sandbox(world=world, faults=Faults(stall_every=4), ids=ids)
    defs = one_number_searches(defs)  # enough search requests for the stalls to strike
    res = run(pw, quick, defs, tmp_path / "run", invoice_numbers=numbers)
    assert [o.outcome for o in res.outcomes] == ["ok"] * len(res.outcomes), res.outcomes
    assert sum(h.sims[i].stats["stalled"] for i in ids) > 0
    got, truth = res.records, world.portal_records
    for pid in ("gov-gd", "hosp-sh"):  # list portals: every record, once, with its status
        mine = got[got["portal"] == pid].set_index("record_id")["status"].sort_index()
        want = truth[truth["portal"] == pid].set_index("record_id")["status"].sort_index()
        pd.testing.assert_series_equal(mine, want, check_names=False)
    uni = got[got["portal"] == "uni-bj"]
    assert len(uni) > 0 and set(uni["record_id"]) <= set(
        truth.loc[truth["portal"] == "uni-bj", "record_id"]
    )


def deadline_settings(tmp_path, **over):
    """A hung request would hold an account for ten minutes: only a deadline ends it sooner."""
    return load_settings(
        overrides={
            "portals.session_dir": str(tmp_path / "sessions"),
            "portals.timeout_ms": 600_000,
            "portals.retry.initial": 0.01,
            "portals.retry.maximum": 0.05,
            **over,
        }
    )


def test_an_account_past_its_deadline_is_stale_with_nothing_kept(pw, tmp_path, sandbox):
    # 10 s: time enough, on a loaded machine, to log in and reach the third search
    s = deadline_settings(tmp_path, **{"portals.account_deadline_s": 10})
    defs, h, numbers = sandbox(faults={"uni-bj": Faults(stall_every=3)}, ids=["uni-bj"])
    defs = one_number_searches(defs)  # enough search requests for the stall to strike
    res = run(pw, s, defs, tmp_path / "run", invoice_numbers=numbers)
    (o,) = res.outcomes
    assert o.outcome == "stale", o
    assert "not read within the account's 10 s (portals.account_deadline_s)" in o.reason
    assert h.sims["uni-bj"].stats["stalled"] >= 1
    assert res.records.empty  # what was read before the deadline is not passed off as all
    assert o.evidence


def test_a_portal_past_its_deadline_starts_no_more_accounts(pw, tmp_path, sandbox):
    s = deadline_settings(
        tmp_path, **{"portals.account_deadline_s": 0, "portals.portal_deadline_s": 3}
    )
    world = tiny_world(accounts=2)
    defs, h, numbers = sandbox(
        world=world, faults={"uni-bj": Faults(stall_every=1)}, ids=["uni-bj"]
    )
    res = run(pw, s, defs, tmp_path / "run", invoice_numbers=numbers, concurrency=1)
    first, second = res.outcomes
    assert (first.outcome, second.outcome) == ("stale", "stale"), res.outcomes
    assert "not read within the portal's 3 s (portals.portal_deadline_s)" in first.reason
    assert "not started" in second.reason and second.attempts == 0
    # only the first account reached the portal (on a loaded machine 3 s can pass before even
    # its login is done): the second never logged in
    assert set(h.sims["uni-bj"].logins) <= {first_user(world, first.account)}
    assert h.sims["uni-bj"].logins.get(first_user(world, first.account), 1) == 1


def first_user(world, account: str) -> str:
    accs = world.portal_accounts
    return str(
        accs.loc[(accs["portal"] == "uni-bj") & (accs["account"] == account), "username"].iloc[0]
    )


class _ExplodingSolver:
    """A registered solver that passes the shape check and then raises an error of its own."""

    interactive = False
    needs_image = False

    async def image_captcha(self, ch):
        raise RuntimeError("OCR service returned garbage")

    async def sms_code(self, ch):
        raise RuntimeError("SMS gateway down")


def test_a_misbehaving_solver_fails_only_its_portal(pw, settings, sandbox, tmp_path, monkeypatch):
    from arsync.connectors.portals import solvers

    class EP:
        def load(self):
            return _ExplodingSolver

    monkeypatch.setattr(solvers, "entry_points", lambda: {"flaky-ocr": EP()})
    defs, _h, numbers = sandbox(ids=["gov-gd", "hosp-sh"])
    defs = [
        p.model_copy(
            update={"accounts": [a.model_copy(update={"solver": "flaky-ocr"}) for a in p.accounts]}
        )
        if p.id == "gov-gd"
        else p
        for p in defs
    ]
    res = run(pw, settings, defs, tmp_path / "run", invoice_numbers=numbers)
    by = {o.portal: o for o in res.outcomes}
    assert by["gov-gd"].outcome == "failed" and "RuntimeError" in by["gov-gd"].reason
    assert by["hosp-sh"].outcome == "ok" and set(res.records["portal"]) == {"hosp-sh"}


def test_the_final_evidence_shows_the_last_search_answer(pw, settings, sandbox, tmp_path):
    """Answers are read where nothing is laid out; only the last one is put in the live page."""
    (uni,), _h, numbers = sandbox(world=tiny_world(), ids=["uni-bj"])
    numbers = {c: ns[:3] for c, ns in numbers.items()}
    res = run(pw, settings, one_number_searches([uni]), tmp_path / "run", invoice_numbers=numbers)
    assert [o.outcome for o in res.outcomes] == ["ok"], res.outcomes
    final = Path(res.outcomes[0].evidence).read_text(encoding="utf-8")
    searches = sorted(Path(res.outcomes[0].evidence).parent.glob("*-search-*.html"))
    assert len(searches) >= 2
    last = searches[-1].read_text(encoding="utf-8")
    assert last.startswith('<div id="result"') and last in final
    assert all(s.read_text(encoding="utf-8") not in final for s in searches[:-1])
