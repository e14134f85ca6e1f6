"""What a portal declaration may reach: its own secrets, its own host, registered solvers.

A portal file is configuration that an operator drops into ``portals.definitions_dir``; it must
not be able to exfiltrate what arsync holds.  So:

- **Credentials** come only from the portal's own namespace: ``env:ARSYNC_PORTAL_<ID>_<ACCOUNT>_PASSWORD``
  (id and account upper-cased, every run of other characters → ``_``) or
  ``keyring:arsync-portal/<id>/<account>``.  Naming any other variable (the SAP password, the
  session key) or keyring entry is refused.
- **Transport**: ``https://`` only; plain ``http://`` only to loopback (the simulators) or when
  the portal file says ``allow_http: true``.  Any other scheme is refused.
- **Where the password is typed**: only into a page of the portal's own origin (scheme, host,
  port of ``base_url``); a login that was redirected elsewhere stops before the password.
- **Solvers** are ``manual``, ``sandbox`` or the name of an entry point registered by an
  installed package in the group ``arsync.solvers`` — never a module path to import.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from arsync.common.errors import ConfigError
from arsync.common.secrets import Secret, resolve

KEYRING_SERVICE = "arsync-portal"
SOLVER_GROUP = "arsync.solvers"
BUILTIN_SOLVERS = ("manual", "sandbox")
_SOLVER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def env_name(portal_id: str, account_id: str) -> str:
    """``ARSYNC_PORTAL_GOV_GD_MAIN_PASSWORD`` for portal ``gov-gd``, account ``main``."""

    def part(s: str) -> str:
        return re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_").upper()

    return f"ARSYNC_PORTAL_{part(portal_id)}_{part(account_id)}_PASSWORD"


def allowed_references(portal_id: str, account_id: str) -> tuple[str, str]:
    """The two credential references an account of this portal may use."""
    return (
        f"env:{env_name(portal_id, account_id)}",
        f"keyring:{KEYRING_SERVICE}/{portal_id}/{account_id}",
    )


def check_reference(portal_id: str, account_id: str, ref: str) -> None:
    """ConfigError unless ``ref`` is in the account's own namespace (the reference is not echoed:
    it may be a mistyped password)."""
    allowed = allowed_references(portal_id, account_id)
    if ref not in allowed:
        raise ConfigError(
            f"portal {portal_id}, account {account_id}: the password reference must be "
            f"{allowed[0]} or {allowed[1]} (a portal file names only its own accounts' secrets)"
        )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(url: str, allow_http: bool = False) -> None:
    """ConfigError unless ``url`` is https, or http to loopback (or with ``allow_http``)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and host and (is_loopback(host) or allow_http):
        return
    if parts.scheme == "http" and host:
        raise ConfigError(
            f"base_url {url!r}: plain http to {host} would send the password and the session "
            "unencrypted; use https, or set allow_http: true in this portal's file"
        )
    raise ConfigError(f"base_url {url!r}: use an https:// URL")


def origin(url: str) -> tuple[str, str, int | None]:
    p = urlsplit(url)
    port = p.port or {"https": 443, "http": 80}.get(p.scheme)
    return p.scheme, (p.hostname or "").lower(), port


def check_same_origin(page_url: str, base_url: str, where: str) -> None:
    """ConfigError when the page that asks for the password is not on the portal's own origin."""
    if origin(page_url) != origin(base_url):
        shown = "{}://{}:{}".format(*origin(page_url))
        raise ConfigError(
            f"{where}: the login page is at {shown}, not on the portal's own address "
            f"{base_url}; the password is typed only there"
        )


def check_solver_name(name: str) -> None:
    """ConfigError for a solver that is neither built in nor a plain entry-point name."""
    if name in BUILTIN_SOLVERS or (_SOLVER_NAME.match(name) and ":" not in name):
        return
    raise ConfigError(
        f"solver {name!r}: use manual, sandbox or the name of a solver registered by an "
        f"installed package (entry point group {SOLVER_GROUP}); module paths are not imported"
    )


def account_password(
    portal_id: str, source: str, account_id: str, password: object
) -> Secret | None:
    """The account's password: a Secret given in memory (sandbox), or its reference resolved —
    after checking, again at the point of use, that the reference is the account's own."""
    if isinstance(password, Secret):
        return password
    if not password:
        return None
    check_reference(portal_id, account_id, str(password))
    return resolve(str(password), what=f"{source}: account {account_id} password")
