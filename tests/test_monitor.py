"""Storage status and alerts on the local backend: levels, exit codes, continuous mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from runner.cli import main
from runner.monitor import Level, take_status
from runner.render import changes
from vastobs.backends.local import LocalBackend
from vastobs.config import from_mapping

STACK = {
    "backend": "local",
    "local_root": "root",
    "database": {"bucket": "mondb", "path": "/db", "quota": "1MB"},
    "observatories": {"swift": {"path": "/swift", "quota": {"hard": "100KB", "soft": "90KB"}}},
    "monitor": {"warn_percent": 50, "critical_percent": 80},
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose local backend has the views and quotas Pulumi would have made."""
    (tmp_path / "Pulumi.yaml").write_text("name: vastobs\nruntime: python\n")
    (tmp_path / "Pulumi.mon.yaml").write_text(
        json.dumps({"config": {f"vastobs:{k}": v for k, v in STACK.items()}})
    )
    backend = LocalBackend(tmp_path / "root")
    for path, hard, soft in (("/swift", 100_000, 90_000), ("/db", 1_000_000, None)):
        backend.collection("views").create({"path": path, "policy_id": 1})
        body = {"name": path, "path": path, "hard_limit": hard}
        if soft:
            body["soft_limit"] = soft
        backend.collection("quotas").create(body)
    return tmp_path


def _fill(project: Path, n_bytes: int) -> None:
    (project / "root" / "views" / "swift" / "data.bin").write_bytes(b"\0" * n_bytes)


def _monitor_process(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m runner monitor`` as cron or Nagios starts it: a process of its own."""
    env = {**os.environ, "PULUMI_STACK": "mon"}
    return subprocess.run(
        [sys.executable, "-m", "runner", "monitor", "--no-bursts", *args],
        cwd=project, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


Monitor = Callable[..., SimpleNamespace]


@pytest.fixture
def monitor(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Monitor:
    """The same command in this process: ``main(argv)``, whose result ``python -m runner``
    exits with. test_json_for_machines keeps the process; the others save its imports."""
    monkeypatch.chdir(project)
    monkeypatch.setenv("PULUMI_STACK", "mon")

    def run(*args: str) -> SimpleNamespace:
        capsys.readouterr()
        code = main(["monitor", "--no-bursts", *args])
        out, err = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return run


@pytest.mark.parametrize(
    ("n_bytes", "level", "fragment"),
    [
        (10_000, Level.OK, None),
        (60_000, Level.WARN, "60.0% of hard limit (warn at 50%)"),
        (85_000, Level.CRITICAL, "85.0% of hard limit (critical at 80%)"),
        (95_000, Level.CRITICAL, "soft limit exceeded"),
        (120_000, Level.CRITICAL, "quota state HARD_EXCEEDED"),
    ],
)
def test_levels_and_exit_codes(
    project: Path, monitor: Monitor, n_bytes: int, level: Level, fragment: str | None
) -> None:
    _fill(project, n_bytes)
    proc = monitor()
    assert proc.returncode == int(level), proc.stderr
    assert "swift" in proc.stdout and f"{n_bytes:,}" in proc.stdout
    if fragment:
        assert f"{level.name}: swift /swift: {fragment}" in proc.stderr
    else:
        assert proc.stderr == ""


def test_json_for_machines(project: Path) -> None:
    """Through ``python -m runner``: the level reaches the shell as the exit status."""
    _fill(project, 60_000)
    proc = _monitor_process(project, "--json")
    doc = json.loads(proc.stdout)
    swift = next(p for p in doc["paths"] if p["name"] == "swift")
    assert (swift["used_bytes"], swift["level"], swift["state"]) == (60_000, "WARN", "OK")
    assert doc["level"] == "WARN" and proc.returncode == 1


def test_unknown_when_status_cannot_be_read(project: Path, monitor: Monitor) -> None:
    (project / "root" / "vms.json").write_text("{")  # unreadable registry
    proc = monitor()
    assert proc.returncode == 3
    assert "UNKNOWN" in proc.stderr


def test_missing_quota_is_unknown(project: Path) -> None:
    stack = from_mapping(
        {
            **STACK,
            "observatories": {
                **STACK["observatories"],
                "nustar": {"path": "/nustar", "quota": "1TB"},
            },
        },
        project,
    )
    status = take_status(stack)
    nustar = next(p for p in status.paths if p.name == "nustar")
    assert (nustar.level, nustar.state, nustar.view_exists) == (Level.UNKNOWN, "MISSING", False)


def test_continuous_prints_changes_only_after_the_first_table(
    project: Path, monitor: Monitor
) -> None:
    stack = from_mapping(STACK, project)
    first = take_status(stack)
    _fill(project, 60_000)
    second = take_status(stack)
    assert changes(first, second) == ["swift: OK/OK -> WARN/OK", "swift: used 60.0 KB (+60.0 KB)"]
    proc = monitor("--continuous", "--interval", "0.1", "--count", "3")
    assert proc.stdout.count("storage on local") == 1  # one full table, then changes only
    assert proc.returncode == 1
