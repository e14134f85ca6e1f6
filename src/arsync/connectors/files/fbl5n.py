"""SAP FBL5N (customer line items) export headers → canonical open_items column names.

FBL5N's column titles follow the user's logon language and layout; the ones below are
the standard field labels in English, German and Chinese (short and long forms as the
ALV list and its spreadsheet export show them).  Matching ignores case, spaces and dots.
"""

from __future__ import annotations

import re

_HEADERS: dict[str, tuple[str, ...]] = {
    "customer": (
        "account",
        "customer",
        "customer account",
        "konto",
        "kunde",
        "debitor",
        "账户",
        "帐户",
        "客户",
        "客户编号",
        "客户代码",
    ),
    "company_code": ("company code", "cocd", "buchungskreis", "bukrs", "公司代码"),
    "fiscal_year": ("fiscal year", "year", "geschäftsjahr", "会计年度"),
    "document_no": (
        "document number",
        "documentno",
        "doc no",
        "document",
        "belegnummer",
        "beleg",
        "凭证编号",
        "凭证号",
        "凭证号码",
    ),
    "line_item": ("line item", "item", "position", "posit", "行项目", "项目"),
    "doc_type": ("document type", "doc type", "type", "belegart", "art", "凭证类型"),
    "document_date": ("document date", "doc date", "belegdatum", "凭证日期"),
    "posting_date": ("posting date", "pstng date", "buchungsdatum", "过账日期"),
    "baseline_date": ("baseline date", "baseline payment date", "basisdatum", "基准日期", "基准日"),
    "due_date": (
        "net due date",
        "net due dt",
        "due date",
        "nettofälligkeit",
        "nettofälligkeitsdatum",
        "fälligkeit netto",
        "净到期日",
        "净到期日期",
        "到期日",
    ),
    "amount": (
        "amount in doc curr",
        "amount in document currency",
        "amount in dc",
        "betrag in belegwährung",
        "betrag in bw",
        "凭证货币金额",
        "以凭证货币计的金额",
    ),
    "currency": (
        "document currency",
        "curr",
        "currency",
        "belegwährung",
        "währung",
        "凭证货币",
        "货币",
    ),
    "local_amount": (
        "amount in local currency",
        "amt in loc cur",
        "amount in lc",
        "betrag in hauswährung",
        "betrag in hw",
        "本币金额",
        "以本币计的金额",
    ),
    "local_currency": ("local currency", "lcurr", "hauswährung", "本币"),
    "reference": ("reference", "referenz", "参考", "参照", "参考凭证"),
    "assignment": ("assignment", "zuordnung", "分配"),
    "text": ("text", "item text", "文本", "项目文本"),
    "clearing_doc": ("clearing document", "clrng doc", "ausgleichsbeleg", "清账凭证", "清帐凭证"),
    "clearing_date": (
        "clearing date",
        "clearing",
        "ausgleich",
        "ausgleichsdatum",
        "清账日期",
        "清帐日期",
    ),
    "dunning_level": ("dunning level", "dunn level", "mahnstufe", "催款级别", "催款等级"),
    "dunning_block": ("dunning block", "mahnsperre", "催款冻结"),
    "payment_block": ("payment block", "pmnt block", "zahlsperre", "付款冻结"),
    "special_gl": (
        "special g/l ind",
        "special gl ind",
        "sg",
        "sonderhauptbuchkennz",
        "sonder-hb-kz",
        "特别总账标识",
        "特殊总账标识",
    ),
    "invoice_ref": ("invoice reference", "inv ref", "rechnungsbezug", "发票参考"),
}

_LOOKUP = {}
for _canon, _names in _HEADERS.items():
    for _n in _names:
        _LOOKUP[re.sub(r"[\s.]", "", _n.lower())] = _canon


def canonical(header: str) -> str | None:
    """The canonical column an FBL5N header stands for, or None."""
    return _LOOKUP.get(re.sub(r"[\s.]", "", str(header).lower()))


def mapping(headers: list[str]) -> dict[str, str] | None:
    """header → canonical name when ``headers`` look like an FBL5N export, else None.

    An export is recognised by its document number and an amount column; the first header
    that maps to a canonical name wins (FBL5N may repeat a label).  A layout that shows only
    *Amount in local currency* (and its currency) gives the item's amount from it.
    """
    out: dict[str, str] = {}
    for h in headers:
        c = canonical(h)
        if c and c not in out.values():
            out[h] = c
    have = set(out.values())
    if "amount" not in have and "local_amount" in have:
        swap = {"local_amount": "amount"}
        if "currency" not in have:
            swap["local_currency"] = "currency"
        out = {h: swap.get(c, c) for h, c in out.items()}
    if {"document_no", "amount"} <= set(out.values()):
        return out
    return None


#: FBL5N's own column labels (English, German, Chinese), for messages
LABELS: dict[str, tuple[str, str, str]] = {
    "customer": ("Account", "Konto", "客户"),
    "company_code": ("Company Code", "Buchungskreis", "公司代码"),
    "fiscal_year": ("Fiscal Year", "Geschäftsjahr", "会计年度"),
    "document_no": ("Document Number", "Belegnummer", "凭证编号"),
    "line_item": ("Line item", "Position", "行项目"),
    "due_date": ("Net due date", "Nettofälligkeit", "净到期日"),
    "amount": ("Amount in doc. curr.", "Betrag in Belegwährung", "凭证货币金额"),
    "currency": ("Document currency", "Belegwährung", "凭证货币"),
    "reference": ("Reference", "Referenz", "参考"),
}


def labels(missing: list[str], headers: list[str]) -> list[str]:
    """The missing canonical columns in the words of the export's language (guessed from which
    language's labels its headers use)."""
    norm = {re.sub(r"[\s.]", "", str(h).lower()) for h in headers}
    score = [
        sum(re.sub(r"[\s.]", "", t[i].lower()) in norm for t in LABELS.values()) for i in range(3)
    ]
    lang = score.index(max(score))
    return [LABELS[c][lang] if c in LABELS else c for c in missing]


_MARK = re.compile(r"\*{1,4}")


def is_total(row: list[object]) -> bool:
    """An ALV subtotal or total line: FBL5N marks it with ``*`` (subtotal) or ``**`` (total)
    in a cell of its own."""
    return any(isinstance(v, str) and _MARK.fullmatch(v.strip()) for v in row)
