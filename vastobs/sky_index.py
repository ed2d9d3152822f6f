"""The sky index: every point of every observatory in one table, ``sky.points``.

A cone search or a light curve reads the measurements and detections of
every observatory that has them. Read as kinds, that is one scan of each
observatory's table, and each scan costs the engine its planning and, on
Trino, a stage of its own (docs/benchmarks.md). The sky index keeps the same
points in one table sorted by position, so such a query reads one table
whatever the number of observatories.

Its columns are ``queries/sky/points.sql``; that file's ``from_kinds`` header
says how each point kind's columns become the index's (a column it does not
map is the kind's column of the same name). Analytics read it as the kind
``points`` (``observatories.points``). A stack that sets
``database.sky_index`` declares the table and the loader keeps it: each load
of a point kind adds its new rows' points in the same commit. Without it,
``points`` is the union of the kinds' tables, mapped the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from vastobs.ddl import TableDef, parse_table
from vastobs.errors import SqlFileError
from vastobs.sqlfile import read_sql_file

SCHEMA, TABLE = "sky", "points"
KIND = TABLE  # the kind analytics read it as
INDEX_PATH = Path("queries") / SCHEMA / f"{TABLE}.sql"
MATCHES = "matches"  # the cross-match kept beside it (queries/sky/matches.sql)
MATCHES_PATH = INDEX_PATH.parent / f"{MATCHES}.sql"
FILL_PATH = INDEX_PATH.parent / f"{MATCHES}.fill.sql"  # what fills it
OWN_COLUMNS = ("observatory", "kind")  # whose point, from which kind: set by the index itself


@dataclass(frozen=True)
class SkyIndex:
    table: TableDef
    matches: TableDef  # sky.matches: kept with it, refilled after it changes
    # kind -> ((index column, Trino SQL over the kind's columns), ...) for every column
    # but OWN_COLUMNS, in the table's order
    sources: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]

    @property
    def tables(self) -> tuple[TableDef, TableDef]:
        """Every table of the index, in the order a rebuild fills them."""
        return self.table, self.matches

    @property
    def kinds(self) -> tuple[str, ...]:
        """The point kinds it holds."""
        return tuple(kind for kind, _ in self.sources)

    def columns_from(self, kind: str) -> tuple[tuple[str, str], ...]:
        return dict(self.sources)[kind]


def point_kinds(project_dir: Path) -> tuple[str, ...]:
    """The kinds the index holds: its header's ``from_kinds``, read without sqlglot (a
    run's choice of observatories asks, and its compiled SQL may come from the cache)."""
    from vastobs.compile_cache import CompileCache

    path = project_dir / INDEX_PATH
    mapped = read_sql_file(path, CompileCache.for_project(project_dir)).meta.get("from_kinds")
    if not isinstance(mapped, dict) or not mapped:
        raise SqlFileError(str(path), 1, 1, "from_kinds must map each point kind to its columns")
    return tuple(map(str, mapped))


def load_index(project_dir: Path) -> SkyIndex:
    """The index's contract, checked against the kinds it reads."""
    return _load((project_dir / INDEX_PATH).resolve(), project_dir.resolve())


@cache
def _load(path: Path, project_dir: Path) -> SkyIndex:
    import sqlglot
    from sqlglot import exp

    from vastobs.kinds import load_kind

    table = parse_table(path, SCHEMA, TABLE)
    where = str(path)
    names = [c.name for c in table.columns]
    if tuple(names[: len(OWN_COLUMNS)]) != OWN_COLUMNS:
        raise SqlFileError(where, 1, 1, f"the first columns must be {', '.join(OWN_COLUMNS)}")
    mapped = read_sql_file(path).meta["from_kinds"]
    sources = []
    for kind in point_kinds(project_dir):
        columns = mapped[kind]
        contract = {c.name for c in load_kind(project_dir, str(kind)).columns}
        columns = columns or {}
        if not isinstance(columns, dict):
            raise SqlFileError(where, 1, 1, f"from_kinds.{kind}: map index columns to SQL")
        unknown = [c for c in columns if c not in names[len(OWN_COLUMNS) :]]
        if unknown:
            raise SqlFileError(where, 1, 1, f"from_kinds.{kind}: {unknown[0]} is not its column")
        exprs = []
        for name in names[len(OWN_COLUMNS) :]:
            sql = str(columns.get(name, name))
            try:
                tree = sqlglot.parse_one(sql, read="trino")
            except sqlglot.ParseError as exc:
                raise SqlFileError(where, 1, 1, f"from_kinds.{kind}.{name}: {exc}") from None
            missing = [c.name for c in tree.find_all(exp.Column) if c.name not in contract]
            if missing:
                raise SqlFileError(
                    where, 1, 1, f"from_kinds.{kind}.{name}: kind {kind} has no column {missing[0]}"
                )
            exprs.append((name, sql))
        sources.append((str(kind), tuple(exprs)))
    matches = parse_table(project_dir / MATCHES_PATH, SCHEMA, MATCHES)
    return SkyIndex(table, matches, tuple(sources))
