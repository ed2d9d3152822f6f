"""Which package may import which: the layers of docs/architecture.md.

``vastobs`` (the shared core) imports neither edge nor pulumi; the Pulumi
program (``infra``) and the CLI (``runner``) import the core and never each
other; ``devtools`` (servers, stand-ins, the Pulumi driver) serves tests, tools
and benchmarks and is never imported by the product.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.toolchain import PROJECT_DIR

PROJECT_PACKAGES = {"vastobs", "infra", "runner", "devtools", "bench", "tests", "tools"}
ALLOWED = {
    "vastobs": {"vastobs"},
    "infra": {"vastobs", "infra", "pulumi"},
    "runner": {"vastobs", "runner"},
    "devtools": {"vastobs", "runner", "devtools"},
    "bench": {"vastobs", "runner", "devtools", "bench"},
    "tools": {"vastobs", "runner", "devtools"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _files() -> list[Path]:
    return sorted(p for folder in ALLOWED for p in (PROJECT_DIR / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(PROJECT_DIR)))
def test_imports_follow_the_layers(path: Path) -> None:
    package = path.relative_to(PROJECT_DIR).parts[0]
    ours = _imports(path) & (PROJECT_PACKAGES | {"pulumi"})
    assert ours <= ALLOWED[package], f"{package} may not import {sorted(ours - ALLOWED[package])}"


def test_the_cli_starts_without_pulumi_matplotlib_or_astropy() -> None:
    """Importing the CLI (what every command pays) loads none of the heavy stacks."""
    probe = (
        "import sys, runner.cli; "
        "print(' '.join(m for m in ('pulumi', 'matplotlib', 'astropy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=PROJECT_DIR
    )
    assert out.stdout.split() == []
