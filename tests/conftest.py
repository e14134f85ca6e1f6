"""Suite-wide test settings.

Hypothesis: one profile for every property test.  No deadline and no "too slow" health check:
both measure wall-clock time, which a loaded 2-core machine stretches at random.  Examples
are derandomized (seeded from each test's identity) and no example database is replayed, so
two runs of the same code test the same examples.
"""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "arsync",
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile("arsync")
