"""``python -m runner`` as a user runs it: one-line errors, exit codes, provenance."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from devtools.toolchain import PROJECT_DIR


def runner(*args: str, cwd: Path = PROJECT_DIR) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PULUMI_STACK"}
    return subprocess.run(
        [sys.executable, "-m", "runner", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )


def test_json_result_carries_provenance() -> None:
    proc = runner("run", "engine_parity", "--param", "window_hours=24", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["provenance"]["query"] == "engine_parity"
    assert doc["provenance"]["engine"] == "duckdb"
    assert doc["provenance"]["params"]["window_hours"] == 24.0
    assert len(doc["provenance"]["sha256"]) == 64
    assert [r["in_window"] for r in doc["rows"]] == [False, True, True]  # 103 h, 15 h, 15 h


def test_unknown_query_is_one_line_and_exit_1() -> None:
    proc = runner("run", "no_such_query")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "error: no query named 'no_such_query' under queries/analytics, queries/checks"
    ]


def test_ill_typed_parameter_names_it_and_the_type() -> None:
    proc = runner("run", "engine_parity", "--param", "window_hours=a week")
    assert proc.returncode == 1
    assert "window_hours" in proc.stderr and "double" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_debug_shows_the_traceback() -> None:
    proc = runner("--debug", "run", "engine_parity", "--param", "nope=1")
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "unknown parameter nope" in proc.stderr


def test_unknown_stack_names_the_file() -> None:
    proc = runner("--stack", "nowhere", "run", "engine_parity")
    assert proc.returncode == 1
    assert "Pulumi.nowhere.yaml" in proc.stderr


def test_unreachable_trino_is_a_clear_error(tmp_path: Path) -> None:
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "queries").symlink_to(PROJECT_DIR / "queries")
    (tmp_path / "Pulumi.cli-test.yaml").write_text(
        "config:\n  vastobs:trino:\n    host: 127.0.0.1\n    port: 9\n    http_scheme: http\n"
    )
    proc = runner("--stack", "cli-test", "run", "engine_parity", "--engine", "trino", cwd=tmp_path)
    assert proc.returncode == 1
    assert "cannot reach Trino at 127.0.0.1:9" in proc.stderr
