"""A query's final ORDER BY, done by the runner on the rows instead of by Trino.

On Trino a final ``ORDER BY`` costs a stage: the scan stage's tasks send their
rows to one more task that sorts them, and only that task answers the
coordinator. A cone search or a light curve returns a few hundred rows, and
that second stage cost it half of Trino's ``SELECT 1`` floor again
(docs/benchmarks.md, issue #18). Without the ORDER BY the plan is one stage.

So the Trino engine runs such a query without its final ORDER BY and sorts the
rows with Arrow, which orders them as Trino does: ascending, nulls last, NaN
after every number and before null, strings by their UTF-8 bytes (Trino
compares varchar byte by byte), and a stable sort. Only an ORDER BY every key of
which is ascending with nulls last and names one output column is taken out;
anything else (DESC, NULLS FIRST, an expression, a LIMIT, a ``*`` in the
output) stays in the SQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from sqlglot import exp


def take_final_sort(tree: exp.Expression) -> tuple[int, ...] | None:
    """Take the final ORDER BY out of ``tree`` (in place) and give the output columns
    (0-based) it sorted by; None, the tree untouched, where that ORDER BY must stay."""
    from sqlglot import exp

    order = tree.args.get("order")
    if not isinstance(tree, exp.Select) or order is None:
        return None
    if any(tree.args.get(arg) for arg in ("limit", "offset", "fetch")):
        return None
    outputs = tree.expressions
    if any(p.is_star for p in outputs):
        return None
    keys = []
    for ordered in order.expressions:
        if ordered.args.get("desc") or ordered.args.get("nulls_first"):
            return None
        position = _output_position(ordered.this, outputs)
        if position is None:
            return None
        keys.append(position)
    tree.set("order", None)
    return tuple(keys)


def _output_position(key: exp.Expression, outputs: list[exp.Expression]) -> int | None:
    """The output column a sort key names, as Trino resolves it: an ordinal; a bare name
    (an output column's name first); a qualified column (the input column, so only where
    an output column is that very column)."""
    from sqlglot import exp

    if isinstance(key, exp.Literal) and key.is_int:
        position = int(key.this) - 1
        return position if 0 <= position < len(outputs) else None
    if not isinstance(key, exp.Column) or not isinstance(key.this, exp.Identifier):
        return None
    if not key.table:
        named = [i for i, p in enumerate(outputs) if p.alias_or_name.lower() == key.name.lower()]
        return named[0] if len(named) == 1 else None
    for i, projection in enumerate(outputs):
        value = projection.unalias()
        if (
            isinstance(value, exp.Column)
            and value.name.lower() == key.name.lower()
            and value.table.lower() == key.table.lower()
            and not value.args.get("db")
            and not key.args.get("db")
        ):
            return i
    return None


def sort_rows(table: pa.Table, keys: tuple[int, ...]) -> pa.Table | None:
    """The rows in the order of the columns ``keys``; None where Arrow cannot order a
    key's type (lists, maps, structs), for the caller to let Trino sort instead."""
    import pyarrow.compute as pc

    columns = [table.column(i) for i in keys]
    if any(pa.types.is_nested(c.type) for c in columns):
        return None
    by = pa.table({f"k{j}": c for j, c in enumerate(columns)})
    sort_keys = [(f"k{j}", "ascending") for j in range(len(columns))]
    return table.take(pc.sort_indices(by, sort_keys=sort_keys, null_placement="at_end"))
