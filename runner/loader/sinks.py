"""Where loaded rows go (a sink): the local DuckDB file, a Trino catalog, or VAST DB through vastdb.

Each sink appends only rows whose natural key (the DDL's ``key``) is new,
so loading a file twice adds nothing. ``runner.connect.SINKS`` builds them
from a stack by name (``load --into``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
from sqlglot import exp

from vastobs.backends.filelock import exclusive
from vastobs.ddl import TableDef
from vastobs.errors import EngineError

INSERT_CHUNK = 200  # rows per parameterised INSERT on Trino
ROW_GROUP_ROWS = 16_384
"""Rows per DuckDB row group the loader writes (DuckDB's default is 122,880).

A cone reads the few row groups its HEALPix ranges touch, and each one whole
(every column's segment, string dictionaries included): at 10^7 rows a
16,384-row group cuts a cone search's scan from ~2 ms to ~0.5 ms and leaves
full scans and joins as fast (docs/data.md). DuckDB keeps the size per write,
not per file, so every write that appends must ask for it again.
"""


class Writer(Protocol):
    def stage(self, batch: pa.Table) -> None: ...

    def commit(self) -> int:
        """Insert the staged rows whose key is not yet present; return how many."""


class Sink(Protocol):
    name: str

    def exists(self, table: TableDef) -> bool: ...

    def writer(self, table: TableDef) -> AbstractContextManager[Writer]:
        """One write operation (one file): staged batches, then one keyed insert."""


def _ident(name: str, dialect: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect)


class DuckDBSink:
    """The local VAST DB file; every write holds the file lock (bounded wait)."""

    name = "duckdb"

    def __init__(self, database: Path, lock_timeout: float = 30.0) -> None:
        self.database, self.lock_timeout = database, lock_timeout

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if not self.database.exists():
            raise EngineError(self.name, f"{self.database} does not exist: run pulumi up first")
        # Attached rather than opened, the one way to choose the row group size;
        # under the name connect() would give it, so nothing else changes.
        path = exp.Literal.string(str(self.database)).sql("duckdb")
        name = _ident(self.database.stem, "duckdb")
        with exclusive(self.database, self.lock_timeout), duckdb.connect() as con:
            con.execute(f"ATTACH {path} AS {name} (ROW_GROUP_SIZE {ROW_GROUP_ROWS})")
            con.execute(f"USE {name}")
            yield con

    def exists(self, table: TableDef) -> bool:
        with self._connect() as con:
            return bool(
                con.execute(
                    "SELECT 1 FROM information_schema.tables"
                    " WHERE table_schema = ? AND table_name = ?",
                    [table.observatory, table.name],
                ).fetchall()
            )

    @contextmanager
    def writer(self, table: TableDef) -> Iterator[Writer]:
        with self._connect() as con:
            yield _DuckDBWriter(con, table)


class _DuckDBWriter:
    """Batches go to a temporary table; one anti-join inserts the new keys (O(n + m))."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table: TableDef) -> None:
        self.con, self.table = con, table
        self.qualified = exp.table_(table.name, db=table.observatory, quoted=True).sql("duckdb")
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE staging AS SELECT * FROM {self.qualified} LIMIT 0"
        )

    def stage(self, batch: pa.Table) -> None:
        if batch.num_rows:
            self.con.register("incoming", batch)
            self.con.execute("INSERT INTO staging SELECT * FROM incoming")
            self.con.unregister("incoming")

    def commit(self) -> int:
        columns = ", ".join(_ident(c.name, "duckdb") for c in self.table.columns)
        on = " AND ".join(
            f"s.{_ident(k, 'duckdb')} = t.{_ident(k, 'duckdb')}" for k in self.table.key
        )
        inserted = self.con.execute(
            f"INSERT INTO {self.qualified} ({columns}) SELECT {columns} FROM staging AS s "
            f"ANTI JOIN {self.qualified} AS t ON {on} ORDER BY {_order(self.table)}"
        ).fetchone()
        self.con.execute("DROP TABLE staging")
        return int(inserted[0]) if inserted else 0


def _order(table: TableDef) -> str:
    """Rows land sorted by the table's sorted_by, so zone maps prune (docs/data.md)."""
    keys = table.sorted_by or table.key
    return ", ".join(_ident(k, "duckdb") for k in keys)


class TrinoSink:
    """A Trino catalog whose schema per observatory holds the tables."""

    name = "trino"

    def __init__(
        self, connect: Callable[[], Any], catalog: str, schema_for: Callable[[str], str]
    ) -> None:
        self.connect, self.catalog, self.schema_for = connect, catalog, schema_for

    def _run(self, sql: str, params: list[Any] | None = None) -> list[list[Any]]:
        from trino.exceptions import TrinoQueryError

        conn = self.connect()
        try:
            cursor = conn.cursor()
            cursor.execute(sql, params or None)
            return cursor.fetchall()
        except TrinoQueryError as exc:
            raise EngineError(self.name, f"{exc.error_name}: {exc.message}", exc.query_id) from exc
        finally:
            conn.close()

    def _qualified(self, table: TableDef) -> str:
        return exp.table_(
            table.name, db=self.schema_for(table.observatory), catalog=self.catalog, quoted=True
        ).sql("trino")

    def exists(self, table: TableDef) -> bool:
        schema_table = exp.table_("tables", db="information_schema", catalog=self.catalog)
        rows = self._run(
            f"SELECT 1 FROM {schema_table.sql('trino')} WHERE table_schema = ? AND table_name = ?",
            [self.schema_for(table.observatory), table.name],
        )
        return bool(rows)

    @contextmanager
    def writer(self, table: TableDef) -> Iterator[Writer]:
        yield _TrinoWriter(self, table)

    def append_new(self, table: TableDef, rows: list[dict[str, Any]]) -> int:
        if not rows:
            return 0
        present = self._present_keys(table, rows)
        fresh = [r for r in rows if tuple(r[k] for k in table.key) not in present]
        names = [c.name for c in table.columns]
        columns = ", ".join(_ident(n, "trino") for n in names)
        for start in range(0, len(fresh), INSERT_CHUNK):
            chunk = fresh[start : start + INSERT_CHUNK]
            marks = ", ".join("(" + ", ".join("?" for _ in names) + ")" for _ in chunk)
            values = [r[n] for r in chunk for n in names]
            self._run(f"INSERT INTO {self._qualified(table)} ({columns}) VALUES {marks}", values)
        return len(fresh)

    def _present_keys(self, table: TableDef, rows: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
        keys = ", ".join(_ident(k, "trino") for k in table.key)
        present: set[tuple[Any, ...]] = set()
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start : start + INSERT_CHUNK]
            tuples = ", ".join("(" + ", ".join("?" for _ in table.key) + ")" for _ in chunk)
            values = [r[k] for r in chunk for k in table.key]
            found = self._run(
                f"SELECT {keys} FROM {self._qualified(table)} WHERE ({keys}) IN (VALUES {tuples})",
                values,
            )
            present.update(tuple(r) for r in found)
        return present


class _TrinoWriter:
    def __init__(self, sink: TrinoSink, table: TableDef) -> None:
        self.sink, self.table = sink, table
        self.rows: list[dict[str, Any]] = []

    def stage(self, batch: pa.Table) -> None:
        self.rows.extend(batch.to_pylist())

    def commit(self) -> int:
        return self.sink.append_new(self.table, self.rows)


class VastDBSink:
    """VAST DB through the vastdb SDK: Arrow batches in one transaction per file.

    The transaction commits when the file's rows are in, and rolls back if any
    insert fails, so a file is loaded whole or not at all. Existing keys are
    read with ``select(columns=key)``; tables far beyond memory would want a
    predicate per batch instead (docs/data.md).
    """

    name = "vastdb"

    def __init__(self, connect: Callable[[], Any], bucket: str, insert_rows: int = 100_000) -> None:
        self.connect, self.bucket, self.insert_rows = connect, bucket, insert_rows

    def _table(self, tx: Any, table: TableDef) -> Any:
        schema = tx.bucket(self.bucket).schema(table.observatory, fail_if_missing=False)
        return None if schema is None else schema.table(table.name, fail_if_missing=False)

    def exists(self, table: TableDef) -> bool:
        with self.connect().transaction() as tx:
            return self._table(tx, table) is not None

    @contextmanager
    def writer(self, table: TableDef) -> Iterator[Writer]:
        yield _VastDBWriter(self, table)


class _VastDBWriter:
    def __init__(self, sink: VastDBSink, table: TableDef) -> None:
        self.sink, self.table = sink, table
        self.batches: list[pa.Table] = []

    def stage(self, batch: pa.Table) -> None:
        if batch.num_rows:
            self.batches.append(batch)

    def commit(self) -> int:
        if not self.batches:
            return 0
        staged = pa.concat_tables(self.batches)
        key = list(self.table.key)
        with self.sink.connect().transaction() as tx:
            live = self.sink._table(tx, self.table)
            if live is None:
                raise EngineError("vastdb", f"table {self.table.logical_name} disappeared")
            present = live.select(columns=key).read_all()
            fresh = _without_keys(staged, present, key)
            for start in range(0, fresh.num_rows, self.sink.insert_rows):
                live.insert(fresh.slice(start, self.sink.insert_rows))
        return fresh.num_rows


def _without_keys(staged: pa.Table, present: pa.Table, key: list[str]) -> pa.Table:
    """Rows of ``staged`` whose key is not in ``present`` (an Arrow anti-join)."""
    if present.num_rows == 0:
        return staged
    joined = staged.join(present.select(key), keys=key, join_type="left anti")
    return joined.select(staged.column_names).cast(staged.schema)
