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

from runner.loader.index_feed import IndexFeed
from runner.loader.spool import SOURCE, SPOOL_MEMORY, Spool, as_table, ident, keyed, literal
from vastobs.backends.filelock import exclusive, open_duckdb, retry_while_locked
from vastobs.ddl import TableDef
from vastobs.errors import EngineError

INSERT_CHUNK = 200  # rows per parameterised INSERT on Trino
ROW_ID = "$row_id"  # the vastdb SDK's internal row id column, what ``delete`` takes
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

    def rebuild(self, index: TableDef, points: exp.Query) -> int:
        """Replace a sky index table's rows by ``points`` (a query over the point tables by
        their logical names: every point, or the kept matches) in one unit where the
        storage has one; the rows written."""

    def refill(self, table: TableDef, rows: exp.Query) -> int:
        """``rebuild`` for a table whose readers check that it is current (the kept matches):
        where the storage allows, ``rows`` are computed before the table is held."""

    def writer(
        self, table: TableDef, feed: IndexFeed | None = None
    ) -> AbstractContextManager[Writer]:
        """One load: its spooled rows, then one keyed insert (and the new rows' points into
        the sky index, where ``feed`` says so); no commit, nothing added."""


def _stored(tree: exp.Query) -> list[exp.Table]:
    """The tables a rebuild's query reads (``swift.measurements``), not its CTEs."""
    return [t for t in tree.find_all(exp.Table) if t.db]


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
    def writer(self, table: TableDef, feed: IndexFeed | None = None) -> Iterator[Writer]:
        self._require()
        yield _DuckDBWriter(self, table, feed)

    def rebuild(self, index: TableDef, points: exp.Query) -> int:
        self._require()
        select = _in_attached(points).sql("duckdb")
        with duckdb.connect() as con, exclusive(self.database, self.lock_timeout):
            retry_while_locked(
                lambda: con.execute(f"ATTACH {literal(str(self.database))} AS db (READ_ONLY)"),
                self.database, self.lock_timeout, reader=False,
            )  # fmt: skip
            ((rows,),) = con.execute(f"SELECT count(*) FROM ({select})").fetchall()
            con.execute("DETACH db")
            self._replace(con, index, select, int(rows))
        return int(rows)

    def refill(self, table: TableDef, rows: exp.Query) -> int:
        """The rows computed in memory (spilling beside the database) while readers go on,
        then written in one short transaction: a load committed in between leaves them out
        of date, which their readers see by the counts they keep."""
        self._require()
        with (
            tempfile.TemporaryDirectory(prefix=".refill-", dir=self.spool_parent) as spill,
            duckdb.connect(config={"memory_limit": SPOOL_MEMORY, "temp_directory": spill}) as con,
        ):
            retry_while_locked(
                lambda: con.execute(f"ATTACH {literal(str(self.database))} AS db (READ_ONLY)"),
                self.database, self.lock_timeout, reader=True,
            )  # fmt: skip
            con.execute(f"CREATE TEMP TABLE refill AS {_in_attached(rows).sql('duckdb')}")
            con.execute("DETACH db")
            ((count,),) = con.execute("SELECT count(*) FROM refill").fetchall()
            names = ", ".join(ident(c.name) for c in table.columns)
            with exclusive(self.database, self.lock_timeout):
                self._replace(con, table, f"SELECT {names} FROM refill", int(count))
        return int(count)

    def _replace(
        self, con: duckdb.DuckDBPyConnection, table: TableDef, select: str, rows: int
    ) -> None:
        """Under ``exclusive``: the table's rows replaced by ``select``'s in one transaction,
        in its ``sorted_by`` order and the row groups a load of ``rows`` would have."""
        attach = (
            f"ATTACH {literal(str(self.database))} AS db (ROW_GROUP_SIZE {row_group_rows(rows)})"
        )
        retry_while_locked(
            lambda: con.execute(attach), self.database, self.lock_timeout, reader=False
        )
        names = ", ".join(ident(c.name) for c in table.columns)
        order = ", ".join(ident(c) for c in table.sorted_by)
        try:
            con.execute("BEGIN")
            con.execute(f"DELETE FROM {_in_db(table)}")
            con.execute(f"INSERT INTO {_in_db(table)} ({names}) {select} ORDER BY {order}")
            con.execute("COMMIT")
        except BaseException:
            with suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise
        finally:
            con.execute("DETACH db")


def _in_attached(query: exp.Query) -> exp.Query:
    """``query`` reading the tables of the database attached as ``db``."""
    tree = query.copy()
    for table in _stored(tree):
        table.set("catalog", exp.to_identifier("db"))
    return tree


def _in_db(table: TableDef) -> str:
    return exp.table_(table.name, db=table.observatory, catalog="db", quoted=True).sql("duckdb")


class _DuckDBWriter:
    def __init__(self, sink: DuckDBSink, table: TableDef, feed: IndexFeed | None) -> None:
        self.sink, self.table, self.feed = sink, table, feed

    def commit(self, spool: Spool) -> dict[int, int]:
        """In the spool's connection (its memory bound and spill directory): the database
        attached, the new keys inserted sorted, committed and checkpointed."""
        target = _in_db(self.table)
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
                if self.feed:
                    self._check(con, target)
                if sum(n for _, n in present) < sum(spool.accepted.values()):
                    if self.feed:  # first: the table's insert ends what is fresh
                        self._add_points(
                            con,
                            f"SELECT {columns} {fresh}",
                            sort=not (in_order and self.feed.keeps_order),
                        )
                    order = "" if in_order else f" ORDER BY {spool.order()}"
                    con.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} {fresh}{order}")
                spool.confirm_unchanged()
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

    def _check(self, con: duckdb.DuckDBPyConnection, target: str) -> None:
        assert self.feed is not None
        index = _in_db(self.feed.index)
        ((rows,),) = con.execute(f"SELECT count(*) FROM {target}").fetchall()
        ((points,),) = con.execute(
            f"SELECT count(*) FROM {index} WHERE {self.feed.where}"
        ).fetchall()
        self.feed.check(rows, points)

    def _add_points(self, con: duckdb.DuckDBPyConnection, fresh: str, sort: bool) -> None:
        """The fresh rows' points, in the index's ``sorted_by`` order (its row groups prune):
        rows that come in their table's order (hpx, time) need no sort for it."""
        assert self.feed is not None
        index = self.feed.index
        con.execute(f"CREATE OR REPLACE TEMP VIEW fresh_rows AS {fresh}")
        points = self.feed.select("duckdb", exp.to_table("fresh_rows"))
        names = ", ".join(ident(c.name) for c in index.columns)
        order = " ORDER BY " + ", ".join(ident(c) for c in index.sorted_by) if sort else ""
        con.execute(f"INSERT INTO {_in_db(index)} ({names}) {points}{order}")


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

    def refill(self, table: TableDef, rows: exp.Query) -> int:
        """``rebuild``: Trino computes and writes in one statement."""
        return self.rebuild(table, rows)

    def rebuild(self, index: TableDef, points: exp.Query) -> int:
        """Two statements (Trino commits each alone): if the insert fails, the index is
        left empty, and every load is refused until a rebuild succeeds."""
        tree = points.copy()
        for table in _stored(tree):
            table.replace(
                exp.table_(
                    table.name, db=self.schema_for(table.db), catalog=self.catalog,
                    quoted=True, alias=table.alias or None,
                )
            )  # fmt: skip
        target = self._qualified(index)
        names = ", ".join(_ident(c.name, "trino") for c in index.columns)
        if self._run(f"SELECT 1 FROM {target} LIMIT 1"):  # a memory catalog cannot DELETE
            self._run(f"DELETE FROM {target}")
        (inserted,) = self._run(f"INSERT INTO {target} ({names}) {tree.sql('trino')}")[0]
        return int(inserted)

    @contextmanager
    def writer(self, table: TableDef, feed: IndexFeed | None = None) -> Iterator[Writer]:
        staging = self._qualified(table, f"_load_{table.name}_{uuid.uuid4().hex[:12]}")
        self._run(
            f"CREATE TABLE {staging} AS SELECT *, CAST(0 AS integer) AS {_ident(SOURCE, 'trino')}"
            f" FROM {self._qualified(table)} WITH NO DATA"
        )
        try:
            yield _TrinoWriter(self, table, staging, feed)
        finally:
            self._run(f"DROP TABLE IF EXISTS {staging}")


class _TrinoWriter:
    def __init__(
        self, sink: TrinoSink, table: TableDef, staging: str, feed: IndexFeed | None
    ) -> None:
        self.sink, self.table, self.staging, self.feed = sink, table, staging, feed
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
        spool.confirm_unchanged()
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
        if self.feed:
            self._add_points(target, f"SELECT {columns} {fresh}")
        self.sink._run(f"INSERT INTO {target} ({columns}) SELECT {columns} {fresh}")
        return {int(k): int(n) for k, n in counts}

    def _add_points(self, target: str, fresh: str) -> None:
        """The fresh rows' points, before the table's own insert: Trino commits each
        statement alone, so a failure between the two leaves the index ahead of the
        table, which the next load's check finds (runner/loader/index_feed.py)."""
        import sqlglot

        assert self.feed is not None
        index = self.sink._qualified(self.feed.index)
        (rows,) = self.sink._run(f"SELECT count(*) FROM {target}")[0]
        (points,) = self.sink._run(f"SELECT count(*) FROM {index} WHERE {self.feed.where}")[0]
        self.feed.check(int(rows), int(points))
        source = exp.Subquery(this=sqlglot.parse_one(fresh, read="trino"))
        names = ", ".join(_ident(c.name, "trino") for c in self.feed.index.columns)
        self.sink._run(f"INSERT INTO {index} ({names}) {self.feed.select('trino', source)}")


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

    def _table(self, tx: Any, schema: str, name: str) -> Any:
        found = tx.bucket(self.bucket).schema(schema, fail_if_missing=False)
        return None if found is None else found.table(name, fail_if_missing=False)

    def exists(self, table: TableDef) -> bool:
        with self.connect().transaction() as tx:
            return self._table(tx, table.observatory, table.name) is not None

    def refill(self, table: TableDef, rows: exp.Query) -> int:
        """``rebuild``: its transaction holds nothing readers wait for."""
        return self.rebuild(table, rows)

    def rebuild(self, index: TableDef, points: exp.Query) -> int:
        """One transaction: the table's rows deleted by row id, then every point table read
        through the SDK into DuckDB (spilling to disk), the query run there and its rows
        inserted in batches."""
        tree = points.copy()
        with (
            self.connect().transaction() as tx,
            tempfile.TemporaryDirectory(prefix=".rebuild-", dir=self.spool_parent) as spill,
        ):
            target = self._table(tx, index.observatory, index.name)
            if target is None:
                raise EngineError("vastdb", f"table {index.logical_name} disappeared")
            for held in target.select(columns=["observatory"], internal_row_id=True):
                if held.num_rows:
                    target.delete(held.select([ROW_ID]))
            config = {"memory_limit": SPOOL_MEMORY, "temp_directory": spill}
            with duckdb.connect(config=config) as con:
                copied: set[str] = set()  # the SDK's reader is read once; a query may read
                for table in _stored(tree):  # a table twice (the kept matches do)
                    name = f"{table.db}__{table.name}"
                    if name not in copied:
                        copied.add(name)
                        live = self._table(tx, table.db, table.name)
                        if live is None:
                            raise EngineError(
                                "vastdb", f"table {table.db}.{table.name} disappeared"
                            )
                        con.register("incoming", live.select())
                        con.execute(f"CREATE TEMP TABLE {ident(name)} AS FROM incoming")
                        con.unregister("incoming")
                    table.replace(exp.to_table(name).as_(table.alias or table.name))
                order = ", ".join(ident(c) for c in index.sorted_by)
                schema, written = index.arrow_schema(), 0
                rows = con.sql(f"{tree.sql('duckdb')} ORDER BY {order}")
                for batch in rows.to_arrow_reader(self.insert_rows):
                    target.insert(pa.Table.from_batches([batch]).cast(schema))
                    written += batch.num_rows
        return written

    @contextmanager
    def writer(self, table: TableDef, feed: IndexFeed | None = None) -> Iterator[Writer]:
        yield _VastDBWriter(self, table, feed)


class _VastDBWriter:
    def __init__(self, sink: VastDBSink, table: TableDef, feed: IndexFeed | None) -> None:
        self.sink, self.table, self.feed = sink, table, feed

    def commit(self, spool: Spool) -> dict[int, int]:
        if not sum(spool.accepted.values()):
            return {}
        key = list(self.table.key)
        columns = ", ".join(ident(c.name) for c in self.table.columns)
        new: dict[int, int] = {}
        with self.sink.connect().transaction() as tx:
            live = self.sink._table(tx, self.table.observatory, self.table.name)
            if live is None:
                raise EngineError("vastdb", f"table {self.table.logical_name} disappeared")
            present = live.select(columns=key)  # noqa: F841 (a RecordBatchReader DuckDB reads)
            spool.con.execute("CREATE OR REPLACE TEMP TABLE present AS SELECT * FROM present")
            fresh = (
                f"SELECT {columns}, {ident(SOURCE)} FROM {spool.rows} AS s"
                f" ANTI JOIN present AS t ON {keyed(self.table, 's', 't')}"
                f" ORDER BY {spool.order()}"
            )
            if self.feed:
                self._add_points(tx, spool, fresh)
            for batch in spool.batches(self.sink.insert_rows, fresh):
                rows, sources = as_table(batch, self.table)
                live.insert(rows)
                for c in pc.value_counts(sources).to_pylist():
                    new[int(c["values"])] = new.get(int(c["values"]), 0) + int(c["counts"])
            spool.confirm_unchanged()
        return new

    def _add_points(self, tx: Any, spool: Spool, fresh: str) -> None:
        """The fresh rows' points into the index, in the load's transaction."""
        assert self.feed is not None
        index = self.sink._table(tx, self.feed.index.observatory, self.feed.index.name)
        if index is None:
            raise EngineError("vastdb", f"table {self.feed.index.logical_name} disappeared")
        held = index.select(columns=["observatory", "kind"])  # noqa: F841 (read by DuckDB)
        ((points,),) = spool.con.execute(
            f"SELECT count(*) FROM held WHERE {self.feed.where}"
        ).fetchall()
        ((rows,),) = spool.con.execute("SELECT count(*) FROM present").fetchall()
        self.feed.check(int(rows), int(points))
        source = exp.Subquery(this=exp.maybe_parse(fresh, dialect="duckdb"))
        order = ", ".join(ident(c) for c in self.feed.index.sorted_by)
        query = f"{self.feed.select('duckdb', source)} ORDER BY {order}"
        schema = self.feed.index.arrow_schema()
        for batch in spool.con.sql(query).to_arrow_reader(self.sink.insert_rows):
            index.insert(pa.Table.from_batches([batch]).cast(schema))
