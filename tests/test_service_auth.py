"""Who may do what in `arsync serve`: the service runs on a loopback port and is called over
HTTP.  No credentials → 401 on every API route (and the sign-in page for pages); each role
gets what issue 13 gives it and a 403 for the rest; a collector reads their own workbook and
not another's; sessions, CSRF, the sign-in rate limit, tokens and the audit log."""

from __future__ import annotations

import re

import httpx
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from arsync.common.secrets import Secret
from arsync.service import auth
from arsync.service.app import create_app
from arsync.service.context import open_service
from arsync.service.server import BackgroundServer
from arsync.service.tables import users as users_table

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def world(tmp_path_factory, module_store_url):
    out = tmp_path_factory.mktemp("svc")
    svc = open_service(
        overrides={
            "runs.out_dir": str(out),
            "sandbox.size": "tiny",
            "runs.store_url": module_store_url,
        }
    )
    svc.users.add("olga", "ops", Secret(PASSWORD))
    svc.users.add("sam", "supervisor", Secret(PASSWORD))
    svc.users.add("cora", "collector", Secret(PASSWORD), collector="C1")
    tokens = {u: svc.credentials.issue_token(u, "test") for u in ("olga", "sam", "cora")}
    (out / "worksheets").mkdir()
    for who in ("C1", "C2"):
        (out / "worksheets" / f"{who}.xlsx").write_bytes(b"PK workbook of " + who.encode())
    (out / "reports").mkdir()
    (out / "reports" / "supervisor.xlsx").write_bytes(b"PK supervisor")
    app = create_app(svc, schedule=False)
    with BackgroundServer(app) as url:
        yield svc, app, url, tokens


def client(url, token=None, headers=None) -> httpx.Client:
    headers = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
    return httpx.Client(base_url=url, headers=headers, timeout=30)


def sign_in(url, username, password=PASSWORD, headers=None) -> tuple[httpx.Client, httpx.Response]:
    c = client(url, headers=headers)
    page = c.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = c.post(
        "/login", data={"username": username, "password": password, "csrf": csrf, "next": "/"}
    )
    return c, r


def csrf_of(c: httpx.Client, path="/downloads") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get(path).text).group(1)


def routes_of(app) -> list:
    """Every route of the app, the included routers' too."""
    found, todo = [], list(app.routes)
    while todo:
        r = todo.pop()
        if hasattr(r, "original_router"):
            todo.extend(r.original_router.routes)
        else:
            found.append(r)
    return found


def test_every_route_has_a_rule(world):
    _, app, _, _ = world
    names = {r.name for r in routes_of(app)}
    assert len(names) >= 30
    assert names - set(auth.RULES) == set()


def test_no_credentials_get_401_on_every_api_route_and_the_sign_in_page_elsewhere(world):
    _, app, url, _ = world
    c = client(url)
    api_routes = [r for r in routes_of(app) if getattr(r, "path", "").startswith("/api/")]
    assert len(api_routes) >= 15
    for r in api_routes:
        path = (
            r.path.replace("{run_id}", "x")
            .replace("{login_id}", "x")
            .replace("{path:path}", "worksheets/C1.xlsx")
        )
        for method in r.methods - {"HEAD"}:
            resp = c.request(method, path)
            assert resp.status_code == 401, (method, path, resp.status_code)
            assert resp.headers["www-authenticate"] == "Bearer"
    page = c.get("/runs", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/runs"
    assert c.get("/downloads/worksheets/C1.xlsx", follow_redirects=False).status_code == 303
    assert (
        c.get("/api/me", headers={"Authorization": "Bearer ars_00000000_forged"}).status_code == 401
    )


@pytest.mark.parametrize(
    ("user", "allowed", "refused"),
    [
        (
            "olga",
            ["/api/runs", "/api/status", "/api/logins", "/api/audit", "/api/openapi.json"],
            [],
        ),
        ("sam", ["/api/runs", "/api/status", "/api/openapi.json"], ["/api/logins", "/api/audit"]),
        (
            "cora",
            ["/api/me", "/api/downloads", "/api/openapi.json"],
            ["/api/runs", "/api/status", "/api/logins", "/api/audit"],
        ),
    ],
)
def test_each_role_reads_what_it_may(world, user, allowed, refused):
    _, _, url, tokens = world
    c = client(url, tokens[user])
    for path in allowed:
        assert c.get(path).status_code == 200, path
    for path in refused:
        assert c.get(path).status_code == 403, path


def test_a_collector_reads_their_own_workbook_and_not_another(world):
    _, _, url, tokens = world
    c = client(url, tokens["cora"])
    listed = {d["path"] for d in c.get("/api/downloads").json()}
    assert listed == {"worksheets/C1.xlsx"}
    assert c.get("/api/downloads/worksheets/C1.xlsx").content == b"PK workbook of C1"
    assert c.get("/api/downloads/worksheets/C2.xlsx").status_code == 403
    assert c.get("/api/downloads/reports/supervisor.xlsx").status_code == 403
    assert c.get("/downloads/worksheets/C2.xlsx").status_code == 403
    sup = client(url, tokens["sam"])
    kinds = {d["path"]: d["kind"] for d in sup.get("/api/downloads").json()}
    assert kinds == {
        "worksheets/C1.xlsx": "worksheet",
        "worksheets/C2.xlsx": "worksheet",
        "reports/supervisor.xlsx": "supervisor",
    }
    assert sup.get("/api/downloads/worksheets/C2.xlsx").status_code == 200


def test_files_outside_the_offer_are_never_served(world):
    _, _, url, tokens = world
    c = client(url, tokens["olga"])
    for path in (
        "runs.sqlite",
        "../runs.sqlite",
        "state/worklist.parquet",
        "worksheets/../runs.sqlite",
    ):
        assert c.get(f"/api/downloads/{path}").status_code in (403, 404), path


def test_collectors_and_supervisors_start_only_what_their_role_allows(world):
    _, _, url, tokens = world
    body = {"kind": "reconcile", "customers": []}
    assert client(url, tokens["cora"]).post("/api/runs", json=body).status_code == 403
    assert (
        client(url, tokens["sam"])
        .post("/api/logins", json={"account": "gov-zj/acct-01"})
        .status_code
        == 403
    )
    # a supervisor may start a run: an empty scope is refused for what it is, not for who asks
    r = client(url, tokens["sam"]).post("/api/runs", json=body)
    assert r.status_code == 400 and "customer" in r.json()["detail"]


def test_a_session_needs_its_csrf_token_on_every_form(world):
    _, _, url, _ = world
    c, r = sign_in(url, "olga")
    assert r.status_code == 303
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(auth.SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    no_token = c.post("/reconcile", data={"customers": "100001"}, follow_redirects=False)
    assert no_token.status_code == 403 and "CSRF" in no_token.text
    wrong = c.post("/logout", data={"csrf": "forged"}, follow_redirects=False)
    assert wrong.status_code == 403
    ok = c.post("/logout", data={"csrf": csrf_of(c)}, follow_redirects=False)
    assert ok.status_code == 303
    assert c.get("/api/me").status_code == 401  # the session is gone


def test_the_sign_in_form_has_its_own_csrf_token(world):
    _, _, url, _ = world
    c = client(url)
    c.get("/login")
    r = c.post("/login", data={"username": "olga", "password": PASSWORD, "csrf": "forged"})
    assert r.status_code == 403


def test_cookies_are_secure_behind_tls(world):
    _, _, url, _ = world
    tls = {"X-Forwarded-Proto": "https"}  # what the TLS-terminating proxy on loopback says
    c = client(url, headers=tls)
    page = c.get("/login")
    pre = next(h for h in page.headers.get_list("set-cookie") if h.startswith(auth.PRE_CSRF_COOKIE))
    assert "Secure" in pre
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = httpx.post(
        f"{url}/login",
        data={"username": "olga", "password": PASSWORD, "csrf": csrf},
        headers={**tls, "Cookie": f"{auth.PRE_CSRF_COOKIE}={csrf}"},
    )
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(auth.SESSION_COOKIE))
    assert "Secure" in cookie


def test_failed_sign_ins_are_rate_limited(world):
    svc, _, url, _ = world
    svc.users.add("rita", "supervisor", Secret(PASSWORD))
    far = {"X-Forwarded-For": "203.0.113.7"}  # another address, as the proxy reports it
    for _ in range(svc.settings.service.login_attempts):
        _, r = sign_in(url, "rita", "wrong password!", headers=far)
        assert r.status_code == 401
    _, r = sign_in(url, "rita", PASSWORD, headers=far)  # even the right password waits now
    assert r.status_code == 429
    _, r = sign_in(url, "sam")  # another user from another address is not held up
    assert r.status_code == 303
    failed = [e for e in svc.audit.recent(50, "login.failed") if e.target == "rita"]
    assert len(failed) == svc.settings.service.login_attempts + 1


def test_tokens_are_hashed_at_rest_and_revocable(world):
    svc, _, url, _ = world
    token = svc.credentials.issue_token("sam", "ci")
    with svc.store.engine.connect() as conn:
        dump = "\n".join(
            str(r)
            for t in ("api_tokens", "users")
            for r in conn.execute(sa.text(f"select * from {t}"))
        )
    assert token not in dump and PASSWORD not in dump
    c = client(url, token)
    assert c.get("/api/me").json()["username"] == "sam"
    token_id = token.split("_")[1]
    svc.credentials.revoke_token(token_id)
    assert c.get("/api/me").status_code == 401


def test_passwords_are_argon2_hashes(world):
    svc, _, _, _ = world
    with svc.store.engine.connect() as conn:
        hashes = conn.execute(sa.select(users_table.c.password_hash)).scalars().all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)


def test_downloads_and_sign_ins_are_audited(world):
    svc, _, url, tokens = world
    client(url, tokens["cora"]).get("/api/downloads/worksheets/C1.xlsx")
    sign_in(url, "sam")
    log = svc.audit.recent(100)
    assert any(
        e.action == "download" and e.username == "cora" and e.target == "worksheets/C1.xlsx"
        for e in log
    )
    assert any(e.action == "login" and e.username == "sam" for e in log)


def test_users_are_managed_from_the_command_line(tmp_path):
    from arsync.jobs.cli.main import cli

    env = {"ARSYNC_RUNS__OUT_DIR": str(tmp_path)}
    run = CliRunner().invoke
    r = run(
        cli,
        ["users", "add", "ann", "--role", "collector", "--collector", "王丽", "--password-stdin"],
        input="long enough pw\n",
        env=env,
    )
    assert r.exit_code == 0, r.output
    r = run(
        cli, ["users", "add", "bob", "--role", "ops", "--password-stdin"], input="short\n", env=env
    )
    assert r.exit_code == 1 and "at least 10 characters" in r.output
    r = run(
        cli,
        ["users", "add", "cy", "--role", "collector", "--password-stdin"],
        input="long enough pw\n",
        env=env,
    )
    assert r.exit_code == 1 and "--collector" in r.output
    r = run(cli, ["users", "token", "ann", "--name", "erp"], env=env)
    assert r.exit_code == 0 and r.output.startswith("ars_")
    listed = run(cli, ["users", "list"], env=env).output
    assert "ann" in listed and "collector" in listed and "王丽" in listed and "'erp' live" in listed
    assert (
        run(
            cli, ["users", "passwd", "ann", "--password-stdin"], input="another long pw\n", env=env
        ).exit_code
        == 0
    )
    svc = open_service(overrides={"runs.out_dir": str(tmp_path)})
    assert svc.users.authenticate("ann", Secret("another long pw")) is not None
    assert svc.users.authenticate("ann", Secret("long enough pw")) is None
    assert run(cli, ["users", "remove", "ann"], env=env).exit_code == 0
    assert svc.users.list() == [] and svc.credentials.tokens() == []
