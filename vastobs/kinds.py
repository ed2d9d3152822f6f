"""Table kinds: the column contract every observatory's table of one kind keeps.

A kind (``queries/kinds/<kind>.sql``, a ``CREATE TABLE kinds.<kind>``) is what
analytics are written against: ``triggers``, ``observations``, ``measurements``,
``detections``. An observatory's stack block lists the kinds it has and the
table of each (``kinds: {triggers: bursts}``). That table's columns are the
kind's, then those of its own DDL file if it has one
(``queries/tables/<observatory>/<table>.sql``), then the extra columns its
config declares. A table that spells a kind column otherwise (Chandra's
``obsid BIGINT`` for the kind's ``observation_id VARCHAR``) says how in its
file's ``as_kind`` header; the runner reads the kind through that expression.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

from vastobs.config import KindTable
from vastobs.ddl import Column, TableDef, cached_table, parse_table, table_path
from vastobs.errors import ConfigError, SqlFileError

KINDS_DIR = Path("queries") / "kinds"
KIND_SCHEMA = "kinds"  # the schema a kind's own CREATE TABLE names


def kind_names(project_dir: Path) -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in (project_dir / KINDS_DIR).glob("*.sql")))


@cache
def _load_kind(path: Path) -> TableDef:
    return parse_table(path, KIND_SCHEMA, path.stem)


def load_kind(project_dir: Path, kind: str) -> TableDef:
    """The contract of ``kind``: its columns, key and sort order."""
    path = project_dir / KINDS_DIR / f"{kind}.sql"
    if not path.is_file():
        known = ", ".join(kind_names(project_dir)) or "none"
        raise SqlFileError(str(path), 1, 1, f"no kind {kind!r} (kinds: {known})")
    return _load_kind(path.resolve())


def observatory_table(project_dir: Path, observatory: str, entry: KindTable) -> TableDef:
    """``observatory``'s table of ``entry.kind``: the kind's columns its own DDL file
    neither declares nor maps, then the file's columns, then the config's extras.

    Kept in the project's cache by the text of both files: every command that reads the
    stack checks its tables, and parsing them loads sqlglot (vastobs/compile_cache.py)."""
    sources = (
        project_dir / KINDS_DIR / f"{entry.kind}.sql",
        table_path(project_dir, observatory, entry.table),
    )
    return cached_table(
        project_dir, sources, f"{observatory} {entry!r}",
        lambda: _observatory_table(project_dir, observatory, entry),
    )  # fmt: skip


def _observatory_table(project_dir: Path, observatory: str, entry: KindTable) -> TableDef:
    contract = load_kind(project_dir, entry.kind)
    path = table_path(project_dir, observatory, entry.table)
    own = parse_table(path, observatory, entry.table) if path.is_file() else None
    declared = {c.name: c for c in own.columns} if own else {}
    mapped = dict(own.as_kind) if own else {}
    where = str(path)
    for name, expression in mapped.items():
        _check_mapping(where, contract, entry.kind, name, expression, declared)
    for column in contract.columns:
        mine = declared.get(column.name)
        if mine and (mine.type != column.type or (mine.nullable and not column.nullable)):
            null = "" if column.nullable else " NOT NULL"
            raise SqlFileError(
                where, 1, 1,
                f"column {column.name} must be {column.type}{null}, as kind {entry.kind} says",
            )  # fmt: skip
    inherited = [c for c in contract.columns if c.name not in declared and c.name not in mapped]
    extras = []
    for name, type_sql in entry.columns:
        if name in declared or any(c.name == name for c in inherited):
            raise ConfigError(
                f"observatories.{observatory}.kinds.{entry.kind}.columns.{name}",
                f"{entry.table} already has a column {name}; name the extra column otherwise",
            )
        extras.append(Column(name, type_sql, True))
    columns = (*inherited, *(own.columns if own else ()), *extras)
    return replace(
        own or contract,
        observatory=observatory,
        name=entry.table,
        columns=columns,
        key=own.key if own and own.key else contract.key,
        sorted_by=own.sorted_by if own and own.sorted_by else contract.sorted_by,
        description=(own.description if own else "") or contract.description,
        kind=entry.kind,
    )


def _check_mapping(
    where: str,
    contract: TableDef,
    kind: str,
    name: str,
    expression: str,
    declared: dict[str, Column],
) -> None:
    """An ``as_kind`` entry names a kind column the file does not declare, and reads
    only the file's columns."""
    if name not in {c.name for c in contract.columns}:
        raise SqlFileError(where, 1, 1, f"as_kind: {name} is not a column of kind {kind}")
    if name in declared:
        raise SqlFileError(where, 1, 1, f"as_kind: {name} is both a column and mapped")
    import sqlglot  # here, not at the top: a catalog that reads no DDL loads no sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(expression, read="trino")
    except sqlglot.ParseError as exc:
        problem = exc.errors[0]["description"] if exc.errors else str(exc)
        raise SqlFileError(where, 1, 1, f"as_kind: {name}: {problem}") from None
    unknown = [c.name for c in tree.find_all(exp.Column) if c.name not in declared]
    if unknown:
        raise SqlFileError(where, 1, 1, f"as_kind: {name} reads unknown column {unknown[0]}")
