"""Captcha and SMS-code solvers: a small interface with three kinds behind it.

- ``sandbox``: asks the simulator's test-only endpoint (never works against a real portal);
- ``manual``: a person answers on the terminal (the captcha image is saved to a file);
- ``package.module:factory``: the hook point for an OCR service or an SMS gateway; the
  factory returns an object with the two coroutines below.
"""

from __future__ import annotations

import asyncio
import importlib
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from arsync.common.errors import ConfigError


@dataclass(frozen=True)
class Challenge:
    portal: str
    account: str
    username: str
    base_url: str
    image: bytes = b""  # the captcha picture (image challenges)
    ref: str = ""  # the page's id of the captcha, when it shows one


class Solver(Protocol):
    interactive: bool
    needs_image: bool  # False: the captcha picture is not taken (the solver reads ``ref``)

    async def image_captcha(self, ch: Challenge) -> str: ...

    async def sms_code(self, ch: Challenge) -> str: ...


class SandboxSolver:
    """Reads the answer from the simulator (``_test/captcha``, ``_test/sms``)."""

    interactive = False
    needs_image = False

    async def image_captcha(self, ch: Challenge) -> str:
        return await asyncio.to_thread(_get, ch.base_url, "_test/captcha", {"id": ch.ref})

    async def sms_code(self, ch: Challenge) -> str:
        return await asyncio.to_thread(_get, ch.base_url, "_test/sms", {"username": ch.username})


def _get(base: str, path: str, query: dict[str, str]) -> str:
    url = base.rstrip("/") + "/" + path + "?" + urllib.parse.urlencode(query)
    if not url.startswith(("http://127.0.0.1", "http://localhost")):
        raise ConfigError(f"the sandbox solver only talks to loopback simulators, not {base}")
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()


class ManualSolver:
    """A person answers: the captcha picture is written next to the sessions and its path shown."""

    interactive = True
    needs_image = True

    def __init__(self, image_dir: Path | None = None, ask=input) -> None:
        self.image_dir = image_dir or Path.cwd()
        self.ask = ask

    async def image_captcha(self, ch: Challenge) -> str:
        path = self.image_dir / f"captcha-{ch.portal}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(ch.image)
        return (
            await asyncio.to_thread(
                self.ask, f"{ch.portal}/{ch.account}: captcha shown in {path}: "
            )
        ).strip()

    async def sms_code(self, ch: Challenge) -> str:
        return (
            await asyncio.to_thread(self.ask, f"{ch.portal}/{ch.account}: SMS code just sent: ")
        ).strip()


def make_solver(name: str, **kw) -> Solver:
    """``sandbox``, ``manual`` or ``package.module:factory``; an unknown name is a config error."""
    if name == "sandbox":
        return SandboxSolver()
    if name == "manual":
        return ManualSolver(**kw)
    mod, _, attr = name.partition(":")
    if not attr:
        raise ConfigError(f"solver {name!r}: use sandbox, manual or package.module:factory")
    try:
        return getattr(importlib.import_module(mod), attr)()
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"solver {name!r} cannot be loaded: {exc}") from None
