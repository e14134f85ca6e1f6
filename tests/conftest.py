"""Suite-wide test settings.

Hypothesis: one profile for every property test.  No deadline and no "too slow" health check:
both measure wall-clock time, which a loaded 2-core machine stretches at random.  Examples
are derandomized (seeded from each test's identity) and no example database is replayed, so
two runs of the same code test the same examples.
"""

import os
import uuid

import pytest
from hypothesis import HealthCheck, settings
from loguru import logger

settings.register_profile(
    "arsync",
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile("arsync")


# --- run stores: every run-store and pipeline test runs on SQLite and on PostgreSQL ------------
#
# PostgreSQL needs ARSYNC_TEST_PG_URL: an admin URL of a server the tests may create databases
# on (`.ci/services start DIR` prints one; .ci/run sets it).  Each test gets a database of its
# own, dropped afterwards.  Without the variable the PostgreSQL cases are skipped, saying so.

STORES = ["sqlite", "postgresql"]
PG_URL = os.environ.get("ARSYNC_TEST_PG_URL", "")


def _store_url(kind: str, folder):
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'runs.sqlite'}"
        return
    if not PG_URL:
        pytest.skip("PostgreSQL run store: set ARSYNC_TEST_PG_URL (.ci/services start prints it)")
    import sqlalchemy as sa

    name = f"arsync_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(params=STORES)
def store_url(request, tmp_path):
    """A run store URL: a SQLite file in the test's folder, or a fresh PostgreSQL database."""
    yield from _store_url(request.param, tmp_path)


@pytest.fixture(scope="module", params=STORES)
def module_store_url(request, tmp_path_factory):
    """:func:`store_url` shared by a module's tests (for module-scoped runs)."""
    yield from _store_url(request.param, tmp_path_factory.mktemp("store"))


@pytest.fixture
def caplog(caplog):
    """pytest's caplog also sees what arsync logs (loguru), as loguru's docs recommend."""
    handler_id = logger.add(
        caplog.handler,
        format="{message}",
        level=0,
        filter=lambda record: record["level"].no >= caplog.handler.level,
        enqueue=False,
    )
    yield caplog
    logger.remove(handler_id)
