"""The same hand-made or generated rows in the real Trino, for parity tests, the benchmark
and `make trino`."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlglot import exp

from devtools.toolchain import PROJECT_DIR
from devtools.trino_server import TrinoServer
from runner.catalog import Catalog, in_catalog
from runner.engines import TrinoEngine
from runner.loader import load
from runner.loader.sinks import TrinoSink
from vastobs.ddl import TableDef, all_tables


def trino_with(
    server: TrinoServer, prefix: str, parquet: dict[str, Path], tmp: Path
) -> TrinoEngine:
    """Create every DDL table under schemas ``<prefix>_<obs>`` and load the files given."""
    conn = server.connect()
    cursor = conn.cursor()
    tables = {t.logical_name: t for t in all_tables(PROJECT_DIR)}
    schema_for = lambda obs: f"{prefix}_{obs}"  # noqa: E731
    for table in tables.values():
        cursor.execute(f'CREATE SCHEMA IF NOT EXISTS memory."{schema_for(table.observatory)}"')
        cursor.fetchall()
        target = exp.table_(
            table.name, db=schema_for(table.observatory), catalog="memory", quoted=True
        )
        cursor.execute(table.create_sql("trino", target))
        cursor.fetchall()
    target = TrinoSink(server.connect, "memory", schema_for)
    for name, path in parquet.items():
        summary = load(tables[name], [path], target, batch_rows=5000, quarantine_dir=tmp / "q")
        assert summary.rejected == 0
    return TrinoEngine(server.connect, Catalog.load(PROJECT_DIR), in_catalog("memory", schema_for))


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
