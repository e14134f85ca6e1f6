"""The Jinja2 environments of the messages: bundled templates, optionally overridden."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import jinja2

from arsync.common.money import format_major

BUNDLED = Path(__file__).with_name("templates")


def money(minor: int, currency: str) -> str:
    """``1,234.56 CNY``: major units with thousands separators, as the currency has decimals."""
    return f"{Decimal(format_major(int(minor), currency)):,} {currency}"


def clamp(text: object, chars: int = 60) -> str:
    """A field from outside (a name, a portal's reason) kept short enough for one line."""
    s = " ".join(str(text or "").split())
    return s if len(s) <= chars else s[: chars - 1] + "…"


@lru_cache(maxsize=8)
def environment(override: str = "", html: bool = False) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if override:
        loaders.append(jinja2.FileSystemLoader(override))
    loaders.append(jinja2.FileSystemLoader(str(BUNDLED)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["money"] = lambda minor, currency: money(minor, currency)
    env.filters["clamp"] = clamp
    return env
