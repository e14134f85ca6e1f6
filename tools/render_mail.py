#!/usr/bin/env python3
"""Render outbox messages to PNG, to look at them as the collector or customer would.

    .venv/bin/python tools/render_mail.py OUT/outbox/2026-11-23/<key>/message.eml [...] --out DIR
    .venv/bin/python tools/render_mail.py OUT/outbox/2026-11-23/<key>/payload.json --out DIR

An e-mail (``.eml``) is drawn as a mail client shows it: From, To, Cc, Date and Subject decoded
(RFC 2047), the attachments with their decoded names (RFC 2231) and sizes, then the HTML body
when there is one, else the plain text.  A WeCom payload (``payload.json``) is drawn as the
markdown text in a chat bubble with its size in bytes (the robot's limit is 4,096).  Headless
Chromium (Playwright) takes a full-page screenshot 900 px wide: ``<name>.png`` in ``--out``.
"""

from __future__ import annotations

import argparse
import html
import json
import shutil
import sys
from email import policy
from email.parser import BytesParser
from pathlib import Path

PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; background: #eef0f3; font-family: "Noto Sans CJK SC", sans-serif; }}
.mail {{ margin: 16px; background: #fff; border: 1px solid #ccd; border-radius: 6px; }}
.head {{ padding: 12px 16px; border-bottom: 1px solid #dde; font-size: 13px; color: #333; }}
.head b {{ display: inline-block; width: 64px; color: #777; font-weight: normal; }}
.subject {{ font-size: 18px; font-weight: bold; margin: 4px 0 8px; }}
.att {{ display: inline-block; margin: 6px 6px 0 0; padding: 4px 8px; background: #f3f5f8;
        border: 1px solid #dde; border-radius: 4px; font-size: 12px; }}
.body {{ padding: 16px; }}
pre {{ white-space: pre-wrap; font-family: "Noto Sans CJK SC", sans-serif; font-size: 14px;
       margin: 0; }}
.bubble {{ margin: 16px; padding: 12px 16px; background: #fff; border-radius: 8px;
           border: 1px solid #cde; max-width: 640px; }}
.meta {{ margin: 16px 16px 0; font-size: 12px; color: #666; }}
</style></head><body>{content}</body></html>"""


def eml_page(path: Path) -> str:
    msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    rows = "".join(
        f"<div><b>{h}</b>{html.escape(str(msg[h]))}</div>"
        for h in ("From", "To", "Cc", "Date")
        if msg[h]
    )
    atts = "".join(
        f'<span class="att">{html.escape(a.get_filename() or "?")} · '
        f"{len(a.get_content()) // 1024 or 1} KB</span>"
        for a in msg.iter_attachments()
    )
    body = msg.get_body(("html",))
    if body is not None:
        inner = body.get_content()
    else:
        inner = f"<pre>{html.escape(msg.get_body(('plain',)).get_content())}</pre>"
    subject = html.escape(str(msg["Subject"]))
    return PAGE.format(
        content=f'<div class="mail"><div class="head"><div class="subject">{subject}</div>'
        f'{rows}<div>{atts}</div></div><div class="body">{inner}</div></div>'
    )


def payload_page(path: Path) -> str:
    payload = json.loads(path.read_text(encoding="utf-8"))
    kind = payload["msgtype"]
    text = payload[kind]["content"]
    size = len(text.encode("utf-8"))
    return PAGE.format(
        content=f'<div class="meta">WeCom {kind} · {size} bytes</div>'
        f'<div class="bubble"><pre>{html.escape(text)}</pre></div>'
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=Path("."))
    ap.add_argument("--name", action="append", default=[], help="PNG name per file (in order)")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True)
        page = browser.new_page(viewport={"width": 900, "height": 600})
        for i, f in enumerate(args.files):
            doc = payload_page(f) if f.suffix == ".json" else eml_page(f)
            page.set_content(doc, wait_until="load")
            name = args.name[i] if i < len(args.name) else f.parent.name[:12]
            target = args.out / f"{name}.png"
            page.screenshot(path=str(target), full_page=True)
            print(target)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
