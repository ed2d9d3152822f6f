"""The tables a stack declares, and the kinds query files read them through.

A query file never names an observatory: it reads ``sources.triggers``, where
``sources`` is a header parameter of type ``observatories`` and ``triggers`` a
kind. The catalog resolves the parameter (default: every observatory with the
kind) and writes the kind, on the sqlglot tree, as one relation: each chosen
observatory's table read through the kind's columns, plus an ``observatory``
column, joined by ``UNION ALL``. Engines then map the physical names
(``swift.bursts``) to their target: the same names in the local DuckDB,
``vast."<bucket>/swift".bursts`` through the VAST connector in production, or a
test catalog's schema in Trino (ARCHITECTURE §4).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.query import Query
from vastobs.config import KindTable, StackConfig, load_stack
from vastobs.ddl import TABLES_DIR
from vastobs.errors import ParameterError
from vastobs.sky_index import INDEX_PATH
from vastobs.sky_index import KIND as POINTS

# sqlglot loads when a table's DDL is read or a kind's relation is built: a run whose
# compiled SQL is cached (vastobs/compile_cache.py) needs neither, only the observatories
# each kind has, which the stack's config says.
if TYPE_CHECKING:
    from sqlglot import exp

    from vastobs.ddl import TableDef
    from vastobs.sky_index import SkyIndex

TableMap = Callable[[str, str], "exp.Table"]
OBSERVATORY = "observatory"  # the column every kind relation adds: whose row it is
DEFAULT_STACK = "local"


@dataclass(frozen=True)
class Catalog:
    project_dir: Path
    entries: tuple[tuple[str, KindTable], ...]  # (observatory, kind entry), in config order
    sky_index: bool = False  # the stack keeps sky.points (vastobs/sky_index.py)

    @classmethod
    def for_stack(cls, stack: StackConfig) -> Catalog:
        entries = tuple((obs.name, entry) for obs in stack.observatories for entry in obs.kinds)
        return cls(stack.project_dir, entries, stack.database.sky_index)

    @functools.cached_property
    def tables(self) -> dict[tuple[str, str], TableDef]:
        """(observatory, table) -> its definition, in config order: the DDL files read
        (and checked) on first use."""
        from vastobs.kinds import observatory_table

        return {
            (observatory, entry.table): observatory_table(self.project_dir, observatory, entry)
            for observatory, entry in self.entries
        }

    @functools.cached_property
    def stored(self) -> dict[tuple[str, str], TableDef]:
        """Every table the stack keeps: the observatories', then the sky index's if kept."""
        if not self.sky_index:
            return self.tables
        return {**self.tables, **{(t.observatory, t.name): t for t in self.index.tables}}

    def unkept(self, observatory: str, name: str) -> exp.Query | None:
        """``sky.matches`` on a stack that does not keep the sky index: its columns with no
        row (None for any other table): cross_observatory_objects reads it on every stack,
        and finds nothing kept where there is none."""
        from vastobs.sky_index import MATCHES, SCHEMA

        if self.sky_index or (observatory, name) != (SCHEMA, MATCHES):
            return None
        return _no_row((c.name, c.type) for c in self.index.matches.columns)

    @functools.cached_property
    def index(self) -> SkyIndex:
        """The sky index's contract (the table exists only where ``sky_index`` is set)."""
        from vastobs.sky_index import load_index

        return load_index(self.project_dir)

    @functools.cached_property
    def fingerprint(self) -> str:
        """A digest of what the tables are made from: the text of every kind and table
        DDL file, and the stack's kind entries (vastobs/compile_cache.py keys by it)."""
        from vastobs.compile_cache import digest
        from vastobs.kinds import KINDS_DIR

        parts: list[str | bytes] = [repr(self.entries), repr(self.sky_index)]
        for folder, pattern in (
            (KINDS_DIR, "*.sql"),
            (TABLES_DIR, "*/*.sql"),
            (INDEX_PATH.parent, "*.sql"),
        ):
            for path in sorted((self.project_dir / folder).glob(pattern)):
                parts += [path.relative_to(self.project_dir).as_posix(), path.read_bytes()]
        return digest(*parts)

    @classmethod
    def load(cls, project_dir: Path, stack: str = DEFAULT_STACK) -> Catalog:
        """The catalog of a stack file of the project (the embedded default's unless named)."""
        return cls.for_stack(load_stack(stack, project_dir))

    def sqlglot_schema(self) -> dict[str, dict[str, dict[str, str]]]:
        """Physical tables' column types, for sqlglot's qualify and type annotation."""
        schema: dict[str, dict[str, dict[str, str]]] = {}
        for (observatory, name), table in self.stored.items():
            schema.setdefault(observatory, {})[name] = {c.name: c.type for c in table.columns}
        return schema

    def names(self) -> list[str]:
        return sorted(f"{o}.{t}" for o, t in self.stored)

    def observatories(self, kind: str) -> tuple[str, ...]:
        """The observatories with a table of ``kind`` (for ``points``, of a point kind), in
        config order (no DDL read)."""
        kinds = self.point_kinds if kind == POINTS else (kind,)
        return tuple(dict.fromkeys(o for o, entry in self.entries if entry.kind in kinds))

    @functools.cached_property
    def point_kinds(self) -> tuple[str, ...]:
        """What the kind ``points`` is made of (the sky index's header says)."""
        from vastobs.sky_index import point_kinds

        return point_kinds(self.project_dir)

    def table_of(self, observatory: str, kind: str) -> TableDef | None:
        return next(
            (t for t in self.tables.values() if (t.observatory, t.kind) == (observatory, kind)),
            None,
        )

    def selection(self, query: Query, values: dict[str, Any]) -> dict[str, tuple[str, ...]]:
        """Each ``observatories`` parameter's observatories: as given, or every one with
        one of its kinds; a name without such a table is refused."""
        chosen = {}
        for name, param in query.params.items():
            if not param.selects_tables:
                continue
            having = tuple(dict.fromkeys(o for k in param.kinds for o in self.observatories(k)))
            given = values.get(name)
            if given is None:
                chosen[name] = having
                continue
            missing = [o for o in given if o not in having]
            if missing:
                kinds = " or ".join(param.kinds)
                raise ParameterError(
                    f"parameter {name}={','.join(given)} of {query.name}: {missing[0]} has no "
                    f"{kinds} table in this stack (observatories with one: "
                    f"{', '.join(having) or 'none'})"
                )
            chosen[name] = given
        return chosen

    def relation(self, kind: str, observatories: tuple[str, ...]) -> exp.Query:
        """``kind`` over ``observatories``: one SELECT per table, through the kind's
        columns, under UNION ALL; no row (but every column) when none has the kind."""
        from sqlglot import exp

        from vastobs.kinds import load_kind

        if kind == POINTS:
            return self._points(observatories)
        contract = load_kind(self.project_dir, kind)
        selects = []
        for observatory in observatories:
            table = self.table_of(observatory, kind)
            if table is None:
                continue
            mapped = dict(table.as_kind)
            columns = [exp.alias_(exp.Literal.string(observatory), OBSERVATORY)]
            for column in contract.columns:
                if column.name in mapped:
                    mapping = kind_expression(mapped[column.name]).copy()
                    columns.append(exp.alias_(mapping, column.name))
                else:
                    columns.append(exp.column(column.name))
            # An alias of its own: sqlglot would take a CTE of the query named like the
            # table (a `bursts` CTE, `swift.bursts`) for the table itself.
            source = exp.table_(table.name, db=observatory, alias=f"{observatory}__{table.name}")
            selects.append(exp.select(*columns).from_(source))
        if not selects:
            empty = [(OBSERVATORY, "varchar"), *((c.name, c.type) for c in contract.columns)]
            return _no_row(empty)
        union: exp.Query = selects[0]
        for select in selects[1:]:
            union = exp.union(union, select, distinct=False)
        return union

    def points_in_tables(self) -> exp.Query:
        """Every point of every observatory read from its tables: what the sky index
        mirrors, and what ``index rebuild`` writes into it."""
        tables = dataclasses.replace(self, sky_index=False)
        return tables.relation(POINTS, tables.observatories(POINTS))

    def _points(self, observatories: tuple[str, ...]) -> exp.Query:
        """``points`` over ``observatories``: the sky index's rows of theirs where the stack
        keeps it, else each point kind's relation through the index's columns."""
        from sqlglot import exp

        if self.sky_index:
            index = self.index.table
            source = exp.table_(
                index.name, db=index.observatory, alias=f"{index.observatory}__{index.name}"
            )
            columns = [exp.column(c.name) for c in index.columns]
            chosen = [exp.Literal.string(o) for o in observatories] or [exp.null()]
            return exp.select(*columns).from_(source).where(exp.column(OBSERVATORY).isin(*chosen))
        parts = []
        for kind in self.index.kinds:
            having = tuple(o for o in observatories if o in self.observatories(kind))
            if having:
                parts.append(self.as_points(kind, self.relation(kind, having)))
        if not parts:
            return self.as_points(self.index.kinds[0], self.relation(self.index.kinds[0], ()))
        union: exp.Query = parts[0]
        for part in parts[1:]:
            union = exp.union(union, part, distinct=False)
        return union

    def as_points(self, kind: str, rows: exp.Query) -> exp.Query:
        """``rows`` of ``kind`` (``relation``'s: a SELECT per table under UNION ALL) as the
        index's columns, each SELECT mapped in place: one level per table, as planners
        take a kind, instead of a mapping over the union."""
        from sqlglot import exp

        def mapped(select: exp.Select) -> exp.Select:
            given = {e.alias_or_name: e.unalias() for e in select.expressions}
            columns = [exp.alias_(given[OBSERVATORY].copy(), OBSERVATORY)]
            columns.append(exp.alias_(exp.Literal.string(kind), "kind"))
            for name, sql in self.index.columns_from(kind):
                tree = kind_expression(sql).copy()
                for column in list(tree.find_all(exp.Column)):
                    replacement = given[column.name].copy()
                    if column is tree:
                        tree = replacement
                    else:
                        column.replace(replacement)
                columns.append(exp.alias_(tree, name))
            out = select.copy()
            out.set("expressions", columns)
            return out

        if isinstance(rows, exp.Union):
            return exp.union(
                self.as_points(kind, rows.left), self.as_points(kind, rows.right), distinct=False
            )
        assert isinstance(rows, exp.Select), rows
        return mapped(rows)


def _no_row(columns: Iterable[tuple[str, str]]) -> exp.Select:
    """Typed columns (name, Trino type) and no row."""
    from sqlglot import exp

    typed = [
        exp.alias_(exp.cast(exp.null(), exp.DataType.build(kind, dialect="trino")), name)
        for name, kind in columns
    ]
    return exp.select(*typed).where(exp.false())


@functools.cache
def kind_expression(sql: str) -> exp.Expression:
    """An ``as_kind`` mapping's expression, parsed once (callers copy before changing it)."""
    import sqlglot

    return sqlglot.parse_one(sql, read="trino")


def same_names(observatory: str, table: str) -> exp.Table:
    """The local DuckDB keeps the logical names: schema per observatory."""
    from sqlglot import exp

    return exp.table_(table, db=observatory, quoted=True)


def in_catalog(catalog: str, schema_for: Callable[[str], str]) -> TableMap:
    def mapped(observatory: str, table: str) -> exp.Table:
        from sqlglot import exp

        return exp.table_(table, db=schema_for(observatory), catalog=catalog, quoted=True)

    return mapped
