"""The pipeline's stages as plain functions over an explicit context.

Each ``stage_<name>(ctx) -> (counts, status)`` reads what earlier stages left in ``ctx.frames``
and adds its own outputs; the pipeline saves those to the run folder after the stage and
reloads them on --resume.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable

import pandas as pd

from arsync.common.frames import Schema
from arsync.connectors.portals.frames import PORTAL_RECORDS
from arsync.connectors.sap.frames import CLEARED_ITEMS, CUSTOMERS, OPEN_ITEMS
from arsync.jobs.frames import WORKLIST

OUTPUTS: dict[str, dict[str, Schema | None]] = {
    "sap": {"open_items": OPEN_ITEMS, "cleared_items": CLEARED_ITEMS, "customers": CUSTOMERS},
    "portals": {"portal_records": PORTAL_RECORDS, "portal_outcomes": None},
    "reconcile": {"worklist": WORKLIST},
    "worksheets": {},
    "summary": {},
}


@dataclass
class StageContext:
    settings: object
    as_of: date
    scope: object
    folder: Path
    out: Path
    echo: Callable[[str], None] = print
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
    worksheet_results: list = field(default_factory=list)
    stale_portals: dict = field(default_factory=dict)

    @property
    def state_dir(self) -> Path:
        """Last known good data across runs (portal records per portal, the full worklist)."""
        d = self.out / "state"
        d.mkdir(parents=True, exist_ok=True)
        return d

    def save(self, stage: str) -> None:
        d = self.folder / stage
        d.mkdir(parents=True, exist_ok=True)
        for name in OUTPUTS[stage]:
            if name in self.frames:
                _write_parquet(self.frames[name], d / f"{name}.parquet")
        meta = {"summary": self.summary, "stale_portals": {k: str(v) for k, v in self.stale_portals.items()}}
        (d / "_meta.json").write_text(json.dumps(meta, default=str, ensure_ascii=False, indent=1))

    def load(self, stage: str) -> None:
        d = self.folder / stage
        for name, schema in OUTPUTS[stage].items():
            p = d / f"{name}.parquet"
            if p.exists():
                df = pd.read_parquet(p)
                self.frames[name] = schema.coerce(df) if schema is not None else df
        m = d / "_meta.json"
        if m.exists():
            meta = json.loads(m.read_text())
            self.summary.update(meta.get("summary", {}))
            self.stale_portals.update({k: pd.Timestamp(v) for k, v in meta.get("stale_portals", {}).items()})


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    df.to_parquet(tmp, index=False)
    tmp.replace(path)
