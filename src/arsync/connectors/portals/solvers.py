"""Captcha and SMS-code solvers: a small interface with three kinds behind it.

- ``sandbox``: asks the simulator's test-only endpoint (never works against a real portal);
- ``manual``: a person answers on the terminal (the captcha image is saved to a file);
- a registered solver: an installed package that offers an OCR service or an SMS gateway
  registers a factory under the entry point group ``arsync.solvers``
  (``[project.entry-points."arsync.solvers"] my-ocr = "my_pkg.ocr:make"``); an account or
  ``portals login --solver`` names it (``my-ocr``).  The factory returns an object with the two
  coroutines below.  Only registered names load: a portal file cannot make arsync import a
  module of its choosing (:mod:`.trust`).
"""

from __future__ import annotations

import asyncio
import inspect
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from arsync.common.errors import ConfigError

from . import trust


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


def entry_points() -> dict[str, object]:
    """The registered solver factories by name (entry point group ``arsync.solvers``)."""
    from importlib.metadata import entry_points as found

    return {ep.name: ep for ep in found(group=trust.SOLVER_GROUP)}


def make_solver(name: str, **kw) -> Solver:
    """``sandbox``, ``manual`` or a registered solver's name; anything else, a factory that fails
    or an object that is not a solver is a :class:`ConfigError` naming the solver."""
    if name == "sandbox":
        return SandboxSolver()
    if name == "manual":
        return ManualSolver(**kw)
    trust.check_solver_name(name)
    registered = entry_points()
    ep = registered.get(name)
    if ep is None:
        known = ", ".join(sorted([*trust.BUILTIN_SOLVERS, *registered]))
        raise ConfigError(f"solver {name!r} is not registered (known: {known})")
    try:
        solver = ep.load()()  # type: ignore[attr-defined]
    except Exception as exc:  # a broken plug-in fails its accounts, not the run
        raise ConfigError(f"solver {name!r} cannot be loaded: {type(exc).__name__}") from None
    missing = [
        m
        for m in ("image_captcha", "sms_code")
        if not inspect.iscoroutinefunction(getattr(solver, m, None))
    ]
    if missing:
        raise ConfigError(f"solver {name!r} is not a solver: no coroutine {', '.join(missing)}")
    return solver
