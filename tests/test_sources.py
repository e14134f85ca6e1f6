"""The seam that opens a run's sources: one world per run on the run's date, declarations loaded
once and bound there, the simulators started only when a portal is read, settings untouched."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from arsync.common.errors import ConfigError
from arsync.config import load_settings
from arsync.jobs.pipeline import sources
from arsync.jobs.pipeline.sources import FileSource, Scope, open_sources

AS_OF = date(2026, 11, 23)


@pytest.fixture
def settings(tmp_path):
    return load_settings(environ={}, overrides={"sandbox.size": "tiny"})


@pytest.fixture
def counted(monkeypatch):
    """Count the worlds built and the definition folders read."""
    calls = {"world": 0, "definitions": 0}
    world, load = sources._world, sources.load_definitions

    def counting_world(settings, as_of):
        calls["world"] += 1
        return world(settings, as_of)

    def counting_load(*a, **kw):
        calls["definitions"] += 1
        return load(*a, **kw)

    monkeypatch.setattr(sources, "_world", counting_world)
    monkeypatch.setattr(sources, "load_definitions", counting_load)
    return calls


def test_one_world_on_the_run_date_serves_sap_and_the_portals(settings, counted):
    with open_sources(settings, AS_OF) as src:
        assert counted == {"world": 1, "definitions": 1}
        assert src.world.as_of == AS_OF and src.sap.rfc.world is src.world
        bound = {p.id: p for p in src.portals.definitions}
        pc = src.world.portal_customers
        for pid, p in bound.items():
            assert p.customers == sorted(set(pc.loc[pc["portal"] == pid, "customer"]))
            assert all(a.solver == "sandbox" for a in p.accounts)
    assert not hasattr(settings.sandbox, "as_of")  # the run's date lives in the run, not settings


def test_simulators_start_only_when_a_portal_is_chosen(settings):
    with open_sources(settings, AS_OF) as src:
        assert all(p.base_url == "sandbox" for p in src.portals.definitions)
        customers = pd.DataFrame({"customer": sorted(src.portals.customer_portals)[:3]})
        filled = src.with_portals(customers)
        assert (filled["portals"] != "").all()
        assert all(p.base_url == "sandbox" for p in src.portals.definitions)  # still not served
        (gov,) = src.portals.chosen(["gov-gd"])
        assert gov.base_url.startswith("http://127.0.0.1:")
        assert all(p.base_url.startswith("http://127.0.0.1:") for p in src.portals.chosen())


def test_a_customer_maps_to_every_portal_it_pays_through(settings):
    with open_sources(settings, AS_OF, sap=False) as src:
        cp = src.portals.customer_portals
        for p in src.portals.definitions:
            assert all(p.id in cp[c] for c in p.customers)
        some = next(iter(cp))
        assert src.portals.ids_for([some]) == sorted(cp[some])


def test_an_unknown_portal_id_is_a_config_error(settings):
    with (
        open_sources(settings, AS_OF, sap=False) as src,
        pytest.raises(ConfigError, match="unknown portal id"),
    ):
        src.portals.chosen(["nope"])


def test_a_file_run_opens_neither_sap_nor_portals(settings, tmp_path, counted):
    with open_sources(settings, AS_OF, Scope(customers=("1",)), files=FileSource(tmp_path)) as src:
        assert src.sap is None and src.portals is None and src.files.folder == tmp_path
        assert src.scope.customers == ("1",)
    assert counted == {"world": 0, "definitions": 0}


def test_production_sap_comes_from_pyrfc_not_the_sandbox(tmp_path, counted):
    s = load_settings(
        environ={"ARSYNC_SAP__BACKEND": "pyrfc"},
        overrides={"portals.definitions_dir": str(tmp_path)},
    )
    with open_sources(s, AS_OF) as src:
        assert src.sap.rfc is None and src.world is None  # the connector imports pyrfc itself
        assert src.portals.definitions == ()  # the bundled sandbox portals are not production's
    assert counted["world"] == 0
