"""Where loaded rows go (a sink): the local DuckDB file, a Trino catalog, or VAST DB through vastdb.

One ``writer`` serves one ``load`` (all its files): batches are staged
away from the table, tagged with their file's index, and ``commit`` adds
them in one unit (one DuckDB transaction, one Trino INSERT, one VAST DB
transaction) or not at all. Each sink appends only rows whose natural key
(the DDL's ``key``) is new, so loading a file twice adds nothing.
``runner.connect.SINKS`` builds them from a stack by name (``load --into``).
"""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from vastobs.backends.filelock import exclusive, open_duckdb, retry_while_locked
from vastobs.ddl import TableDef
from vastobs.errors import EngineError

INSERT_CHUNK = 200  # rows per parameterised INSERT on Trino
SOURCE = "__source_file"  # the staged rows' file index, never a table column
ROW_GROUP_ROWS = 16_384
"""Rows per DuckDB row group the loader writes (DuckDB's default is 122,880).

A cone reads the few row groups its HEALPix ranges touch, and each one whole
(every column's segment, string dictionaries included): at 10^7 rows a
16,384-row group cuts a cone search's scan from ~2 ms to ~0.5 ms and leaves
full scans and joins as fast (docs/data.md). DuckDB keeps the size per write,
not per file, so every write that appends must ask for it again.
"""


class Writer(Protocol):
    def stage(self, batch: pa.Table, source: int) -> None:
        """Keep checked rows of input file number ``source``, away from the table."""

    def commit(self) -> dict[int, int]:
        """Insert every staged row whose key is not yet present, in one unit; new rows per file."""


class Sink(Protocol):
    name: str

    def exists(self, table: TableDef) -> bool: ...

    def writer(self, table: TableDef) -> AbstractContextManager[Writer]:
        """One load: staged batches, then one keyed insert; leaving without commit adds nothing."""


def _ident(name: str, dialect: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect)


def _literal(text: str) -> str:
    return exp.Literal.string(text).sql("duckdb")


class DuckDBSink:
    """The local VAST DB file: rows staged in a file of their own, then one short commit.

    Staging (reading, checking, sorting nothing yet) touches a separate
    DuckDB file in a temporary directory beside the database, so readers go on
    reading. The commit holds the writers' lock and the database file for
    one transaction: ATTACH, one ``INSERT ... SELECT`` (anti-join on the key,
    in ``sorted_by`` order) and the checkpoint; ``hold_seconds`` records how
    long (docs/reliability.md).
    """

    name = "duckdb"

    def __init__(self, database: Path, lock_timeout: float = 30.0) -> None:
        self.database, self.lock_timeout = database, lock_timeout
        self.hold_seconds: float | None = None

    def _require(self) -> None:
        if not self.database.exists():
            raise EngineError(self.name, f"{self.database} does not exist: run pulumi up first")

    def exists(self, table: TableDef) -> bool:
        self._require()
        with open_duckdb(self.database, read_only=True, timeout=self.lock_timeout) as con:
            return bool(
                con.execute(
                    "SELECT 1 FROM information_schema.tables"
                    " WHERE table_schema = ? AND table_name = ?",
                    [table.observatory, table.name],
                ).fetchall()
            )

    @contextmanager
    def writer(self, table: TableDef) -> Iterator[Writer]:
        self._require()
        staging = Path(tempfile.mkdtemp(prefix=".load-", dir=self.database.parent))
        try:
            with duckdb.connect(str(staging / "staged.duckdb")) as con:
                yield _DuckDBWriter(self, con, table, staging / "staged.duckdb")
        finally:
            shutil.rmtree(staging, ignore_errors=True)


class _DuckDBWriter:
    def __init__(
        self, sink: DuckDBSink, con: duckdb.DuckDBPyConnection, table: TableDef, path: Path
    ) -> None:
        self.sink, self.con, self.table, self.path = sink, con, table, path
        empty = table.arrow_schema().empty_table()  # noqa: F841 (read by DuckDB)
        con.execute(f"CREATE TABLE staged AS SELECT *, 0::INTEGER AS {SOURCE} FROM empty")

    def stage(self, batch: pa.Table, source: int) -> None:
        if batch.num_rows:
            self.con.register("incoming", batch)
            self.con.execute(f"INSERT INTO staged SELECT *, {int(source)} FROM incoming")
            self.con.unregister("incoming")

    def commit(self) -> dict[int, int]:
        target = exp.table_(
            self.table.name, db=self.table.observatory, catalog="db", quoted=True
        ).sql("duckdb")
        columns = ", ".join(_ident(c.name, "duckdb") for c in self.table.columns)
        on = " AND ".join(
            f"s.{_ident(k, 'duckdb')} = t.{_ident(k, 'duckdb')}" for k in self.table.key
        )
        database, sink, con = self.sink.database, self.sink, self.con
        with exclusive(database, sink.lock_timeout):
            started = time.perf_counter()  # readers wait from here (filelock.writer_holds)
            retry_while_locked(
                lambda: con.execute(
                    f"ATTACH {_literal(str(database))} AS db (ROW_GROUP_SIZE {ROW_GROUP_ROWS})"
                ),
                database,
                sink.lock_timeout,
                reader=False,
            )
            try:
                con.execute("BEGIN")
                present = con.execute(
                    f"SELECT {SOURCE}, count(*) FROM staged AS s SEMI JOIN {target} AS t"
                    f" ON {on} GROUP BY ALL"
                ).fetchall()
                con.execute(
                    f"INSERT INTO {target} ({columns}) SELECT {columns} FROM staged AS s "
                    f"ANTI JOIN {target} AS t ON {on} ORDER BY {_order(self.table)}"
                )
                con.execute("COMMIT")
            except BaseException:
                with suppress(duckdb.Error):  # nothing to undo if BEGIN itself failed
                    con.execute("ROLLBACK")
                raise
            finally:
                con.execute("DETACH db")  # the checkpoint, inside the hold
            sink.hold_seconds = time.perf_counter() - started
        staged = dict(
            self.con.execute(f"SELECT {SOURCE}, count(*) FROM staged GROUP BY ALL").fetchall()
        )
        already = dict(present)
        return {int(k): int(n) - int(already.get(k, 0)) for k, n in staged.items()}


def _order(table: TableDef) -> str:
    """Rows land sorted by the table's sorted_by, so zone maps prune (docs/data.md)."""
    keys = table.sorted_by or table.key
    return ", ".join(_ident(k, "duckdb") for k in keys)


class TrinoSink:
    """A Trino catalog whose schema per observatory holds the tables.

    A load stages its rows in a table of its own beside the target
    (``_load_<table>_<random>``, dropped afterwards), then adds them with one
    ``INSERT ... SELECT`` of the new keys: the target gains every file's rows
    in one statement, or none. The staging table is the one table the loader
    creates, and only for the length of a load.
    """

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

    def _qualified(self, table: TableDef, name: str | None = None) -> str:
        return exp.table_(
            name or table.name,
            db=self.schema_for(table.observatory),
            catalog=self.catalog,
            quoted=True,
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
        staging = self._qualified(table, f"_load_{table.name}_{uuid.uuid4().hex[:12]}")
        self._run(
            f"CREATE TABLE {staging} AS SELECT *, CAST(0 AS integer) AS {_ident(SOURCE, 'trino')}"
            f" FROM {self._qualified(table)} WITH NO DATA"
        )
        try:
            yield _TrinoWriter(self, table, staging)
        finally:
            self._run(f"DROP TABLE IF EXISTS {staging}")


class _TrinoWriter:
    def __init__(self, sink: TrinoSink, table: TableDef, staging: str) -> None:
        self.sink, self.table, self.staging = sink, table, staging
        self.names = [c.name for c in table.columns] + [SOURCE]

    def stage(self, batch: pa.Table, source: int) -> None:
        rows = batch.to_pylist()
        columns = ", ".join(_ident(n, "trino") for n in self.names)
        marks = "(" + ", ".join("?" for _ in self.names) + ")"
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start : start + INSERT_CHUNK]
            values = [{**r, SOURCE: source}[n] for r in chunk for n in self.names]
            self.sink._run(
                f"INSERT INTO {self.staging} ({columns}) VALUES " + ", ".join(marks for _ in chunk),
                values,
            )

    def commit(self) -> dict[int, int]:
        target = self.sink._qualified(self.table)
        columns = ", ".join(_ident(c.name, "trino") for c in self.table.columns)
        source = _ident(SOURCE, "trino")
        on = " AND ".join(
            f"t.{_ident(k, 'trino')} = s.{_ident(k, 'trino')}" for k in self.table.key
        )
        fresh = (
            f"FROM {self.staging} AS s WHERE NOT EXISTS (SELECT 1 FROM {target} AS t WHERE {on})"
        )
        counts = self.sink._run(f"SELECT {source}, count(*) {fresh} GROUP BY 1")
        self.sink._run(f"INSERT INTO {target} ({columns}) SELECT {columns} {fresh}")
        return {int(k): int(n) for k, n in counts}


class VastDBSink:
    """VAST DB through the vastdb SDK: Arrow batches, one transaction per load.

    The transaction commits when every file's rows are in, and rolls back if
    any insert fails, so a load is committed whole or not at all. Staged rows
    wait in memory (Arrow). Existing keys are read with
    ``select(columns=key)``; tables far beyond memory would want a predicate
    per batch instead (docs/data.md).
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

    def stage(self, batch: pa.Table, source: int) -> None:
        if batch.num_rows:
            self.batches.append(
                batch.append_column(SOURCE, pa.array([source] * batch.num_rows, pa.int32()))
            )

    def commit(self) -> dict[int, int]:
        if not self.batches:
            return {}
        staged = pa.concat_tables(self.batches)
        key = list(self.table.key)
        with self.sink.connect().transaction() as tx:
            live = self.sink._table(tx, self.table)
            if live is None:
                raise EngineError("vastdb", f"table {self.table.logical_name} disappeared")
            present = live.select(columns=key).read_all()
            fresh = _without_keys(staged, present, key)
            rows = fresh.drop_columns([SOURCE]).cast(self.table.arrow_schema())
            for start in range(0, rows.num_rows, self.sink.insert_rows):
                live.insert(rows.slice(start, self.sink.insert_rows))
        counts = pc.value_counts(fresh[SOURCE]).to_pylist() if fresh.num_rows else []
        return {int(c["values"]): int(c["counts"]) for c in counts}


def _without_keys(staged: pa.Table, present: pa.Table, key: list[str]) -> pa.Table:
    """Rows of ``staged`` whose key is not in ``present`` (an Arrow anti-join)."""
    if present.num_rows == 0:
        return staged
    joined = staged.join(present.select(key), keys=key, join_type="left anti")
    return joined.select(staged.column_names).cast(staged.schema)
