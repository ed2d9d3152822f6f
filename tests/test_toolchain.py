"""Each tool version and the cache path are written once, in devtools/toolchain.py:
the shell scripts take them from ``python -m devtools.toolchain env``, and the
Python SDK pins must name the CLI's version."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from devtools import toolchain
from devtools.toolchain import PROJECT_DIR, PULUMI_VERSION


def _pin(requirements: list[str], name: str) -> str:
    (version,) = (r.split("==", 1)[1].split()[0] for r in requirements if r.startswith(f"{name}=="))
    return version


def test_the_pulumi_sdk_pins_equal_the_cli_version() -> None:
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]
    assert _pin(project["dependencies"], "pulumi") == PULUMI_VERSION
    constraints = (PROJECT_DIR / "constraints.txt").read_text().splitlines()
    assert _pin(constraints, "pulumi") == PULUMI_VERSION


def test_the_shell_gets_the_same_facts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "a cache"  # a space survives the shell's eval
    monkeypatch.setenv("VASTOBS_CACHE", str(cache))
    script = (
        f'eval "$({shlex.quote(sys.executable)} -m devtools.toolchain env)"; '
        'echo "$PULUMI_VERSION|$TRINO_VERSION|$VASTOBS_CACHE_DIR"'
    )
    out = subprocess.run(
        ["bash", "-c", script],
        cwd=PROJECT_DIR, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert out.strip() == f"{PULUMI_VERSION}|{toolchain.TRINO_VERSION}|{cache}"


def test_the_cache_path_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("VASTOBS_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert toolchain.cache_dir() == tmp_path / "vastobs"


def test_no_script_writes_a_version_or_the_cache_path_itself() -> None:
    versions = (PULUMI_VERSION, toolchain.PULUMI_HOST_SDK_VERSION, toolchain.UV_VERSION,
                toolchain.TRINO_VERSION)  # fmt: skip
    facts = [rf"(?<![\w.]){re.escape(v)}(?![\w.])" for v in versions]
    facts += [r"XDG_CACHE_HOME", r"\.cache/vastobs"]
    for script in sorted((PROJECT_DIR / "tools").glob("*.sh")):
        text = script.read_text()
        found = [f for f in facts if re.search(f, text)]
        assert not found, f"{script.name} repeats {found}: take it from devtools.toolchain env"
        if re.search(r"VASTOBS_CACHE_DIR|_VERSION", text):
            assert "-m devtools.toolchain env" in text, script.name
