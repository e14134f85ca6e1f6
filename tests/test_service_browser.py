"""The pages in a real headless Chromium (Playwright) against `arsync serve` on a loopback port:
sign in, start a reconciliation narrowed to one customer, watch it finish, download the
collector's worksheet; a collector sees only their own workbook; a portal login whose captcha
a person reads from the page (a wrong answer first: the portal shows a new picture and the
page asks again).  With ARSYNC_RENDER_DIR set, screenshots of the main pages land there."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright
from python_calamine import CalamineWorkbook

from arsync.common.secrets import Secret
from arsync.connectors.portals.browser import ARGS, executable
from arsync.service.app import create_app
from arsync.service.context import open_service
from arsync.service.server import BackgroundServer

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
RENDERS = os.environ.get("ARSYNC_RENDER_DIR")
LONG = 240_000  # ms: a worker process starts Python, builds the world, runs the stages


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("svc-pages")
    svc = open_service(
        overrides={
            "runs.out_dir": str(out),
            "sandbox.size": "tiny",
            "portals.session_dir": str(out / "sessions"),
            # a person's portal login is kept only with a session key (env, keyring or file)
            "portals.session_key_file": str(out / "keys" / "session.key"),
        }
    )
    svc.users.add("olga", "ops", Secret(PASSWORD))
    svc.users.add("cora", "collector", Secret(PASSWORD), collector="C1")
    with (
        BackgroundServer(create_app(svc, schedule=False)) as url,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(
            executable_path=executable(svc.settings, pw.chromium), args=ARGS, headless=True
        )
        yield svc, url, browser
        browser.close()


def shot(page, name: str) -> None:
    if RENDERS:
        Path(RENDERS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(RENDERS) / f"{name}.png"), full_page=True)


def signed_in(browser, url: str, user: str, lang: str = "zh"):
    context = browser.new_context(
        base_url=url, accept_downloads=True, viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    page.goto(f"/?lang={lang}")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("用户名" if lang == "zh" else "User name").fill(user)
    page.get_by_label("密码" if lang == "zh" else "Password").fill(PASSWORD)
    page.get_by_role("button", name="登录" if lang == "zh" else "Sign in").click()
    expect(page.get_by_role("button", name="退出" if lang == "zh" else "Sign out")).to_be_visible()
    return context, page


def test_ops_starts_a_narrowed_reconciliation_watches_it_and_downloads_the_worksheet(site):
    svc, url, browser = site
    context, page = signed_in(browser, url, "olga")
    page.get_by_role("link", name="发起对账").click()
    shot(page, "reconcile-zh")
    page.get_by_label("客户编号").fill("100001")
    page.get_by_label("截止日").first.fill("2026-11-23")
    page.get_by_role("button", name="开始", exact=True).click()
    expect(page).to_have_url(re.compile(r"/runs/\d{8}-\d{6}-[0-9a-f]{6}$"))
    run_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#run-status")).to_have_text("ok", timeout=LONG)
    expect(page.locator("#run-stages tbody tr")).to_have_count(
        9
    )  # sap … history, statements, worksheets, reports, notify, summary
    shot(page, "run-zh")
    with page.expect_download() as got:
        page.get_by_role("link", name="C1.xlsx").click()
    saved = Path(got.value.path())
    wb = CalamineWorkbook.from_path(str(saved))
    rows = wb.get_sheet_by_name(wb.sheet_names[0]).to_python()
    assert any("0000100001" in [str(c) for c in r] for r in rows[1:])
    assert svc.store.get(run_id).status == "ok"
    page.get_by_role("link", name="概览").click()
    expect(page.locator("table.findings tbody tr").first).to_be_visible()
    shot(page, "dashboard-zh")
    page.goto("/?lang=en")
    expect(page.get_by_role("heading", name=re.compile("Items by finding"))).to_be_visible()
    shot(page, "dashboard-en")
    page.get_by_role("link", name="Run history").click()
    shot(page, "runs-en")
    page.get_by_role("link", name="Downloads").click()
    shot(page, "downloads-en")
    context.close()


def test_a_collector_sees_only_their_own_workbook(site):
    svc, url, browser = site
    (svc.out / "worksheets").mkdir(exist_ok=True)
    (svc.out / "worksheets" / "C2.xlsx").write_bytes(b"PK not for cora")
    context, page = signed_in(browser, url, "cora")
    expect(page).to_have_url(re.compile(r"/downloads$"))
    names = page.locator("table.files a").all_inner_texts()
    assert "C2.xlsx" not in names
    assert page.get_by_role("link", name="发起对账").count() == 0
    shot(page, "collector-downloads-zh")
    assert page.goto("/downloads/worksheets/C2.xlsx").status == 403
    expect(page.get_by_role("heading", name="403 · 无权访问")).to_be_visible()
    shot(page, "collector-403-zh")
    context.close()


def test_a_person_solves_a_portal_captcha_from_the_page(site):
    svc, url, browser = site
    context, page = signed_in(browser, url, "olga")
    page.get_by_role("link", name="平台登录").click()
    page.get_by_label("平台/账号").fill("gov-zj/acct-01")
    page.get_by_role("button", name="开始登录").first.click()
    expect(page).to_have_url(re.compile(r"/logins/[0-9a-f]{16}$"))
    login_id = page.url.rsplit("/", 1)[1]
    picture = page.locator("img.captcha")
    expect(picture).to_be_visible(timeout=LONG)
    shot(page, "portal-login-captcha-zh")
    assert picture.evaluate("img => img.naturalWidth") > 0

    def shown() -> dict:
        return page.request.get(f"/api/logins/{login_id}").json()

    first = shown()
    page.get_by_label("验证码", exact=True).fill("WRONG")
    page.get_by_role("button", name="提交").click()
    # the portal refuses it and shows a new picture; the page asks again
    expect(picture).to_be_visible(timeout=LONG)
    second = shown()
    assert second["status"] == "captcha" and second["ref"] != first["ref"]
    # the person reads the characters off the picture; the simulator tells the test
    answer = httpx.get(f"{second['url']}_test/captcha", params={"id": second["ref"]}).text
    page.get_by_label("验证码", exact=True).fill(answer)
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text("登录成功")).to_be_visible(timeout=LONG)
    shot(page, "portal-login-ok-zh")
    sessions = list((svc.out / "sessions").rglob("*.session"))
    assert len(sessions) == 1
    raw = sessions[0].read_bytes()
    assert b"cookies" not in raw and raw.startswith(b"gAAAAA")  # Fernet, not clear JSON
    audit = [(e.action, e.target) for e in svc.audit.recent(20)]
    assert ("portal.login.start", "gov-zj/acct-01") in audit
    assert ("portal.login.answer", login_id) in audit
    assert ("portal.login.ok", "gov-zj/acct-01") in audit
    assert all(answer not in str(e.detail) for e in svc.audit.recent(50))
    context.close()
