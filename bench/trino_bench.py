"""Scenarios 1-4 on the real Trino (the pinned version), beside the embedded DuckDB numbers.

The same generated Parquet files as the DuckDB scenarios (bench/synth.py,
sorted by sky cell and time, 122,880-row row groups) are registered in an
Iceberg table on local disk with ``add_files`` (no copy through the client);
below 10^6 rows they are also copied into the memory catalog, which holds
128 MB per node. Queries go through the project's query files and
``TrinoEngine``, as ``python -m runner run --engine trino`` does; ``SELECT 1``
through the same path is Trino's floor (planning, scheduling, HTTP polling).

Run alone with ``python -m bench.trino_bench [--sizes 100000,1000000]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlglot import exp

from bench import scenarios as sc
from bench.datasets import crossmatch_files, data, followup_files, points_files, selective_cases
from bench.timing import measure
from devtools.toolchain import MIN_JAVA, TRINO_VERSION, find_java, trino_home
from devtools.trino_data import iceberg_table
from devtools.trino_server import TrinoServer, running
from runner.catalog import Catalog, in_catalog
from runner.engines import TrinoEngine
from runner.query import Query

MEMORY_LIMIT_ROWS = 1_000_000  # below this, the memory catalog too


def _register(
    server: TrinoServer, catalog: str, prefix: str, files: dict[str, Path]
) -> TrinoEngine:
    """Tables from the DDL under schemas ``<prefix>_<obs>``, filled with the files given."""
    cursor = server.connect().cursor()

    def sql(text: str) -> None:
        cursor.execute(text)
        cursor.fetchall()

    schema_for: Callable[[str], str] = lambda obs: f"{prefix}_{obs}"  # noqa: E731
    for name, path in files.items():
        table = sc.TABLES[name]
        schema = schema_for(table.observatory)
        sql(f'CREATE SCHEMA IF NOT EXISTS iceberg."{schema}"')
        target = exp.table_(table.name, db=schema, catalog="iceberg", quoted=True)
        iceberg_table(server, table, target, path)
        if catalog == "memory":
            sql(f'CREATE SCHEMA IF NOT EXISTS memory."{schema}"')
            copy = exp.table_(table.name, db=schema, catalog="memory", quoted=True)
            sql(f"CREATE TABLE {copy.sql('trino')} AS SELECT * FROM {target.sql('trino')}")
    return TrinoEngine(server.connect, Catalog.load(sc.ROOT), in_catalog(catalog, schema_for))


def _selective(server: TrinoServer, size: int, repeats: int, tmp: Path) -> list[dict[str, Any]]:
    _, files = data("points", size, lambda out: points_files(size, out))
    catalog = "memory" if size < MEMORY_LIMIT_ROWS else "iceberg"
    engine = _register(server, catalog, f"points{size}", files)
    rows = []
    for label, (name, params) in selective_cases().items():
        query = Query.load(sc.ANALYTICS / f"{name}.sql")
        fast, result = measure(lambda q=query, p=params: engine.run(q, p), repeats)
        full_query = sc.without_pruning(name, tmp)
        full, full_result = measure(
            lambda q=full_query, p=params: engine.run(q, p), max(3, repeats // 3)
        )
        assert full_result.table.num_rows == result.table.num_rows, "pruning changed the answer"
        rows.append({"scenario": label, "rows": size, "catalog": catalog,
                     "answer_rows": result.table.num_rows, "project": fast.as_dict(),
                     "full_scan": full.as_dict()})  # fmt: skip
    return rows


def _followup(server: TrinoServer, size: int, repeats: int) -> dict[str, Any]:
    n_bursts = max(1000, size // 100)
    _, files = data("followup", size, lambda out: followup_files(n_bursts, size, out))
    catalog = "memory" if size < MEMORY_LIMIT_ROWS else "iceberg"
    engine = _register(server, catalog, f"followup{size}", files)
    query = Query.load(sc.ANALYTICS / "burst_followup_sequences.sql")
    params = {"window_hours": 168.0, "min_significance": 0.0, **sc.FOLLOWUP_ROLES}
    timing, result = measure(lambda: engine.run(query, params), max(3, repeats // 3))
    matched = sum(1 for r in result.table.column("observation_id").to_pylist() if r is not None)
    return {"scenario": "burst_followup", "rows": size, "bursts": n_bursts, "catalog": catalog,
            "answer_rows": matched, "project": timing.as_dict()}  # fmt: skip


def _crossmatch(server: TrinoServer, size: int, repeats: int) -> dict[str, Any]:
    n = min(1_000_000, max(10_000, size // 10))
    _, files = data("crossmatch", n, lambda out: crossmatch_files(n, out))
    catalog = "memory" if n < MEMORY_LIMIT_ROWS else "iceberg"
    engine = _register(server, catalog, f"crossmatch{n}", files)
    query = Query.load(sc.ANALYTICS / "cross_observatory_objects.sql")
    timing, result = measure(lambda: engine.run(query, {}), max(3, repeats // 3))
    return {"scenario": "cross_match", "rows": n, "catalog": catalog,
            "answer_rows": result.table.num_rows, "expected_matches": n // 10,
            "project": timing.as_dict()}  # fmt: skip


def trino_scenarios(
    sizes: list[int], repeats: int, server: TrinoServer | None = None
) -> dict[str, Any]:
    """On ``server``, or on a Trino started for the run."""
    if server is None:
        home, java = trino_home(), find_java()
        if home is None or java is None:
            return {
                "skipped": f"Trino {TRINO_VERSION} or Java >= {MIN_JAVA} missing: run make test once (it fetches both)"
            }
        with (
            tempfile.TemporaryDirectory(prefix="bench-trino-") as tmp,
            running(home, java, Path(tmp)) as started,
        ):
            return trino_scenarios(sizes, repeats, started)
    floor_engine = TrinoEngine(server.connect)
    floor, _ = measure(lambda: floor_engine._execute("SELECT 1", []), repeats)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-trino-queries-") as tmp:
        for size in sizes:
            rows += _selective(server, size, repeats, Path(tmp))
            rows.append(_followup(server, size, repeats))
            rows.append(_crossmatch(server, size, repeats))
    return {"floor_select_1": floor.as_dict(), "scenarios": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    print(json.dumps(trino_scenarios(sizes, args.repeats), indent=2))


if __name__ == "__main__":
    main()
