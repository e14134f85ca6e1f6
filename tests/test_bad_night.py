"""A bad night rehearsed from the environment: a search portal whose every request hangs holds its
account only until the account's deadline; the account is STALE and the nightly goes on to its
worksheets and summary (issue 10, faults 5 and 14)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from arsync.config import load_settings
from arsync.jobs.pipeline.run import run
from arsync.jobs.pipeline.runstore import RunStore

pytestmark = pytest.mark.browser

AS_OF = date(2026, 11, 23)


def test_a_hung_portal_account_is_stale_after_its_deadline_and_the_run_goes_on(tmp_path):
    s = load_settings(
        environ={
            "ARSYNC_SANDBOX__SIZE": "tiny",
            "ARSYNC_RUNS__OUT_DIR": str(tmp_path),
            "ARSYNC_SANDBOX__FAULTS__PORTALS__UNI_BJ__STALL_EVERY": "1",
            "ARSYNC_PORTALS__TIMEOUT_MS": "600000",  # a hung request alone would hold 10 minutes
            "ARSYNC_PORTALS__ACCOUNT_DEADLINE_S": "45",
        }
    )
    lines: list[str] = []
    res = run(s, as_of=AS_OF, echo=lines.append)

    assert res.status == "partial"
    outcomes = pd.read_parquet(res.folder / "portals" / "portal_outcomes.parquet")
    hung = outcomes[outcomes["portal"] == "uni-bj"].iloc[0]
    assert hung["outcome"] == "stale"
    assert "not read within the account's 45 s (portals.account_deadline_s)" in hung["reason"]
    assert (outcomes.loc[outcomes["portal"] != "uni-bj", "outcome"] == "ok").any()

    wl = pd.read_parquet(res.folder / "reconcile" / "worklist.parquet")
    stale = wl[wl["finding"] == "STALE"]
    assert len(stale) > 0 and set(stale["portal"]) == {"uni-bj"}
    assert any("stale portals: uni-bj" in line for line in res.summary["lines"])
    info = RunStore.for_settings(s).get(res.run_id)
    statuses = {x["stage"]: x["status"] for x in info.stages}
    assert statuses.pop("portals") == "partial" and set(statuses.values()) == {"ok"}
