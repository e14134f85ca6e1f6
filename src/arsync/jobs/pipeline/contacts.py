"""Customer contacts for reminders: the customer master, or a contacts file that overrides it.

The customer master (SAP KNVK / ADR6, :data:`arsync.common.frames.CUSTOMERS`) gives a contact
person, phone and e-mail per customer.  ``notify.contacts_file`` (CSV or XLSX) may name others:
columns ``customer`` (required), ``contact_person``, ``email``, ``phone``, ``language`` (zh / en
/ both); a non-empty cell replaces the master's value.  A customer without an e-mail address is
a problem shown on the worksheet and in the digest, never a silent skip.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from arsync.common.errors import DataError
from arsync.common.parse import ParseError, alpha

COLUMNS = [
    "customer",
    "name",
    "collector",
    "segment",
    "contact_person",
    "email",
    "phone",
    "language",
]
FILE_COLUMNS = {"customer", "contact_person", "email", "phone", "language"}


def customer_contacts(customers: pd.DataFrame, contacts_file: str = "") -> pd.DataFrame:
    """One row per customer (:data:`COLUMNS`); ``language`` is '' unless the file says."""
    base = customers.drop_duplicates("customer").copy()
    for c in ("contact_person", "email", "phone"):
        if c not in base:
            base[c] = ""
    base["language"] = ""
    base = base[COLUMNS].fillna("").astype(str).set_index("customer")
    if contacts_file:
        extra = read_contacts_file(Path(contacts_file).expanduser())
        for row in extra.to_dict("records"):
            key = row["customer"]
            if key not in base.index:
                continue  # a contact for a customer this run does not know
            for c in ("contact_person", "email", "phone", "language"):
                if row.get(c):
                    base.at[key, c] = row[c]
    return base.reset_index()


def read_contacts_file(path: Path) -> pd.DataFrame:
    """The contacts file as text cells; errors name the file, row and column."""
    if not path.is_file():
        raise DataError(f"contacts file {path} not found (notify.contacts_file)")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            df = pd.read_excel(path, dtype=str, engine="openpyxl")
        else:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except Exception as exc:
        raise DataError(f"contacts file {path} cannot be read: {exc}") from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    if "customer" not in df.columns:
        raise DataError(
            f"contacts file {path}: no column 'customer' (columns: {', '.join(df.columns)})"
        )
    unknown = set(df.columns) - FILE_COLUMNS
    if unknown:
        raise DataError(f"contacts file {path}: unknown column(s) {', '.join(sorted(unknown))}")
    df = df.fillna("").astype(str)
    for i, row in enumerate(df.to_dict("records"), start=2):
        try:
            df.at[i - 2, "customer"] = alpha(row["customer"])
        except ParseError as exc:
            raise DataError(f"contacts file {path}, row {i}, column customer: {exc}") from None
        email = row.get("email", "").strip()
        if email and ("@" not in email or " " in email):
            raise DataError(
                f"contacts file {path}, row {i}, column email: not an address: {email!r}"
            )
        lang = row.get("language", "").strip()
        if lang and lang not in ("zh", "en", "both"):
            raise DataError(
                f"contacts file {path}, row {i}, column language: {lang!r} is not zh, en or both"
            )
    return df


def missing_addresses(contacts: pd.DataFrame, customers: set[str] | list[str]) -> pd.DataFrame:
    """The customers among ``customers`` without an e-mail address (customer, name, collector)."""
    c = contacts[contacts["customer"].isin(set(customers))]
    return c[c["email"].str.strip() == ""][["customer", "name", "collector"]].reset_index(drop=True)
