"""A throwaway Pulumi project for a test or a whole module, skipped without the CLI."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.pulumi_project import PulumiProject
from devtools.toolchain import pulumi_bin


@contextlib.contextmanager
def pulumi_project_in(tmp: Path) -> Iterator[PulumiProject]:
    """A project under ``tmp``, destroyed afterwards if it still holds resources."""
    binary = pulumi_bin()
    if binary is None:
        pytest.skip(
            "the pinned Pulumi CLI is not in .venv/bin: run tools/setup.sh (make test does)"
        )
    project = PulumiProject.create(tmp, binary)
    try:
        yield project
    finally:
        project.cleanup()
