"""Typed settings and the loader that layers defaults → file → environment → flags.

Each value remembers where it came from, so ``arsync config show`` can say so and a bad
value is reported with its key and its source (file or variable) — never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict

from arsync.common.errors import ConfigError

DEFAULTS = Path(__file__).with_name("defaults.toml")
ENV_PREFIX = "ARSYNC_"
SECRET_KEYS = {"passwd", "password", "key", "token", "secret"}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RetrySettings(_Section):
    attempts: int = Field(4, ge=1, le=20)
    initial: float = Field(0.5, ge=0)
    maximum: float = Field(8.0, ge=0)
    deadline: float = Field(120.0, gt=0)


class SapSettings(_Section):
    backend: Literal["sandbox", "pyrfc"] = "sandbox"
    strategy: Literal["bapi", "table"] = "bapi"
    company_codes: list[str] = []
    customers: list[str] = []
    parallel: int = Field(4, ge=1, le=64)
    cleared_days: int = Field(90, ge=0)
    noted_items: bool = False
    credit_control_area: str = "1000"
    connection: dict[str, str] = {}
    passwd: SecretStr | None = None
    retry: RetrySettings = RetrySettings()
    collectors: dict[str, str] = {}
    segments: dict[str, str] = {}
    contact_departments: list[str] = []

    @model_validator(mode="before")
    @classmethod
    def _password_apart(cls, data: Any) -> Any:
        # The password arrives as sap.connection.passwd (ARSYNC_SAP__CONNECTION__PASSWD) but is
        # held apart, as a secret, so that the connection dict can be shown and logged.
        if isinstance(data, dict) and isinstance(data.get("connection"), dict):
            conn = dict(data["connection"])
            for k in list(conn):
                if k.lower() == "passwd":
                    data = {**data, "passwd": conn.pop(k)}
            data = {**data, "connection": {k: str(v) for k, v in conn.items()}}
        return data


class FaultKnobs(_Section):
    """The portal simulators' fault knobs (``arsync.sandbox.portals.Faults``), for rehearsing a
    bad night on the sandbox."""

    latency_ms: int = Field(0, ge=0)
    error_rate: float = Field(0.0, ge=0, le=1)
    seed: int = 0
    expire_after: int = Field(0, ge=0)
    captcha_fail_once: bool = False
    rate_limit_every: int = Field(0, ge=0)
    redesigned: bool = False
    stall_every: int = Field(0, ge=0)


class SandboxFaults(FaultKnobs):
    """``[sandbox.faults]``: knobs for every simulated portal; ``[sandbox.faults.portals.<id>]``
    overrides the keys it sets for one portal (``_`` stands for ``-`` in an id, for the
    environment: ``ARSYNC_SANDBOX__FAULTS__PORTALS__UNI_BJ__STALL_EVERY=3``)."""

    portals: dict[str, FaultKnobs] = {}

    def for_portal(self, portal: str) -> dict[str, Any]:
        """The knobs of one portal: every portal's, then its own."""
        base = self.model_dump(exclude={"portals"})
        for key, own in self.portals.items():
            if _portal_key(key) == _portal_key(portal):
                base |= own.model_dump(exclude_unset=True)
        return base

    @property
    def on(self) -> bool:
        return self != SandboxFaults()


def _portal_key(portal: str) -> str:
    return portal.lower().replace("_", "-")


class SandboxSettings(_Section):
    seed: int = 20261123
    size: Literal["tiny", "small", "medium", "large"] = "small"
    epoch: date = date(2025, 5, 1)
    latency_ms: int = Field(0, ge=0)
    faults: SandboxFaults = SandboxFaults()


class PortalSettings(_Section):
    definitions_dir: str = ""
    concurrency: int = Field(4, ge=1, le=64)
    browser_executable: str = ""
    headless: bool = True
    timeout_ms: int = Field(15000, ge=100)
    session_dir: str = "~/.local/share/arsync/sessions"
    # The key of the saved sessions: ARSYNC_SESSION_KEY or the keyring (arsync / session-key);
    # a key file only when named here (config show warns: whoever reads it has every session).
    session_key_file: str = ""
    retry: RetrySettings = RetrySettings(attempts=3, maximum=5.0)
    account_deadline_s: float = Field(600.0, ge=0)
    portal_deadline_s: float = Field(1800.0, ge=0)
    executor: Literal["local", "celery"] = "local"


class CelerySettings(_Section):
    broker_url: str = "redis://127.0.0.1:6379/0"
    queue: str = "arsync-portals"
    deadline_s: float = Field(3600.0, gt=0)
    visibility_timeout_s: float = Field(60.0, gt=0)
    heartbeat_s: float = Field(10.0, gt=0)
    restore_interval_s: float = Field(5.0, gt=0)

    @model_validator(mode="after")
    def _heartbeat_inside_visibility(self) -> CelerySettings:
        if self.heartbeat_s >= self.visibility_timeout_s:
            raise ValueError("heartbeat_s must be shorter than visibility_timeout_s")
        return self


class ReconcileSettings(_Section):
    amount_tolerance: int = Field(1, ge=0)
    stuck_days: int = Field(30, ge=1)
    date_window_days: int = Field(45, ge=0)
    aging_limits: list[int] = [0, 30, 60, 90, 180, 365]
    priority_amount: int = Field(10_000_000, ge=0)

    @model_validator(mode="after")
    def _ascending(self) -> ReconcileSettings:
        if self.aging_limits != sorted(set(self.aging_limits)):
            raise ValueError("aging_limits must be strictly ascending day counts")
        return self


class ReportSettings(_Section):
    language: Literal["zh", "en", "both"] = "both"
    keep_versions: int = Field(5, ge=0)
    owner_file_max_age_hours: float = Field(12, gt=0)
    workers: int = Field(0, ge=0, le=64)


class PromiseSettings(_Section):
    grace_days: int = Field(3, ge=0, le=60)
    amount_tolerance: int = Field(100, ge=0)
    broken_priority_steps: int = Field(1, ge=0, le=4)


class DisputeReason(_Section):
    code: str = Field(min_length=1, max_length=20, pattern=r"^[a-z][a-z0-9_]*$")
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


DEFAULT_REASONS = (
    ("price", "价格不符", "Price"),
    ("quantity", "数量不符", "Quantity"),
    ("quality", "质量问题/未验收", "Quality / not accepted"),
    ("not_received", "未收到货", "Goods not received"),
    ("duplicate", "重复开票", "Duplicate billing"),
    ("documents", "单据缺失", "Documents missing"),
    ("budget", "预算未下达", "Budget not yet released"),
    ("other", "其他", "Other"),
)


class DisputeSettings(_Section):
    reasons: list[DisputeReason] = [
        DisputeReason(code=c, zh=z, en=e) for c, z, e in DEFAULT_REASONS
    ]

    @model_validator(mode="after")
    def _closed_list(self) -> DisputeSettings:
        codes = [r.code for r in self.reasons]
        if len(set(codes)) != len(codes):
            raise ValueError("reason codes must be unique")
        if "other" not in codes:
            raise ValueError("the reason list must keep the code 'other' (for unlisted reasons)")
        return self


class CompanySettings(_Section):
    name_zh: str = ""
    name_en: str = ""
    address_zh: str = ""
    address_en: str = ""
    tax_id: str = ""
    phone: str = ""
    email: str = ""
    bank: str = ""
    #: company code → overrides of the fields above (each company code is its own legal entity)
    codes: dict[str, dict[str, str]] = {}


class StatementSettings(_Section):
    language: Literal["", "zh", "en", "both"] = ""
    font: str = ""
    templates_dir: str = ""
    number_prefix: str = Field("DZD", pattern=r"^[A-Za-z0-9-]{0,10}$")
    reply_days: int = Field(10, ge=1, le=90)
    nightly: Literal["never", "daily", "weekly", "monthly"] = "monthly"
    customers: Literal["overdue", "open"] = "overdue"
    min_days_overdue: int = Field(1, ge=0)
    workers: int = Field(0, ge=0, le=64)


class RunSettings(_Section):
    store_url: str = ""
    out_dir: str = "out"
    lock_stale_hours: float = Field(24.0, gt=0)
    group: str = ""  # Unix group that may read run data too; empty: the owner only
    timezone: str = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        from arsync.common.clock import zone

        zone(name)  # a ValueError that names the zone
        return name


class PlanSettings(_Section):
    """Supervisor report and collection plans (issue 12)."""

    #: plans the nightly makes and refreshes in ``<out>/reports``: week and / or month
    nightly: list[Literal["week", "month"]] = ["week"]
    #: the period of the nightly's ``supervisor.xlsx`` ("" = the nightly writes none)
    supervisor_period: Literal["", "week", "month", "quarter"] = "week"
    #: the currency of the targets (major units)
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    #: targets per plan kind and collector: {"week": {"C1": 500000}, "month": {...}}
    targets: dict[Literal["week", "month"], dict[str, float]] = {}


class ServiceSettings(_Section):
    """`arsync serve`: where it listens, when the nightly runs, how sign-ins are guarded."""

    host: str = "127.0.0.1"
    port: int = Field(8470, ge=0, le=65535)
    nightly: str = "30 1 * * *"  # cron in runs.timezone: minute hour day month weekday; "" = none
    grace_minutes: int = Field(180, ge=0)
    session_hours: int = Field(12, ge=1)
    login_attempts: int = Field(5, ge=1)
    login_window_minutes: int = Field(15, ge=1)
    upload_max_mb: int = Field(50, ge=1)
    language: Literal["zh", "en"] = "zh"

    @model_validator(mode="after")
    def _cron(self) -> ServiceSettings:
        if self.nightly and len(self.nightly.split()) != 5:
            raise ValueError(f"nightly {self.nightly!r} is not a 5-field cron expression")
        return self


class EmailSettings(_Section):
    """``[notify.email]``: the SMTP submission server.  The password is a secret:
    ``ARSYNC_NOTIFY__EMAIL__PASSWORD`` or the keyring entry arsync / ``smtp:<user>``."""

    host: str = ""  # "" = no e-mail
    port: int = Field(465, ge=0, le=65535)
    security: Literal["ssl", "starttls", "none"] = "ssl"  # 465 implicit TLS (RFC 8314) / 587
    user: str = ""
    password: SecretStr | None = None
    sender: str = ""  # the From address; default: user
    sender_name: str = ""
    timeout: float = Field(30.0, gt=0)
    per_minute: int = Field(60, ge=1)  # messages per minute through this server


class WecomSettings(_Section):
    """``[notify.wecom]``: Enterprise WeChat.  Group robots by name, each a credential reference
    (``env:VAR`` / ``keyring:SERVICE/USER``) to its webhook key; an application message needs
    corp_id, agent_id and the app's secret (``ARSYNC_NOTIFY__WECOM__SECRET`` or the keyring
    entry arsync / ``wecom:<corp_id>/<agent_id>``)."""

    base_url: str = "https://qyapi.weixin.qq.com"
    robots: dict[str, str] = {}
    corp_id: str = ""
    agent_id: int = 0
    secret: SecretStr | None = None
    robot_per_minute: int = Field(20, ge=1, le=20)  # WeCom: 20 messages a minute per robot
    user_per_minute: int = Field(30, ge=1, le=30)  # app messages: 30 a minute per recipient
    markdown_bytes: int = Field(4096, ge=256, le=4096)  # robot markdown limit
    app_markdown_bytes: int = Field(2048, ge=256, le=2048)
    timeout: float = Field(15.0, gt=0)

    @field_validator("robots")
    @classmethod
    def _references(cls, robots: dict[str, str]) -> dict[str, str]:
        for name, ref in robots.items():
            if not ref.startswith(("env:", "keyring:")):
                raise ValueError(
                    f"robot {name}: give its webhook key as a reference (env:VARIABLE or "
                    "keyring:SERVICE/USER); keys do not belong in files"
                )
        return robots


class CollectorChannels(_Section):
    """Where one collector receives the worksheet and the digest."""

    email: str = ""
    wecom_user: str = ""  # application message to this WeCom userid
    robot: str = ""  # a name of notify.wecom.robots (a group robot)
    language: Literal["", "zh", "en", "both"] = ""  # "" = reports.language


class ReminderSettings(_Section):
    """``[notify.reminders]``: which items get a reminder and at what level (see
    :mod:`arsync.jobs.engine.dunning` for the rule)."""

    min_days_overdue: int = Field(1, ge=0)  # polite from here
    firm_days: int = Field(30, ge=1)  # firm from here, or after a broken promise
    final_days: int = Field(90, ge=1)  # final from here, or after 2 promises not kept
    interval_days: int = Field(7, ge=1)  # no new reminder to a customer within this
    approval: dict[str, Literal["collector", "supervisor"]] = {
        "polite": "collector",
        "firm": "collector",
        "final": "supervisor",
    }
    language: Literal["zh", "en", "both"] = "zh"
    templates_dir: str = ""
    reply_days: int = Field(10, ge=1, le=90)  # working days the customer is asked to pay within

    @model_validator(mode="after")
    def _ladder(self) -> ReminderSettings:
        if not self.min_days_overdue < self.firm_days < self.final_days:
            raise ValueError("min_days_overdue < firm_days < final_days must hold")
        unknown = set(self.approval) - {"polite", "firm", "final"}
        if unknown:
            raise ValueError(f"approval: unknown level(s) {', '.join(sorted(unknown))}")
        if self.approval.get("final", "supervisor") != "supervisor":
            raise ValueError("approval.final must be 'supervisor' (before escalation)")
        return self


class NotifySettings(_Section):
    """``[notify]``: digests and worksheets to collectors, reminders to customers."""

    enabled: bool = False
    digest: bool = True
    attach_worksheet: bool = True
    service_url: str = ""  # where `arsync serve` runs: the digest links to its downloads
    digest_top: int = Field(10, ge=1, le=100)
    max_parts: int = Field(3, ge=1, le=10)  # a longer digest is summarised with a link
    contacts_file: str = ""
    signature_zh: str = ""
    signature_en: str = ""
    attempts: int = Field(5, ge=1, le=20)  # tries per message before it fails
    initial: float = Field(2.0, ge=0)  # first backoff, seconds (doubled each try)
    maximum: float = Field(300.0, ge=0)
    max_wait: float = Field(600.0, ge=0)  # longest a send waits for a rate limit or retry
    email: EmailSettings = EmailSettings()
    wecom: WecomSettings = WecomSettings()
    collectors: dict[str, CollectorChannels] = {}
    reminders: ReminderSettings = ReminderSettings()


class Settings(BaseSettings):
    """The effective configuration.  ``provenance`` maps dotted keys to their source."""

    model_config = SettingsConfigDict(
        extra="forbid",
        frozen=True,
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        case_sensitive=False,
    )

    sap: SapSettings = SapSettings()
    sandbox: SandboxSettings = SandboxSettings()
    portals: PortalSettings = PortalSettings()
    reconcile: ReconcileSettings = ReconcileSettings()
    reports: ReportSettings = ReportSettings()
    plans: PlanSettings = PlanSettings()
    runs: RunSettings = RunSettings()
    celery: CelerySettings = CelerySettings()
    service: ServiceSettings = ServiceSettings()
    notify: NotifySettings = NotifySettings()
    promises: PromiseSettings = PromiseSettings()
    disputes: DisputeSettings = DisputeSettings()
    company: CompanySettings = CompanySettings()
    statements: StatementSettings = StatementSettings()

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, *args, **kwargs):
        # The loader below does the layering itself (it must know where each value came from).
        return (init_settings,)


def load_settings(
    path: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Build the effective settings; raise :class:`ConfigError` naming key and source on error."""
    environ = dict(os.environ if environ is None else environ)
    merged: dict[str, Any] = {}
    prov: dict[str, str] = {}

    _merge(merged, prov, _read_toml(DEFAULTS), "default")
    origin = "--config" if path else f"{ENV_PREFIX}CONFIG"
    path = path or environ.get(f"{ENV_PREFIX}CONFIG") or None
    if path:
        p = Path(path).expanduser()
        if not p.is_file():
            raise ConfigError(f"configuration file {p} not found (from {origin})")
        data = _read_toml(p)
        _refuse_secrets(data, f"file {p}")
        _merge(merged, prov, data, f"file {p}")
    env_data, env_names = _read_env(environ)
    _merge(merged, prov, env_data, "env", env_names)
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        _merge(merged, prov, _nest(dotted, value), "flag")

    try:
        s = Settings(**merged)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, prov)) from None
    object.__setattr__(s, "__provenance__", prov)
    _remember_secrets(s, environ)
    return s


def _remember_secrets(s: Settings, environ: dict[str, str]) -> None:
    """Every configured secret (the SAP password, secret-looking ARSYNC_ variables such as
    ARSYNC_SESSION_KEY) is noted so that the log sinks mask it."""
    from arsync.common.secrets import remember

    if s.sap.passwd is not None:
        remember(s.sap.passwd.get_secret_value())
    for name, value in environ.items():
        last = name.upper().rsplit("__", 1)[-1].rsplit("_", 1)[-1].lower()
        if name.upper().startswith(ENV_PREFIX) and last in SECRET_KEYS:
            remember(value)


def provenance(settings: Settings) -> dict[str, str]:
    return getattr(settings, "__provenance__", {})


def settings_report(settings: Settings) -> list[tuple[str, str, str]]:
    """(key, shown value, source) for every leaf; secrets shown as ``***``."""
    prov = provenance(settings)
    rows: list[tuple[str, str, str]] = []

    def walk(prefix: str, obj: Any) -> None:
        if isinstance(obj, BaseModel):
            for name in type(obj).model_fields:
                walk(f"{prefix}{name}.", getattr(obj, name))
            return
        if isinstance(obj, dict) and obj:
            for k, v in obj.items():
                walk(f"{prefix}{k}.", v)
            return
        key = prefix[:-1]
        if isinstance(obj, SecretStr) or key.rsplit(".", 1)[-1].lower() in SECRET_KEYS:
            shown = "***" if obj else "(not set)"
        else:
            shown = _masked_url(_shown(obj))
        rows.append((key, shown, _source_of(key, prov)))

    walk("", settings)
    return rows


def _masked_url(text: str) -> str:
    """A URL's password as ``***`` (``redis://:pw@host``, ``postgresql://user:pw@db/x``)."""
    return re.sub(r"^([a-z][a-z0-9+.-]*://[^:/@]*:)[^@/]+@", r"\1***@", text)


def _shown(value: Any) -> str:
    """A value as it would be written in the settings file (TOML): ISO dates, ``true``,
    ``["1000"]`` — never Python's repr."""
    if isinstance(value, str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False, default=str)


def _source_of(key: str, prov: dict[str, str]) -> str:
    if key in prov:
        return prov[key]
    if key == "sap.passwd" and "sap.connection.passwd" in prov:
        return prov["sap.connection.passwd"]
    # A whole section (an unknown one, say) comes from where its keys came from.
    below = sorted(v for k, v in prov.items() if k.startswith(key + "."))
    if below:
        return below[0] if len(set(below)) == 1 else ", ".join(sorted(set(below)))
    parts = key.split(".")
    while parts:
        parts.pop()
        if ".".join(parts) in prov:
            return prov[".".join(parts)]
    return "default"


def _read_toml(p: Path) -> dict[str, Any]:
    try:
        with p.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot be read: {exc.strerror}") from None


def _read_env(environ: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    src = EnvSettingsSource(
        Settings,
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        case_sensitive=False,
    )
    # EnvSettingsSource reads os.environ; hand it the mapping we were given instead.
    src.env_vars = {k.lower(): v for k, v in environ.items()}
    try:
        data = src()
    except Exception as exc:  # pydantic-settings wraps JSON errors for list/dict fields
        raise ConfigError(
            f"environment: {exc} (lists are JSON, e.g. ARSYNC_SAP__COMPANY_CODES='[\"1000\"]')"
        ) from None
    names: dict[str, str] = {}
    for k in environ:
        if k.upper().startswith(ENV_PREFIX) and k.upper() != f"{ENV_PREFIX}CONFIG":
            names[k[len(ENV_PREFIX) :].lower().replace("__", ".")] = k
    return data, names


#: Keys that name a credential wherever they appear in a settings file.
FILE_REFUSED = {"passwd", "password", "token", "secret"}
#: Free-form maps of the settings (their keys are codes, not settings).
_MAPS = {"collectors", "segments", "robots"}


def _refuse_secrets(data: dict[str, Any], where: str, prefix: str = "") -> None:
    """A password (``[sap] passwd``, ``[sap.connection] passwd``, …) in a file is refused."""
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            if k not in _MAPS:
                _refuse_secrets(v, where, key + ".")
            continue
        if k.lower() not in FILE_REFUSED:
            continue
        if key.lower() in ("sap.passwd", "sap.connection.passwd"):
            how = "set ARSYNC_SAP__CONNECTION__PASSWD or the keyring entry arsync / sap:<user>"
        else:
            how = f"set it in the environment ({ENV_PREFIX}{key.upper().replace('.', '__')})"
        raise ConfigError(f"{where}: key {key} — passwords do not belong in files; {how}")


def _nest(dotted: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cur = out
    parts = dotted.split(".")
    for p in parts[:-1]:
        cur = cur.setdefault(p, {})
    cur[parts[-1]] = value
    return out


def _merge(
    dst: dict,
    prov: dict,
    src: dict,
    source: str,
    env_names: dict[str, str] | None = None,
    prefix: str = "",
) -> None:
    for k, v in src.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            _merge(dst[k], prov, v, source, env_names, key + ".")
            continue
        if (
            isinstance(v, dict)
            and v
            and k not in ("collectors", "segments", "connection", "robots")
        ):
            dst[k] = {}
            _merge(dst[k], prov, v, source, env_names, key + ".")
            continue
        dst[k] = v
        if isinstance(v, dict):
            for sub in v:
                prov[f"{key}.{sub}"] = _label(f"{key}.{sub}", source, env_names)
        prov[key] = _label(key, source, env_names)


def _label(key: str, source: str, env_names: dict[str, str] | None) -> str:
    if source == "env" and env_names:
        return f"env {env_names.get(key, ENV_PREFIX + key.upper().replace('.', '__'))}"
    return source


def _explain(exc: ValidationError, prov: dict[str, str]) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        src = _source_of(key, prov)
        got = err.get("input")
        shown = "***" if key.rsplit(".", 1)[-1].lower() in SECRET_KEYS else repr(got)
        if err["type"] == "extra_forbidden":
            lines.append(f"{key} (from {src}): unknown key")
        else:
            lines.append(f"{key} (from {src}): {err['msg']}; got {shown}")
    return "bad configuration:\n  " + "\n  ".join(lines)
