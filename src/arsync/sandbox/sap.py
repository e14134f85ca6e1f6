"""The sandbox SAP: an in-process object with pyrfc's ``Connection`` interface over the world.

It answers with SAP's parameter names, structures and quirks (reference/sap-ar-rfc.md) so that
the connector code cannot tell it from a real system.  Knobs make it misbehave on purpose:
latency per call (through an injectable ``sleep``), communication errors at a seeded rate or for
the first N calls, a refused logon, a smaller row buffer (DATA_BUFFER_EXCEEDED sooner),
functions that the RFC user may not call, tables it may not read through RFC_READ_TABLE
(``forbidden_tables``: NOT_AUTHORIZED, as S_TABU_DIS answers), and fields an older release does not have
(``missing_fields=("BKPF-XBLNR_ALT", "BAPI3007_2-REF_DOC_NO_LONG")``).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np

from arsync.sandbox import pyrfc_errors as E
from arsync.sandbox._rfc_bapi import ArBapis
from arsync.sandbox._rfc_ddic import FUNCTIONS, layout
from arsync.sandbox._rfc_tables import fields_out, read_table, tables_from_world, width
from arsync.sandbox._rfc_where import OptionError, where_mask

_CONFIG_KEYS = {"dtime", "rstrip", "return_import_params", "check_date", "check_time", "timeout"}
_TABLE_ROW_FIELDS = {
    "OPTIONS": {"TEXT": 72},
    "FIELDS": {"FIELDNAME": 30, "OFFSET": 6, "LENGTH": 6, "TYPE": 1, "FIELDTEXT": 60},
    "DATA": {"WA": 512},
}


class SandboxSap:
    """The 'system': tables, indexes, knobs and call statistics shared by its connections."""

    def __init__(
        self,
        world,
        *,
        latency: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
        comm_error_rate: float = 0.0,
        comm_errors_first: int = 0,
        seed: int = 0,
        logon_error: bool = False,
        buffer_limit: int = 512,
        forbidden: tuple[str, ...] = (),
        leak_secret_in_errors: bool = False,
        missing_fields: tuple[str, ...] = (),
        forbidden_tables: tuple[str, ...] = (),
    ):
        self.world = world
        self.tables = tables_from_world(world)
        self.missing: dict[str, set[str]] = {}
        for tf in missing_fields:
            table, _, fld = tf.partition("-")
            self.missing.setdefault(table, set()).add(fld)
        self.bapis = ArBapis(
            self.tables, dict(world.currency_decimals), self.missing.get("BAPI3007_2", set())
        )
        self.latency, self.sleep = latency, sleep
        self.comm_error_rate, self.comm_errors_left = comm_error_rate, comm_errors_first
        self.logon_error, self.buffer_limit = logon_error, buffer_limit
        self.forbidden = set(forbidden)
        self.forbidden_tables = set(forbidden_tables)
        self.leak = leak_secret_in_errors
        self._rng = random.Random(seed)
        self._order_rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.injected_errors = 0
        self.logons = 0

    def connect(self, config: dict | None = None, **params: Any) -> SandboxConnection:
        return SandboxConnection(self, config, **params)

    # pyrfc-like constructor for backends that call ``Connection(**params)``
    Connection = connect

    def _inject(self, passwd: str) -> None:
        with self._lock:
            fail = self.comm_errors_left > 0
            if fail:
                self.comm_errors_left -= 1
            elif self.comm_error_rate and self._rng.random() < self.comm_error_rate:
                fail = True
            if fail:
                self.injected_errors += 1
        if fail:
            detail = f" (logon data user=RFC passwd={passwd})" if self.leak else ""
            raise E.CommunicationError(
                "\nLOCATION    CPIC (TCP/IP) on local host\nERROR       connection to partner "
                f"'sandbox:3300' broken{detail}\nTIME        (sandbox)\nRELEASE     753",
                1,
                "RFC_COMMUNICATION_FAILURE",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            )


class SandboxConnection:
    """pyrfc.Connection look-alike.  Opens (logs on) in the constructor, as pyrfc does."""

    def __init__(self, system: SandboxSap, config: dict | None = None, **params: Any):
        if not params:
            raise E.RFCError("Connection parameters missing")
        for k, v in params.items():
            if not isinstance(v, str):
                raise E.RFCError(
                    f"Connection parameter '{k}' must be a string, got {type(v).__name__}"
                )
        for k in config or {}:
            if k not in _CONFIG_KEYS:
                raise E.RFCError(f"Connection configuration option '{k}' is not supported")
        self._sys = system
        self._params = {k.lower(): v for k, v in params.items()}
        self._open = False
        self.open()

    # lifecycle -------------------------------------------------------------------------------
    def open(self) -> None:
        self._sys.logons += 1
        if self._sys.logon_error:
            raise E.LogonError(
                "Name or password is incorrect (repeat logon)",
                2,
                "RFC_LOGON_FAILURE",
                "",
                "E",
                "",
                "",
                "",
                "",
                "",
            )
        self._open = True

    def reopen(self) -> None:
        self._open = False
        self.open()

    def close(self) -> None:
        self._open = False

    @property
    def alive(self) -> bool:
        return self._open

    def is_valid(self) -> bool:
        return self._open

    def cancel(self) -> None:
        pass

    def __enter__(self) -> SandboxConnection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def ping(self) -> None:
        self.call("RFC_PING")

    def get_connection_attributes(self) -> dict[str, str]:
        return {
            "sysId": "SBX",
            "client": self._params.get("client", "100"),
            "user": self._params.get("user", "").upper(),
            "language": "E",
            "partnerHost": "sandbox",
            "rel": "753",
            "kernelRel": "753",
            "isoLanguage": "EN",
            "partnerType": "3",
            "dest": "",
            "host": "localhost",
        }

    # calls -----------------------------------------------------------------------------------
    def call(self, func_name: str, options: dict | None = None, **params: Any) -> dict:
        if not isinstance(func_name, str):
            raise E.RFCError(
                "Remote function module name must be unicode string, received: "
                f"{func_name!r} {type(func_name)}"
            )
        if not self._open:
            raise E.RFCError(
                f"Remote function module '{func_name}' invocation rejected because "
                "the connection is closed"
            )
        s = self._sys
        with s._lock:
            s.calls[func_name] += 1
        if s.latency:
            s.sleep(s.latency)
        try:
            s._inject(self._params.get("passwd", ""))
        except E.CommunicationError:
            self.reopen()  # pyrfc opens a fresh session before it raises
            raise
        sig = FUNCTIONS.get(func_name)
        if sig is None:
            raise E.ABAPApplicationError(
                f"ID:FL Type:E Number:046 {func_name}",
                5,
                "FU_NOT_FOUND",
                "FL",
                "E",
                "046",
                func_name,
                "",
                "",
                "",
            )
        if func_name in s.forbidden:
            raise E.ABAPRuntimeError(
                f"No RFC authorization for function module {func_name}",
                3,
                "RFC_NO_AUTHORITY",
                "00",
                "E",
                "215",
                func_name,
                "",
                "",
                "",
            )
        p = _check_params(func_name, sig, params)
        if func_name == "BAPI_AR_ACC_GETOPENITEMS":
            return s.bapis.open_items(p)
        if func_name == "BAPI_AR_ACC_GETBALANCEDITEMS":
            return s.bapis.balanced_items(p)
        if func_name == "RFC_READ_TABLE":
            return _rfc_read_table(s, p)
        return {}


def _check_params(func: str, sig: dict[str, str], params: dict) -> dict:
    """pyrfc's input rules: str for CHAR, int for INT, date or 8-char str for DATS; unknown → error."""
    out: dict[str, Any] = {}
    for name, v in params.items():
        kind = sig.get(name)
        if kind is None:
            raise E.ExternalRuntimeError(
                f"field '{name}' not found", 20, "RFC_INVALID_PARAMETER", "", "", "", "", "", "", ""
            )
        if kind == "I":
            if not isinstance(v, int) or isinstance(v, bool):
                raise TypeError("an integer is required, received", v, type(v), name)
            out[name] = v
        elif kind == "D8":
            if isinstance(v, date):
                v = v.strftime("%Y%m%d")
            elif not v:
                v = "00000000"
            elif not (isinstance(v, str) and len(v) == 8 and v.isdigit()):
                raise TypeError("date value required, received", v, type(v), name)
            out[name] = v
        elif kind == "T":
            if not isinstance(v, list):
                raise TypeError("list required for table parameter, received", type(v), name)
            rows = []
            for row in v:
                allowed = _TABLE_ROW_FIELDS.get(name, {})
                clean = {}
                for fk, fv in row.items() if isinstance(row, dict) else [("?", row)]:
                    if fk not in allowed:
                        raise E.ExternalRuntimeError(
                            f"field '{fk}' not found",
                            20,
                            "RFC_INVALID_PARAMETER",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "",
                        )
                    if not isinstance(fv, str):
                        raise TypeError("an string is required, received", fv, type(fv), fk)
                    clean[fk] = fv[: allowed[fk]]  # longer than the field: silently truncated
                rows.append(clean)
            out[name] = rows
        else:
            if not isinstance(v, str):
                raise TypeError("an string is required, received", v, type(v), name)
            out[name] = v[: int(kind[1:])].rstrip()
    return out


def _abap_exc(key: str, v1: str = "") -> E.ABAPApplicationError:
    return E.ABAPApplicationError(key, 5, key, "", "", "", v1, "", "", "")


def _rfc_read_table(s: SandboxSap, p: dict) -> dict:
    name = p.get("QUERY_TABLE", "").upper()
    df = s.tables.get(name)
    if df is None:
        raise E.ABAPApplicationError(
            f"ID:SV Type:E Number:029 {name}",
            5,
            "TABLE_NOT_AVAILABLE",
            "SV",
            "E",
            "029",
            name,
            "",
            "",
            "",
        )
    if name in s.forbidden_tables:
        raise _abap_exc("NOT_AUTHORIZED", name)
    gone = s.missing.get(name, set())
    lay = {k: v for k, v in layout(name).items() if k not in gone}
    delim = p.get("DELIMITER", "")
    fields = [r.get("FIELDNAME", "").strip().upper() for r in p.get("FIELDS", [])] or list(lay)
    bad = [f for f in fields if f not in lay]
    if bad:
        raise _abap_exc("FIELD_NOT_VALID", bad[0])
    out_fields = fields_out(name, fields, delim)
    if p.get("NO_DATA") == "X":
        return {"FIELDS": out_fields, "DATA": [], "OPTIONS": p.get("OPTIONS", [])}
    if width(name, fields, delim) > s.buffer_limit:
        raise _abap_exc("DATA_BUFFER_EXCEEDED")
    try:
        mask = where_mask([r.get("TEXT", "") for r in p.get("OPTIONS", [])], df, lay)
    except OptionError:
        raise _abap_exc("OPTION_NOT_VALID") from None
    idx = np.flatnonzero(mask)
    with s._lock:  # no ORDER BY: the row order differs from call to call
        idx = idx[s._order_rng.permutation(len(idx))]
    skip, count = p.get("ROWSKIPS", 0), p.get("ROWCOUNT", 0)
    idx = idx[skip:]
    if count:
        idx = idx[:count]
    return {
        "FIELDS": out_fields,
        "DATA": read_table(df, name, idx, fields, delim),
        "OPTIONS": p.get("OPTIONS", []),
    }
