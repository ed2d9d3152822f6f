"""ruff lint and format hold for the whole tree (the config is in pyproject.toml)."""

from __future__ import annotations

import subprocess

from tests.support.process import python_module


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return python_module("ruff", *args)


def test_ruff_check() -> None:
    proc = _ruff("check", ".", "--output-format", "concise")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format() -> None:
    proc = _ruff("format", "--check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr
