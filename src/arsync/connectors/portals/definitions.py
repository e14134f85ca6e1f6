"""Portal declarations: a family file says how a kind of portal behaves, a portal file says where.

``config/portals/family-<family>.yaml`` (``kind: family``): login steps, where rows come from
(``json`` responses the page fetches, a DOM ``table``, or a per-invoice ``search``), paging,
field ↔ header/key mapping, parse formats and the status map per column.
``config/portals/<id>.yaml`` (``kind: portal``): id, family, base URL (``sandbox`` = the
simulators), accounts with credential references, customers and buyer → customer map.
Both are validated with pydantic; an error names the file, the key and what was expected.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from arsync.common.errors import ConfigError
from arsync.common.frames import ACTION_BY, PORTAL_RECORDS, STATUSES
from arsync.common.secrets import Secret

from . import trust

T = TypeVar("T")
BUNDLED = Path(__file__).resolve().parents[2] / "config" / "portals"
SANDBOX = "sandbox"
_FIELDS = set(PORTAL_RECORDS.names) - {
    "portal",
    "account",
    "customer",
    "currency",
    "status",
    "status_text",
    "status_column",
    "action_by",
    "fetched_at",
    "evidence",
}


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_M):
    """A locator as data: a role + accessible name, a label, or a CSS selector."""

    role: str | None = None
    name: str | None = None
    label: str | None = None
    css: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Target:
        if sum(x is not None for x in (self.role, self.label, self.css)) != 1:
            raise ValueError("give exactly one of role (with name), label or css")
        return self


class Challenge(_M):
    kind: Literal["image", "sms"]
    input: Target
    image: str | None = None  # css of the captcha <img>
    ref_attr: str | None = None  # attribute carrying the captcha id (sandbox solver)
    send: Target | None = None  # the "send SMS" button
    sent: str | None = None  # css of the text that confirms the SMS was sent


class Login(_M):
    url: str
    username: Target
    password: Target
    challenge: Challenge | None = None
    submit: Target
    form: str = "input[type=password]"  # present ⇔ the login page is shown (URL is not trusted)
    error: str = "[role=alert]"
    retry_on: list[str] = []  # error words that mean "solve the challenge again"
    attempts: int = Field(3, ge=1, le=5)


class Paging(_M):
    param: str  # the page-number query parameter of the data request
    size_param: str | None = None
    size: Target | None = None  # page-size <select>
    size_value: str | None = None
    next: Target
    indicator: str | None = None  # css of "第 N 页" (table sources: render done)
    indicator_text: str = "第 {n} 页"
    total: str | None = None  # css of "共 N 条" (table sources)


class ListDef(_M):
    source: Literal["json", "table", "search"]
    url: str
    frame: str | None = None  # css of the iframe holding the list
    response: str | None = None  # path part of the data request (json/table)
    rows: str | None = None  # dotted path to the row list in the JSON
    total: str | None = None  # dotted path to the total in the JSON
    table: str | None = None  # css of the table (table source)
    headers: list[str] = []  # headers that must be on the page
    refresh: Target | None = None  # 查询: (re)load page 1
    retry: Target | None = None  # the page's own "retry" button after an error
    date_from: Target | None = None
    lookback_days: int = Field(1095, ge=1)
    paging: Paging | None = None
    search_input: Target | None = None  # search source
    search_submit: Target | None = None
    result: str | None = None  # css of the result area
    detail: str | None = None  # css of one detail block (th/td pairs)
    no_record: str | None = None  # css shown when nothing matched
    # click: type, press 查询 and wait for the new page (works for any search page);
    # form: send the search form's own request from the page (fetch) and put the answer in
    # place of the old one, with no navigation: ~20x less browser CPU per search.  Only for a
    # plain HTML form (GET or url-encoded POST); result, detail and no_record must be CSS.
    search_by: Literal["click", "form"] = "click"
    # Numbers per search where the portal takes several in one query, joined by
    # search_separator (its answer lists every hit): one request instead of many.
    search_batch: int = Field(1, ge=1, le=200)
    search_separator: str = ","

    @model_validator(mode="after")
    def _complete(self) -> ListDef:
        need = {
            "json": ("response", "rows", "total", "paging"),
            "table": ("response", "table", "paging"),
            "search": ("search_input", "search_submit", "result", "detail", "no_record"),
        }[self.source]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"source {self.source!r} needs {', '.join(missing)}")
        return self


class FieldDef(_M):
    key: str  # JSON key, table header or detail label
    type: Literal["text", "id", "amount", "date"] = "text"
    unit: str | None = None  # amounts: 元 / 万元 when the cell does not say


class Word(_M):
    status: str | None  # None: the column says nothing yet (未申请, blank)
    action_by: str | None = None

    @field_validator("status")
    @classmethod
    def _known(cls, v: str | None) -> str | None:
        if v is not None and v not in STATUSES:
            raise ValueError(f"status {v!r} is not one of {', '.join(STATUSES)}")
        return v

    @field_validator("action_by")
    @classmethod
    def _who(cls, v: str | None) -> str | None:
        if v is not None and v not in ACTION_BY:
            raise ValueError(f"action_by {v!r} is not one of SUPPLIER, BUYER, PAYER")
        return v


class StatusColumn(_M):
    name: str  # the column as people call it (验收状态)
    key: str  # JSON key / header / label it is read from
    words: dict[str, Word]

    @field_validator("words", mode="before")
    @classmethod
    def _short(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {
                ("" if k is None else str(k)): (w if isinstance(w, dict) else {"status": w})
                for k, w in v.items()
            }
        return v


class Family(_M):
    kind: Literal["family"]
    family: str
    login: Login
    list: ListDef  # (shadows the builtin in this class body: builtins.list below)
    fields: dict[str, FieldDef]
    status: builtins.list[
        StatusColumn
    ]  # most advanced money column first (支付 > 结算 > 验收 > 订单)
    date_formats: builtins.list[str] = []
    currency: str = "CNY"

    @field_validator("fields")
    @classmethod
    def _fields(cls, v: dict[str, FieldDef]) -> dict[str, FieldDef]:
        unknown = sorted(set(v) - _FIELDS)
        if unknown:
            raise ValueError(
                f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(_FIELDS))}"
            )
        if "record_id" not in v:
            raise ValueError("field record_id is required")
        return v


class Account(_M):
    """A supplier account; the password is a reference (env:/keyring:) or, in sandbox, in memory."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)
    id: str
    username: str = ""
    password: str | Secret = ""  # own namespace only (trust.allowed_references) / Secret (sandbox)
    login: Literal["auto", "manual"] = "auto"
    solver: str = "manual"  # manual | sandbox | an entry point of the group arsync.solvers

    @field_validator("solver")
    @classmethod
    def _solver(cls, v: str) -> str:
        try:
            trust.check_solver_name(v)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return v

    @field_validator("password")
    @classmethod
    def _reference(cls, v):
        if isinstance(v, str) and v and not v.startswith(("env:", "keyring:")):
            raise ValueError(
                "must be a reference (env:VARIABLE or keyring:SERVICE/USER); "
                "passwords do not belong in files"
            )
        return v

    def __repr__(self) -> str:  # never show the password, even a reference
        return f"Account(id={self.id!r}, login={self.login!r}, solver={self.solver!r})"


class Portal(_M):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)
    kind: Literal["portal"]
    id: str
    family: str
    name: str = ""
    base_url: str
    allow_http: bool = False  # plain http to a host other than loopback (trust.check_base_url)
    accounts: list[Account] | Literal["sandbox"]
    customers: list[str] | Literal["sandbox"] = []
    buyers: dict[str, str] | Literal["sandbox"] = {}
    spec: Family | None = None  # filled by the loader
    source: str = ""  # the file it came from

    @model_validator(mode="after")
    def _trusted(self) -> Portal:
        """Own secrets only, https (or loopback) only: see :mod:`.trust`."""
        try:
            if self.base_url != SANDBOX:
                trust.check_base_url(self.base_url, self.allow_http)
            for a in self.accounts if isinstance(self.accounts, builtins.list) else ():
                if isinstance(a.password, str) and a.password:
                    trust.check_reference(self.id, a.id, a.password)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return self

    def url(self, tail: str) -> str:
        return self.base_url.rstrip("/") + "/" + tail.lstrip("/")


@dataclass(frozen=True)
class Rejected:
    """A portal file that failed validation: only this portal fails (its accounts are reported
    failed, its customers' items stale); ``customers`` as the file lists them, when it does."""

    id: str
    source: str
    reason: str
    customers: tuple[str, ...] = ()


class Definitions(dict[str, Portal]):
    """id → valid portal declaration, plus the portal files that were refused (``rejected``)."""

    def __init__(self, *args: Any, rejected: builtins.list[Rejected] | None = None) -> None:
        super().__init__(*args)
        self.rejected: builtins.list[Rejected] = rejected or []


def family_of(portal: Portal) -> Family:
    """The portal's family declaration, bound by :func:`load_definitions`; ConfigError if not."""
    if portal.spec is None:
        raise ConfigError(
            f"portal {portal.id}: family {portal.family!r} is not bound (load with load_definitions)"
        )
    return portal.spec


def accounts_of(portal: Portal) -> builtins.list[Account]:
    """The portal's accounts; ConfigError while they are still the ``sandbox`` placeholder."""
    if isinstance(portal.accounts, str):
        raise ConfigError(
            f"portal {portal.id}: accounts {portal.accounts!r} are not bound to the sandbox"
        )
    return portal.accounts


def required(value: T | None, key: str, family: Family) -> T:
    """An optional key of a family file that this use of it needs; ConfigError naming it if unset."""
    if value is None:
        raise ConfigError(f"portal family {family.family!r}: key {key} is required here")
    return value


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top, got {type(data).__name__}")
    return data


def _explain(path: Path, exc: ValidationError) -> ConfigError:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top)"
        if err["type"] == "extra_forbidden":
            lines.append(f"{path}: key {key}: unknown key")
        elif err["type"] == "missing":
            lines.append(f"{path}: key {key}: required, missing")
        else:
            got = (
                "***"
                if "password" in key or key.startswith("accounts")
                else f"{err.get('input')!r:.80}"
            )
            lines.append(f"{path}: key {key}: {err['msg']} (got {got})")
    return ConfigError("bad portal definition:\n  " + "\n  ".join(lines))


def load_definitions(
    dirs: builtins.list[Path | str] | None = None, *, extra_dir: str = "", strict: bool = True
) -> Definitions:
    """Read family and portal files (bundled folder, then ``extra_dir``); later files win by id.

    ``strict``: the first bad file is a :class:`ConfigError` naming file and key (``portals
    check``, tests).  Otherwise (a run) a portal file that fails validation, or whose family file
    does, is kept out and listed in ``rejected`` with the reason: one bad portal never stops the
    others.  A missing folder, a file that is not YAML or of no known ``kind`` is a
    :class:`ConfigError` either way."""
    folders = [Path(d) for d in (dirs or [BUNDLED])]
    if extra_dir:
        folders.append(Path(extra_dir).expanduser())
    families: dict[str, Family] = {}
    bad_families: dict[str, str] = {}
    portals: builtins.list[tuple[Path, dict]] = []
    for folder in folders:
        if not folder.is_dir():
            raise ConfigError(
                f"portal definitions folder {folder} does not exist (portals.definitions_dir)"
            )
        for path in sorted(folder.glob("*.yaml")):
            data = _read(path)
            kind = data.get("kind")
            if kind == "family":
                try:
                    fam = Family(**data)
                except ValidationError as exc:
                    bad_families[str(data.get("family", path.stem))] = str(_explain(path, exc))
                    continue
                families[fam.family] = fam
                bad_families.pop(fam.family, None)
            elif kind == "portal":
                portals.append((path, data))
            else:
                raise ConfigError(f"{path}: key kind: expected 'family' or 'portal', got {kind!r}")
    out: dict[str, Portal] = {}
    rejected: dict[str, Rejected] = {}
    for path, data in portals:
        pid = str(data.get("id") or path.stem)
        try:
            try:
                p = Portal(**data, source=str(path))
            except ValidationError as exc:
                raise _explain(path, exc) from None
            if p.family not in families:
                raise ConfigError(
                    bad_families.get(p.family)
                    or f"{path}: key family: no family definition {p.family!r} "
                    f"(known: {', '.join(sorted(families)) or 'none'})"
                )
        except ConfigError as exc:
            listed = data.get("customers")
            custs = tuple(str(c) for c in listed) if isinstance(listed, builtins.list) else ()
            rejected[pid] = Rejected(pid, str(path), str(exc), custs)
            out.pop(pid, None)
            continue
        out[p.id] = p.model_copy(update={"spec": families[p.family]})
        rejected.pop(p.id, None)
    if strict and (bad_families or rejected):
        raise ConfigError(
            next(iter([*bad_families.values(), *(r.reason for r in rejected.values())]))
        )
    return Definitions(out, rejected=builtins.list(rejected.values()))


def select(defs: dict[str, Portal], ids: list[str] | tuple[str, ...] | None) -> list[Portal]:
    """The portals asked for (all when ``ids`` is empty); an unknown id is a config error."""
    if not ids:
        return list(defs.values())
    unknown = [i for i in ids if i not in defs]
    if unknown:
        raise ConfigError(f"unknown portal id(s) {', '.join(unknown)}; known: {', '.join(defs)}")
    return [defs[i] for i in ids]
