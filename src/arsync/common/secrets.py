"""Secrets as a type whose repr, str and logs show ``***``, resolved from env or keyring."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import ConfigError

MASK = "***"
#: Shorter values are not masked in logs: masking two letters would garble every line, and
#: no real credential is that short.
MIN_MASKED = 4
_known: set[str] = set()


def remember(value: str | None) -> None:
    """Note a secret's clear text so that no log line shows it (see :func:`known`)."""
    if value and len(value) >= MIN_MASKED:
        _known.add(value)


def known() -> frozenset[str]:
    """Every secret this process has seen: each :class:`Secret` made, and what the settings
    loader noted (the SAP password, secret environment variables).  The log sinks mask them."""
    return frozenset(_known)


@dataclass(frozen=True, slots=True)
class Secret:
    """A credential value.  Only :meth:`reveal` gives the clear text, at the point of use.
    Every secret made is remembered for the log filter (:func:`known`)."""

    _value: str
    source: str = ""

    def __post_init__(self) -> None:
        remember(self._value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return MASK

    def __bool__(self) -> bool:
        return bool(self._value)


def resolve(ref: str, *, what: str) -> Secret:
    """Resolve a credential reference.

    ``env:NAME`` reads the environment variable NAME; ``keyring:SERVICE/USER`` reads the
    OS keyring.  A missing secret names the exact variable or keyring entry to set.
    """
    kind, _, target = ref.partition(":")
    if kind == "env" and target:
        value = os.environ.get(target)
        if not value:
            raise ConfigError(f"{what}: set the environment variable {target}")
        return Secret(value, source=f"env:{target}")
    if kind == "keyring" and "/" in target:
        service, _, user = target.partition("/")
        try:
            import keyring

            value = keyring.get_password(service, user)
        except Exception as exc:  # no backend on a headless server, locked keychain …
            raise ConfigError(
                f"{what}: the OS keyring could not be read for {service}/{user} "
                f"({type(exc).__name__}); set it with `keyring set {service} {user}`"
            ) from None
        if not value:
            raise ConfigError(f"{what}: no keyring entry; run `keyring set {service} {user}`")
        return Secret(value, source=f"keyring:{target}")
    raise ConfigError(
        f"{what}: credential reference {ref!r} is not understood; "
        "use env:VARIABLE or keyring:SERVICE/USER"
    )


def scrub(text: str, *secrets: Secret | str | None) -> str:
    """Remove every given secret's clear text from ``text`` (messages from third-party code)."""
    for s in secrets:
        v = s.reveal() if isinstance(s, Secret) else s
        if v:
            text = text.replace(v, MASK)
    return text
