"""Where reminders go: the customer master (SAP), with a contacts file (CSV or XLSX) that
overrides it cell by cell; a bad file names its row and column; a customer left without an
address is listed, never skipped silently."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from arsync.common.errors import DataError
from arsync.jobs.pipeline.contacts import customer_contacts, missing_addresses


def master() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("0000100001", "甲医院", "C1", "hospital", "张伟", "ap@a.example", "021-1"),
            ("0000100002", "乙大学", "C1", "academic", "", "", ""),
            ("0000100003", "丙公司", "C2", "company", "李娜", "", "010-3"),
        ],
        columns=["customer", "name", "collector", "segment", "contact_person", "email", "phone"],
    )


def test_the_master_gives_addresses_and_the_missing_ones_are_listed():
    got = customer_contacts(master()).set_index("customer")
    assert got.loc["0000100001", "email"] == "ap@a.example"
    assert got.loc["0000100001", "language"] == ""
    gone = missing_addresses(got.reset_index(), ["0000100001", "0000100002", "0000100003"])
    assert gone.to_dict("records") == [
        {"customer": "0000100002", "name": "乙大学", "collector": "C1"},
        {"customer": "0000100003", "name": "丙公司", "collector": "C2"},
    ]


def test_a_contacts_csv_overrides_only_its_non_empty_cells(tmp_path):
    f = tmp_path / "contacts.csv"
    f.write_text(
        "customer,contact_person,email,language\n"
        "100002,Ms Wang,wang@b.example,en\n"  # the leading zeros SAP keeps are restored
        "0000100003,,c@c.example,\n"
        "0000199999,Nobody,n@x.example,zh\n",  # a customer this run does not know
        encoding="utf-8-sig",
    )
    got = customer_contacts(master(), str(f)).set_index("customer")
    assert got.loc["0000100002", ["contact_person", "email", "language"]].tolist() == [
        "Ms Wang",
        "wang@b.example",
        "en",
    ]
    assert got.loc["0000100003", ["contact_person", "email"]].tolist() == ["李娜", "c@c.example"]
    assert "0000199999" not in got.index
    assert missing_addresses(got.reset_index(), list(got.index)).empty


def test_a_contacts_xlsx_is_read_as_text(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["Customer", "Email", "Phone"])
    wb.active.append(["0000100002", "ap@b.example", "02112345678"])
    f = tmp_path / "contacts.xlsx"
    wb.save(f)
    got = customer_contacts(master(), str(f)).set_index("customer")
    assert got.loc["0000100002", ["email", "phone"]].tolist() == ["ap@b.example", "02112345678"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("customer,email\n0000100001,not-an-address\n", ["row 2", "column email"]),
        ("customer,language\n0000100001,fr\n", ["row 2", "column language", "'fr'"]),
        ("email\nap@a.example\n", ["no column 'customer'"]),
        ("customer,fax\n0000100001,1\n", ["unknown column(s) fax"]),
    ],
)
def test_a_bad_contacts_file_names_the_file_row_and_column(tmp_path, text, words):
    f = tmp_path / "contacts.csv"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as e:
        customer_contacts(master(), str(f))
    assert str(f) in str(e.value) and all(w in str(e.value) for w in words), str(e.value)


def test_a_missing_contacts_file_names_the_setting(tmp_path):
    with pytest.raises(DataError, match=r"notify\.contacts_file"):
        customer_contacts(master(), str(tmp_path / "nope.csv"))
