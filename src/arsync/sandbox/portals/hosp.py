"""医院供应商结算平台 / 阳光采购 simulator: SMS-code login, the list in an iframe, rows by XHR.

Three status columns use overlapping words: 待付款 in 订单状态 means "received, not yet
paid" while in 结算状态 it means "settled and approved, waiting for the payment run".
"""

from __future__ import annotations

import io
import json

from aiohttp import web

from .core import Handler, PortalSim, day, esc, page, yuan

WORDS = {  # normalized status → (订单状态, 结算状态, 付款状态)
    "SUBMITTED": ("已配送", "", ""),
    "ACCEPTED": ("待付款", "未对账", "未付款"),
    "UNDER_REVIEW": ("待付款", "对账中", "未付款"),
    "APPROVED": ("待付款", "待付款", "未付款"),
    "PAYING": ("待付款", "待付款", "付款中"),
    "PAID": ("已完成", "已结算", "已付款"),
    "REJECTED": ("待付款", "对账不符", "未付款"),
    "CANCELLED": ("已撤单", "", ""),
}
COLUMNS = [
    ("结算单号", "settleNo"),
    ("医疗机构", "hospitalName"),
    ("订单号", "orderNo"),
    ("发票号码", "invoiceNo"),
    ("结算金额(元)", "amount"),
    ("已付金额(元)", "paidAmount"),
    ("订单状态", "orderStatus"),
    ("结算状态", "settleStatus"),
    ("付款状态", "payStatus"),
    ("状态日期", "statusDate"),
    ("预计付款日期", "planPayDate"),
    ("付款日期", "payDate"),
    ("付款凭证号", "voucherNo"),
    ("备注", "remark"),
]
RENAMED = {"结算单号": "单据号", "付款状态": "回款状态"}


def cn_date(v) -> str:
    d = day(v)
    return "" if d is None else f"{d.year}年{d.month}月{d.day}日"


class HospSim(PortalSim):
    def routes(self) -> dict[str, Handler]:
        return {
            **super().routes(),
            "login": self.login,
            "sms/send": self.send_sms,
            "main": self.main,
            "settle": self.settle,
            "api/settle": self.api,
            "api/settle/export": self.export,
        }

    async def login(self, request: web.Request) -> web.StreamResponse:
        msg = "会话已过期，请重新登录" if request.query.get("expired") else ""
        if request.method == "POST":
            f = await request.post()
            user, code = str(f.get("username", "")), str(f.get("sms_code", "")).strip()
            want = self.sms.pop(user, None)
            if not self.check_password(user, str(f.get("password", ""))):
                msg = "账号或密码错误"
            elif not want or code != want or self.refuse_first(user):
                msg = "短信验证码错误或已失效"
            else:
                return self.start_session(user)[1]
        body = (
            f"<h2>{esc(self.name)}</h2><h3>供应商登录</h3><div class='err' role='alert'>{esc(msg)}</div>"
            "<form method='post' action='login'>"
            "<p><label for='u'>账号</label> <input id='u' name='username'></p>"
            "<p><label for='p'>密码</label> <input id='p' name='password' type='password'></p>"
            "<p><label for='s'>短信验证码</label> <input id='s' name='sms_code' autocomplete='off'> "
            "<button type='button' id='send'>获取验证码</button> <span id='sent'></span></p>"
            "<p><button type='submit'>登录</button></p></form>"
        )
        script = """document.getElementById('send').onclick = async () => {
  const r = await fetch('sms/send', {method: 'POST', body: new URLSearchParams({username: document.getElementById('u').value})});
  document.getElementById('sent').textContent = r.ok ? '验证码已发送' : '发送失败'; };"""
        return web.Response(text=page("供应商登录", body, script=script), content_type="text/html")

    async def send_sms(self, request: web.Request) -> web.Response:
        user = str((await request.post()).get("username", ""))
        if user in self.accounts:
            self.sms[user] = f"{self.rng.randrange(10**6):06d}"
        return web.Response(text="ok")

    async def main(self, request: web.Request) -> web.StreamResponse:
        if self.session(request) is None:
            return self.login_redirect()
        body = (
            f"<header><h2>{esc(self.name)}</h2><nav>首页 | 订单管理 | 结算管理 | 发票管理</nav></header>"
            "<iframe id='mainFrame' name='mainFrame' src='settle' title='结算管理' "
            "style='width:100%;height:800px;border:0'></iframe>"
        )
        return web.Response(text=page("供应商结算平台", body), content_type="text/html")

    def columns(self) -> list[tuple[str, str]]:
        if not self.faults.redesigned:
            return COLUMNS
        return [(RENAMED.get(h, h), k) for h, k in COLUMNS]

    async def settle(self, request: web.Request) -> web.StreamResponse:
        if self.session(request) is None:
            return self.login_redirect()
        cols = self.columns()
        ths = "".join(f"<th>{esc(h)}</th>" for h, _ in cols)
        body = (
            "<h3>结算单查询</h3><div class='toolbar'><button id='q'>查询</button> <button id='exp'>导出Excel</button></div>"
            "<div id='mask' class='loading-mask'>数据加载中，请稍候…</div>"
            "<div id='err' class='err' role='alert' hidden><span id='errmsg'></span> <button id='retry'>重新加载</button></div>"
            f"<table id='grid'><thead><tr>{ths}</tr></thead><tbody></tbody></table>"
            "<div class='pager'><span id='total'></span> <button id='prev'>上一页</button> <span id='pageinfo'></span> "
            "<button id='next'>下一页</button> <label for='ps'>每页</label> <select id='ps'>"
            "<option>20</option><option>50</option><option>100</option></select></div>"
        )
        script = f"""
const KEYS = {json.dumps([k for _, k in cols])}; let pageIndex = 1, want = 1;
const $ = (id) => document.getElementById(id);
async function load(n) {{
  want = n; $('mask').hidden = false; $('err').hidden = true;
  const r = await fetch('api/settle?' + new URLSearchParams({{pageIndex: n, pageSize: $('ps').value}}));
  if (r.status === 401) {{ top.location.href = 'login?expired=1'; return; }}
  $('mask').hidden = true;
  if (!r.ok) {{ $('errmsg').textContent = r.status === 429 ? '请求过于频繁' : '服务器错误(' + r.status + ')'; $('err').hidden = false; return; }}
  const j = await r.json(); pageIndex = j.pageIndex;
  $('grid').tBodies[0].innerHTML = j.rows.map(d => '<tr class="jqgrow">' + KEYS.map(k =>
      '<td>' + String(d[k] ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;') + '</td>').join('') + '</tr>').join('');
  const pages = Math.max(1, Math.ceil(j.records / j.pageSize));
  $('total').textContent = '共 ' + j.records + ' 条'; $('pageinfo').textContent = '第 ' + pageIndex + ' 页 / 共 ' + pages + ' 页';
  $('next').disabled = pageIndex >= pages; $('prev').disabled = pageIndex <= 1;
}}
$('q').onclick = () => load(1); $('next').onclick = () => load(pageIndex + 1); $('prev').onclick = () => load(pageIndex - 1);
$('retry').onclick = () => load(want); $('ps').onchange = () => load(1);
$('exp').onclick = () => {{ location.href = 'api/settle/export'; }};
setTimeout(() => load(1), 50);   // rows arrive after the page has rendered
"""
        return web.Response(text=page("结算管理", body, script=script), content_type="text/html")

    def _rows(self, account: str, start: int = 0, stop: int | None = None) -> list[dict]:
        """The account's rows ``start:stop`` as the API sends them (only those are rendered)."""
        return [self._row(r) for r in self.records.get(account, [])[start:stop]]

    @staticmethod
    def _row(r: dict) -> dict:
        o, s, p = WORDS[r["status"]]
        return {
            "settleNo": r["record_id"],
            "hospitalName": r["buyer"],
            "orderNo": r["order_no"],
            "invoiceNo": r["invoice_no"],
            "amount": yuan(r["amount"]),
            "paidAmount": yuan(r["paid_amount"]) if r["paid_amount"] else "--",
            "orderStatus": o,
            "settleStatus": s,
            "payStatus": p,
            "statusDate": cn_date(r["status_date"]),
            "planPayDate": cn_date(r["expected_pay_date"]),
            "payDate": cn_date(r["paid_on"]),
            "voucherNo": r["payment_ref"],
            "remark": r["reason"],
        }

    async def api(self, request: web.Request) -> web.Response:
        s, fault = self.data_gate(request, as_json=True)
        if fault is not None:
            return fault
        assert s is not None  # no fault: a session
        try:
            no = max(1, int(request.query.get("pageIndex", "1")))
            size = min(100, max(1, int(request.query.get("pageSize", "20"))))
        except ValueError:
            return web.json_response({"message": "参数错误"}, status=400)
        return web.json_response(  # only the page's rows are rendered: a page costs its size
            {
                "records": len(self.records.get(s.account, [])),
                "pageIndex": no,
                "pageSize": size,
                "rows": self._rows(s.account, (no - 1) * size, no * size),
            }
        )

    async def export(self, request: web.Request) -> web.StreamResponse:
        s, fault = self.data_gate(request, as_json=False)
        if fault is not None:
            return fault
        assert s is not None  # no fault: a session
        from openpyxl import Workbook
        from openpyxl.worksheet.worksheet import Worksheet

        wb = Workbook()
        ws = wb.active
        assert isinstance(ws, Worksheet)  # a new workbook's one sheet
        ws.title = "结算单"
        cols = self.columns()
        ws.append([h for h, _ in cols])
        for row in self._rows(s.account):
            ws.append([str(row[k]) for _, k in cols])  # ids as text: Excel keeps 15 digits
        buf = io.BytesIO()
        wb.save(buf)
        return web.Response(
            body=buf.getvalue(),
            headers={
                "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "Content-Disposition": "attachment; filename*=UTF-8''settle.xlsx",
            },
        )
