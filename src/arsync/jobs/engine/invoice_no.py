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
    codes, arr = _distinct(values)
    u, key, tail = _keys_of_unique(arr)
    pos, at = _expand(codes, len(arr), u)
    return pd.DataFrame(
        {
            "pos": pos,
            "key": _objects(key)[at],
            "tail": _objects(tail)[at],
        }
    )


def key_codes(columns: list[pd.Series]) -> list[pd.DataFrame]:
    """The keys of several columns of invoice-number fields as integer codes, so that joins
    compare integers, not text.

    Per column, the rows :func:`invoice_keys` gives, in the same order: ``pos`` (int64),
    ``key`` and ``tail`` (int64 codes, see :func:`_codes`: two codes are equal exactly when
    the texts are, in any column, key or tail) and ``long`` (bool: the key has more than
    :data:`TAIL_DIGITS` characters).  The keys are never made into Python strings.  Unlike
    :func:`invoice_keys`, fields are not deduplicated first: invoice numbers are mostly
    distinct, and the codes hash the keys anyway.
    """
    sizes = [len(c) for c in columns]
    arr = _as_text(pd.concat([pd.Series(c, dtype=object) for c in columns], ignore_index=True))
    u, key, tail = _keys_of_unique(arr)
    kc, tc = _codes(key, tail)
    long = pc.greater(pc.utf8_length(key), TAIL_DIGITS).to_numpy(zero_copy_only=False)
    out, first = [], 0
    for n in sizes:
        lo, hi = np.searchsorted(u, [first, first + n])
        out.append(
            pd.DataFrame(
                {"pos": u[lo:hi] - first, "key": kc[lo:hi], "tail": tc[lo:hi], "long": long[lo:hi]}
            )
        )
        first += n
    return out


def _codes(key: pa.Array, tail: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """int64 codes of keys and tails: a number of at most 18 digits (keys and tails have no
    leading zeros, so the digits and the value are one) is its own value, ≥ 0; any other
    text is −1 − its position in a dictionary of those texts, < 0.  Equal codes ⇔ equal texts.
    Most keys and all numeric tails are numbers, so few texts are hashed; a numeric tail has
    at most 8 digits, so tail codes lie in [−texts, 10**8)."""
    both = pa.concat_arrays([key, tail])
    num = pc.and_(
        pc.fill_null(pc.ascii_is_decimal(both), False), pc.less_equal(pc.utf8_length(both), 18)
    )
    is_num = num.to_numpy(zero_copy_only=False)
    out = np.empty(len(both), dtype=np.int64)
    out[is_num] = pc.cast(both.filter(num), pa.int64()).to_numpy(zero_copy_only=False)
    text = both.filter(pc.invert(num)).dictionary_encode().indices
    out[~is_num] = -1 - text.to_numpy(zero_copy_only=False).astype(np.int64)
    return out[: len(key)], out[len(key) :]


def _as_text(values: pd.Series) -> pa.Array:
    """A column of fields as Arrow text, a missing field as ""."""
    s = pd.Series(values, dtype=object)
    try:
        arr = pa.array(s.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # not all str: numbers from a hand-made frame
        arr = pa.array([_as_str(v) for v in s.fillna("")], type=pa.string())
    return pc.fill_null(arr, "") if arr.null_count else arr


def _as_str(v: object) -> str:
    return v if isinstance(v, str) else str(v)


def _distinct(values: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """``(codes, distinct)``: each row's position in ``distinct``, the distinct fields as
    Arrow text (a missing field is "")."""
    s = pd.Series(values, dtype=object).reset_index(drop=True)
    if s.isna().any():
        s = s.fillna("")
    codes, uniq = pd.factorize(s)
    try:
        arr = pa.array(np.asarray(uniq, dtype=object), type=pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # not all str: numbers from a hand-made frame
        arr = pa.array([str(u) for u in uniq], type=pa.string())
    return codes, arr


def _expand(codes: np.ndarray, n_uniq: int, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(pos, at)``: row ``pos[j]`` has the ``at[j]``-th key, where keys are sorted by the
    distinct field ``u`` they come from; row i gets the keys of its field ``codes[i]``, in
    order."""
    count = np.bincount(u, minlength=n_uniq) if n_uniq else np.zeros(0, np.int64)
    start = np.concatenate([[0], np.cumsum(count)[:-1]]) if len(count) else count
    rep = count[codes] if len(codes) else np.zeros(0, np.int64)
    pos = np.repeat(np.arange(len(codes), dtype=np.int64), rep)
    offset = np.arange(len(pos)) - np.repeat(np.cumsum(rep) - rep, rep)
    at = np.repeat(start[codes] if len(codes) else codes, rep) + offset
    return pos, at.astype(np.int64)


def _objects(a: pa.Array) -> np.ndarray:
    return np.asarray(a.to_numpy(zero_copy_only=False), dtype=object)


def _keys_of_unique(arr: pa.Array) -> tuple[np.ndarray, pa.Array, pa.Array]:
    """``(u, key, tail)`` for each distinct field ``arr[u]``, sorted by ``u`` (a field's keys in
    order).  A field of ASCII digits only (most of them) is its own single key: it skips the
    label, separator and grouping rules, which cannot change it."""
    digits = pc.fill_null(pc.ascii_is_decimal(arr), False).to_numpy(zero_copy_only=False)
    if not digits.any():
        return _keys_of_text(arr)
    fast = np.flatnonzero(digits)
    key = _bare(arr.filter(pa.array(digits)))
    tail = _tail(key, True)
    if digits.all():
        return fast.astype(np.int64), key, tail
    slow = np.flatnonzero(~digits)
    u, k, t = _keys_of_text(arr.filter(pa.array(~digits)))
    u = np.concatenate([fast, slow[u]])
    order = np.argsort(u, kind="stable")
    take = pa.array(order)
    return (
        u[order].astype(np.int64),
        pa.concat_arrays([key, k]).take(take),
        pa.concat_arrays([tail, t]).take(take),
    )


def _bare(numeric: pa.Array) -> pa.Array:
    """A numeric key without its leading zeros ("0" when nothing else is left)."""
    bare = pc.utf8_ltrim(numeric, "0")
    return pc.if_else(pc.equal(bare, ""), "0", bare)


def _tail(key: pa.Array, numeric: pa.Array | bool) -> pa.Array:
    long = pc.and_(numeric, pc.greater(pc.utf8_length(key), TAIL_DIGITS))
    return pc.if_else(long, _bare(pc.utf8_slice_codeunits(key, -TAIL_DIGITS)), key)


def _keys_of_text(arr: pa.Array) -> tuple[np.ndarray, pa.Array, pa.Array]:
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
    parent = pc.list_parent_indices(parts).to_numpy().astype(np.int64)
    tok = pc.replace_substring_regex(pc.list_flatten(parts), "[^0-9A-Z]", "")
    numeric = pc.match_substring_regex(tok, "^[0-9]+$")
    key = pc.if_else(numeric, _bare(tok), tok)
    tail = _tail(key, numeric)
    # a field's first occurrence of each key, empty tokens dropped
    word = key.dictionary_encode().indices.to_numpy(zero_copy_only=False).astype(np.int64)
    seen = pd.DataFrame({"u": parent, "w": word}).duplicated().to_numpy()
    keep = pc.not_equal(tok, "").to_numpy(zero_copy_only=False) & ~seen
    mask = pa.array(keep)
    return parent[keep], key.filter(mask), tail.filter(mask)


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
