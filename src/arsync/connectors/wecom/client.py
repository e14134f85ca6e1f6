"""WeCom's HTTP endpoints: ``/cgi-bin/webhook/send`` and ``upload_media`` (group robots),
``/cgi-bin/gettoken`` and ``/cgi-bin/message/send`` (application messages)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from arsync.common.errors import (
    ArsyncError,
    ConfigError,
    DataError,
    LogonError,
    OutcomeUnknown,
    RateLimited,
    TransientError,
)
from arsync.common.secrets import Secret, scrub

#: errcodes worth another try later (errcodes table, reference §1)
TRANSIENT = {-1, 6000, 45033}
RATE = {45009, 45011}
#: the access token expired or was revoked: fetch a new one and try again at once
TOKEN = {40014, 41001, 42001}
#: the robot or the app is misconfigured: tell the operator, never retry
CONFIG = {40001, 40013, 40056, 48002, 60020, 93000, 93004, 93008, 301002}
#: how long WeCom's per-minute blocks last (45009 lifts after about a minute)
RATE_WAIT = 60.0


def classify_errcode(errcode: int, errmsg: str, where: str) -> ArsyncError | None:
    """WeCom answers HTTP 200 with a non-zero errcode on failure; ``None`` for success."""
    if errcode == 0:
        return None
    text = f"{where}: errcode {errcode} {errmsg}"
    if errcode in RATE:
        return RateLimited(text, RATE_WAIT)
    if errcode in TRANSIENT:
        return TransientError(text)
    if errcode in TOKEN:
        return _TokenExpired(text)
    if errcode in CONFIG:
        kind = LogonError if errcode in (40001, 40013) else ConfigError
        return kind(text + " — check notify.wecom (robot key, corp id, agent id, secret)")
    return DataError(text)


class _TokenExpired(TransientError):
    pass


class WecomClient:
    """One HTTP client for robots and apps; access tokens cached per app until they expire."""

    def __init__(
        self,
        base_url: str = "https://qyapi.weixin.qq.com",
        *,
        timeout: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(timeout=timeout, transport=transport)
        self._clock = clock
        self._tokens: dict[str, tuple[Secret, float]] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> WecomClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- group robots ---------------------------------------------------------------------
    def robot_send(self, key: Secret, payload: dict[str, Any]) -> dict[str, Any]:
        """POST a message (``{"msgtype": "markdown", "markdown": {"content": …}}``) to a robot."""
        return self._call(
            "POST", "/cgi-bin/webhook/send", {"key": key}, json=payload, what="robot send"
        )

    def robot_upload(self, key: Secret, filename: str, data: bytes) -> str:
        """Upload a file for the robot to send (valid 3 days, for that robot only) → media_id."""
        body = self._call(
            "POST",
            "/cgi-bin/webhook/upload_media",
            {"key": key, "type": "file"},
            files={"media": (filename, data, "application/octet-stream")},
            what="robot upload",
        )
        return str(body["media_id"])

    # -- application messages -------------------------------------------------------------
    def app_send(
        self,
        *,
        corp_id: str,
        agent_id: int,
        secret: Secret,
        to_users: list[str],
        msgtype: str,
        content: dict[str, Any],
        duplicate_check_s: int = 1800,
    ) -> dict[str, Any]:
        """Send an application message to our own members (userids).  WeCom's duplicate check
        delivers the same request once within ``duplicate_check_s``.  Users WeCom does not
        know come back in ``invaliduser``; all of them unknown is errcode 81013 (permanent)."""
        payload = {
            "touser": "|".join(to_users),
            "msgtype": msgtype,
            "agentid": agent_id,
            msgtype: content,
            "safe": 0,
            "enable_duplicate_check": 1 if duplicate_check_s else 0,
            "duplicate_check_interval": duplicate_check_s,
        }
        for attempt in (1, 2):
            token = self.app_token(corp_id, agent_id, secret, fresh=attempt == 2)
            try:
                return self._call(
                    "POST",
                    "/cgi-bin/message/send",
                    {"access_token": token},
                    json=payload,
                    what="app message",
                )
            except _TokenExpired:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def app_token(
        self, corp_id: str, agent_id: int, secret: Secret, *, fresh: bool = False
    ) -> Secret:
        """The app's access token, fetched once and kept until 5 minutes before it expires
        (normally 7200 s); ``fresh`` fetches a new one (WeCom revoked the old one early)."""
        slot = hashlib.sha256(f"{corp_id}|{agent_id}|{secret.reveal()}".encode()).hexdigest()
        with self._lock:
            held = self._tokens.get(slot)
            if held and not fresh and held[1] > self._clock():
                return held[0]
            body = self._call(
                "GET",
                "/cgi-bin/gettoken",
                {"corpid": corp_id, "corpsecret": secret},
                what="gettoken",
            )
            token = Secret(str(body["access_token"]), source="wecom")
            expires = float(body.get("expires_in", 7200))
            self._tokens[slot] = (token, self._clock() + max(expires - 300, expires / 2))
            return token

    # -- the one place that talks HTTP ----------------------------------------------------
    def _call(
        self, method: str, path: str, params: dict[str, Any], *, what: str, **kw: Any
    ) -> dict[str, Any]:
        secrets = [v for v in params.values() if isinstance(v, Secret)]
        query = {k: v.reveal() if isinstance(v, Secret) else v for k, v in params.items()}
        where = f"WeCom {what}"
        try:
            resp = self._http.request(method, self.base_url + path, params=query, **kw)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # no connection: the request never left
            raise TransientError(scrub(f"{where}: {type(exc).__name__}: {exc}", *secrets)) from None
        except httpx.TransportError as exc:
            # the request went out and no answer came back: WeCom may have taken it
            raise OutcomeUnknown(
                scrub(f"{where}: {type(exc).__name__} after the request was sent", *secrets)
            ) from None
        if resp.status_code == 429:
            after = _seconds(resp.headers.get("Retry-After"))
            raise RateLimited(f"{where}: HTTP 429", after if after is not None else RATE_WAIT)
        if resp.status_code >= 500:
            raise TransientError(f"{where}: HTTP {resp.status_code}")
        if resp.status_code != 200:
            raise DataError(f"{where}: HTTP {resp.status_code}")
        try:
            body = resp.json()
        except ValueError:
            raise TransientError(f"{where}: the answer is not JSON") from None
        err = classify_errcode(int(body.get("errcode", 0)), str(body.get("errmsg", "")), where)
        if err is not None:
            raise type(err)(scrub(str(err), *secrets)) if not isinstance(err, RateLimited) else err
        return dict(body)


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
