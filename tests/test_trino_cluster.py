"""The distributed path: every analytic through the runner gives the same rows on one
Trino node, on a three-JVM cluster (a coordinator that schedules no tasks and two
workers) and on DuckDB, over the same generated dataset; and the cluster's work ran
on its workers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devtools.toolchain import PROJECT_DIR
from devtools.trino_data import trino_with
from devtools.trino_server import TrinoServer
from runner.analytics import with_stack_defaults
from runner.catalog import Catalog
from runner.datagen import generate
from runner.engines import DuckDBEngine, Engine
from runner.query import Query
from tests.conftest import CLUSTER_WORKERS
from tests.support.compare import assert_same_rows
from tests.support.dataset import local_database
from tests.test_ground_truth import NON_EMPTY, SMALL
from vastobs.config import load_stack

ANALYTICS = PROJECT_DIR / "queries" / "analytics"
PREFIX = "cluster"  # schemas cluster_<observatory>: the cluster's queries are found by it


@pytest.fixture(scope="module")
def three_engines(
    trino_server: TrinoServer, trino_cluster: TrinoServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Engine]:
    """The ground-truth tests' small dataset, loaded alike into each engine: on Trino as
    Iceberg tables, whose files every worker reads from the one warehouse."""
    out = tmp_path_factory.mktemp("trino-cluster-data")
    files = dict(generate(SMALL, out / "data", PROJECT_DIR).files)
    return {
        "one_node": trino_with(trino_server, PREFIX, files, out / "one", into="iceberg"),
        "cluster": trino_with(trino_cluster, PREFIX, files, out / "cluster", into="iceberg"),
        "duckdb": DuckDBEngine.for_file(
            local_database(out / "root", files), Catalog.load(PROJECT_DIR)
        ),
    }


def test_the_cluster_is_a_coordinator_and_its_workers(trino_cluster: TrinoServer) -> None:
    cursor = trino_cluster.connect().cursor()
    cursor.execute("SELECT coordinator, count(*) FROM system.runtime.nodes GROUP BY 1")
    assert dict(cursor.fetchall()) == {True: 1, False: CLUSTER_WORKERS}


@pytest.mark.parametrize("path", sorted(ANALYTICS.glob("*.sql")), ids=lambda p: p.stem)
def test_every_analytic_gives_the_same_rows_on_one_node_a_cluster_and_duckdb(
    three_engines: dict[str, Engine], path: Path
) -> None:
    """With the local stack's defaults, as `run --all` runs them."""
    query = Query.load(path)
    params: dict[str, Any] = with_stack_defaults(query, load_stack("local", PROJECT_DIR), {})
    params.update(NON_EMPTY.get(query.name, {}))
    rows = {name: e.run(query, params).table.to_pylist() for name, e in three_engines.items()}
    assert rows["duckdb"], f"{query.name} found nothing: the comparison would be empty"
    assert_same_rows(rows["one_node"], rows["duckdb"], f"{query.name} one node")
    assert_same_rows(rows["cluster"], rows["duckdb"], f"{query.name} cluster")


def test_the_cluster_ran_the_analytics_on_its_workers_only(
    three_engines: dict[str, Engine], trino_cluster: TrinoServer
) -> None:
    """Every task of a query that read the analytics' tables ran on a worker, and both
    workers ran some (a write's commit runs on the coordinator: set-up only)."""
    three_engines["cluster"].run(Query.load(ANALYTICS / "cross_observatory_objects.sql"), {})
    cursor = trino_cluster.connect().cursor()
    cursor.execute(
        "SELECT n.coordinator, count(DISTINCT t.node_id), count(*)"
        " FROM system.runtime.tasks t JOIN system.runtime.queries q ON t.query_id = q.query_id"
        " JOIN system.runtime.nodes n ON n.node_id = t.node_id"
        f" WHERE q.query LIKE '%{PREFIX}_chandra%' AND q.query NOT LIKE '%system.runtime%'"
        " AND regexp_like(q.query, '^\\s*(WITH|SELECT|EXECUTE)')"
        " GROUP BY 1"
    )
    by_role = {coordinator: (nodes, tasks) for coordinator, nodes, tasks in cursor.fetchall()}
    assert True not in by_role, f"the coordinator ran {by_role[True][1]} tasks"
    assert by_role[False][0] == CLUSTER_WORKERS
