"""Everything one running service holds: its settings, the run store and the service tables,
the worker launcher, the scheduler and a clock (tests set it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from arsync.common.clock import now as wall_now
from arsync.config import load_settings
from arsync.config.settings import Settings
from arsync.jobs.pipeline.runstore import RunStore
from arsync.service.audit import Audit
from arsync.service.credentials import Credentials
from arsync.service.users import Users
from arsync.service.workers import Workers


@dataclass
class Service:
    settings: Settings
    store: RunStore
    users: Users
    credentials: Credentials
    audit: Audit
    workers: Workers
    clock: Callable[[], datetime]
    config_path: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    scheduler: Any = None  # arsync.service.schedule.Nightly once started

    @property
    def out(self) -> Path:
        return Path(self.settings.runs.out_dir).resolve()


def open_service(
    config_path: str | None = None,
    overrides: dict[str, Any] | None = None,
    *,
    clock: Callable[[], datetime] = wall_now,
    workers: Workers | None = None,
) -> Service:
    """Load the settings (defaults → file → environment → ``overrides``) and open the run store
    (migrated to the newest schema); raises :class:`ConfigError` for bad settings."""
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    settings = load_settings(config_path, overrides=overrides)
    store = RunStore.for_settings(settings)
    return Service(
        settings=settings,
        store=store,
        users=Users(store.engine, clock),
        credentials=Credentials(store.engine, clock),
        audit=Audit(store.engine, clock),
        workers=workers or Workers(),
        clock=clock,
        config_path=config_path,
        overrides=overrides,
    )
