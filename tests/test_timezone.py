"""Every date arsync derives is in one zone, runs.timezone (Asia/Shanghai), whatever the host's:
on a UTC host at 20:30 it is already tomorrow in Shanghai, and a STALE item read "now" is 0 days
old, never -1 (issue 10, fault 11)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest

from arsync.common.errors import ConfigError
from arsync.config import load_settings
from arsync.reports.export import write_frames
from arsync.sandbox.world import World
from arsync.sandbox.world_frames import world_frames

ON_A_UTC_HOST = """
import json, sys
from datetime import datetime, timezone
from pathlib import Path

import time_machine

# 20:30 on the 23rd in UTC (the host's zone) is 04:30 on the 24th in Shanghai
with time_machine.travel(datetime(2026, 11, 23, 20, 30, tzinfo=timezone.utc), tick=False):
    from datetime import date
    from arsync.common import clock
    from arsync.common.parse import parse_date
    from arsync.config import load_settings
    from arsync.connectors.portals.runner import Runner
    from arsync.jobs.engine.reconcile import reconcile
    from arsync.jobs.pipeline.run import run
    from arsync.jobs.pipeline.runstore import RunStore
    from arsync.jobs.pipeline.sources import FileSource
    from arsync.sandbox.world import World
    from arsync.sandbox.world_frames import world_frames

    out, inputs = Path(sys.argv[1]), Path(sys.argv[2])
    s = load_settings(environ={}, overrides={"runs.out_dir": str(out)})
    res = run(s, kind="files", files=FileSource(inputs), echo=lambda _: None)  # as_of: default
    info = RunStore.for_settings(s).get(res.run_id)

    # a portal last read now (the runner stamps fetched_at with clock.now), reconciled as of the
    # run's day: its items are STALE, 0 days old
    f = world_frames(World.tiny(as_of=info.as_of))
    wl = reconcile(
        f["open_items"], f["cleared_items"], f["customers"], f["portal_records"],
        as_of=info.as_of, stale_portals={"hosp-sh": clock.now()},
    )
    stale = wl.loc[wl["finding"] == "STALE", "status_age_days"]

    # what the collector's day and the outbox record in the run store
    from arsync.jobs.pipeline import history, outbox
    store = RunStore.for_settings(s)
    history.record_event(store, collector="C1", customer="0000100001", field="note",
                         value="called", source="cli", as_of=info.as_of)
    from arsync.jobs.pipeline.daytables import contact_history
    with store.engine.connect() as c:
        event_at = c.execute(contact_history.select()).mappings().one()["recorded_at"]
    draft = outbox.Draft(kind="digest", channel="wecom_robot", recipient="team-a",
                         collector="C1", subject="digest", text="x", payload={"msgtype": "text"})
    key, _ = outbox.add(store, out, draft, as_of=info.as_of, run_id=res.run_id)
    drafted = outbox.get(store, key)
    from arsync.service.audit import Audit
    Audit(store.engine).record("ops", "run.start", res.run_id)  # the service's audit trail
    audited_at = Audit(store.engine).recent(1)[0].at
    print(json.dumps({
        "host_today": str(date.today()),
        "as_of": str(info.as_of),
        "run_id": res.run_id,
        "started_at": str(info.started_at),
        "fetched_at": str(clock.now()),
        "portal_day": str(Runner(s, None, out).today),
        "epoch_day": str(parse_date("1795465800")),
        "stale_items": int(len(stale)),
        "stale_ages": sorted(set(int(a) for a in stale)),
        "history_at": str(event_at),
        "outbox_at": str(drafted["created_at"]),
        "audit_at": str(audited_at),
    }))
"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    frames = world_frames(World.tiny(as_of=date(2026, 11, 24)))
    d = tmp_path_factory.mktemp("in")
    write_frames({k: frames[k] for k in ("open_items", "customers", "portal_records")}, d, "csv")
    return d


def test_on_a_utc_host_every_date_is_the_shanghai_one(inputs, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARSYNC_")} | {"TZ": "UTC"}
    done = subprocess.run(
        [sys.executable, "-c", ON_A_UTC_HOST, str(tmp_path), str(inputs)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["host_today"] == "2026-11-23"  # the host is on UTC: still the 23rd there
    assert got["as_of"] == "2026-11-24"  # the default as-of day is Shanghai's
    assert got["run_id"].startswith("20261124-043000-")
    assert got["started_at"] == "2026-11-24 04:30:00"
    assert got["fetched_at"] == "2026-11-24 04:30:00"
    assert got["portal_day"] == "2026-11-24"  # a portal's date range ends on Shanghai's today
    assert got["epoch_day"] == "2026-11-24"  # 1795465800 = 2026-11-23 20:30 UTC
    assert got["stale_items"] > 0 and got["stale_ages"] == [0]  # never -1
    assert got["history_at"] == "2026-11-24 04:30:00"  # contact history, in the run store
    assert got["outbox_at"] == "2026-11-24 04:30:00"  # the outbox, beside the runs
    assert got["audit_at"] == "2026-11-24 04:30:00"  # the service's users, audit, logins


def test_a_status_dated_after_the_as_of_day_is_zero_days_old_never_negative():
    from arsync.jobs.engine.reconcile import reconcile

    f = world_frames(World.tiny(as_of=date(2026, 11, 23)))
    recs = f["portal_records"].copy()
    recs["status_date"] = recs["status_date"] + (
        recs["status_date"].max() - recs["status_date"].min()
    )  # some statuses now lie after the as-of day
    wl = reconcile(
        f["open_items"],
        f["cleared_items"],
        f["customers"],
        recs,
        as_of=date(2026, 11, 23),
        stale_portals={"hosp-sh": datetime(2026, 11, 24, 4, 30)},
    )
    ages = wl["status_age_days"].dropna()
    assert (recs["status_date"] > datetime(2026, 11, 23)).any()
    assert len(ages) and (ages >= 0).all()
    assert (wl.loc[wl["finding"] == "STALE", "status_age_days"] == 0).all()


def test_the_zone_is_one_setting_and_a_bad_one_names_its_key():
    assert load_settings(environ={}).runs.timezone == "Asia/Shanghai"
    with pytest.raises(ConfigError, match=r"runs.timezone .*unknown time zone 'Mars/Olympus'"):
        load_settings(environ={"ARSYNC_RUNS__TIMEZONE": "Mars/Olympus"})


def test_the_console_stamps_its_lines_in_the_zone_of_the_run_ids(capsys):
    """A UTC host at 20:30:05: the run id says 04:30 the next day (Shanghai), so does the log."""
    import time_machine
    from loguru import logger

    from arsync.common import clock, logs
    from arsync.jobs.pipeline.run import new_run_id

    at = datetime(2026, 11, 23, 20, 30, 5, tzinfo=UTC)
    logs.console()
    try:
        with time_machine.travel(at, tick=False):
            logger.info("[sap] started")
            run_id = new_run_id()
    finally:
        logs.console()
    [line] = capsys.readouterr().err.splitlines()
    assert clock.zone().key == "Asia/Shanghai"
    assert run_id.startswith("20261124-043005")
    assert line.startswith("04:30:05 INFO    [sap] started"), line
