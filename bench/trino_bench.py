"""Scenarios 1-4 on the real Trino (the pinned version): a coordinator that schedules no
tasks plus 1 and then 2 worker JVMs, in a layout that prunes.

From 10^6 rows the tables are Iceberg tables in one warehouse on local disk,
partitioned on a coarse HEALPix parent cell (order 4, ``truncate(hpx, 4^10)``, for
the sky index; order 2 for the observatories' tables, which the joins read whole)
and sorted by each DDL's ``sorted_by``, written by Trino itself in row groups of
8 MB (devtools/trino_data.py ``pruned_table``): a cone or light curve reads one
index partition's file (a few at cell corners) as one split, which the split
planner finds from the partition values and the files' hpx bounds. Below
10^6 they are copied into the memory catalog (128 MB per worker; no pruning).
The warehouse is kept under .vastobs/bench/trino-warehouse-<layout>, so a second run
reuses what the first one wrote. Queries go through the project's query files
and ``TrinoEngine``, as ``python -m runner run --engine trino`` does; ``SELECT
1`` through the same path on the same cluster is Trino's floor (planning,
scheduling, HTTP polling), timed in the same rounds as each selective query (one
run of each per round, after the same warm-up), and each selective query is also run as a full scan
(its cone cover made the whole sky) and once under ``EXPLAIN ANALYZE`` for the
splits it read. The JVMs run with the full JIT (not the tests' fast start).

Run alone with ``python -m bench.trino_bench [--sizes 1e6,1e7] [--workers 1,2] [--report]``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
from sqlglot import exp

from bench import scenarios as sc
from bench.datasets import crossmatch_files, data, followup_files, points_files, selective_cases
from bench.timing import interleaved, measure
from devtools.toolchain import MIN_JAVA, TRINO_VERSION, find_java, trino_home
from devtools.trino_data import (
    INDEX_PARTITION_ORDER,
    LAYOUT,
    PARTITION_ORDER,
    ROW_GROUP,
    iceberg_table,
    pruned_table,
)
from devtools.trino_server import TrinoServer, running
from runner.catalog import Catalog, in_catalog
from runner.engines import TrinoEngine
from runner.query import Query

MEMORY_LIMIT_ROWS = 1_000_000  # below this, the memory catalog
WAREHOUSE = sc.ROOT / ".vastobs" / "bench" / f"trino-warehouse-{LAYOUT}"  # one per layout
# A selective query and its floor, one run of each per round: at least this many rounds
# after this many warm-up rounds. They take 0.1 s; a JVM started for the run compiles
# the planner's and the Iceberg reader's paths over the first dozen, which moved the
# ratio to the floor by a whole floor between runs with 3 warm-up rounds.
SELECTIVE_ROUNDS, SELECTIVE_WARMUP = 15, 10


def _register(
    server: TrinoServer,
    prefix: str,
    files: dict[str, Path],
    size: int,
    database: Path | None = None,
) -> TrinoEngine:
    """Tables from the DDL under schemas ``<prefix>_<obs>``, filled with the files given
    (and, with ``database``, the sky index of the points it holds): below
    MEMORY_LIMIT_ROWS in the memory catalog, else in the pruning Iceberg layout (kept
    from an earlier run when it holds the file's rows)."""
    catalog = "memory" if size < MEMORY_LIMIT_ROWS else "iceberg"
    cursor = server.connect().cursor()

    def sql(text: str) -> list[list[Any]]:
        cursor.execute(text)
        return cursor.fetchall()

    schema_for: Callable[[str], str] = lambda obs: f"{prefix}_{obs}"  # noqa: E731
    tables = [(sc.TABLES[name], path) for name, path in files.items()]
    if database is not None:  # the points the DuckDB database indexed, for the sky index
        tables.append((sc.CATALOG.index.table, index_parquet(database)))
    # The kept matches, empty: the cross-match finds no count row in them and computes.
    matches = sc.CATALOG.index.matches
    kept = exp.table_(
        matches.name, db=schema_for(matches.observatory), catalog=catalog, quoted=True
    )
    sql(f'CREATE SCHEMA IF NOT EXISTS {catalog}."{schema_for(matches.observatory)}"')
    sql(f"DROP TABLE IF EXISTS {kept.sql('trino')}")
    sql(matches.create_sql("trino", kept))
    for table, path in tables:
        schema = schema_for(table.observatory)
        sql(f'CREATE SCHEMA IF NOT EXISTS {catalog}."{schema}"')
        target = exp.table_(table.name, db=schema, catalog=catalog, quoted=True)
        if catalog == "memory":
            staging = exp.table_(table.name, db=f"{prefix}_staging", catalog="iceberg", quoted=True)
            sql(f'CREATE SCHEMA IF NOT EXISTS iceberg."{prefix}_staging"')
            sql(f"DROP TABLE IF EXISTS {staging.sql('trino')}")
            iceberg_table(server, table, staging, path)
            sql(f"CREATE TABLE {target.sql('trino')} AS SELECT * FROM {staging.sql('trino')}")
            continue
        expected = pq.ParquetFile(path).metadata.num_rows
        try:
            kept = sql(f"SELECT count(*) FROM {target.sql('trino')}")[0][0]
        except Exception:  # not written yet
            kept = None
        if kept != expected:
            assert pruned_table(server, table, target, path, f"{prefix}_staging") == expected
    return TrinoEngine(server.connect, Catalog.load(sc.ROOT), in_catalog(catalog, schema_for))


SCAN = re.compile(r"ScanFilterProject\[table = \w+:([\w.]+)")
READ = re.compile(r"Input: ([\d,]+) rows \(([^)]*)\).*?Splits: (\d+)")


def index_parquet(database: Path) -> Path:
    """``sky.points`` of a bench DuckDB database as Parquet in its dataset's directory, once."""
    out = database.parents[3] / "index" / "sky.points.parquet"  # <dataset>/root/views/db/
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_suffix(".partial")
        with duckdb.connect(str(database), read_only=True) as con:
            con.execute(f"COPY sky.points TO '{partial}' (FORMAT parquet)")
        partial.replace(out)
    return out


def scans(plan: str) -> list[dict[str, Any]]:
    """Per table scan in an ``EXPLAIN ANALYZE`` plan: the rows and bytes read, the splits."""
    found, table = [], None
    for line in plan.splitlines():
        if match := SCAN.search(line):
            table = match.group(1)
        elif table and (match := READ.search(line)):
            rows, size, splits = match.groups()
            found.append({"table": table, "rows_read": int(rows.replace(",", "")),
                          "bytes_read": size, "splits": int(splits)})  # fmt: skip
            table = None
    return found


def _files(server: TrinoServer, table: str) -> int:
    """Data files of ``schema.table`` in the Iceberg catalog."""
    schema, name = table.split(".")
    cursor = server.connect().cursor()
    cursor.execute(f'SELECT count(*) FROM iceberg."{schema}"."{name}$files"')
    return int(cursor.fetchall()[0][0])


def _selective(
    server: TrinoServer, floor: Callable[[], Any], size: int, repeats: int, tmp: Path
) -> list[dict[str, Any]]:
    db, _ = data("points", size, lambda out: points_files(size, out))
    # The cone and light curve (and their full scans) read the sky index alone.
    engine = _register(server, f"points{size}", {}, size, db.path)
    rows = []
    for label, (name, params) in selective_cases().items():
        query = Query.load(sc.ANALYTICS / f"{name}.sql")
        timed = interleaved(
            {"floor": floor, "query": lambda q=query, p=params: engine.run(q, p)},
            max(repeats, SELECTIVE_ROUNDS),
            warmup=SELECTIVE_WARMUP,
        )
        (fast, result), (floor_timing, _) = timed["query"], timed["floor"]
        full_query = sc.without_pruning(name, tmp)
        full, full_result = measure(
            lambda q=full_query, p=params: engine.run(q, p), max(3, repeats // 3)
        )
        assert full_result.table.num_rows == result.table.num_rows, "pruning changed the answer"
        row = {"scenario": label, "rows": size, "catalog": _catalog(size),
               "answer_rows": result.table.num_rows, "project": fast.as_dict(),
               "floor": floor_timing.as_dict(), "full_scan": full.as_dict()}  # fmt: skip
        if label == "cone_search" and size >= MEMORY_LIMIT_ROWS:
            row["scans"] = scans(engine.explain_analyze(query, params))
            for scan in row["scans"]:
                scan["files_in_table"] = _files(server, scan["table"])
        rows.append(row)
    return rows


def _catalog(size: int) -> str:
    return "memory" if size < MEMORY_LIMIT_ROWS else "iceberg"


def _followup(server: TrinoServer, size: int, repeats: int) -> dict[str, Any]:
    n_bursts = max(1000, size // 100)
    _, files = data("followup", size, lambda out: followup_files(n_bursts, size, out))
    engine = _register(server, f"followup{size}", files, size)
    query = Query.load(sc.ANALYTICS / "burst_followup_sequences.sql")
    params = {"window_hours": 168.0, "min_significance": 0.0, **sc.FOLLOWUP_ROLES}
    timing, result = measure(lambda: engine.run(query, params), max(3, repeats // 3))
    matched = sum(1 for r in result.table.column("observation_id").to_pylist() if r is not None)
    return {"scenario": "burst_followup", "rows": size, "bursts": n_bursts,
            "catalog": _catalog(size), "answer_rows": matched,
            "project": timing.as_dict()}  # fmt: skip


def _crossmatch(server: TrinoServer, size: int, repeats: int) -> dict[str, Any]:
    n = min(1_000_000, max(10_000, size // 10))
    _, files = data("crossmatch", n, lambda out: crossmatch_files(n, out))
    engine = _register(server, f"crossmatch{n}", files, n)
    query = Query.load(sc.ANALYTICS / "cross_observatory_objects.sql")
    timing, result = measure(lambda: engine.run(query, {}), max(3, repeats // 3))
    return {"scenario": "cross_match", "rows": n, "catalog": _catalog(n),
            "answer_rows": result.table.num_rows, "expected_matches": n // 10,
            "project": timing.as_dict()}  # fmt: skip


def on_server(
    server: TrinoServer, sizes: list[int], repeats: int, joins_up_to: int = 1_000_000
) -> dict[str, Any]:
    """Every scenario on one running Trino; follow-up and cross-match up to ``joins_up_to``
    rows (their data above it would take the run's time in loading)."""
    floor_engine = TrinoEngine(server.connect)

    def select_1() -> Any:
        return floor_engine._execute("SELECT 1", [])

    floor, _ = measure(select_1, repeats)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-trino-queries-") as tmp:
        for size in sizes:
            rows += _selective(server, select_1, size, repeats, Path(tmp))
            if size <= joins_up_to:
                rows.append(_followup(server, size, repeats))
                rows.append(_crossmatch(server, size, repeats))
    return {"workers": server.workers, "floor_select_1": floor.as_dict(), "scenarios": rows}


def trino_scenarios(
    sizes: list[int],
    repeats: int,
    server: TrinoServer | None = None,
    workers: tuple[int, ...] = (1, 2),
) -> dict[str, Any]:
    """On ``server``, or on a cluster started for each worker count (one warehouse)."""
    if server is not None:
        return {"runs": [on_server(server, sizes, repeats)], **_facts()}
    home, java = trino_home(), find_java()
    if home is None or java is None:
        return {
            "skipped": f"Trino {TRINO_VERSION} or Java >= {MIN_JAVA} missing: run make test once (it fetches both)"
        }
    runs = []
    for other in WAREHOUSE.parent.glob("trino-warehouse-*"):
        if other != WAREHOUSE:  # tables in an earlier layout: never read again
            shutil.rmtree(other)
    WAREHOUSE.mkdir(parents=True, exist_ok=True)
    for n in workers:
        with (
            tempfile.TemporaryDirectory(prefix="bench-trino-") as tmp,
            running(
                home, java, Path(tmp), workers=n, fast_start=False, warehouse=WAREHOUSE
            ) as cluster,
        ):
            runs.append(on_server(cluster, sizes, repeats))
    return {"runs": runs, **_facts()}


def _facts() -> dict[str, Any]:
    return {
        "partition_order": PARTITION_ORDER,
        "index_partition_order": INDEX_PARTITION_ORDER,
        "row_group": ROW_GROUP,
        "memory_catalog_below": MEMORY_LIMIT_ROWS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.trino_bench", description=__doc__)
    parser.add_argument("--sizes", default="1e6,1e7")
    parser.add_argument("--workers", default="1,2", help="worker JVMs of each cluster run")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--report", action="store_true", help="also into bench/results.json and docs/benchmarks.md"
    )
    args = parser.parse_args(argv)
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    workers = tuple(int(w) for w in args.workers.split(","))
    result = trino_scenarios(sizes, args.repeats, workers=workers)
    if args.report:
        from bench.report import merge_section

        merge_section("trino", result)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
