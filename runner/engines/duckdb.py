"""Embedded DuckDB: the laptop and CI engine, reading the local VAST DB file."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from runner.catalog import Catalog
from runner.engines.base import SOURCE_DIALECT, Compiled, Engine
from runner.query import Query
from runner.rows import HEAD_ROWS, Rows, printable
from vastobs.backends.filelock import READ_WAIT_SECONDS, open_duckdb
from vastobs.errors import SqlFileError

if TYPE_CHECKING:  # sqlglot loads to compile: a run whose SQL is cached never does
    import pyarrow as pa
    from sqlglot import exp

Connect = Callable[[], duckdb.DuckDBPyConnection]
_EXTRA_COPY = "Arrow output on a DB-API result"
_NOT_CREATED = "(the stack declares it; `pulumi up` creates what a stack declares)"


def _streams(query: exp.Expression) -> bool:
    """A CTE that only filters and renames what it reads (kinds' UNION ALL included).

    DuckDB materializes a CTE read more than once: it writes every row, then
    evaluates the expressions of each reader below its joins. Read again in
    each place instead, such a CTE costs a scan, a join's empty side stops it
    (the coarse sky cells when no circle is wide), and a kind's mapped column
    (``CAST(obsid AS varchar)``) is computed only for the rows a join keeps.
    """
    from sqlglot import exp

    # What makes a CTE more than a filtered, renamed read of its tables.
    blocking = (exp.Join, exp.AggFunc, exp.Window, exp.Distinct, exp.Group, exp.Order, exp.Limit)
    return not any(query.find_all(*blocking))


def _read_tables_directly(tree: exp.Expression) -> exp.Expression:
    """A subquery that filters one table and passes its columns on as they are named
    (the sky index read as a kind, ``SELECT ... FROM sky.points WHERE observatory IN
    (...)``) becomes the table itself, its filter ANDed into the reader's ``WHERE``.

    DuckDB binds every column of a subquery in each run: 0.3 ms of a 3.5 ms cone
    (docs/benchmarks.md). Only a subquery that is its reader's whole ``FROM`` (no
    join) is read so: a filter on the ``FROM`` alone means the same in the reader's
    ``WHERE``, before its grouping, windows and limit as inside the subquery.
    Expects a qualified tree (every column names its table, no ``*``).
    """
    from sqlglot import exp

    # What makes a select more than a filtered read of one table's columns.
    clauses = ("joins", "laterals", "group", "having", "qualify", "windows", "order", "limit")
    clauses += ("offset", "distinct", "with")
    for subquery in list(tree.find_all(exp.Subquery)):
        inner, where_read = subquery.this, subquery.parent
        reader = where_read.parent if isinstance(where_read, exp.From) else None
        source = (
            inner.args["from_"].this
            if isinstance(inner, exp.Select) and inner.args.get("from_")
            else None
        )
        named = subquery.args.get("alias")
        if (
            named is None
            or named.columns  # ``AS p(a, b)`` renames
            or not isinstance(reader, exp.Select)
            or reader.args.get("joins")
            or not isinstance(source, exp.Table)
            or any(inner.args.get(clause) for clause in clauses)
            or not all(
                isinstance(column.unalias(), exp.Column)
                and column.unalias().name == column.alias_or_name
                for column in inner.expressions
            )
        ):
            continue
        alias, inner_alias = named.this, source.alias_or_name
        table = source.copy()
        table.set("alias", exp.TableAlias(this=alias.copy()))
        where = inner.args.get("where")
        subquery.replace(table)
        if where is not None:
            condition = where.this.copy()
            for column in condition.find_all(exp.Column):
                if column.table == inner_alias:
                    column.set("table", alias.copy())
            reader.where(condition, copy=False)
    return tree


class DuckDBEngine(Engine):
    name = "duckdb"
    dialect = "duckdb"
    probes_wide_circles = True
    _connect: Connect

    @classmethod
    def for_file(
        cls,
        database: Path | None,
        catalog: Catalog | None = None,
        lock_wait: float = READ_WAIT_SECONDS,
    ) -> DuckDBEngine:
        """Read-only on a database file (one connection per operation), or in memory.

        A load holds the file only for its final commit; an operation that
        meets it waits (at most ``lock_wait`` seconds, then one line naming
        the file) instead of failing with DuckDB's lock error.
        """
        if database is None:
            return cls(lambda: duckdb.connect(":memory:"), catalog)
        return cls(lambda: open_duckdb(database, read_only=True, timeout=lock_wait), catalog)

    def adapt(self, tree: exp.Expression, query: Query) -> exp.Expression:
        """Make Trino's integer division explicit: DuckDB's ``/`` always returns a double.

        sqlglot's own answer, ``CAST(a / b AS BIGINT)``, rounds (7/2 gives 4),
        so integer operands get DuckDB's ``//``, which truncates as Trino does.
        """
        from sqlglot import exp
        from sqlglot.errors import SqlglotError
        from sqlglot.optimizer.annotate_types import annotate_types
        from sqlglot.optimizer.qualify import qualify

        try:
            schema = self.catalog.sqlglot_schema() if self.catalog else None
            tree = annotate_types(
                qualify(
                    tree, dialect=SOURCE_DIALECT, schema=schema, validate_qualify_columns=False
                ),
                schema=schema,
                dialect=SOURCE_DIALECT,
            )
        except SqlglotError as exc:
            raise SqlFileError(str(query.path), query.body_line, 1, str(exc)) from exc
        for div in list(tree.find_all(exp.Div)):
            if (
                div.left.type
                and div.right.type
                and all(
                    side.type.is_type(*exp.DataType.INTEGER_TYPES) for side in (div.left, div.right)
                )
            ):
                div.replace(exp.IntDiv(this=div.left, expression=div.right))
        for cte in tree.find_all(exp.CTE):
            if _streams(cte.this):
                cte.set("materialized", False)
        return _read_tables_directly(tree)

    def _execute(self, sql: str, values: list[Any]) -> pa.Table:
        return self._run(Compiled(sql, []), lambda order: values, arrow=True).arrow()

    def _run(self, compiled: Compiled, bind: Callable[[list[str]], list[Any]], arrow: bool) -> Rows:
        """The query, or without its coarse sky cells when its probe finds no wide circle.

        Probe and query read the same state: one read-only connection holds the
        file, and a writer commits only when no reader holds it
        (vastobs/backends/filelock.py).
        """
        try:
            with self._connect() as con:
                # Trino compares and returns timestamps in UTC; so must we.
                con.execute(self._parsed(con, "SET TimeZone = 'UTC'"))
                sql, order = compiled.sql, compiled.order
                if compiled.narrow is not None and compiled.probe is not None:
                    probe, probe_order = compiled.probe
                    found = con.execute(self._parsed(con, probe), bind(probe_order)).fetchone()
                    if not (found and found[0]):
                        sql, order = compiled.narrow
                return _fetch(con.execute(self._parsed(con, sql), bind(order)), arrow)
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0]
            if isinstance(exc, duckdb.CatalogException) and "Table with name" in first:
                # Compiling refused every table the stack does not declare: one missing
                # here is declared, not created yet (a stack upgraded without `pulumi up`).
                first = f"{first} {_NOT_CREATED}"
            raise self._fail(first) from exc

    def _parsed(self, con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.Statement | str:
        """DuckDB's parse of ``sql``, kept like the compiled text: DuckDB 2.0's PEG parser
        takes 1.5 to 3 ms over a cone search, a third of its time on a warm connection.

        A parsed statement holds no connection state (each run binds it afresh
        with its own values), so it serves every connection of this engine.
        """
        cache: dict[str, duckdb.Statement | str] = self.__dict__.setdefault("_parsed_sql", {})
        if sql not in cache:
            statements = con.extract_statements(sql)
            cache[sql] = statements[0] if len(statements) == 1 else sql
        return cache[sql]


def _fetch(result: duckdb.DuckDBPyConnection, arrow: bool) -> Rows:
    """The first ``HEAD_ROWS`` rows as Python values unless ``arrow`` (or a column's type
    has no printer), the rest as Arrow (runner/rows.py)."""
    names = tuple(d[0] for d in result.description)
    types = tuple(str(d[1]) for d in result.description)
    head: list[tuple[Any, ...]] = []
    if not arrow and all(printable(t) for t in types):
        head = result.fetchmany(HEAD_ROWS)
        if len(head) < HEAD_ROWS:
            return Rows(names, types, head)
    # ``con.sql(sql, params=...)`` would bind and plan the query once to build a
    # relation and again to run it (~2.5 ms for a cone search). The extra copy of the
    # rows DuckDB warns of here costs less.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", _EXTRA_COPY, UserWarning)
        tail = result.to_arrow_table()
    return Rows(names, types, head, tail) if head else Rows.of(tail)
