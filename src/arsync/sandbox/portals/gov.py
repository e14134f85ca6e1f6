"""政府采购 e-mall / contract payment simulator: password + image captcha, a JSON-fed list.

The list page is a single-page app: it fetches ``api/orders?pageNo=&pageSize=`` and renders
the table.  Record ids are 19-digit JSON *numbers* (as 政采云-style APIs send them), so the
page's own JavaScript shows them rounded — a reader must take them from the raw response.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from aiohttp import web

from .core import Handler, PortalSim, day, esc, page, yuan

WORDS = {  # normalized status → (验收状态, 支付状态) as this portal words them
    "SUBMITTED": ("待验收", "未申请"),
    "ACCEPTED": ("已验收", "待申请"),
    "UNDER_REVIEW": ("已验收", "审核中"),
    "APPROVED": ("已验收", "待支付"),
    "PAYING": ("已验收", "支付中"),
    "PAID": ("已验收", "已支付"),
    "REJECTED": ("已验收", "已退回"),
    "CANCELLED": ("已取消", "未申请"),
}
# (header, json key, how the page shows it); the redesign renames and moves columns
COLUMNS = [
    ("订单编号", "orderNo", "t"),
    ("合同编号", "contractNo", "t"),
    ("采购单位", "purchaserName", "t"),
    ("发票号码", "invoiceNo", "t"),
    ("合同金额", "contractAmount", "m"),
    ("已支付金额", "paidAmount", "m"),
    ("验收状态", "acceptStatus", "t"),
    ("支付状态", "payStatus", "t"),
    ("状态时间", "statusTime", "t"),
    ("支付日期", "payTime", "t"),
]
REDESIGN = {"acceptStatus": ("履约验收", "checkState"), "payStatus": ("付款进度", "paymentState")}


class GovSim(PortalSim):
    def __post_init__(self) -> None:
        super().__post_init__()
        self._sub: dict[str, np.ndarray] = {}  # account → when each record was submitted

    def routes(self) -> dict[str, Handler]:
        return {**super().routes(), "login": self.login, "main": self.main, "api/orders": self.api}

    async def login(self, request: web.Request) -> web.StreamResponse:
        msg = "会话已过期，请重新登录" if request.query.get("expired") else ""
        if request.method == "POST":
            f = await request.post()
            user = str(f.get("username", ""))
            if not self.take_captcha(
                str(f.get("captcha_id", "")), str(f.get("captcha", ""))
            ) or self.refuse_first(user):
                msg = "验证码错误"
            elif not self.check_password(user, str(f.get("password", ""))):
                msg = "用户名或密码错误"
            else:
                return self.start_session(user)[1]
        cid = self.new_captcha()
        body = (
            f"<h2>{esc(self.name)} 供应商登录</h2><div class='err' role='alert'>{esc(msg)}</div>"
            "<form method='post' action='login'>"
            "<p><label for='u'>用户名</label> <input id='u' name='username' autocomplete='off'></p>"
            "<p><label for='p'>密码</label> <input id='p' name='password' type='password'></p>"
            f"<p><label for='c'>验证码</label> <input id='c' name='captcha' autocomplete='off'> "
            f"<img class='captcha' alt='验证码' src='captcha.svg?id={cid}' data-ref='{cid}'></p>"
            f"<input type='hidden' name='captcha_id' value='{cid}'>"
            "<p><button type='submit'>登录</button></p></form>"
        )
        return web.Response(text=page("供应商登录", body), content_type="text/html")

    def columns(self) -> list[tuple[str, str, str]]:
        if not self.faults.redesigned:
            return COLUMNS
        cols = [
            (REDESIGN[k][0], REDESIGN[k][1], f) if k in REDESIGN else (h, k, f)
            for h, k, f in COLUMNS
        ]
        return cols[:3] + cols[6:8] + cols[3:6] + cols[8:]  # status columns moved forward

    async def main(self, request: web.Request) -> web.StreamResponse:
        if self.session(request) is None:
            return self.login_redirect()
        cols = self.columns()
        ths = "".join(f"<th>{esc(h)}</th>" for h, _, _ in cols)
        body = (
            f"<h2>{esc(self.name)} · 合同支付查询</h2>"
            "<div class='filters'><label for='sd'>开始日期</label> <input id='sd' type='date'> "
            "<label for='ed'>结束日期</label> <input id='ed' type='date'> <button id='q'>查询</button></div>"
            "<div id='mask' class='loading' hidden>加载中…</div>"
            "<div id='err' class='err' role='alert' hidden><span id='errmsg'></span> "
            "<button id='retry'>重试</button></div>"
            f"<table id='list'><thead><tr><th>订单ID</th>{ths}</tr></thead><tbody></tbody></table>"
            "<div class='pager'><span id='total'></span> <button id='prev'>上一页</button> "
            "<span id='pageinfo'></span> <button id='next'>下一页</button> "
            "<label for='ps'>每页条数</label> <select id='ps'><option>10</option><option>20</option>"
            "<option>50</option></select></div>"
        )
        js_cols = json.dumps([[k, f] for _, k, f in cols])
        script = f"""
const COLS = {js_cols}; let pageNo = 1, want = 1;
const $ = (id) => document.getElementById(id);
async function load(n) {{
  want = n; $('mask').hidden = false; $('err').hidden = true;
  const q = new URLSearchParams({{pageNo: n, pageSize: $('ps').value, startDate: $('sd').value, endDate: $('ed').value}});
  let r;
  try {{ r = await fetch('api/orders?' + q, {{credentials: 'same-origin'}}); }}
  catch (e) {{ $('mask').hidden = true; $('errmsg').textContent = '网络错误'; $('err').hidden = false; return; }}
  $('mask').hidden = true;
  if (r.status === 401) {{ location.href = 'login?expired=1'; return; }}
  if (!r.ok) {{ $('errmsg').textContent = r.status === 429 ? '访问过于频繁，请稍后再试' : '系统繁忙，请稍后重试';
               $('err').hidden = false; return; }}
  const j = await r.json(); const res = j.result; pageNo = res.pageNo;
  $('list').tBodies[0].innerHTML = res.data.map(d => '<tr><td>' + String(d.id) + '</td>' + COLS.map(([k, f]) => {{
     let v = d[k]; if (v === null || v === undefined || v === '') v = '--';
     else if (f === 'm') v = '¥' + Number(v).toLocaleString('en-US', {{minimumFractionDigits: 2}});
     return '<td>' + String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;') + '</td>'; }}).join('') + '</tr>').join('');
  const pages = Math.max(1, Math.ceil(res.total / res.pageSize));
  $('total').textContent = '共 ' + res.total + ' 条'; $('pageinfo').textContent = '第 ' + pageNo + ' / ' + pages + ' 页';
  $('next').disabled = pageNo >= pages; $('prev').disabled = pageNo <= 1;
}}
$('q').onclick = () => load(1); $('next').onclick = () => load(pageNo + 1); $('prev').onclick = () => load(pageNo - 1);
$('retry').onclick = () => load(want); $('ps').onchange = () => load(1);
load(1);
"""
        return web.Response(
            text=page("合同支付查询", body, script=script), content_type="text/html"
        )

    async def api(self, request: web.Request) -> web.Response:
        s, fault = self.data_gate(request, as_json=True)
        if fault is not None:
            return fault
        assert s is not None  # no fault: a session
        q = request.query
        try:
            no, size = (
                max(1, int(q.get("pageNo", "1"))),
                min(100, max(1, int(q.get("pageSize", "10")))),
            )
        except ValueError:
            return web.json_response({"success": False, "message": "参数错误"}, status=400)
        rows = self.records.get(s.account, [])
        start, end = day(q.get("startDate") or None), day(q.get("endDate") or None)
        if start is not None or end is not None:
            sub = self._submitted(s.account)  # the filter on an array: a page costs its size
            keep = np.ones(len(rows), dtype=bool)
            if start is not None:
                keep &= sub >= start.to_datetime64()
            if end is not None:
                keep &= sub <= end.to_datetime64()
            rows = [rows[i] for i in np.flatnonzero(keep)]
        chunk = rows[(no - 1) * size : no * size]
        items = ",".join(self._item(r) for r in chunk)
        text = (  # by hand, as the real portal writes it: 19-digit ids stay exact in the JSON
            f'{{"success":true,"code":0,"result":{{"total":{len(rows)},"pageNo":{no},'
            f'"pageSize":{size},"data":[{items}]}}}}'
        )
        return web.Response(text=text, content_type="application/json")

    def _submitted(self, account: str) -> np.ndarray:
        """When each of the account's records was submitted (datetime64[ns]), computed once."""
        if account not in self._sub:
            self._sub[account] = np.array(
                [_submitted(r).to_datetime64() for r in self.records.get(account, [])],
                dtype="datetime64[ns]",
            )
        return self._sub[account]

    def _item(self, r: dict) -> str:
        accept, pay = WORDS[r["status"]]
        if r["status"] == "REJECTED" and day(r["accepted_on"]) is None:
            accept, pay = "验收不通过", "未申请"
        keys = {
            k: (REDESIGN[k][1] if self.faults.redesigned and k in REDESIGN else k)
            for k in ("acceptStatus", "payStatus")
        }
        st, acc, paid = day(r["status_date"]), day(r["accepted_on"]), day(r["paid_on"])
        exp = day(r["expected_pay_date"])
        d = {
            "orderNo": r["order_no"],
            "contractNo": r["contract_no"],
            "purchaserName": r["buyer"],
            "invoiceNo": r["invoice_no"],
            keys["acceptStatus"]: accept,
            keys["payStatus"]: pay,
            "statusTime": st.strftime("%Y-%m-%d 10:%M:%S") if st is not None else "",
            "acceptTime": int(acc.value // 1_000_000) - 8 * 3600 * 1000
            if acc is not None
            else None,
            "expectedPayDate": exp.strftime("%Y-%m-%d") if exp is not None else "",
            "payTime": paid.strftime("%Y/%m/%d") if paid is not None else "",
            "payVoucherNo": r["payment_ref"],
            "remark": r["reason"],
        }
        body = json.dumps(d, ensure_ascii=False)[1:]
        # ids and amounts as raw JSON numbers, the way the real APIs send them
        return (
            '{{"id":{},"contractAmount":{},"paidAmount":{},'.format(
                r["record_id"], yuan(r["amount"], sep=False), yuan(r["paid_amount"], sep=False)
            )
        ) + body


def _submitted(record: dict[str, Any]) -> pd.Timestamp:
    """When a record on the portal was submitted (every record on a portal was)."""
    d = day(record["submitted_on"])
    assert d is not None, record["record_id"]
    return d
