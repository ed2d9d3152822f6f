"""Where loaded rows go (a sink): the local DuckDB file, a Trino catalog, or VAST DB through vastdb.

One ``writer`` serves one ``load`` (all its files): the load's checked rows
wait in its spool (``runner.loader.spool``, on disk, each row tagged with
its file's index), and ``commit`` adds them in one unit (one DuckDB
transaction, one Trino INSERT, one VAST DB transaction) or not at all,
reading the spool in bounded batches. Each sink appends only rows whose
natural key (the DDL's ``key``) is new, so loading a file twice, or the same
rows in another file, adds nothing. ``runner.connect.SINKS`` builds them
from a stack by name (``load --into``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow.compute as pc
from sqlglot import exp

from runner.loader.spool import SOURCE, Spool, as_table, ident, keyed, literal
from vastobs.backends.filelock import exclusive, open_duckdb, retry_while_locked
from vastobs.ddl import TableDef
from vastobs.errors import EngineError

INSERT_CHUNK = 200  # rows per parameterised INSERT on Trino
ROW_GROUP_MIN, ROW_GROUP_MAX = 16_384, 65_536
ROW_GROUPS_PER_LOAD = 1_024


def row_group_rows(rows: int) -> int:
    """Rows per DuckDB row group for a load of ``rows`` (DuckDB's default is 122,880).

    A cone reads the few row groups its HEALPix ranges touch, each one whole
    (every column's segment, string dictionaries included), so small groups
    make a small table's cone fast: at 10^7 rows 16,384-row groups take it from
    8.4 to 6.3 ms. But every query checks every group's zone map, and a new
    process reads them all first: at 10^8 rows 6,200 groups of 16,384 cost a
    cone 15.1 ms warm and 212 ms in a new process, 1,550 of 65,536 10.6 and
    108 ms (docs/benchmarks.md). So a load's groups grow with it, to about
    ROW_GROUPS_PER_LOAD of them, in powers of two between the bounds. DuckDB
    keeps the size per write, not per file: every load asks for its own.
    """
    size = ROW_GROUP_MIN
    while size < ROW_GROUP_MAX and size * ROW_GROUPS_PER_LOAD < rows:
        size *= 2
    return size


class Writer(Protocol):
    def commit(self, spool: Spool) -> dict[int, int]:
        """Insert every spooled row whose key is not yet present, in one unit; new rows per file."""


class Sink(Protocol):
    name: str
    spool_parent: Path | None  # where a load's spool directory goes (None: the system's temp)

    def exists(self, table: TableDef) -> bool: ...

    def writer(self, table: TableDef) -> AbstractContextManager[Writer]:
        """One load: its spooled rows, then one keyed insert; no commit, nothing added."""


def _ident(name: str, dialect: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect)


class DuckDBSink:
    """The local VAST DB file: rows checked and spooled beside it, then one short commit.

    Reading, checking and spooling (runner.loader.spool: a ``.load-*``
    directory beside the database) do not touch the database, so readers go
    on reading. The commit holds the writers' lock and the database file for
    one transaction: ATTACH, one ``INSERT ... SELECT`` (anti-join on the key,
    in ``sorted_by`` order) and the checkpoint; ``hold_seconds`` records how
    long (docs/reliability.md). Rows none of whose keys are in the table are
    not joined, and if they come in ``sorted_by`` order already, not sorted
    again: they are inserted as they come, an order DuckDB keeps; rows all
    of whose keys are there are not inserted at all.
    """

    name = "duckdb"

    def __init__(self, database: Path, lock_timeout: float = 30.0) -> None:
        self.database, self.lock_timeout = database, lock_timeout
        self.hold_seconds: float | None = None
        self.spool_parent: Path | None = database.parent

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
        yield _DuckDBWriter(self, table)


class _DuckDBWriter:
    def __init__(self, sink: DuckDBSink, table: TableDef) -> None:
        self.sink, self.table = sink, table

    def commit(self, spool: Spool) -> dict[int, int]:
        """In the spool's connection (its memory bound and spill directory): the database
        attached, the new keys inserted sorted, committed and checkpointed."""
        target = exp.table_(
            self.table.name, db=self.table.observatory, catalog="db", quoted=True
        ).sql("duckdb")
        columns = ", ".join(ident(c.name) for c in self.table.columns)
        on = keyed(self.table, "s", "t")
        database, sink, con = self.sink.database, self.sink, spool.con
        group = row_group_rows(sum(spool.accepted.values()))
        with exclusive(database, sink.lock_timeout):
            started = time.perf_counter()  # readers wait from here (filelock.writer_holds)
            retry_while_locked(
                lambda: con.execute(
                    f"ATTACH {literal(str(database))} AS db (ROW_GROUP_SIZE {group})"
                ),
                database,
                sink.lock_timeout,
                reader=False,
            )
            try:
                con.execute("BEGIN")
                present: list[Any] = []
                fresh, in_order = f"FROM {spool.rows} AS s", spool.in_order
                if con.execute(f"SELECT 1 FROM {target} LIMIT 1").fetchone():
                    present = con.execute(
                        f"SELECT {ident(SOURCE)}, count(*) {fresh}"
                        f" SEMI JOIN {target} AS t ON {on} GROUP BY ALL"
                    ).fetchall()
                if present:  # some keys are there: only the others go in
                    fresh += f" ANTI JOIN {target} AS t ON {on}"
                    in_order = False  # a hash join need not keep the order
                if sum(n for _, n in present) < sum(spool.accepted.values()):
                    order = "" if in_order else f" ORDER BY {spool.order()}"
                    con.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} {fresh}{order}")
                con.execute("COMMIT")
            except BaseException:
                with suppress(duckdb.Error):  # nothing to undo if BEGIN itself failed
                    con.execute("ROLLBACK")
                raise
            finally:
                con.execute("DETACH db")  # the checkpoint, inside the hold
            sink.hold_seconds = time.perf_counter() - started
        already = dict(present)
        return {k: n - int(already.get(k, 0)) for k, n in spool.accepted.items()}


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
        self.spool_parent: Path | None = None

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

    def _stage(self, spool: Spool) -> None:
        """The spool's rows into the staging table, INSERT_CHUNK rows a statement."""
        columns = ", ".join(_ident(n, "trino") for n in self.names)
        marks = "(" + ", ".join("?" for _ in self.names) + ")"
        for batch in spool.batches(INSERT_CHUNK):
            rows = batch.to_pylist()
            values = [r[n] for r in rows for n in self.names]
            self.sink._run(
                f"INSERT INTO {self.staging} ({columns}) VALUES " + ", ".join(marks for _ in rows),
                values,
            )

    def commit(self, spool: Spool) -> dict[int, int]:
        self._stage(spool)
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
    any insert fails, so a load is committed whole or not at all. The table's
    existing keys are streamed into the load's spool (DuckDB, spilling to
    disk), the new rows come out of it in ``sorted_by`` order, and each
    insert is ``insert_rows`` of them: memory stays bounded whatever the
    sizes, and the rows land in the order the table's sorted projection
    keeps (docs/data.md).
    """

    name = "vastdb"

    def __init__(self, connect: Callable[[], Any], bucket: str, insert_rows: int = 100_000) -> None:
        self.connect, self.bucket, self.insert_rows = connect, bucket, insert_rows
        self.spool_parent: Path | None = None

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

    def commit(self, spool: Spool) -> dict[int, int]:
        if not sum(spool.accepted.values()):
            return {}
        key = list(self.table.key)
        columns = ", ".join(ident(c.name) for c in self.table.columns)
        new: dict[int, int] = {}
        with self.sink.connect().transaction() as tx:
            live = self.sink._table(tx, self.table)
            if live is None:
                raise EngineError("vastdb", f"table {self.table.logical_name} disappeared")
            present = live.select(columns=key)  # noqa: F841 (a RecordBatchReader DuckDB reads)
            spool.con.execute("CREATE OR REPLACE TEMP TABLE present AS SELECT * FROM present")
            fresh = (
                f"SELECT {columns}, {ident(SOURCE)} FROM {spool.rows} AS s"
                f" ANTI JOIN present AS t ON {keyed(self.table, 's', 't')}"
                f" ORDER BY {spool.order()}"
            )
            for batch in spool.batches(self.sink.insert_rows, fresh):
                rows, sources = as_table(batch, self.table)
                live.insert(rows)
                for c in pc.value_counts(sources).to_pylist():
                    new[int(c["values"])] = new.get(int(c["values"]), 0) + int(c["counts"])
        return new
