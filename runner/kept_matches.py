"""The cross-match kept in ``sky.matches``, beside the sky index.

``cross_observatory_objects`` groups every point into objects and joins the
objects of two catalogues on sky cells: about 0.6 s for 10^6 x 10^6 on the
embedded engine, most of it the two groupings (docs/benchmarks.md). Its pairs
change only when points are loaded, so a stack that keeps the sky index keeps
them too: ``queries/sky/matches.fill.sql``, run with its defaults, replaces the
table's rows after each load of a point kind and in ``index rebuild``.

The analytic reads them only while their count rows equal the tables' counts
and its parameters keep every match within the radius they were kept within;
otherwise it computes from the points. So a refresh that failed, or a table
changed behind the loader's back, costs time, never a wrong answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.catalog import Catalog
from runner.engines.base import expand_kinds
from runner.param_types import PARAM_TYPES
from runner.query import Query
from vastobs.errors import TableMissing
from vastobs.sky_index import FILL_PATH

if TYPE_CHECKING:
    from sqlglot import exp

    from runner.loader.sinks import Sink


def fill_query(catalog: Catalog) -> exp.Query:
    """What ``sky.matches`` holds, over every observatory's tables by their logical
    names, its parameters at their defaults (sinks write it like the index's points)."""
    from sqlglot import exp

    from runner.macros import expand

    query = Query.load(catalog.project_dir / FILL_PATH)
    values = query.bind({})
    tree = query.parse()
    for placeholder in list(tree.find_all(exp.Placeholder)):
        param = query.params[placeholder.name]
        literal = exp.Literal.number(values[placeholder.name])
        placeholder.replace(exp.cast(literal, PARAM_TYPES[param.type].sql_type))
    tree = expand_kinds(tree, query, catalog.selection(query, values), catalog)
    filled = expand(tree, str(query.path), query.body_line)
    assert isinstance(filled, exp.Query), query.path
    return filled


def refresh(sink: Sink, catalog: Catalog) -> int:
    """Replace ``sky.matches``' rows by what the tables give now; the rows written."""
    matches = catalog.index.matches
    if not sink.exists(matches):
        raise TableMissing(
            f"table {matches.logical_name} does not exist on {sink.name}: run pulumi up "
            "(Pulumi creates tables)"
        )
    return sink.refill(matches, fill_query(catalog))
