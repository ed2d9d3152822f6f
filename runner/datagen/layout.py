"""Which tables a run writes: the stack's, each with its kind, its TableDef and its producer.

The seed's five tables (swift.bursts, swift.observations, swift.measurements,
chandra.observations, chandra.detections) keep their own generators; every
other table of the stack (another observatory's, or a seed observatory's
table of another kind) is made by the generic producer from its kind and
the observatory's instrument profile (profiles.py). A table's columns are
``vastobs.kinds.observatory_table``'s: the kind's, the observatory's own DDL
file's, then the config's extra columns (NULL here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import sqlglot
from sqlglot import exp

from vastobs.config import ObservatoryConfig
from vastobs.ddl import TableDef, load_table
from vastobs.kinds import observatory_table

SEED_TABLES: dict[str, str] = {
    "swift.bursts": "triggers",
    "swift.observations": "observations",
    "swift.measurements": "measurements",
    "chandra.observations": "observations",
    "chandra.detections": "detections",
}
TABLES = tuple(SEED_TABLES)


@dataclass(frozen=True)
class StackTable:
    name: str  # "<observatory>.<table>"
    observatory: str
    kind: str
    table: TableDef
    seed: bool  # made by the Swift/Chandra generators


def stack_tables(
    project_dir: Path, observatories: Sequence[ObservatoryConfig] | None
) -> list[StackTable]:
    """The seed's five tables when ``observatories`` is None, else every table of them."""
    if observatories is None:
        return [
            StackTable(
                name, name.split(".")[0], kind, load_table(project_dir, *name.split(".")), True
            )
            for name, kind in SEED_TABLES.items()
        ]
    out = []
    for obs in observatories:
        for entry in obs.kinds:
            name = f"{obs.name}.{entry.table}"
            table = observatory_table(project_dir, obs.name, entry)
            out.append(
                StackTable(name, obs.name, entry.kind, table, SEED_TABLES.get(name) == entry.kind)
            )
    seed = [t for t in out if t.seed]
    seed.sort(key=lambda t: TABLES.index(t.name))  # the seed's files in the seed's order
    return seed + [t for t in out if not t.seed]


def kind_column(table: StackTable, data: pa.Table, column: str) -> np.ndarray:
    """A kind column of a cell's rows, through the table's ``as_kind`` where it has one
    (a column, or a CAST of one: what the seed's tables use)."""
    if column in data.column_names:
        return data[column].to_numpy(zero_copy_only=False)
    expression = dict(table.table.as_kind).get(column)
    if expression is None:
        raise KeyError(f"{table.name} has no kind column {column}")
    tree = sqlglot.parse_one(expression, read="trino")
    if isinstance(tree, exp.Column):
        return data[tree.name].to_numpy(zero_copy_only=False)
    if isinstance(tree, exp.Cast) and isinstance(tree.this, exp.Column):
        values = data[tree.this.name].cast(pa.string())
        return values.to_numpy(zero_copy_only=False)
    raise ValueError(f"{table.name}: as_kind {column} is not a column or a cast of one")
