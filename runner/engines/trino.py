"""Trino through the ``trino`` DBAPI client: production runs on the VAST DB connector.

Each query goes with the session properties that matter for the catalog the
engine reads (``session_properties``): the query time limit and the sort in the
output stage (``EVERY_SESSION``) always, and the VAST DB connector's own properties only
when that catalog's connector is ``vast`` (Trino refuses a catalog property the
catalog's connector does not define, so sending them to the memory catalog `make
trino` serves would fail).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import trino
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import TokenType
from trino.exceptions import HttpError, TrinoConnectionError, TrinoQueryError

from runner.catalog import Catalog, TableMap
from runner.engines.base import Compiled, Engine
from runner.engines.final_sort import sort_rows
from runner.query import Query
from runner.rows import Rows
from vastobs.ddl import arrow_types

# A new connection per statement, called with ``session_properties=`` (none only to ask
# which connector a catalog has).
Connect = Callable[..., trino.dbapi.Connection]

# Trino's own properties, for every catalog. The analytics' results are small (a cone's
# rows, a light curve, 10^5 matches at most) and all but one end in ORDER BY: a
# distributed sort adds a stage and a repartitioning of those rows to the plan, which
# cost a selective query a third of its time over Trino's floor (docs/benchmarks.md).
# Without it the output stage sorts them, where the engine does not (``sorts_rows``).
EVERY_SESSION = {"distributed_sort": "false"}

VAST_CONNECTOR = "vast"  # connector.name of the VAST DB Trino connector
# The VAST DB connector's session properties the analytics gain from (its
# VastSessionProperties): sky-cell ranges are ORs of ranges on hpx and joins carry
# dynamic filters on it, which the connector pushes into VAST DB only with these on.
VAST_SESSION = {
    "complex_predicate_pushdown": "true",  # OR between ranges and columns goes to VAST DB
    "enable_sorted_projections": "true",  # the tables' sorted_by (hpx, time) serves ranges
    "estimate_splits_from_elysium": "true",  # splits sized from the sorting key's ranges
}

# Trino type names (as in cursor.description) to Arrow, so that empty results and
# all-NULL columns keep their types: the DDL's map, plus CHAR, which results may have
# (a CAST) and tables may not. ``varchar(n)`` and ``char(n)`` are looked up without n.
_ARROW_TYPES: dict[str, pa.DataType] = {
    **{trino_type.lower(): arrow for trino_type, arrow in arrow_types().items()},
    "char": pa.string(),
}


def _bindable(value: Any) -> Any:
    """The client writes a date or timestamp with strftime, which leaves a year below 1000
    unpadded (``'1-01-01 ...'``, which Trino refuses); such a value goes as ISO text, and
    its marker's ``CAST(? AS timestamp(6))`` reads it back as the same value."""
    if isinstance(value, dt.date) and value.year < 1000:
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return value


def _literal(value: Any) -> exp.Expression:
    """A bound value as SQL text for ``EXPLAIN EXECUTE``: the marker's cast types it."""
    if value is None or isinstance(value, bool | int | float):
        return exp.convert(value)
    return exp.Literal.string(str(_bindable(value)))


_EXPLAINED = "vastobs_explained"  # the name a statement is prepared under to be explained


class TrinoEngine(Engine):
    """``query_timeout_seconds``: the longest a query may run (``query_max_run_time``);
    ``catalog_name``: the catalog the tables live in, whose connector decides which
    connector properties go (asked of Trino once, at the first query)."""

    name = "trino"
    dialect = "trino"
    sorts_rows = True  # a final ORDER BY costs Trino a stage (runner/engines/final_sort.py)
    _connect: Connect

    def __init__(
        self,
        connect: Connect,
        catalog: Catalog | None = None,
        table_map: TableMap | None = None,
        *,
        query_timeout_seconds: int | None = None,
        catalog_name: str | None = None,
    ) -> None:
        super().__init__(connect, catalog, table_map)
        self.query_timeout_seconds, self.catalog_name = query_timeout_seconds, catalog_name
        self._session: dict[str, str] | None = None

    def adapt(self, tree: exp.Expression, query: Query) -> exp.Expression:
        """Every ``x BETWEEN lo AND hi`` as ``(x >= lo AND x <= hi)``: the same rows, but
        Trino turns a BETWEEN whose bounds are reversed into no domain at all, so one empty
        range of a cone cover (``in_cone_cover`` pads with lo > hi) made it give up the
        whole OR and scan every file; two comparisons intersect to an empty range and the
        cover's other ranges still prune partitions, files and row groups."""

        def split(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Between):
                low = exp.GTE(this=node.this.copy(), expression=node.args["low"])
                high = exp.LTE(this=node.this.copy(), expression=node.args["high"])
                return exp.paren(exp.and_(low, high, copy=False), copy=False)
            return node

        return tree.transform(split, copy=False)

    def _run(self, compiled: Compiled, bind: Callable[[list[str]], list[Any]], arrow: bool) -> Rows:
        """The query without its final ORDER BY where it has one the rows can be sorted by
        here; as written where Arrow cannot order a key's type. As Arrow always: the
        client's rows become Arrow to be typed and sorted."""
        if compiled.unsorted is not None:
            sql, order = compiled.unsorted
            rows = sort_rows(self._execute(sql, bind(order)), compiled.sort)
            if rows is not None:
                return Rows.of(rows)
        return super()._run(compiled, bind, arrow)

    def session_properties(self, connector: str | None) -> dict[str, str]:
        """What every query sends when ``catalog_name``'s connector is ``connector``."""
        props = dict(EVERY_SESSION)
        if self.query_timeout_seconds is not None:
            props["query_max_run_time"] = f"{self.query_timeout_seconds}s"
        if connector == VAST_CONNECTOR and self.catalog_name:
            props.update({f"{self.catalog_name}.{k}": v for k, v in VAST_SESSION.items()})
        return props

    def _session_properties(self) -> dict[str, str]:
        """The properties for this engine's catalog, its connector asked once (system
        tables answer on the coordinator alone; no catalog named, none asked)."""
        if self._session is None:
            connector = None
            if self.catalog_name:
                found = self._execute(
                    "SELECT connector_name FROM system.metadata.catalogs WHERE catalog_name = ?",
                    [self.catalog_name],
                    session={},
                ).column(0)
                connector = found[0].as_py() if len(found) else None
            self._session = self.session_properties(connector)
        return self._session

    def _explain(self, sql: str, values: list[Any]) -> pa.Table:
        """Trino plans ``EXPLAIN <sql>`` without the values its markers need ("expected 3
        parameters but found 0"), and ``EXPLAIN EXECUTE`` cannot take them as markers
        either: prepare the statement, then explain its execution with the values as
        literals, which sqlglot quotes (only a plan is made; nothing runs)."""
        if not values:
            return self._execute(f"EXPLAIN {sql}", [])
        literals = ", ".join(_literal(v).sql(dialect="trino") for v in values)
        return self._execute(f"EXPLAIN EXECUTE {_EXPLAINED} USING {literals}", [], sql)

    def explain_analyze(self, query: Query, params: dict[str, Any] | None = None) -> str:
        """The query run under ``EXPLAIN ANALYZE``: the plan with what each operator read
        (rows, bytes, and for a table scan its splits), for the benchmark. Trino analyzes
        no ``EXECUTE``, so the values go in as literals (sqlglot quotes them)."""
        values = query.bind(params or {})
        selection = self.selection(query, values)
        compiled = self.compiled(query, selection)
        sql, bound = compiled.sql, iter(query.values_for(compiled.order, values))
        pieces, last = [], 0
        for token in Dialect.get_or_raise(self.dialect).tokenize(sql):
            if token.token_type == TokenType.PLACEHOLDER:
                pieces += [sql[last : token.start], _literal(next(bound)).sql(dialect="trino")]
                last = token.end + 1
        plan = self._execute("EXPLAIN ANALYZE " + "".join(pieces) + sql[last:], [])
        return "\n".join(str(v) for row in plan.to_pylist() for v in row.values())

    def _execute(
        self,
        sql: str,
        values: list[Any],
        prepare: str | None = None,
        session: dict[str, str] | None = None,
    ) -> pa.Table:
        props = self._session_properties() if session is None else session
        conn = self._connect(session_properties=props) if props else self._connect()
        cursor = conn.cursor()
        try:
            if prepare is not None:  # kept in the connection's session for the next statement
                cursor.execute(f"PREPARE {_EXPLAINED} FROM {prepare}")
                cursor.fetchall()
            cursor.execute(sql, [_bindable(v) for v in values] or None)
            rows = cursor.fetchall()
            description = cursor.description or []
        except TrinoQueryError as exc:
            raise self._fail(f"{exc.error_name}: {exc.message}", exc.query_id) from exc
        except (TrinoConnectionError, HttpError, OSError) as exc:
            reason = str(exc).rsplit(": ", 1)[-1].rstrip(')"')
            raise self._fail(f"cannot reach Trino at {conn.host}:{conn.port}: {reason}") from exc
        finally:
            conn.close()
        columns = {}
        for i, column in enumerate(description):
            name, type_name = column[0], str(column[1])
            base = (
                type_name.split("(")[0] if type_name.startswith(("varchar", "char")) else type_name
            )
            arrow_type = _ARROW_TYPES.get(base)
            columns[name] = pa.array([row[i] for row in rows], type=arrow_type)
        return pa.table(columns)
