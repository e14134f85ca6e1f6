"""The run store's schema comes from Alembic migrations: they build exactly the tables the code
queries, a store made before migrations is adopted, and opening a store twice changes nothing."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
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
    # what arsync did before migrations: the tables of revision 0001, made from the metadata
    runstore.meta.create_all(engine, tables=[runstore.runs, runstore.stages, runstore.locks])
    with engine.begin() as c:
        c.execute(
            runstore.runs.insert().values(
                run_id="r0",
                kind="nightly",
                as_of=date(2026, 11, 1),
                scope="{}",
                status="ok",
                started_at=sa.func.now(),
                folder="/x",
            )
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
