"""A person-assisted login whose session (storage_state) is saved, encrypted, for later fetches.

Real portals often need a person (SMS to the legal representative's phone, slider captchas,
CA keys).  ``visible``: a headed browser opens the login page and we wait until the person
is through.  Otherwise the declared steps run and the solver (a terminal prompt by default)
answers the captcha or SMS code.
"""

from __future__ import annotations

from pathlib import Path

from arsync.common.errors import ConfigError, LogonError
from arsync.common.secrets import Secret

from . import trust
from .browser import launch
from .definitions import Account, Portal, family_of
from .pages import LoginPage
from .sessions import NO_KEY, SessionStore
from .solvers import ManualSolver, Solver


def find_account(portals: list[Portal], ref: str) -> tuple[Portal, Account]:
    """``portal/account`` (or ``portal`` when it has one account) → the declarations."""
    pid, _, aid = ref.partition("/")
    for p in portals:
        if p.id == pid and isinstance(p.accounts, list):
            if not aid and len(p.accounts) == 1:
                return p, p.accounts[0]
            for a in p.accounts:
                if a.id == aid:
                    return p, a
    known = [f"{p.id}/{a.id}" for p in portals if isinstance(p.accounts, list) for a in p.accounts]
    raise ConfigError(f"unknown account {ref!r}; known: {', '.join(known) or 'none'}")


async def login_async(
    settings,
    portal: Portal,
    account: Account,
    *,
    browser=None,
    visible: bool = True,
    solver: Solver | None = None,
    password: Secret | None = None,
    wait_s: float = 300,
) -> Path:
    """Log in once and save the session; returns the encrypted session file."""
    if browser is None:
        async with launch(settings, headless=not visible) as b:
            return await login_async(
                settings,
                portal,
                account,
                browser=b,
                visible=visible,
                solver=solver,
                password=password,
                wait_s=wait_s,
            )
    store = SessionStore(settings.portals.session_dir, key_file=settings.portals.session_key_file)
    if not store.has_key():  # a person's login is only worth it if it can be kept
        raise ConfigError(NO_KEY)
    context = await browser.new_context(locale="zh-CN", timezone_id=settings.runs.timezone)
    context.set_default_timeout(settings.portals.timeout_ms)
    try:
        page = await context.new_page()
        await page.goto(portal.url(family_of(portal).list.url))
        form = LoginPage(page, portal)
        if await form.shown():
            if visible:
                await page.locator(family_of(portal).login.form).first.wait_for(
                    state="detached", timeout=wait_s * 1000
                )
            else:
                secret = password or _password(portal, account)
                await form.login(
                    account.id,
                    account.username,
                    secret,
                    solver or ManualSolver(Path(settings.portals.session_dir).expanduser()),
                )
        if await form.shown():
            raise LogonError(f"{portal.id}/{account.id}: still on the login page")
        return store.save(portal.id, account.id, await context.storage_state())
    finally:
        await context.close()


def _password(portal: Portal, account: Account) -> Secret:
    secret = trust.account_password(portal.id, portal.source, account.id, account.password)
    if secret is not None:
        return secret
    import getpass

    return Secret(getpass.getpass(f"{portal.id}/{account.id} password: "), source="prompt")
