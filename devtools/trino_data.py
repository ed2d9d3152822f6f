"""The same hand-made or generated rows in the real Trino, for parity tests, the benchmark
and `make trino`."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from devtools.toolchain import PROJECT_DIR
from devtools.trino_server import TrinoServer
from runner.catalog import Catalog, in_catalog
from runner.engines import TrinoEngine
from runner.loader import load
from vastobs.ddl import TableDef


def trino_with(
    server: TrinoServer,
    prefix: str,
    parquet: dict[str, Path],
    tmp: Path,
    catalog: Catalog | None = None,
) -> TrinoEngine:
    """Create every table of ``catalog`` (default: the local stack's, each an instance of
    a kind) under schemas ``<prefix>_<obs>`` (memory catalog) and load the files given.

    Each file goes through the loader's reading and checks (no row may be
    rejected), and its checked rows reach Trino in bulk, as `make trino` copies
    them: written to Parquet in the DDL's Arrow types, taken into an Iceberg
    table (``add_files``) and copied with one ``INSERT ... SELECT``. Row by row
    (parameterised INSERTs) cost most of a parity test's set-up.
    """
    cursor = server.connect().cursor()

    def sql(text: str) -> list[list[object]]:
        cursor.execute(text)
        return cursor.fetchall()

    catalog = catalog or Catalog.load(PROJECT_DIR)
    tables = {t.logical_name: t for t in catalog.tables.values()}
    schema_for = lambda obs: f"{prefix}_{obs}"  # noqa: E731
    for table in tables.values():
        sql(f'CREATE SCHEMA IF NOT EXISTS memory."{schema_for(table.observatory)}"')
        target = exp.table_(
            table.name, db=schema_for(table.observatory), catalog="memory", quoted=True
        )
        sql(table.create_sql("trino", target))
    staging_schema = f"{prefix}_staging"
    sql(f'CREATE SCHEMA IF NOT EXISTS iceberg."{staging_schema}"')
    for name, path in parquet.items():
        table = tables[name]
        checked = tmp / "checked" / f"{name}.parquet"
        summary = load(
            table, [path], ParquetStage(checked), batch_rows=5000, quarantine_dir=tmp / "q"
        )
        assert summary.rejected == 0
        if not summary.loaded:
            continue
        staging = exp.table_(
            f"{table.observatory}_{table.name}", db=staging_schema, catalog="iceberg", quoted=True
        )
        iceberg_table(server, table, staging, checked)
        target = exp.table_(
            table.name, db=schema_for(table.observatory), catalog="memory", quoted=True
        )
        columns = ", ".join(
            exp.to_identifier(c.name, quoted=True).sql("trino") for c in table.columns
        )
        copied = sql(
            f"INSERT INTO {target.sql('trino')} ({columns}) "
            f"SELECT {columns} FROM {staging.sql('trino')}"
        )[0][0]
        assert copied == summary.loaded, (name, copied, summary.loaded)
        sql(f"DROP TABLE {staging.sql('trino')}")
    return TrinoEngine(server.connect, catalog, in_catalog("memory", schema_for))


class ParquetStage:
    """A loader sink that keeps a load's checked rows in one Parquet file (the DDL's
    Arrow types), for Trino to take in bulk; the tables it fills start empty."""

    name = "parquet"

    def __init__(self, path: Path) -> None:
        self.path = path

    def exists(self, table: TableDef) -> bool:
        return True

    @contextmanager
    def writer(self, table: TableDef) -> Iterator[_ParquetWriter]:
        yield _ParquetWriter(self.path, table)


class _ParquetWriter:
    def __init__(self, path: Path, table: TableDef) -> None:
        self.path, self.table = path, table
        self.batches: list[tuple[pa.Table, int]] = []

    def stage(self, batch: pa.Table, source: int) -> None:
        if batch.num_rows:
            self.batches.append((batch, source))

    def commit(self) -> dict[int, int]:
        if not self.batches:
            return {}
        schema = self.table.arrow_schema()
        rows = pa.concat_tables(b.select(schema.names).cast(schema) for b, _ in self.batches)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(rows, self.path)
        counts: dict[int, int] = {}
        for batch, source in self.batches:
            counts[source] = counts.get(source, 0) + batch.num_rows
        return counts


def iceberg_table(server: TrinoServer, table: TableDef, target: exp.Table, parquet: Path) -> None:
    """``target`` (in the ``iceberg`` catalog) created from the DDL and holding the Parquet
    file: the file is copied into the warehouse and registered with ``add_files``, so no
    row passes through the client."""
    folder = f"{target.db}-{target.name}"
    (server.workdir / "iceberg" / folder).mkdir(parents=True, exist_ok=True)
    shutil.copy(parquet, server.workdir / "iceberg" / folder / parquet.name)
    cursor = server.connect().cursor()
    for sql in (
        table.create_sql("trino", target),
        f"ALTER TABLE {target.sql('trino')} EXECUTE add_files("
        f"location => 'local:///{folder}', format => 'PARQUET')",
    ):
        cursor.execute(sql)
        cursor.fetchall()
