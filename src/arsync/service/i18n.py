"""The words of the pages in Chinese and English.  A page asks ``t(key)``; the language is the
person's choice (a cookie), else ``service.language``.  Finding names come from the worksheet
labels (``reports.labels``) so the pages and the workbooks say the same."""

from __future__ import annotations

from arsync.reports.labels import FINDINGS

LANGUAGES = ("zh", "en")

WORDS: dict[str, tuple[str, str]] = {
    "app": ("应收对账", "AR reconciliation"),
    "dashboard": ("概览", "Dashboard"),
    "runs": ("运行记录", "Run history"),
    "reconcile": ("发起对账", "Reconcile"),
    "downloads": ("下载", "Downloads"),
    "logins": ("平台登录", "Portal logins"),
    "audit": ("审计日志", "Audit log"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出", "Sign out"),
    "username": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "bad_login": ("用户名或密码错误", "Wrong user name or password"),
    "too_many": ("失败次数过多，请稍后再试", "Too many failed sign-ins; try again later"),
    "last_runs": ("最近运行", "Last runs"),
    "next_nightly": ("下次夜间运行", "Next nightly run"),
    "no_schedule": ("未设定", "not scheduled"),
    "running_now": ("正在运行", "Running now"),
    "none": ("无", "none"),
    "run": ("运行", "Run"),
    "kind": ("类型", "Kind"),
    "as_of": ("截止日", "As of"),
    "status": ("状态", "Status"),
    "started": ("开始", "Started"),
    "took": ("耗时", "Took"),
    "stages": ("阶段", "Stages"),
    "stage": ("阶段", "Stage"),
    "counts": ("数量", "Counts"),
    "error": ("错误", "Error"),
    "scope": ("范围", "Scope"),
    "findings": ("按结论汇总", "Items by finding"),
    "finding": ("结论", "Finding"),
    "items": ("项目数", "Items"),
    "amount": ("金额", "Amount"),
    "currency": ("币种", "Currency"),
    "portals_attention": ("需处理的平台账号", "Portals stale or needing a login"),
    "portal": ("平台", "Portal"),
    "account": ("账号", "Account"),
    "outcome": ("结果", "Outcome"),
    "reason": ("原因", "Reason"),
    "all_portals_ok": ("所有平台读取正常", "Every portal was read"),
    "customer": ("客户编号", "Customer"),
    "collector": ("催收专员", "Collector"),
    "company_code": ("公司代码", "Company code"),
    "narrowed_run": ("按范围对账", "Reconcile a customer, collector or company code"),
    "narrowed_hint": (
        "至少填写一项；多个值用逗号分隔。",
        "Fill in at least one; separate several values with commas.",
    ),
    "start": ("开始", "Start"),
    "file_run": ("上传导出文件对账", "Reconcile uploaded export files"),
    "file_hint": (
        "open_items、customers、portal_records（CSV 或 XLSX），或 FBL5N 导出文件",
        "open_items, customers, portal_records (CSV or XLSX), or an FBL5N export",
    ),
    "files": ("文件", "Files"),
    "with_worksheets": ("同时生成工作表", "Also write worksheets"),
    "upload_start": ("上传并开始", "Upload and start"),
    "busy": ("另一运行正在进行", "Another run is in progress"),
    "progress": ("进度", "Progress"),
    "results": ("结果文件", "Results"),
    "not_started": ("未能开始", "Did not start"),
    "starting": ("启动中", "Starting"),
    "file": ("文件", "File"),
    "size": ("大小", "Size"),
    "modified": ("修改时间", "Modified"),
    "no_downloads": ("暂无文件", "No files yet"),
    "when": ("时间", "When"),
    "who": ("用户", "Who"),
    "action": ("操作", "Action"),
    "target": ("对象", "Target"),
    "login_start": ("开始登录", "Start a login"),
    "login_waiting": ("等待人工输入", "Waiting for a person"),
    "captcha_prompt": ("请输入图中的验证码", "Type the characters shown in the picture"),
    "sms_prompt": ("请输入收到的短信验证码", "Type the SMS code that was just sent"),
    "answer": ("提交", "Send"),
    "captcha_label": ("验证码", "Characters"),
    "sms_label": ("短信验证码", "SMS code"),
    "login_ok": ("登录成功，会话已加密保存", "Logged in; the session is saved encrypted"),
    "login_failed": ("登录失败", "Login failed"),
    "login_started": ("正在打开登录页…", "Opening the login page…"),
    "session_saved": ("会话已保存", "Session saved"),
    "no_session": ("无会话", "No session"),
    "kind_worksheet": ("催收工作表", "Worksheets"),
    "kind_statement": ("对账单", "Statements"),
    "kind_aging": ("账龄报告", "Aging reports"),
    "kind_supervisor": ("主管报告", "Supervisor reports"),
    "kind_plan": ("回款计划", "Collection plans"),
    "kind_worklist": ("对账结果", "Worklists"),
    "kind_errors": ("输入错误", "Input errors"),
    "kind_summary": ("运行摘要", "Run summaries"),
    "role": ("角色", "Role"),
    "error_400": ("无法执行", "This cannot be done"),
    "error_403": ("无权访问", "You may not open this"),
    "error_404": ("未找到", "Not found"),
    "error_409": ("另一运行正在进行", "Another run is in progress"),
    "error_429": ("请求过多，请稍后再试", "Too many requests; try again later"),
    "error_other": ("出错了", "Something went wrong"),
    "language": ("English", "中文"),
}


def t(key: str, lang: str) -> str:
    zh, en = WORDS.get(key, (key, key))
    return en if lang == "en" else zh


def finding(code: str, lang: str) -> str:
    return code if lang == "en" else FINDINGS.get(code, code)


def kind(name: str, lang: str) -> str:
    return t(f"kind_{name}", lang) if f"kind_{name}" in WORDS else name
