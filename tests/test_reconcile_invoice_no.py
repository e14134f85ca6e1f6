"""Invoice-number normalization: properties over generated spellings (hypothesis)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from arsync.jobs.engine.invoice_no import invoice_keys, normalize, tail

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
LABELS = [
    "",
    "No.",
    "NO:",
    "No. ",
    "发票号:",
    "发票号码：",
    "发票号码:",
    "票号",
    "Invoice No. ",
    "INV#",
]
SEPARATORS = [";", "、", ",", "/", " ", "；", "，", " ; ", "| "]

numbers = st.integers(min_value=1, max_value=10**20 - 1).map(str)
invoice = st.one_of(
    st.integers(min_value=1, max_value=99_999_999).map(lambda n: f"{n:08d}"),  # legacy 8 digits
    st.integers(min_value=10**19, max_value=10**20 - 1).map(str),  # 数电 20 digits
)


@st.composite
def spelled(draw, number: str, grouped: bool = True) -> str:
    s = number.lstrip("0") if draw(st.booleans()) else "0" * draw(st.integers(0, 3)) + number
    if grouped and draw(st.booleans()) and len(s) > 4:
        s = " ".join(s[i : i + 4] for i in range(0, len(s), 4))
    if draw(st.booleans()):
        s = s.translate(FULLWIDTH)
    return draw(st.sampled_from(LABELS)) + s + draw(st.sampled_from(["", " ", "\u3000"]))


@settings(max_examples=150)
@given(st.data(), invoice)
def test_every_spelling_of_one_number_gives_the_same_key(data, number):
    assert normalize(data.draw(spelled(number))) == [number.lstrip("0")]


@settings(max_examples=100)
@given(
    st.data(),
    st.lists(
        invoice.filter(lambda s: len(s.lstrip("0")) > 4),
        min_size=1,
        max_size=5,
        unique_by=lambda s: s.lstrip("0"),
    ),
    st.sampled_from(SEPARATORS),
)
def test_a_list_of_numbers_gives_each_key_once_in_order(data, nums, sep):
    # Digits grouped by fours with single spaces read as one number, so a list separated by
    # spaces only is unambiguous when its numbers are written whole (documented rule).
    grouped = sep.strip() != ""
    field = sep.join(data.draw(spelled(n, grouped)) for n in nums)
    assert normalize(field) == [n.lstrip("0") for n in nums]


@settings(max_examples=100)
@given(numbers)
def test_normalizing_a_key_gives_the_key(number):
    keys = normalize(number)
    assert keys == [number.lstrip("0")]
    assert normalize(keys[0]) == keys


@settings(max_examples=100)
@given(st.integers(min_value=10**19, max_value=10**20 - 1).map(str))
def test_a_long_number_and_its_last_eight_digits_share_the_tail(number):
    short = normalize(number[-8:])
    assert tail(normalize(number)[0]) == (short[0] if short else "")


@settings(max_examples=100)
@given(st.text(max_size=40))
def test_any_text_gives_clean_keys(text):
    for key in normalize(text):
        assert key and key.isascii() and key.isalnum() and key == key.upper()


def test_vectorised_form_keeps_positions_and_drops_empty_fields():
    k = invoice_keys(pd.Series(["No.1;2", None, "", "26442000000050000001"]))
    assert k.to_dict("list") == {
        "pos": [0, 0, 3],
        "key": ["1", "2", "26442000000050000001"],
        "tail": ["1", "2", "50000001"],
    }


def test_letters_of_alphanumeric_references_are_kept():
    assert normalize("NOV-12") == ["NOV12"]
    assert normalize("INV-2026-001") == ["2026001"]  # a label in front is a label
    assert normalize("FP2026001") == ["FP2026001"]


@settings(max_examples=60)
@given(st.data(), st.lists(invoice, min_size=1, max_size=12))
def test_a_column_gives_each_field_its_own_keys_whatever_its_neighbours(data, nums):
    # plain digits take a short path; spelled numbers, lists and blanks the full one
    fields = [
        data.draw(st.sampled_from([n, "", "0" * 3, f"{n};{nums[0]}"]) | spelled(n)) for n in nums
    ]
    k = invoice_keys(pd.Series(fields))
    for i, field in enumerate(fields):
        one = invoice_keys(pd.Series([field]))
        assert (
            k.loc[k["pos"].eq(i), ["key", "tail"]].values.tolist()
            == one[["key", "tail"]].values.tolist()
        )
