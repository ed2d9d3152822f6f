"""A green ``make test`` must mean the engines ran: a skipped engine test fails the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.toolchain import PROJECT_DIR

SUITE = """
import pytest

@pytest.mark.trino
def test_needs_trino():
    pytest.skip("no Trino here")

def test_plain():
    pytest.skip("an ordinary skip")
"""


def _run(tmp_path: Path, require: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_suite.py").write_text(SUITE)
    env = {k: v for k, v in os.environ.items() if k != "VASTOBS_REQUIRE_ENGINES"}
    env["PYTHONPATH"] = str(PROJECT_DIR)
    if require is not None:
        env["VASTOBS_REQUIRE_ENGINES"] = require
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.support.require_engines", "-q",
         "-o", "markers=trino", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip


@pytest.mark.parametrize(("require", "code"), [("1", 1), (None, 0)])
def test_skipped_engine_test_fails_only_when_required(
    tmp_path: Path, require: str | None, code: int
) -> None:
    proc = _run(tmp_path, require)
    assert proc.returncode == code, proc.stdout
    if code:
        assert "test_needs_trino: " in proc.stdout and "no Trino here" in proc.stdout
        assert "test_plain" not in proc.stdout.split("were skipped:")[1]
