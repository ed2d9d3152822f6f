"""The Trino benchmark path at a small size: the answers, not the timings; and the layout
that prunes, read back from Trino's own account of a cone search."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlglot import exp

from bench import scenarios as sc
from bench.datasets import data, points_files, selective_cases
from bench.trino_bench import index_parquet, scans, trino_scenarios
from devtools.trino_data import pruned_table
from devtools.trino_server import TrinoServer
from runner.catalog import in_catalog
from runner.engines import TrinoEngine
from runner.query import Query

pytestmark = pytest.mark.trino


def test_trino_bench_answers_the_planted_rows(
    trino_server: TrinoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bench.trino_bench.SELECTIVE_ROUNDS", 1)  # the answers, not timings
    monkeypatch.setattr("bench.trino_bench.SELECTIVE_WARMUP", 0)
    doc = trino_scenarios([20000], repeats=1, server=trino_server)
    (run,) = doc["runs"]
    by = {r["scenario"]: r for r in run["scenarios"]}
    assert by["light_curve"]["answer_rows"] == 220  # 200 Swift + 20 Chandra points planted
    assert by["cross_match"]["answer_rows"] == by["cross_match"]["expected_matches"]
    assert by["burst_followup"]["answer_rows"] >= by["burst_followup"]["bursts"]
    assert {r["catalog"] for r in run["scenarios"]} == {"memory"}
    assert run["floor_select_1"]["median_ms"] > 0
    # each selective query's floor is timed in its own rounds, not once at a cold start
    assert by["light_curve"]["floor"]["runs"] == by["light_curve"]["project"]["runs"] == 1


def test_the_partitioned_sorted_layout_reads_one_file_for_a_cone(trino_server: TrinoServer) -> None:
    """The same planted points as the bench in the sky index, written by Trino as the bench
    writes it (``pruned_table``): the cone reads it alone, one split of its many files."""
    db, _ = data("points", 20000, lambda out: points_files(20000, out))
    table = sc.CATALOG.index.table
    cursor = trino_server.connect().cursor()
    cursor.execute('CREATE SCHEMA IF NOT EXISTS iceberg."layout_sky"')
    cursor.fetchall()
    target = exp.table_(table.name, db="layout_sky", catalog="iceberg", quoted=True)
    assert pruned_table(trino_server, table, target, index_parquet(db.path), "layout_staging") > 0
    engine = TrinoEngine(
        trino_server.connect, sc.CATALOG, in_catalog("iceberg", "layout_{}".format)
    )
    name, params = selective_cases()["cone_search"]
    query = Query.load(sc.ANALYTICS / f"{name}.sql")
    found = scans(engine.explain_analyze(query, params))
    assert [s["table"] for s in found] == ["layout_sky.points"]
    cursor = trino_server.connect().cursor()
    for scan in found:
        schema, stored = scan["table"].split(".")
        cursor.execute(f'SELECT count(*) FROM iceberg."{schema}"."{stored}$files"')
        files_in_table = cursor.fetchall()[0][0]
        assert scan["splits"] == 1 < files_in_table, scan
    assert engine.run(query, params).table.num_rows > 0


def test_scans_reads_rows_and_splits_from_a_plan() -> None:
    plan = Path(__file__).with_name("fixtures") / "explain_analyze_cone.txt"
    assert scans(plan.read_text()) == [
        {"table": "pruned_swift.measurements", "rows_read": 5285, "bytes_read": "46.45kB",
         "splits": 1},
    ]  # fmt: skip
