"""The same hand-made or generated rows in the real Trino, for parity tests, the benchmark
and `make trino`."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlglot import exp

from devtools.toolchain import PROJECT_DIR
from devtools.trino_server import TrinoServer
from runner.catalog import Catalog, in_catalog
from runner.engines import TrinoEngine
from runner.kept_matches import refresh
from runner.loader import load
from runner.loader.sinks import TrinoSink
from vastobs import sky_index
from vastobs.ddl import TableDef
from vastobs.sky import ORDER


def trino_with(
    server: TrinoServer,
    prefix: str,
    parquet: dict[str, Path],
    tmp: Path,
    catalog: Catalog | None = None,
    into: str = "memory",
) -> TrinoEngine:
    """Create every table of ``catalog`` (default: the local stack's, each an instance of
    a kind) under schemas ``<prefix>_<obs>`` of the ``into`` catalog (``memory`` or
    ``iceberg``) and load the files given.

    Each file goes through the loader's reading and checks (no row may be
    rejected), and its checked rows reach Trino in bulk, as `make trino` copies
    them: written to Parquet in the DDL's Arrow types and taken into an Iceberg
    table (``add_files``); for the memory catalog, copied from there with one
    ``INSERT ... SELECT``. Row by row (parameterised INSERTs) cost most of a
    parity test's set-up.
    """
    if into not in ("memory", "iceberg"):
        raise ValueError(f"trino_with: into={into!r}; allowed: memory, iceberg")
    cursor = server.connect().cursor()

    def sql(text: str) -> list[list[object]]:
        cursor.execute(text)
        return cursor.fetchall()

    catalog = catalog or Catalog.load(PROJECT_DIR)
    tables = {t.logical_name: t for t in catalog.stored.values()}
    schema_for = lambda obs: f"{prefix}_{obs}"  # noqa: E731

    def target_of(table: TableDef) -> exp.Table:
        return exp.table_(table.name, db=schema_for(table.observatory), catalog=into, quoted=True)

    for table in tables.values():
        sql(f'CREATE SCHEMA IF NOT EXISTS {into}."{schema_for(table.observatory)}"')
        sql(table.create_sql("trino", target_of(table)))
    staging_schema = f"{prefix}_staging"
    if into == "memory":
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
        if into == "iceberg":
            add_parquet(server, target_of(table), checked)
            continue
        staging = exp.table_(
            f"{table.observatory}_{table.name}", db=staging_schema, catalog="iceberg", quoted=True
        )
        iceberg_table(server, table, staging, checked)
        columns = ", ".join(
            exp.to_identifier(c.name, quoted=True).sql("trino") for c in table.columns
        )
        copied = sql(
            f"INSERT INTO {target_of(table).sql('trino')} ({columns}) "
            f"SELECT {columns} FROM {staging.sql('trino')}"
        )[0][0]
        assert copied == summary.loaded, (name, copied, summary.loaded)
        sql(f"DROP TABLE {staging.sql('trino')}")
    if catalog.sky_index:  # as `runner index rebuild --into trino` fills them
        sink = TrinoSink(server.connect, into, schema_for)
        sink.rebuild(catalog.index.table, catalog.points_in_tables())
        refresh(sink, catalog)
    return TrinoEngine(server.connect, catalog, in_catalog(into, schema_for))


class ParquetStage:
    """A loader sink that keeps a load's checked rows in one Parquet file (the DDL's
    Arrow types), for Trino to take in bulk; the tables it fills start empty."""

    name = "parquet"
    spool_parent: Path | None = None  # a spooling loader's spool goes to the system's temp

    def __init__(self, path: Path) -> None:
        self.path = path

    def exists(self, table: TableDef) -> bool:
        return True

    @contextmanager
    def writer(self, table: TableDef, feed: Any = None) -> Iterator[_ParquetWriter]:
        """``feed``: ignored; ``trino_with`` fills the sky index once all tables are in."""
        yield _ParquetWriter(self.path, table)


class _ParquetWriter:
    def __init__(self, path: Path, table: TableDef) -> None:
        self.path, self.table = path, table
        self.batches: list[tuple[pa.Table, int]] = []

    def stage(self, batch: pa.Table, source: int) -> None:
        if batch.num_rows:
            self.batches.append((batch, source))

    def commit(self, spool: Any = None) -> dict[int, int]:
        """The rows staged batch by batch, or (a spooling loader) the spool's rows to add."""
        if spool is not None:
            from runner.loader.spool import as_table  # only a spooling loader has one

            for batch in spool.batches(100_000):
                rows, source = as_table(batch, self.table)
                for index, count in Counter(source.to_pylist()).items():
                    mask = pc.equal(source, index)
                    self.batches.append((rows.filter(mask), int(index)))
                    assert self.batches[-1][0].num_rows == count
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
    file (``add_parquet``)."""
    cursor = server.connect().cursor()
    cursor.execute(table.create_sql("trino", target))
    cursor.fetchall()
    add_parquet(server, target, parquet)


def add_parquet(server: TrinoServer, target: exp.Table, parquet: Path) -> None:
    """The Parquet file (the table's Arrow types) copied into the shared warehouse and
    registered in the Iceberg table ``target`` with ``add_files``: no row passes through
    the client, and every node of a cluster reads it from there."""
    folder = f"{target.db}-{target.name}"
    (server.warehouse / folder).mkdir(parents=True, exist_ok=True)
    shutil.copy(parquet, server.warehouse / folder / parquet.name)
    cursor = server.connect().cursor()
    cursor.execute(
        f"ALTER TABLE {target.sql('trino')} EXECUTE add_files("
        f"location => 'local:///{folder}', format => 'PARQUET')"
    )
    cursor.fetchall()


PARTITION_ORDER = 2
"""The coarse HEALPix order the observatories' Iceberg tables are partitioned on (192
cells of ~215 square degrees): the joins read them whole, and fewer files are fewer
splits (at order 4 the follow-up at 10^6 rows took 20 s instead of 4)."""
INDEX_PARTITION_ORDER = 4
"""The order the sky index, which the cone and light curve read, is partitioned on
(3,072 cells of ~13 square degrees): a cone reads one partition (a few at cell corners),
whose file Iceberg picks by its partition and hpx bounds while planning. At order 2 the
files were ~20 MB at 10^8 rows, which Trino reads as one split per row group: 37 splits
for a 5 arcmin cone (docs/benchmarks.md)."""
ROW_GROUP = "8MB"
"""The Parquet row groups Trino writes (its default is 128MB): at least an index
partition's file up to 10^8 rows (~1.1 MB), so that each is one split."""
LAYOUT = f"order{PARTITION_ORDER}-index-order{INDEX_PARTITION_ORDER}-rowgroup{ROW_GROUP}"
"""What a table written by ``pruned_table`` looks like: a cache of them is keyed by it."""


def partition_order(table: TableDef) -> int:
    """``INDEX_PARTITION_ORDER`` for the sky index, ``PARTITION_ORDER`` for the rest."""
    is_index = (table.observatory, table.name) == (sky_index.SCHEMA, sky_index.TABLE)
    return INDEX_PARTITION_ORDER if is_index else PARTITION_ORDER


def partitioning(table: TableDef) -> str:
    """The Iceberg table properties that let a selective query skip: partitions on the
    ``partition_order`` parent cell and files sorted by the DDL's ``sorted_by``. In the
    nested scheme an order-14 index truncated to a multiple of 4^(14 - order) is the
    first child of its parent cell, so ``truncate`` is the parent cell."""
    width = 4 ** (ORDER - partition_order(table))
    has_hpx = any(c.name == "hpx" for c in table.columns)
    props = [f"partitioning = ARRAY['truncate(hpx, {width})']"] if has_hpx else []
    if table.sorted_by:
        props.append("sorted_by = ARRAY[" + ", ".join(f"'{c}'" for c in table.sorted_by) + "]")
    return f" WITH ({', '.join(props)})" if props else ""


def pruned_table(
    server: TrinoServer, table: TableDef, target: exp.Table, parquet: Path, staging_schema: str
) -> int:
    """``target`` (in the ``iceberg`` catalog) partitioned and sorted (``partitioning``)
    in row groups of ``ROW_GROUP``, written by Trino from the Parquet file: registered in
    a staging table, copied with an ``INSERT ... SELECT`` per cell three orders above
    the partitions' (Trino writes a file per partition, sorted, and keeps a writer open
    for each: at most 100 per writer task, and all at once would exceed a worker's query
    memory from 10^7 rows), then dropped; of the table's snapshots only the last is
    kept, as each query reads the table's metadata.
    Returns the rows written."""
    staging = exp.table_(
        f"{target.db}_{target.name}", db=staging_schema, catalog="iceberg", quoted=True
    )
    writing = {
        "iceberg.parquet_writer_block_size": ROW_GROUP,
        "iceberg.expire_snapshots_min_retention": "0s",  # every snapshot but the last goes
    }
    cursor = server.connect("iceberg", session_properties=writing).cursor()

    def sql(text: str) -> list[list[object]]:
        cursor.execute(text)
        return cursor.fetchall()

    sql(f'CREATE SCHEMA IF NOT EXISTS iceberg."{staging_schema}"')
    sql(f"DROP TABLE IF EXISTS {staging.sql('trino')}")
    iceberg_table(server, table, staging, parquet)
    sql(f"DROP TABLE IF EXISTS {target.sql('trino')}")
    sql(table.create_sql("trino", target) + partitioning(table))
    insert = f"INSERT INTO {target.sql('trino')} SELECT * FROM {staging.sql('trino')}"
    wheres = [""]
    if any(c.name == "hpx" for c in table.columns):
        width = 4 ** (ORDER - max(0, partition_order(table) - 3))  # 64 partitions at most
        cells = 12 * 4**ORDER // width
        wheres = [f" WHERE hpx BETWEEN {i * width} AND {(i + 1) * width - 1}" for i in range(cells)]
    written = sum(int(sql(insert + where)[0][0]) for where in wheres)  # type: ignore[call-overload]
    sql(f"ALTER TABLE {target.sql('trino')} EXECUTE expire_snapshots(retention_threshold => '0s')")
    sql(f"DROP TABLE {staging.sql('trino')}")
    return written
