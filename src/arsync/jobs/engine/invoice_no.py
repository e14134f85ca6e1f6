"""Invoice numbers as people and portals write them → comparable keys.

The same 发票号 reaches us in many spellings: ``No.01234567``, ``发票号码：１２３４５６７``
(full-width), ``1234567`` (leading zero dropped), ``2644 0000 0000 0123 4567`` (grouped
for reading), and several invoices in one portal field (``a;b``, ``a、b``, ``a,b``,
``a/b``, ``a b``).  A 20-digit 数电 number does not fit SAP's XBLNR, so one side may
hold only its last 8 digits.  :func:`invoice_keys` turns a field into its keys and
:func:`tail` gives the 8-digit tail that joins a long number to its short form.

Everything is vectorised over a Series (pyarrow string kernels over the distinct
values); the scalar helpers wrap the same code so that tests and callers see one behaviour.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

TAIL_DIGITS = 8

# A label in front of a number ("No.", "发票号码：", "Invoice #"), only at the start of a
# token and only when digits follow, so that references such as "NOV-12" keep their letters.
# (RE2 syntax for pyarrow: no look-around, so the first digit is captured and put back.)
_LABEL = (
    r"(^|[;,/、\s|])"
    r"(?:电子发票号码|数电票号码|发票号码|发票号|票号|号码|发票|INVOICE\s*NO|INVOICE|INV|NO)"
    r"[\s.:#-]*([0-9])"
)
# Digits grouped for reading ("2644 0000 0000 0123 4567"): groups of at most 4 digits
# joined by single spaces are one number; longer runs separated by spaces are a list.
_GROUPED = re.compile(r"(?<!\d)\d{1,4}(?: \d{1,4})+(?!\d)")
_SEPARATORS = r"[;,/、\s|]+"


def invoice_keys(values: pd.Series) -> pd.DataFrame:
    """Explode a column of invoice-number fields into one row per key.

    Returns columns ``pos`` (the position of the source row in ``values``), ``key``
    (upper-case letters and digits; a purely numeric key loses its leading zeros, "0" when
    nothing else is left) and ``tail`` (last 8 digits of a longer numeric key, leading
    zeros dropped; the key itself otherwise).  Empty fields and fields without a key
    contribute no row; the same key twice in one field counts once.

    Each distinct field is normalized once, with pyarrow's vectorised string kernels.
    """
    s = pd.Series(values, dtype=object).reset_index(drop=True).fillna("")
    codes, uniq = pd.factorize(s)
    try:
        arr = pa.array(np.asarray(uniq, dtype=object), type=pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # not all str: numbers from a hand-made frame
        arr = pa.array([str(u) for u in uniq], type=pa.string())
    ukeys = _keys_of_unique(arr)
    # Expand back: row i gets the keys of its distinct value codes[i], in order.
    count = (
        np.bincount(ukeys["u"].to_numpy(), minlength=len(uniq)) if len(uniq) else np.zeros(0, int)
    )
    start = np.concatenate([[0], np.cumsum(count)[:-1]]) if len(count) else count
    rep = count[codes] if len(codes) else np.zeros(0, int)
    pos = np.repeat(np.arange(len(codes)), rep)
    offset = np.arange(len(pos)) - np.repeat(np.cumsum(rep) - rep, rep)
    at = np.repeat(start[codes] if len(codes) else codes, rep) + offset
    return pd.DataFrame(
        {
            "pos": pos.astype(np.int64),
            "key": ukeys["key"].to_numpy()[at],
            "tail": ukeys["tail"].to_numpy()[at],
        }
    )


def _keys_of_unique(arr: pa.Array) -> pd.DataFrame:
    """``u, key, tail`` for each distinct field ``arr[u]``, in order of ``u``.  A field of ASCII
    digits only (most of them) is its own single key: it skips the label, separator and
    grouping rules, which cannot change it."""
    digits = pc.fill_null(pc.ascii_is_decimal(arr), False).to_numpy(zero_copy_only=False)
    if not digits.any():
        return _keys_of_text(arr)
    fast = np.flatnonzero(digits)
    key = _bare(arr.filter(pa.array(digits)))
    quick = pd.DataFrame(
        {
            "u": fast,
            "key": np.asarray(key.to_numpy(zero_copy_only=False), dtype=object),
            "tail": np.asarray(_tail(key, True).to_numpy(zero_copy_only=False), dtype=object),
        }
    )
    if digits.all():
        return quick
    slow = np.flatnonzero(~digits)
    rest = _keys_of_text(arr.filter(pa.array(~digits)))
    rest["u"] = slow[rest["u"].to_numpy()]
    out = pd.concat([quick, rest], ignore_index=True)
    return out.iloc[np.argsort(out["u"].to_numpy(), kind="stable")].reset_index(drop=True)


def _bare(numeric: pa.Array) -> pa.Array:
    """A numeric key without its leading zeros ("0" when nothing else is left)."""
    bare = pc.utf8_ltrim(numeric, "0")
    return pc.if_else(pc.equal(bare, ""), "0", bare)


def _tail(key: pa.Array, numeric: pa.Array | bool) -> pa.Array:
    long = pc.and_(numeric, pc.greater(pc.utf8_length(key), TAIL_DIGITS))
    return pc.if_else(long, _bare(pc.utf8_slice_codeunits(key, -TAIL_DIGITS)), key)


def _keys_of_text(arr: pa.Array) -> pd.DataFrame:
    t = pc.utf8_upper(pc.utf8_normalize(arr, "NFKC"))
    t = pc.replace_substring(pc.replace_substring(t, "\u200b", ""), "\u00a0", " ")
    spaced = pc.match_substring_regex(t, "[0-9] [0-9]")
    if pc.any(spaced).as_py():
        py = t.to_pylist()
        for i in np.flatnonzero(spaced.to_numpy(zero_copy_only=False)):
            py[i] = _GROUPED.sub(lambda m: m.group(0).replace(" ", ""), py[i])
        t = pa.array(py, type=pa.string())
    t = pc.replace_substring_regex(t, _LABEL, r"\1 \2")
    parts = pc.split_pattern_regex(t, _SEPARATORS)
    parent = pc.list_parent_indices(parts).to_numpy()
    tok = pc.replace_substring_regex(pc.list_flatten(parts), "[^0-9A-Z]", "")
    numeric = pc.match_substring_regex(tok, "^[0-9]+$")
    key = pc.if_else(numeric, _bare(tok), tok)
    tail = _tail(key, numeric)
    keep = pc.not_equal(tok, "").to_numpy(zero_copy_only=False)
    out = pd.DataFrame(
        {
            "u": parent[keep],
            "key": np.asarray(key.to_numpy(zero_copy_only=False), dtype=object)[keep],
            "tail": np.asarray(tail.to_numpy(zero_copy_only=False), dtype=object)[keep],
        }
    )
    return out.drop_duplicates(["u", "key"], ignore_index=True)


def normalize(field: str) -> list[str]:
    """The keys of one field, in order of appearance (see :func:`invoice_keys`)."""
    return list(invoice_keys(pd.Series([field]))["key"])


def tail(key: str) -> str:
    """The 8-digit tail of a normalized numeric key (the key itself when short or not numeric)."""
    if key.isascii() and key.isdigit() and len(key) > TAIL_DIGITS:
        return key[-TAIL_DIGITS:].lstrip("0") or "0"
    return key


def search_numbers(open_items: pd.DataFrame) -> dict[str, list[str]]:
    """SAP customer → the invoice numbers a collector would search a portal for: the reference
    of each open debit item (the long 数电 number where SAP has one), sorted, unique."""
    debit = open_items[(open_items["amount"] > 0) & (open_items["reference"] != "")]
    return {str(c): sorted(set(g)) for c, g in debit.groupby("customer")["reference"]}
