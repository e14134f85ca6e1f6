"""House rules that CI enforces through the suite: lint, format, types, import layers.

Each tool runs from the repository root with the configuration in pyproject.toml, as a
developer would run it; a failure shows the tool's own output.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the tools installed beside this interpreter (.venv/bin)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=600
    )


@pytest.mark.parametrize(
    "tool",
    [
        ("ruff", "check", "."),
        ("ruff", "format", "--check", "."),
        ("mypy",),  # files and strictness from [tool.mypy]; incremental cache in .mypy_cache
        ("lint-imports",),  # contracts from [tool.importlinter]
    ],
    ids=["ruff-check", "ruff-format", "mypy", "import-contracts"],
)
def test_tool_is_clean(tool):
    name, *args = tool
    done = run(str(BIN / name), *args)
    assert done.returncode == 0, f"{' '.join(tool)} failed:\n{done.stdout}\n{done.stderr}"


def test_the_engine_imports_no_browser_rfc_or_database_library():
    heavy = ("playwright", "pyrfc", "sqlalchemy")
    code = (
        f"import sys, arsync.jobs.engine\nprint(' '.join(m for m in {heavy!r} if m in sys.modules))"
    )
    done = run(sys.executable, "-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [], f"importing arsync.jobs.engine loaded {done.stdout.strip()}"


def test_hypothesis_runs_without_wall_clock_limits_and_with_fixed_examples():
    profile = settings.default
    assert profile.deadline is None
    assert profile.derandomize
    assert profile.database is None
