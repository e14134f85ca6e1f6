"""Serve every portal of a world on one loopback port, from a background thread.

``start_simulators(world)`` works from synchronous code (tests, the CLI, the runner's
sandbox mode): the aiohttp app runs on its own event loop in a daemon thread.
Portal ``<id>`` lives under ``{base_url}/p/<id>/``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from aiohttp import web

from .core import Faults, PortalSim, esc, page
from .gov import GovSim
from .hosp import HospSim
from .uni import UniSim

FAMILIES: dict[str, type[PortalSim]] = {
    "government": GovSim,
    "hospital": HospSim,
    "university": UniSim,
}


@dataclass
class SimulatorHandle:
    """A running simulator: ``base_url``, the portals by id, and ``close()``."""

    base_url: str
    sims: dict[str, PortalSim]
    _loop: asyncio.AbstractEventLoop = field(repr=False)
    _runner: web.AppRunner = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def url(self, portal: str) -> str:
        return f"{self.base_url}/p/{portal}/"

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        for sim in self.sims.values():  # stalled requests end with the server
            for fut in sim.held:
                self._loop.call_soon_threadsafe(fut.cancel)
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def build_sims(world, faults: Faults | Mapping[str, Faults] | None = None) -> dict[str, PortalSim]:
    """One simulator per row of ``world.portals``, fed by the world's accounts and records."""
    sims: dict[str, PortalSim] = {}
    recs = world.portal_records
    recs = recs.sort_values(["submitted_on", "record_id"], ascending=[False, True], kind="stable")
    for p in world.portals.itertuples(index=False):
        if p.family not in FAMILIES:
            raise ValueError(f"world.portals: portal {p.portal!r} has unknown family {p.family!r}")
        f = faults.get(p.portal, Faults()) if isinstance(faults, Mapping) else (faults or Faults())
        accs = world.portal_accounts[world.portal_accounts["portal"] == p.portal]
        mine = recs[recs["portal"] == p.portal]
        by_acc = {a: g.to_dict("records") for a, g in mine.groupby("account", sort=False)}
        sims[p.portal] = FAMILIES[p.family](
            pid=p.portal,
            family=p.family,
            name=p.name,
            accounts={str(a["username"]): a for a in accs.to_dict("records")},
            records=by_acc,
            faults=f,
        )
    return sims


def start_simulators(
    world,
    faults: Faults | Mapping[str, Faults] | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> SimulatorHandle:
    """Start all portals of ``world`` on loopback (a free port unless given); return the handle."""
    sims = build_sims(world, faults)

    async def dispatch(request: web.Request) -> web.StreamResponse:
        sim = sims.get(request.match_info["pid"])
        if sim is None:
            raise web.HTTPNotFound(text="404 门户不存在")
        return await sim.dispatch(request, request.match_info["tail"])

    async def index(request: web.Request) -> web.Response:
        items = "".join(
            f"<li><a href='/p/{esc(k)}/login'>{esc(s.name)}</a> ({esc(s.family)})</li>"
            for k, s in sims.items()
        )
        return web.Response(
            text=page("门户模拟器", f"<h2>门户模拟器</h2><ul>{items}</ul>"),
            content_type="text/html",
        )

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_route("*", "/p/{pid}/{tail:.*}", dispatch)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, access_log=None)
    ready: dict[str, object] = {}
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, host, port)
            loop.run_until_complete(site.start())
            ready["port"] = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        except BaseException as exc:  # report start failures to the caller's thread
            ready["error"] = exc
            started.set()
            return
        started.set()
        loop.run_forever()
        loop.close()

    thread = threading.Thread(target=serve, name="portal-simulators", daemon=True)
    thread.start()
    if not started.wait(30):
        raise RuntimeError("portal simulators did not start within 30 s")
    if "error" in ready:
        raise RuntimeError(f"portal simulators failed to start: {ready['error']}")
    return SimulatorHandle(f"http://{host}:{ready['port']}", sims, loop, runner, thread)
