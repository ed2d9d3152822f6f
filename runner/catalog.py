"""The logical tables query files name (``swift.bursts``), from the DDL files.

Engines map them to the physical target: the same names in the local DuckDB,
``vast."<bucket>/swift".bursts`` through the VAST connector in production, or a
test catalog's schema in Trino (ARCHITECTURE §4).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from vastobs.ddl import TableDef, all_tables

TableMap = Callable[[str, str], exp.Table]


@dataclass(frozen=True)
class Catalog:
    tables: dict[tuple[str, str], TableDef]

    @classmethod
    def load(cls, project_dir: Path) -> Catalog:
        return cls({(t.observatory, t.name): t for t in all_tables(project_dir)})

    def sqlglot_schema(self) -> dict[str, dict[str, dict[str, str]]]:
        schema: dict[str, dict[str, dict[str, str]]] = {}
        for (obs, name), table in self.tables.items():
            schema.setdefault(obs, {})[name] = {c.name: c.type for c in table.columns}
        return schema

    def names(self) -> list[str]:
        return sorted(f"{o}.{t}" for o, t in self.tables)


def same_names(observatory: str, table: str) -> exp.Table:
    """The local DuckDB keeps the logical names: schema per observatory."""
    return exp.table_(table, db=observatory, quoted=True)


def in_catalog(catalog: str, schema_for: Callable[[str], str]) -> TableMap:
    def mapped(observatory: str, table: str) -> exp.Table:
        return exp.table_(table, db=schema_for(observatory), catalog=catalog, quoted=True)

    return mapped
