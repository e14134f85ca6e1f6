"""Enterprise WeChat's endpoints on loopback: the sandbox's WeCom stand-in.

Speaks WeCom's format (reference notifications-cn.md §1-2): HTTP 200 with ``errcode`` /
``errmsg``; group robots at ``/cgi-bin/webhook/send`` and ``upload_media`` (markdown ≤ 4,096
bytes, at most 20 messages a minute per robot, else 45009), application messages at
``/cgi-bin/gettoken`` and ``/cgi-bin/message/send`` (a token per app, content ≤ 2,048 bytes,
30 a minute per recipient, the duplicate check).  Limits run on the ``clock`` given (a test's
frozen clock).  ``fail_next`` queues failures to answer with: an errcode, or an HTTP status.
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

ERRMSG = {
    0: "ok",
    -1: "system busy",
    40001: "invalid credential",
    40014: "invalid access_token",
    40058: "markdown.content exceed max length 4096",
    42001: "access_token expired",
    44004: "empty content",
    45009: "api freq out of limit",
    81013: "user & party & tag all invalid",
    93000: "invalid webhook url",
}


@dataclass(frozen=True)
class Delivered:
    at: float  # the stand-in's clock
    kind: str  # robot | app | upload
    target: str  # the robot's key, or the touser string
    body: dict[str, Any]


@dataclass
class WecomState:
    robots: set[str]
    apps: dict[str, str]  # corp_id → secret
    users: set[str]
    clock: Callable[[], float]
    robot_per_minute: int = 20
    user_per_minute: int = 30
    delivered: list[Delivered] = field(default_factory=list)
    refused: list[tuple[str, int]] = field(default_factory=list)  # (what, errcode / status)
    fail_next: deque[Any] = field(default_factory=deque)
    tokens: dict[str, float] = field(default_factory=dict)  # token → expires at
    sent_at: dict[str, deque[float]] = field(default_factory=dict)
    seen: dict[str, float] = field(default_factory=dict)  # app request JSON → when
    lock: threading.Lock = field(default_factory=threading.Lock)
    token_seq: int = 0

    def _limited(self, slot: str, per_minute: int) -> bool:
        now = self.clock()
        q = self.sent_at.setdefault(slot, deque())
        while q and q[0] <= now - 60.0:
            q.popleft()
        if len(q) >= per_minute:
            return True
        q.append(now)
        return False


class _Handler(BaseHTTPRequestHandler):
    state: WecomState

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _answer(self, body: dict[str, Any], status: int = 200) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _err(self, what: str, code: int) -> None:
        self.state.refused.append((what, code))
        self._answer({"errcode": code, "errmsg": ERRMSG.get(code, "error")})

    def _injected(self, what: str) -> bool:
        with self.state.lock:
            if not self.state.fail_next:
                return False
            f = self.state.fail_next.popleft()
        if isinstance(f, str) and f.startswith("http"):
            status = int(f[4:])
            self.state.refused.append((what, status))
            self._answer({"errcode": -1, "errmsg": "http error"}, status)
        else:
            self._err(what, int(f))
        return True

    def do_GET(self) -> None:
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path != "/cgi-bin/gettoken":
            return self._answer({"errcode": 404, "errmsg": "not found"}, 404)
        if self.state.apps.get(q.get("corpid", "")) != q.get("corpsecret"):
            return self._err("gettoken", 40001)
        with self.state.lock:
            self.state.token_seq += 1
            token = f"tok{self.state.token_seq:04d}" + "x" * 40
            self.state.tokens[token] = self.state.clock() + 7200
        self._answer({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})

    def do_POST(self) -> None:
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        st = self.state
        if url.path == "/cgi-bin/webhook/upload_media":
            if q.get("key") not in st.robots:
                return self._err("upload", 93000)
            head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
            form = email.message_from_bytes(head + raw, policy=email.policy.default)
            media = next(
                p
                for p in form.iter_parts()
                if p.get_param("name", header="content-disposition") == "media"
            )
            data = media.get_payload(decode=True) or b""
            with st.lock:
                st.delivered.append(
                    Delivered(
                        st.clock(),
                        "upload",
                        q["key"],
                        {"filename": media.get_filename(), "size": len(data)},
                    )
                )
            return self._answer(
                {"errcode": 0, "errmsg": "ok", "type": "file", "media_id": f"m{len(st.delivered)}"}
            )
        body = json.loads(raw.decode("utf-8"))
        if url.path == "/cgi-bin/webhook/send":
            key = q.get("key", "")
            if self._injected("robot"):
                return None
            if key not in st.robots:
                return self._err("robot", 93000)
            kind = body.get("msgtype", "")
            content = (
                body.get(kind, {}).get("content", "") if isinstance(body.get(kind), dict) else ""
            )
            limit = 4096 if kind in ("markdown", "markdown_v2") else 2048
            if kind in ("text", "markdown", "markdown_v2") and not content:
                return self._err("robot", 44004)
            if len(content.encode("utf-8")) > limit:
                return self._err("robot", 40058)
            with st.lock:
                if st._limited(f"robot:{key}", st.robot_per_minute):
                    st.refused.append(("robot", 45009))
                    return self._answer({"errcode": 45009, "errmsg": ERRMSG[45009]})
                st.delivered.append(Delivered(st.clock(), "robot", key, body))
            return self._answer({"errcode": 0, "errmsg": "ok"})
        if url.path == "/cgi-bin/message/send":
            token = q.get("access_token", "")
            if self._injected("app"):
                return None
            if token not in st.tokens:
                return self._err("app", 40014)
            if st.tokens[token] <= st.clock():
                return self._err("app", 42001)
            users = [u for u in str(body.get("touser", "")).split("|") if u]
            if not any(u in st.users for u in users):
                return self._err("app", 81013)
            kind = body.get("msgtype", "")
            content = body.get(kind, {}).get("content", "")
            if len(content.encode("utf-8")) > 2048:
                return self._err("app", 40058)
            canon = json.dumps(body, sort_keys=True, ensure_ascii=False)
            with st.lock:
                interval = float(body.get("duplicate_check_interval", 1800))
                last = st.seen.get(canon)
                if (
                    body.get("enable_duplicate_check")
                    and last is not None
                    and st.clock() - last < interval
                ):
                    return self._answer({"errcode": 0, "errmsg": "ok", "msgid": "dup"})
                if any(st._limited(f"user:{u}", st.user_per_minute) for u in users):
                    st.refused.append(("app", 45009))
                    return self._answer({"errcode": 45009, "errmsg": ERRMSG[45009]})
                st.seen[canon] = st.clock()
                st.delivered.append(Delivered(st.clock(), "app", "|".join(users), body))
            invalid = "|".join(u for u in users if u not in st.users)
            return self._answer(
                {
                    "errcode": 0,
                    "errmsg": "ok",
                    "invaliduser": invalid,
                    "msgid": f"id{len(st.delivered)}",
                }
            )
        self._answer({"errcode": 404, "errmsg": "not found"}, 404)


@dataclass
class WecomStandIn:
    base_url: str
    state: WecomState
    _server: ThreadingHTTPServer

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def start_wecom(
    *,
    robots: set[str] | None = None,
    apps: dict[str, str] | None = None,
    users: set[str] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> WecomStandIn:
    """WeCom's endpoints on 127.0.0.1 and a free port; robots by webhook key, apps by corp id →
    secret, the members app messages may reach."""
    state = WecomState(robots or set(), apps or {}, users or set(), clock)
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return WecomStandIn(f"http://127.0.0.1:{server.server_address[1]}", state, server)
