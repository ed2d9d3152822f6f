"""The split the design fixes: the runner never imports pulumi (it creates no
infrastructure), infra/ never imports the runner, and infra/config.py, shared
by both, imports neither."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.toolchain import PROJECT_DIR


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _files(folder: str) -> list[Path]:
    return sorted((PROJECT_DIR / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _files("runner"), ids=lambda p: p.name)
def test_runner_never_imports_pulumi(path: Path) -> None:
    assert "pulumi" not in _imports(path)


@pytest.mark.parametrize("path", _files("infra"), ids=lambda p: p.name)
def test_infra_never_imports_runner(path: Path) -> None:
    assert "runner" not in _imports(path)


@pytest.mark.parametrize(
    "name", ["__init__.py", "config.py", "errors.py", "units.py", "backends/local.py"]
)
def test_shared_modules_import_neither(name: str) -> None:
    assert not {"pulumi", "runner"} & _imports(PROJECT_DIR / "infra" / name)
