"""Table DDL: a ``CREATE TABLE`` in Trino SQL with a metadata header.

A table's columns come from its kind (``queries/kinds/<kind>.sql``, see
vastobs/kinds.py) and, optionally, a file of its own
(``queries/tables/<observatory>/<table>.sql``). From them come the Arrow schema
(loader, vastdb), the VMS ``arrow_schema`` (Pulumi ``Table``), and DuckDB and
Trino DDL.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vastobs.sqlfile import SqlFileError, parse_body, read_sql_file

if TYPE_CHECKING:  # sqlglot loads when a DDL file is parsed or DDL is written
    import pyarrow as pa
    from sqlglot import exp

TABLES_DIR = Path("queries") / "tables"

_ARROW: dict[str, tuple[str, ...]] = {
    "BOOLEAN": ("bool_",),
    "TINYINT": ("int8",),
    "SMALLINT": ("int16",),
    "INTEGER": ("int32",),
    "BIGINT": ("int64",),
    "REAL": ("float32",),
    "DOUBLE": ("float64",),
    "VARCHAR": ("string",),
    "DATE": ("date32",),
    "TIMESTAMP(3)": ("timestamp", "ms"),
    "TIMESTAMP(6)": ("timestamp", "us"),
    "TIMESTAMP(9)": ("timestamp", "ns"),
}
"""Trino type (as sqlglot prints it) -> the pyarrow factory, and its arguments, of the
Arrow type VAST DB stores it as and the Trino engine types its results by. Names, so
that checking a stack's column types does not import pyarrow (73 ms of a CLI run)."""

TYPES = tuple(_ARROW)  # the column types a table may have


@functools.cache
def arrow_types() -> dict[str, pa.DataType]:
    """``TYPES`` -> their Arrow types, made on first use (pyarrow loads then)."""
    import pyarrow as pa

    return {name: getattr(pa, factory)(*args) for name, (factory, *args) in _ARROW.items()}


def arrow_type(type_sql: str) -> pa.DataType:
    """The Arrow type of a Trino column type in ``TYPES``."""
    return arrow_types()[type_sql]


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Trino spelling, e.g. 'TIMESTAMP(6)'
    nullable: bool

    @property
    def arrow_type(self) -> pa.DataType:
        return arrow_type(self.type)


@dataclass(frozen=True)
class TableDef:
    observatory: str
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    sorted_by: tuple[str, ...]
    description: str
    path: Path
    kind: str = ""  # the kind it is an instance of ("" for a kind's own contract)
    # kind column -> Trino SQL over this table's columns, where the table spells it otherwise
    as_kind: tuple[tuple[str, str], ...] = ()

    @property
    def logical_name(self) -> str:
        return f"{self.observatory}.{self.name}"

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def arrow_schema(self) -> pa.Schema:
        import pyarrow as pa

        return pa.schema([pa.field(c.name, c.arrow_type, c.nullable) for c in self.columns])

    def vms_arrow_schema(self) -> list[dict[str, object]]:
        """Columns as VMS ``/tables/`` takes them: ``{name, field: {column_type}}``.

        The spec leaves the ``column_type`` vocabulary open; we send Arrow's
        type names (``int64``, ``string``, ``timestamp[us]``), see docs/infrastructure.md.
        """
        return [{"name": c.name, "field": {"column_type": str(c.arrow_type)}} for c in self.columns]

    def create_sql(self, dialect: str, table: exp.Table) -> str:
        """``CREATE TABLE`` for ``table`` (a qualified name) in ``dialect``."""
        from sqlglot import exp

        defs = [
            exp.ColumnDef(
                this=exp.to_identifier(c.name, quoted=True),
                kind=exp.DataType.build(c.type, dialect="trino"),
                constraints=[]
                if c.nullable
                else [exp.ColumnConstraint(kind=exp.NotNullColumnConstraint())],
            )
            for c in self.columns
        ]
        create = exp.Create(this=exp.Schema(this=table, expressions=defs), kind="TABLE")
        return create.sql(dialect=dialect)


def cached_table(
    project_dir: Path, sources: tuple[Path, ...], what: str, make: Callable[[], TableDef]
) -> TableDef:
    """``make()``, kept in the project's cache (vastobs/compile_cache.py) under the text
    of the DDL files it reads (``sources``, absent ones included) and ``what`` else it is
    made of: reading a stack checks its tables without sqlglot while nothing changed."""
    from vastobs.compile_cache import CompileCache

    cache = CompileCache.for_project(project_dir)
    parts: list[str | bytes] = [what]
    for source in sources:
        parts.append(str(source.resolve()))
        try:
            parts.append(source.read_bytes())
        except FileNotFoundError:
            parts.append("(absent)")
    key = cache.key("table", *parts)
    stored = cache.get(key)
    if stored is not None:
        try:
            return table_from_json(stored)
        except (KeyError, TypeError, ValueError):
            pass  # not an entry this code wrote: made again below
    table = make()
    cache.put(key, table_to_json(table))
    return table


def table_to_json(table: TableDef) -> dict[str, Any]:
    return {
        "observatory": table.observatory,
        "name": table.name,
        "columns": [[c.name, c.type, c.nullable] for c in table.columns],
        "key": list(table.key),
        "sorted_by": list(table.sorted_by),
        "description": table.description,
        "path": str(table.path),
        "kind": table.kind,
        "as_kind": [list(pair) for pair in table.as_kind],
    }


def table_from_json(data: dict[str, Any]) -> TableDef:
    """The table :func:`table_to_json` wrote; a ValueError (or Key/TypeError) if not one."""
    columns = tuple(Column(str(n), str(t), bool(null)) for n, t, null in data["columns"])
    if any(c.type not in TYPES for c in columns):
        raise ValueError("unknown column type")
    return TableDef(
        observatory=str(data["observatory"]),
        name=str(data["name"]),
        columns=columns,
        key=tuple(map(str, data["key"])),
        sorted_by=tuple(map(str, data["sorted_by"])),
        description=str(data["description"]),
        path=Path(data["path"]),
        kind=str(data["kind"]),
        as_kind=tuple((str(k), str(v)) for k, v in data["as_kind"]),
    )


def table_path(project_dir: Path, observatory: str, table: str) -> Path:
    return project_dir / TABLES_DIR / observatory / f"{table}.sql"


def load_table(project_dir: Path, observatory: str, table: str) -> TableDef:
    return parse_table(table_path(project_dir, observatory, table), observatory, table)


def all_tables(project_dir: Path) -> list[TableDef]:
    root = project_dir / TABLES_DIR
    return [parse_table(p, p.parent.name, p.stem) for p in sorted(root.glob("*/*.sql"))]


def parse_table(path: Path, observatory: str, table: str) -> TableDef:
    """The ``CREATE TABLE <observatory>.<table>`` in ``path``, checked and typed."""
    from sqlglot import exp

    sql = read_sql_file(path)
    where = str(path)
    tree = parse_body(path, sql.body, sql.body_line, "trino")
    if not isinstance(tree, exp.Create) or not isinstance(tree.this, exp.Schema):
        raise SqlFileError(where, sql.body_line, 1, "expected one CREATE TABLE statement")
    named = tree.this.this
    if (named.db, named.name) != (observatory, table):
        raise SqlFileError(
            where,
            sql.body_line,
            1,
            f"declares {named.sql()}; this file must declare {observatory}.{table}",
        )
    columns = []
    for definition in tree.this.expressions:
        type_sql = definition.args["kind"].sql("trino").upper()
        if type_sql not in TYPES:
            allowed = ", ".join(TYPES)
            raise SqlFileError(
                where,
                sql.body_line,
                1,
                f"column {definition.name}: type {type_sql} is not one of {allowed}",
            )
        not_null = any(
            isinstance(c.args.get("kind"), exp.NotNullColumnConstraint)
            for c in definition.args.get("constraints") or []
        )
        columns.append(Column(definition.name, type_sql, not not_null))
    names = {c.name for c in columns}
    for meta_key in ("key", "sorted_by"):
        unknown = [n for n in sql.meta.get(meta_key) or [] if n not in names]
        if unknown:
            raise SqlFileError(where, 1, 1, f"{meta_key} names unknown column {unknown[0]}")
    as_kind = sql.meta.get("as_kind") or {}
    if not isinstance(as_kind, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in as_kind.items()
    ):
        raise SqlFileError(where, 1, 1, "as_kind must map kind columns to SQL expressions")
    return TableDef(
        observatory=observatory,
        name=table,
        columns=tuple(columns),
        key=tuple(sql.meta.get("key") or ()),
        sorted_by=tuple(sql.meta.get("sorted_by") or ()),
        description=str(sql.meta.get("description", "")).strip(),
        path=path,
        as_kind=tuple(as_kind.items()),
    )
