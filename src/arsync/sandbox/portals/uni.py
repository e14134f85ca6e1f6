"""高校财务 支付查询 simulator: no list at all — one search per invoice number.

The answer is a detail page (one block per matching 预约单) or 无记录.  Matching is as
forgiving as the real search box: prefixes, full-width digits, leading zeros and the
8-digit tail of a 20-digit 数电 number all find the record.  Each account's records are
indexed by those keys once, so a search costs its hits, not a scan of the account.
"""

from __future__ import annotations

import re
import unicodedata

from aiohttp import web

from .core import Handler, PortalSim, day, esc, page, yuan

WORDS = {
    "SUBMITTED": "已提交",
    "ACCEPTED": "已受理",
    "UNDER_REVIEW": "审核中",
    "APPROVED": "已审核",
    "PAYING": "支付中",
    "PAID": "已支付",
    "REJECTED": "退单",
    "CANCELLED": "已撤回",
}
LABELS = [
    "预约单号",
    "报销单位",
    "发票号码",
    "报销金额",
    "已支付金额",
    "当前状态",
    "状态日期",
    "预计支付日期",
    "支付日期",
    "银行流水号",
    "退回原因",
]
RENAMED = {"预约单号": "单据编号", "当前状态": "办理进度"}


def invoice_keys(text: str) -> set[str]:
    """Digit strings a search may match: each invoice without leading zeros, and 20→8 tails."""
    out = set()
    for part in re.split(r"[;、,，/]", unicodedata.normalize("NFKC", str(text))):
        digits = re.sub(r"\D", "", part).lstrip("0")
        if digits:
            out.add(digits)
            if len(digits) >= 17:
                out.add(digits[-8:].lstrip("0"))
    return out


class UniSim(PortalSim):
    def __post_init__(self) -> None:
        super().__post_init__()
        self._keys: dict[str, dict[str, list[int]]] = {}  # account → its search index

    def hits(self, account: str, query: str) -> list[dict]:
        """The account's records a query finds, in the account's order: every record sharing a
        key (:func:`invoice_keys`) with the query."""
        keys = invoice_keys(query)
        if not keys:
            return []
        index = self._index(account)
        found = sorted({i for k in keys for i in index.get(k, ())})
        recs = self.records.get(account, [])
        return [recs[i] for i in found]

    def _index(self, account: str) -> dict[str, list[int]]:
        """key → positions of the account's records holding it (built on the first search)."""
        if account not in self._keys:
            index: dict[str, list[int]] = {}
            for i, r in enumerate(self.records.get(account, [])):
                for k in invoice_keys(r["invoice_no"]):
                    index.setdefault(k, []).append(i)
            self._keys[account] = index
        return self._keys[account]

    @property
    def home(self) -> str:
        return f"/p/{self.pid}/query"

    def routes(self) -> dict[str, Handler]:
        return {**super().routes(), "login": self.login, "main": self.query, "query": self.query}

    async def login(self, request: web.Request) -> web.StreamResponse:
        msg = "登录超时，请重新登录" if request.query.get("expired") else ""
        if request.method == "POST":
            f = await request.post()
            user = str(f.get("username", ""))
            if not self.take_captcha(
                str(f.get("captcha_id", "")), str(f.get("captcha", ""))
            ) or self.refuse_first(user):
                msg = "验证码不正确"
            elif not self.check_password(user, str(f.get("password", ""))):
                msg = "工号或密码不正确"
            else:
                return self.start_session(user)[1]
        cid = self.new_captcha()
        body = (
            f"<h2>{esc(self.name)}</h2><h3>财务综合查询 · 统一身份认证</h3>"
            f"<div class='err' role='alert'>{esc(msg)}</div><form method='post' action='login'>"
            "<p><label for='u'>工号</label> <input id='u' name='username'></p>"
            "<p><label for='p'>密码</label> <input id='p' name='password' type='password'></p>"
            f"<p><label for='c'>验证码</label> <input id='c' name='captcha'> "
            f"<img class='captcha' alt='验证码' src='captcha.svg?id={cid}' data-ref='{cid}'>"
            f"<input type='hidden' name='captcha_id' value='{cid}'></p>"
            "<p><button type='submit'>登录</button></p></form>"
        )
        return web.Response(text=page("统一身份认证", body), content_type="text/html")

    async def query(self, request: web.Request) -> web.StreamResponse:
        q = request.query.get("invoice_no")
        if q is None:
            if self.session(request) is None:
                return self.login_redirect()
            return self._page("")
        s, fault = self.data_gate(request, as_json=False)
        if fault is not None:
            return fault
        assert s is not None  # no fault: a session
        hits = self.hits(s.account, q)
        if not hits:
            return self._page(q, "<div class='no-record'>无记录</div>")
        return self._page(q, "".join(self._detail(r) for r in hits))

    def _page(self, q: str, result: str = "") -> web.Response:
        body = (
            f"<h2>{esc(self.name)} · 支付查询</h2><form method='get' action='query'>"
            f"<label for='inv'>发票号码</label> <input id='inv' name='invoice_no' value='{esc(q)}'> "
            "<button type='submit'>查询</button></form>"
            f"<div id='result' data-query='{esc(q)}'>{result}</div>"
        )
        return web.Response(text=page("支付查询", body), content_type="text/html")

    def _detail(self, r: dict) -> str:
        paid = f"{yuan(r['paid_amount'])}元" if r["paid_amount"] else "--"
        values = [
            r["record_id"],
            r["buyer"],
            r["invoice_no"],
            f"{yuan(r['amount'])}元",
            paid,
            WORDS[r["status"]],
            _iso(r["status_date"]),
            _iso(r["expected_pay_date"]),
            _iso(r["paid_on"]),
            r["payment_ref"],
            r["reason"],
        ]
        labels = [RENAMED.get(x, x) for x in LABELS] if self.faults.redesigned else LABELS
        cells = "".join(
            f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in zip(labels, values)
        )
        return f"<table class='detail'>{cells}</table>"


def _iso(v) -> str:
    d = day(v)
    return "" if d is None else d.strftime("%Y-%m-%d")
