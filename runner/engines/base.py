"""``Engine``: compile a query file for a dialect, bind values, return rows."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from runner.catalog import Catalog, TableMap
from runner.param_types import PARAM_TYPES
from runner.query import SOURCE_DIALECT, Query
from runner.result import Provenance, Result
from runner.rows import Rows
from vastobs.compile_cache import CompileCache
from vastobs.errors import EngineError, SqlFileError

# sqlglot (and the macros built on it) load when a query is compiled: a run whose
# compiled SQL is on disk (``compile_cache``) never needs them.
if TYPE_CHECKING:
    import pyarrow as pa
    from sqlglot import exp

_MARKER = "vastobs_param_"
Selection = dict[str, tuple[str, ...]]  # observatories parameter -> the observatories it reads
Statement = tuple[str, list[str]]  # SQL with ``?`` markers, and the names they bind in order
# The query as written; without its coarse sky-cell joins; the probe that tells whether
# any circle needs them (runner/sky_cells.py).
Variant = Literal["whole", "narrow", "probe"]


@dataclass(frozen=True)
class Compiled:
    """A query compiled for an engine; ``narrow`` and ``probe`` only where it joins
    coarse sky cells in a UNION ALL branch of their own, which an engine that plans
    at a cost next to its running time (DuckDB) skips when no circle is wide."""

    sql: str
    order: list[str]
    narrow: Statement | None = None
    probe: Statement | None = None
    # The query without its final ORDER BY, and the output columns it sorted by, where the
    # engine sorts the rows itself (runner/engines/final_sort.py)
    unsorted: Statement | None = None
    sort: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"sql": self.sql, "order": self.order, "narrow": self.narrow, "probe": self.probe,
                "unsorted": self.unsorted, "sort": list(self.sort)}  # fmt: skip

    @classmethod
    def from_json(cls, entry: object) -> Compiled | None:
        """An entry ``to_json`` wrote, or None for anything else (an older cache's)."""

        def statement(value: object) -> bool:
            return (
                isinstance(value, list)
                and len(value) == 2
                and isinstance(value[0], str)
                and isinstance(value[1], list)
                and all(isinstance(name, str) for name in value[1])
            )

        if not isinstance(entry, dict) or not statement([entry.get("sql"), entry.get("order")]):
            return None
        variants = [entry.get("narrow"), entry.get("probe"), entry.get("unsorted")]
        if not all(v is None or statement(v) for v in variants):
            return None
        sort = entry.get("sort")
        if not isinstance(sort, list) or not all(type(i) is int for i in sort):
            return None
        narrow, probe, unsorted = (None if v is None else (v[0], v[1]) for v in variants)
        return cls(entry["sql"], entry["order"], narrow, probe, unsorted, tuple(sort))


def _positional(sql: str, dialect: str, names: list[str]) -> tuple[str, list[str]]:
    """Replace our markers (``:m0``/``$m0``) by ``?``, in text order, using the tokenizer."""
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.tokens import TokenType

    tokens = Dialect.get_or_raise(dialect).tokenize(sql)
    pieces, order, last = [], [], 0
    for prefix, token in itertools.pairwise(tokens):
        if (
            prefix.token_type in (TokenType.COLON, TokenType.PARAMETER)
            and token.text.startswith(_MARKER)
            and token.start == prefix.end + 1
        ):
            pieces.append(sql[last : prefix.start])
            pieces.append("?")
            order.append(names[int(token.text.removeprefix(_MARKER))])
            last = token.end + 1
    pieces.append(sql[last:])
    return "".join(pieces), order


def expand_kinds(
    tree: exp.Expression, query: Query, selection: Selection, catalog: Catalog | None
) -> exp.Expression:
    """``sources.triggers`` (an observatories parameter, a kind) to the kind's relation
    over the observatories chosen (runner/catalog.py); a sky index table the stack
    does not keep to no row."""
    from sqlglot import exp

    for table in list(tree.find_all(exp.Table)):
        alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(table.name))
        param = query.params.get(table.db) if table.db else None
        if param is None:
            unkept = catalog.unkept(table.db, table.name) if table.db and catalog else None
            if unkept is not None:
                table.replace(exp.Subquery(this=unkept, alias=alias))
            continue
        where, shown = (str(query.path), query.body_line, 1), table.sql(SOURCE_DIALECT)
        if not param.selects_tables:
            raise SqlFileError(
                *where, f"{shown}: {table.db} is a {param.type} parameter, not observatories"
            )
        if table.name not in param.kinds:
            kinds = ", ".join(param.kinds)
            raise SqlFileError(
                *where, f"{shown}: parameter {table.db} selects observatories for {kinds}"
            )
        if catalog is None:
            raise SqlFileError(*where, f"{shown}: no stack catalog")
        relation = catalog.relation(table.name, selection[table.db])
        table.replace(exp.Subquery(this=relation, alias=alias))
    return tree


class Engine(ABC):
    """Subclasses set ``name`` and ``dialect`` and implement ``_execute``.

    ``connect`` makes a connection of the subclass's driver; ``catalog`` lists
    the logical tables (unknown ones are refused); ``table_map`` turns a logical
    table into this engine's physical one.
    """

    name: ClassVar[str]
    dialect: ClassVar[str]
    compile_cache: CompileCache | None = None  # compiled SQL kept on disk (runner/connect.py)
    probes_wide_circles: ClassVar[bool] = False  # see ``Compiled``
    sorts_rows: ClassVar[bool] = False  # does a final ORDER BY on the rows (``Compiled``)

    def __init__(
        self,
        connect: Callable[[], Any],
        catalog: Catalog | None = None,
        table_map: TableMap | None = None,
    ) -> None:
        self._connect = connect  # a new connection (or cursor) per operation
        self.catalog, self.table_map = catalog, table_map

    def compiled(self, query: Query, selection: Selection) -> Compiled:
        """``compile`` once per file content and choice of observatories: sqlglot's work
        costs tens of milliseconds, and its import hundreds in a new process."""
        cache: dict[tuple[str, str, tuple[Any, ...]], Compiled]
        cache = self.__dict__.setdefault("_compiled", {})
        key = (str(query.path), query.sha256, tuple(sorted(selection.items())))
        if key not in cache:
            cache[key] = self._compiled_on_disk(query, selection)
        return cache[key]

    def _compiled_on_disk(self, query: Query, selection: Selection) -> Compiled:
        """``compile``'s results from ``compile_cache`` when an earlier process stored them
        for the same file text, observatories, engine, stack catalog and code."""
        disk = self.compile_cache
        if disk is not None:
            engine = f"{type(self).__module__}.{type(self).__qualname__}:{self.dialect}"
            chosen = json.dumps(sorted((k, list(v)) for k, v in selection.items()))
            key = disk.key("compiled", engine, query.sha256, chosen)
            found = Compiled.from_json(disk.get(key))
            if found is not None:
                return found
        from runner import sky_cells

        tree, names = self._tree(query, selection, "whole")
        whole = self._statement(query, tree, names)
        narrow = probe = None
        if self.probes_wide_circles and sky_cells.wide_circle_probe(query.parse()) is not None:
            narrow = self.compile(query, selection, "narrow")
            probe = self.compile(query, selection, "probe")
        unsorted: Statement | None = None
        sort: tuple[int, ...] = ()
        if self.sorts_rows:
            from runner.engines.final_sort import take_final_sort

            keys = take_final_sort(tree)  # no markers in its keys: ``names`` stay as they are
            if keys is not None:
                unsorted, sort = self._statement(query, tree, names), keys
        compiled = Compiled(*whole, narrow, probe, unsorted, sort)
        if disk is not None:
            disk.put(key, compiled.to_json())
        return compiled

    def selection(self, query: Query, values: dict[str, Any]) -> Selection:
        """The observatories each ``observatories`` parameter reads (runner/catalog.py)."""
        if self.catalog is None:
            return {name: () for name, p in query.params.items() if p.selects_tables}
        return self.catalog.selection(query, values)

    def compile(
        self, query: Query, selection: Selection | None = None, variant: Variant = "whole"
    ) -> Statement:
        """The query in this engine's dialect with ``?`` markers, and the names they bind.

        Named parameters (``:window_hours``) become typed positional markers so
        that values are always bound by the driver, never formatted into SQL.
        The order of the markers is read from the generated SQL's tokens: the
        tree's traversal order differs from the text's (CTEs come last).
        """
        return self._statement(query, *self._tree(query, selection, variant))

    def _tree(
        self, query: Query, selection: Selection | None, variant: Variant
    ) -> tuple[exp.Expression, list[str]]:
        """``compile``'s tree, in this engine's terms, and the names its markers bind."""
        from sqlglot import exp

        from runner.macros import expand

        tree = query.parse()
        for placeholder in tree.find_all(exp.Placeholder):
            param_type = query.param_type(placeholder.name)
            if param_type is None or param_type == "observatories":
                what = f":{placeholder.name}" if placeholder.name else "'?'"
                why = (
                    "selects observatories: read a kind through it "
                    f"({placeholder.name}.<kind>), not its value"
                    if param_type
                    else "is not declared in the header (use named :params)"
                )
                raise SqlFileError(
                    str(query.path), *query.param_position(placeholder.name),
                    f"parameter {what} {why}",
                )  # fmt: skip
        if variant != "whole":
            from runner import sky_cells

            shaped = (
                sky_cells.without_coarse_cells(tree)
                if variant == "narrow"
                else sky_cells.wide_circle_probe(tree)
            )
            if shaped is None:
                raise SqlFileError(str(query.path), query.body_line, 1, "no coarse sky cells")
            tree = shaped
        if selection is None:
            selection = self.selection(query, {})  # every observatory with the kinds
        tree = expand_kinds(tree, query, selection, self.catalog)
        # Macros may add markers for derived values (``in_cone_cover``'s ranges).
        tree = expand(tree, str(query.path), query.body_line)
        names: list[str] = []
        for placeholder in list(tree.find_all(exp.Placeholder)):
            param_type = query.param_type(placeholder.name)
            assert param_type is not None, placeholder.name  # declared, or a macro's call_name
            marker = exp.Placeholder(this=f"{_MARKER}{len(names)}")
            names.append(placeholder.name)
            # Typed markers: both engines then resolve functions on the declared type.
            placeholder.replace(exp.cast(marker, PARAM_TYPES[param_type].sql_type))
        tree = self.adapt(tree, query)
        return self._map_tables(tree, query), names

    def _statement(self, query: Query, tree: exp.Expression, names: list[str]) -> Statement:
        """The tree as SQL text with ``?`` markers, and the names they bind in order."""
        from sqlglot.errors import ErrorLevel, SqlglotError

        try:
            sql = tree.sql(dialect=self.dialect, unsupported_level=ErrorLevel.RAISE)
        except SqlglotError as exc:
            raise SqlFileError(
                str(query.path), query.body_line, 1, f"cannot run on {self.name}: {exc}"
            ) from exc
        return _positional(sql, self.dialect, names)

    def adapt(self, tree: exp.Expression, query: Query) -> exp.Expression:
        """Rewrite the Trino tree where this engine's semantics differ (default: none)."""
        return tree

    def _map_tables(self, tree: exp.Expression, query: Query) -> exp.Expression:
        """Logical ``swift.bursts`` to this engine's physical table, on the tree (never text)."""
        from sqlglot import exp

        ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
        for table in list(tree.find_all(exp.Table)):
            if not table.db and table.name in ctes:
                continue
            key = (table.db, table.name)
            if self.catalog is not None and key not in self.catalog.stored:
                known = ", ".join(self.catalog.names())
                raise SqlFileError(
                    str(query.path), query.body_line, 1,
                    f"unknown table {table.sql(SOURCE_DIALECT)} (tables: {known})",
                )  # fmt: skip
            if self.table_map is not None and table.db:
                mapped = self.table_map(table.db, table.name)
                mapped.set(
                    "alias",
                    table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(table.name)),
                )
                table.replace(mapped)
        return tree

    def run(
        self, query: Query, params: dict[str, Any] | None = None, *, arrow: bool = True
    ) -> Result:
        """The query's rows; as Python values where ``arrow`` is false and the engine can
        (runner/rows.py: a few hundred rows to print need no Arrow)."""
        values = query.bind(params or {})
        selection = self.selection(query, values)
        values = {**values, **selection}  # the provenance names the observatories read
        compiled = self.compiled(query, selection)
        started = dt.datetime.now(dt.UTC)
        clock = time.perf_counter()
        rows = self._run(compiled, lambda order: query.values_for(order, values), arrow)
        provenance = Provenance(
            query=query.name,
            version=query.version,
            sha256=query.sha256,
            engine=self.name,
            params=values,
            started_at=started,
            elapsed_seconds=time.perf_counter() - clock,
        )
        return Result(rows, provenance)

    def explain(self, query: Query, params: dict[str, Any] | None = None) -> str:
        values = query.bind(params or {})
        selection = self.selection(query, values)
        compiled = self.compiled(query, selection)
        plan = self._explain(compiled.sql, query.values_for(compiled.order, values))
        return "\n".join(str(v) for row in plan.to_pylist() for v in row.values())

    def _run(self, compiled: Compiled, bind: Callable[[list[str]], list[Any]], arrow: bool) -> Rows:
        """The query whole; ``bind`` gives the values for a statement's marker names.
        (An engine fetches Python values, where ``arrow`` is false, only if it can.)"""
        return Rows.of(self._execute(compiled.sql, bind(compiled.order)))

    def _explain(self, sql: str, values: list[Any]) -> pa.Table:
        return self._execute(f"EXPLAIN {sql}", values)

    @abstractmethod
    def _execute(self, sql: str, values: list[Any]) -> pa.Table:
        """Run one statement with positional values; raise EngineError on failure."""

    def _fail(self, message: str, query_id: str | None = None) -> EngineError:
        return EngineError(self.name, message, query_id)
