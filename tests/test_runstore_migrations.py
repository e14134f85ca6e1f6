"""The run store's schema comes from Alembic migrations: they build exactly the tables the code
queries, a store made before migrations is adopted, and opening a store twice changes nothing."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from arsync.jobs.pipeline import runstore
from arsync.jobs.pipeline.runstore import RunStore
from arsync.service import tables as service_tables


def _declared() -> sa.MetaData:
    """Every table the code queries: the pipeline's and the service's (one database)."""
    both = sa.MetaData()
    for m in (runstore.meta, service_tables.meta):
        for t in m.tables.values():
            t.to_metadata(both)
    return both


def test_migrations_build_the_tables_the_code_declares(store_url):
    store = RunStore(store_url)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), _declared())
    assert diff == []


def test_a_store_made_before_migrations_is_stamped_and_keeps_its_runs(store_url):
    url = store_url
    engine = sa.create_engine(url)
    # what arsync did before migrations: the tables of revision 0001, and no alembic_version
    cfg = Config()
    cfg.set_main_option("script_location", str(runstore.MIGRATIONS))
    with engine.begin() as c:
        cfg.attributes["connection"] = c
        command.upgrade(cfg, "0001")
        c.exec_driver_sql("DROP TABLE alembic_version")
        c.exec_driver_sql(
            "INSERT INTO runs (run_id, kind, as_of, scope, status, started_at, folder) "
            "VALUES ('r0', 'nightly', '2026-11-01', '{}', 'ok', '2026-11-01 03:00:00', '/x')"
        )
    store = RunStore(url)
    with store.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() is not None
    assert [r.run_id for r in store.recent(5)] == ["r0"]


def test_opening_a_store_again_is_a_no_op(store_url, tmp_path):
    url = store_url
    RunStore(url).start_run("r1", "nightly", date(2026, 11, 23), {}, str(tmp_path))
    again = RunStore(url)
    assert [r.run_id for r in again.recent(5)] == ["r1"]
