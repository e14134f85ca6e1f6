"""Chinese subjects arrive as written: every space kept wherever the header is folded."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest

from arsync.connectors.mail import compose, message_bytes, new_message_id

NAME = "沈阳市生态环境局 长期逾期应付账款（对账单 DZD2026000005）"


@pytest.mark.parametrize("n", range(0, 30))
def test_a_space_at_any_fold_of_a_chinese_subject_survives(n):
    subject = "最后催告函：" + "甲" * n + NAME  # moves the space across the fold points
    msg = compose(
        sender="ar@example.com",
        to=["王海燕 <wang@example.com>"],
        subject=subject,
        text="正文",
        message_id=new_message_id("example.com"),
    )
    raw = message_bytes(msg)
    head = raw.split(b"\r\n\r\n")[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    assert head.isascii()
    back = BytesParser(policy=policy.default).parsebytes(raw)
    assert back["Subject"] == subject


def test_an_ascii_subject_is_left_as_it_is():
    msg = compose(
        sender="ar@example.com",
        to=["ap@example.com"],
        subject="Payment reminder: ACME Ltd (statement DZD2026000005)",
        text="x",
        message_id=new_message_id("example.com"),
    )
    back = BytesParser(policy=policy.default).parsebytes(message_bytes(msg))
    assert back["Subject"] == "Payment reminder: ACME Ltd (statement DZD2026000005)"
