"""A statement (对账单) as a PDF, with a CJK font embedded (subset) so that it reads the same
on every machine.

ReportLab draws it: it is fast (a statement in tens of milliseconds, which makes a statement
for every customer of a portfolio a matter of a minute), embeds TrueType subsets with a
ToUnicode map (text can be searched and extracted), and needs no browser or system library.
The font is a TrueType file with Chinese glyphs: ``statements.font``, else Debian's
``fonts-wqy-microhei`` (``./dev setup`` installs it) or one of the other Debian CJK TrueType
packages; nothing is downloaded at run time.

Layout, as Chinese customers expect of a 对账单 (reference/collections-kpis.md §7): our
company's name and address at the head, the title, statement number and date; the customer
with number and tax id; a short letter; the open invoices and, apart, the open credits, with
subtotals per currency; the balance per currency with the CNY amount in capitals (大写); an
aging summary; and the reply slip — 核对无误 / 数据不符 side by side, each with room for the
signature, the company stamp and the date.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from arsync.common.errors import ConfigError, DataError
from arsync.common.money import to_major
from arsync.reports import _statement_words as T
from arsync.reports.statements import Line, Statement

FONT = "ArsyncCJK"
#: Debian packages' TrueType fonts with Chinese glyphs, in order of preference.
FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "fonts-wqy-microhei"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "fonts-wqy-zenhei"),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", "fonts-droid-fallback"),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", "fonts-arphic-uming"),
)
_LOCK = threading.Lock()


def find_font(configured: str | None = None) -> Path:
    """The font file to embed: ``configured`` (``statements.font``) or the first Debian CJK
    TrueType font installed.  Raises :class:`ConfigError` naming what to install."""
    if configured:
        p = Path(configured).expanduser()
        if not p.is_file():
            raise ConfigError(f"statements.font: {p} is not a file")
        return p
    for path, _pkg in FONT_CANDIDATES:
        if Path(path).is_file():
            return Path(path)
    raise ConfigError(
        "statements need a TrueType font with Chinese glyphs: install Debian's "
        "fonts-wqy-microhei (apt-get install fonts-wqy-microhei; ./dev setup does it) "
        "or set statements.font to a .ttf/.ttc file"
    )


@cache
def _register(path: str) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    try:
        font = TTFont(FONT, path, subfontIndex=0) if path.endswith(".ttc") else TTFont(FONT, path)
    except TTFError as exc:
        raise ConfigError(f"statements.font: {path} cannot be embedded: {exc}") from None
    pdfmetrics.registerFont(font)
    return FONT


def statement_pdf(st: Statement, font: str | None = None, templates_dir: str = "") -> bytes:
    """The PDF of ``st`` (A4 portrait) as bytes."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    with _LOCK:
        name = _register(str(find_font(font)))
    s = _styles(name)
    lang = st.language
    story = _story(st, s, lang, templates_dir)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=f"{T.w('title', lang)} {st.number}",
        author=st.company.name_zh or st.company.name_en,
        subject=st.customer_name,
        creator="arsync",
    )

    def footer(canvas, doc_):
        canvas.saveState()
        canvas.setFont(name, 7.5)
        page = T.w("page", lang).format(page=doc_.page)
        who = st.customer.lstrip("0") or st.customer
        canvas.drawString(14 * mm, 9 * mm, f"{st.number}  ·  {who}  ·  {page}")
        ours = st.company.name_en if lang == "en" else st.company.name_zh
        canvas.drawRightString(A4[0] - 14 * mm, 9 * mm, ours or st.company.name_en)
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


# --- building blocks -------------------------------------------------------------------------


def _styles(font: str) -> dict:
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12.5, wordWrap="CJK")
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5),
        "company": ParagraphStyle(
            "company", parent=base, fontSize=13, leading=16, alignment=TA_CENTER
        ),
        "address": ParagraphStyle(
            "address", parent=base, fontSize=8, leading=10, alignment=TA_CENTER
        ),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontSize=17,
            leading=22,
            alignment=TA_CENTER,
            spaceBefore=4,
            spaceAfter=6,
        ),
        # column heads break between words only: "Invoice date", not "Inv / oice date" (the
        # Chinese heads are a few characters, short of every column)
        "th": ParagraphStyle("th", parent=base, fontSize=7.5, leading=9, wordWrap=None),
        "h": ParagraphStyle(
            "h", parent=base, fontSize=10.5, leading=14, spaceBefore=8, spaceAfter=3
        ),
        "font": font,
    }


def _p(text: str, style) -> object:
    from reportlab.platypus import Paragraph

    return Paragraph(text, style)


def _esc(text: object) -> str:
    from xml.sax.saxutils import escape

    return escape(str(text))


def _colon(lang: str) -> str:
    return ": " if lang == "en" else "："


def _money(minor: int, currency: str) -> str:
    try:
        return f"{to_major(minor, currency):,}"
    except DataError:
        return str(minor)


def _story(st: Statement, s: dict, lang: str, templates_dir: str) -> list:
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    c = st.company
    story: list = []
    names = [x for x in (c.name_zh if lang != "en" else "", c.name_en if lang != "zh" else "") if x]
    for n in names or [c.name_zh or c.name_en]:
        story.append(_p(_esc(n), s["company"]))
    addr = " · ".join(
        _esc(x)
        for x in (
            c.address_zh if lang != "en" else "",
            c.address_en if lang != "zh" else "",
            f"{T.w('our_tax_id', lang)} {c.tax_id}" if c.tax_id else "",
        )
        if x
    )
    if addr:
        story.append(_p(addr, s["address"]))
    story.append(_p(_esc(T.w("title", lang)), s["title"]))
    story.append(_head_table(st, s, lang))
    story.append(Spacer(1, 3 * mm))
    for text in T.render_text(
        "intro",
        lang,
        templates_dir,
        customer_name=st.customer_name,
        as_of=st.as_of,
        reply_days=st.reply_days,
    ):
        story.append(_p(text, s["base"]))
        story.append(Spacer(1, 1.5 * mm))
    story.append(_p(_esc(T.w("items", lang)), s["h"]))
    story.append(_lines_table(st, st.items, s, lang, credits=False))
    if st.credits:
        story.append(_p(_esc(T.w("credits", lang)), s["h"]))
        story.append(_lines_table(st, st.credits, s, lang, credits=True))
    story.append(_p(_esc(T.w("balance", lang)), s["h"]))
    story.append(_balance_table(st, s, lang))
    aging = st.aging()
    if aging:
        story.append(_p(_esc(T.w("aging", lang)), s["h"]))
        story.append(_aging_table(st, aging, s, lang))
    story.append(Spacer(1, 4 * mm))
    story.append(_reply_block(st, s, lang))
    story.append(Spacer(1, 2 * mm))
    for text in T.render_text(
        "footer", lang, templates_dir, collector=st.collector, company=st.company
    ):
        story.append(_p(text, s["small"]))
    return story


_GRID = [
    ("FONTSIZE", (0, 0), (-1, -1), 8),
    ("LEADING", (0, 0), (-1, -1), 10),
    ("GRID", (0, 0), (-1, -1), 0.4, "#8C8C8C"),
    ("BACKGROUND", (0, 0), (-1, 0), "#DCE6F1"),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
]


#: the column heads' type (a little smaller than the lines', as the heads are two languages)
TH_SIZE, TH_LEADING = 7.5, 9


def _heads(texts: list[str], widths_mm: Sequence[float], s: dict) -> list[str]:
    """Column heads as plain cell text, broken into lines between words to fit each column.
    The heads are the same on every statement: breaking them once (cached) instead of as a
    Paragraph in every PDF took a fifth of a statement's drawing time."""
    return [_broken(t, w, s["font"]) for t, w in zip(texts, widths_mm)]


@cache
def _broken(text: str, width_mm: float, font: str) -> str:
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit

    # the cell's own padding (6 pt a side, ReportLab's default) is not the text's
    return "\n".join(simpleSplit(text, font, TH_SIZE, width_mm * mm - 12))


def _table(
    rows: list,
    widths: list[float],
    font: str,
    extra: list | None = None,
    repeat: int = 1,
    heads: bool = False,
):
    from reportlab.platypus import Table, TableStyle

    t = Table(rows, colWidths=widths, repeatRows=repeat, hAlign="LEFT")
    commands: list = [("FONTNAME", (0, 0), (-1, -1), font), *_GRID, *(extra or [])]
    if heads:
        commands += [
            ("FONTSIZE", (0, 0), (-1, 0), TH_SIZE),
            ("LEADING", (0, 0), (-1, 0), TH_LEADING),
        ]
    t.setStyle(TableStyle(commands))
    return t


def _head_table(st: Statement, s: dict, lang: str):
    from reportlab.lib.units import mm
    from reportlab.platypus import Table, TableStyle

    left = [
        [_p(f"{_esc(T.w('to', lang))}{_colon(lang)}{_esc(st.customer_name)}", s["base"])],
        [
            _p(
                f"{_esc(T.w('customer_no', lang))}{_colon(lang)}{_esc(st.customer.lstrip('0') or st.customer)}",
                s["base"],
            )
        ],
        [
            _p(
                f"{_esc(T.w('tax_id', lang))}{_colon(lang)}{_esc(st.customer_tax_id or '—')}",
                s["base"],
            )
        ],
    ]
    if st.contact:
        left.append(
            [
                _p(
                    f"{_esc(T.w('contact', lang))}{_colon(lang)}{_esc(' '.join(st.contact.values()))}",
                    s["base"],
                )
            ]
        )
    right = [
        [_p(f"{_esc(T.w('number', lang))}{_colon(lang)}{_esc(st.number)}", s["base"])],
        [_p(f"{_esc(T.w('as_of', lang))}{_colon(lang)}{st.as_of.isoformat()}", s["base"])],
        [_p(f"{_esc(T.w('company_code', lang))}{_colon(lang)}{_esc(st.company_code)}", s["base"])],
    ]
    t = Table(
        [[Table(left, colWidths=[110 * mm]), Table(right, colWidths=[70 * mm])]],
        colWidths=[110 * mm, 72 * mm],
    )
    t.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    return t


def _lines_table(st: Statement, lines: tuple[Line, ...], s: dict, lang: str, *, credits: bool):
    from reportlab.lib.units import mm

    if credits:
        head = ["no", "reference", "doc_date", "kind", "amount", "currency"]
        widths = [10, 48, 24, 40, 34, 16]
    else:
        head = [
            "no",
            "invoice",
            "doc_date",
            "due_date",
            "amount",
            "currency",
            "days_overdue",
            "portal",
        ]
        widths = [10, 42, 20, 20, 28, 15, 17, 30]
    rows: list[list] = [_heads([T.w(h, lang) for h in head], widths, s)]
    for i, ln in enumerate(lines, 1):
        doc = ln.document_date.isoformat() if ln.document_date else ""
        if credits:
            rows.append(
                [
                    str(i),
                    ln.reference,
                    doc,
                    T.credit_kind(ln.doc_type, lang),
                    _money(ln.amount, ln.currency),
                    ln.currency,
                ]
            )
        else:
            due = ln.due_date.isoformat() if ln.due_date else ""
            late = str(ln.days_overdue) if ln.days_overdue > 0 else ""
            rows.append(
                [
                    str(i),
                    ln.reference,
                    doc,
                    due,
                    _money(ln.amount, ln.currency),
                    ln.currency,
                    late,
                    T.portal(ln.portal_status, lang),
                ]
            )
    if not lines:
        rows.append(["", T.w("none", lang)] + [""] * (len(head) - 2))
    amount_col = head.index("amount")
    for cur in sorted({ln.currency for ln in lines}):
        total = sum(ln.amount for ln in lines if ln.currency == cur)
        row = [""] * len(head)
        row[1] = f"{T.w('subtotal', lang)} {cur}"
        row[amount_col] = _money(total, cur)
        row[amount_col + 1] = cur
        rows.append(row)
    n_sub = len({ln.currency for ln in lines})
    extra = [
        ("ALIGN", (amount_col, 1), (amount_col, -1), "RIGHT"),
        ("ALIGN", (0, 1), (0, -1), "RIGHT"),
    ]
    if not credits:
        extra.append(("ALIGN", (6, 1), (6, -1), "RIGHT"))
    if n_sub:
        extra.append(("BACKGROUND", (0, -n_sub), (-1, -1), "#F2F2F2"))
    return _table(rows, [x * mm for x in widths], s["font"], extra, heads=True)


def _balance_table(st: Statement, s: dict, lang: str):
    from reportlab.lib.units import mm

    heads = ["currency", "items_total", "credits_total", "balance_total", "capitals"]
    widths = [16, 33, 33, 33, 67]
    rows: list[list] = [_heads([T.w(h, lang) for h in heads], widths, s)]
    for cur, t in st.totals().items():
        rows.append(
            [
                cur,
                _money(t["items"], cur),
                _money(t["credits"], cur),
                _money(t["balance"], cur),
                capitals(t["balance"], cur),
            ]
        )
    extra = [("ALIGN", (1, 1), (3, -1), "RIGHT")]
    return _table(rows, [w * mm for w in widths], s["font"], extra, heads=True)


def _aging_table(st: Statement, aging: dict[str, dict[str, int]], s: dict, lang: str):
    from reportlab.lib.units import mm

    buckets = list(st.buckets)
    heads = [T.w("currency", lang), *(T.bucket(b, lang) for b in buckets), T.w("total", lang)]
    n = len(buckets) + 1
    width = (182 - 16) / n
    rows: list[list] = [_heads(heads, [16] + [width] * n, s)]
    for cur, by in aging.items():
        rows.append(
            [
                cur,
                *(_money(by.get(b, 0), cur) if by.get(b) else "" for b in buckets),
                _money(sum(by.values()), cur),
            ]
        )
    return _table(
        rows,
        [16 * mm] + [width * mm] * n,
        s["font"],
        [("ALIGN", (1, 1), (-1, -1), "RIGHT")],
        heads=True,
    )


def _reply_block(st: Statement, s: dict, lang: str):
    from reportlab.lib.units import mm
    from reportlab.platypus import Table, TableStyle

    def side(title_key: str, note_key: str, lines: int) -> list:
        cells = [
            [_p(f"□ {_esc(T.w(title_key, lang))}", s["h"])],
            [_p(_esc(T.w(note_key, lang)), s["base"])],
        ]
        cells += [[""] for _ in range(lines)]
        cells += [
            [_p(f"{_esc(T.w('stamp', lang))}{_colon(lang)}", s["base"])],
            [""],
            [""],
            [
                _p(
                    f"{_esc(T.w('date', lang))}{_colon(lang)}"
                    + ("________ 年 ____ 月 ____ 日" if lang != "en" else "____________"),
                    s["base"],
                )
            ],
        ]
        return cells

    left = Table(side("confirmed", "confirmed_note", 3), colWidths=[88 * mm])
    right = Table(side("disputed", "disputed_note", 3), colWidths=[88 * mm])
    for t in (left, right):
        t.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), s["font"]),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ]
            )
        )
    head = _p(f"{_esc(T.w('reply', lang))} · {_esc(T.w('number', lang))} {_esc(st.number)}", s["h"])
    outer = Table([[head, ""], [left, right]], colWidths=[91 * mm, 91 * mm])
    outer.setStyle(
        TableStyle(
            [
                ("SPAN", (0, 0), (1, 0)),
                ("BOX", (0, 0), (-1, -1), 0.8, "#404040"),
                ("LINEBEFORE", (1, 1), (1, 1), 0.5, "#8C8C8C"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, "#8C8C8C"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    outer.keepWithNext = False
    return outer


def capitals(minor: int, currency: str) -> str:
    """The amount in Chinese capitals (大写) for CNY (人民币壹仟贰佰叁拾肆元伍角陆分; a negative
    balance is 负…); '' for other currencies."""
    if currency != "CNY":
        return ""
    import cn2an

    v = to_major(abs(minor), currency)
    words = cn2an.an2cn(f"{v:.2f}", "rmb") if v else "零元整"
    return ("负" if minor < 0 else "") + "人民币" + words
