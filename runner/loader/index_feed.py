"""What a load of a point table adds to the sky index (vastobs/sky_index.py).

A stack with ``database.sky_index`` keeps ``sky.points`` equal to its point
tables read through the index's columns. Each sink adds a load's new rows
to both in one unit where its storage has one (a DuckDB or VAST DB
transaction), and checks first that the index holds as many points of the
table as the table has rows: an index that has drifted (turned on over
loaded tables, or left with an earlier table's points) is refused with the
command that rebuilds it, never extended.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from runner.catalog import Catalog
from vastobs.ddl import TableDef
from vastobs.errors import InputError

if TYPE_CHECKING:
    from sqlglot import exp

REBUILD = "python -m runner index rebuild"


@dataclass(frozen=True)
class IndexFeed:
    index: TableDef  # sky.points
    table: TableDef  # the point table loaded
    points: exp.Query  # the table's rows as index rows, reading the table by its name
    sources: tuple[tuple[str, str], ...]  # index column -> the kind column it is, where one is
    catalog: Catalog  # whose sky.matches a load that adds points refills (runner/kept_matches.py)

    def select(self, dialect: str, source: exp.Expression) -> str:
        """The rows of ``source`` (the table's columns) as the index's columns."""
        from sqlglot import exp

        tree = self.points.copy()
        for table in tree.find_all(exp.Table):
            if (table.db, table.name) == (self.table.observatory, self.table.name):
                alias = table.args.get("alias")
                replacement = source.copy()
                replacement.set("alias", alias)
                table.replace(replacement)
        return tree.sql(dialect)

    @property
    def keeps_order(self) -> bool:
        """Rows in the table's ``sorted_by`` order are its points in the index's: each of
        the index's sort columns is the table's, one for one (``hpx``, ``mid_time``)."""
        sources = dict(self.sources)
        return [sources.get(c) for c in self.index.sorted_by] == list(self.table.sorted_by)

    @property
    def where(self) -> str:
        """The predicate on the index that picks this table's points (no parameters)."""
        from sqlglot import exp

        return exp.and_(
            exp.column("observatory").eq(exp.Literal.string(self.table.observatory)),
            exp.column("kind").eq(exp.Literal.string(self.table.kind)),
        ).sql()

    def check(self, table_rows: int, index_rows: int) -> None:
        """Refuse a load onto an index that no longer mirrors the table."""
        if table_rows != index_rows:
            raise InputError(
                f"{self.index.logical_name} holds {index_rows:,} points of "
                f"{self.table.logical_name}, which has {table_rows:,} rows: nothing was "
                f"loaded; run `{REBUILD}` to make the index whole again"
            )


def index_feed(catalog: Catalog, table: TableDef) -> IndexFeed | None:
    """The feed of ``table`` where the stack keeps the index and the table is a point kind."""
    if not catalog.sky_index or table.kind not in catalog.point_kinds:
        return None
    rows = catalog.relation(table.kind, (table.observatory,))
    mapped = dict(table.as_kind)
    sources = tuple(
        (name, sql)
        for name, sql in catalog.index.columns_from(table.kind)
        if sql.isidentifier() and sql not in mapped  # a column of the table itself
    )
    return IndexFeed(
        catalog.index.table, table, catalog.as_points(table.kind, rows), sources, catalog
    )
