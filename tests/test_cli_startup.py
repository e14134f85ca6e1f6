"""`arsync --help` and `arsync config show` start fast: they import no pandas, pyarrow,
SQLAlchemy or Playwright (each command imports what it needs when it runs)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("pandas", "pyarrow", "numpy", "sqlalchemy", "playwright")
PROBE = """
import sys
from arsync.jobs.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("HEAVY:" + ",".join(m for m in {heavy!r} if m in sys.modules))
"""


@pytest.mark.parametrize("argv", [["--help"], ["config", "show"], ["reconcile", "--help"]])
def test_start_up_imports_no_heavy_library(argv, tmp_path):
    p = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        check=True,
    )
    last = p.stdout.strip().splitlines()[-1]
    assert last == "HEAVY:", p.stdout + p.stderr
    assert "Usage" in p.stdout or "sap.backend" in p.stdout
