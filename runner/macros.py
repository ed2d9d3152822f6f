"""SQL functions the runner expands on the sqlglot tree, identically for every engine.

``sky_distance_arcsec(ra1, dec1, ra2, dec2)`` is the haversine great-circle
distance in arcseconds between two ICRS positions in degrees. Neither engine
has it (Trino's ``great_circle_distance`` is in km on Earth, and DuckDB lacks
it), so query files call the macro and the runner writes it out once, here.
``ra_cells_reached(dec)`` is the RA reach of the 0.2 degree cell joins
(docs/queries.md, "Sky matching").
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp

from runner.errors import QueryFileError

_HAVERSINE = sqlglot.parse_one(
    "3600 * degrees(2 * asin(sqrt(least(1e0,"
    " power(sin(radians(dec2 - dec1) / 2), 2)"
    " + cos(radians(dec1)) * cos(radians(dec2)) * power(sin(radians(ra2 - ra1) / 2), 2)))))",
    read="trino",
)


def _sky_distance(args: list[exp.Expression]) -> exp.Expression:
    names = ("ra1", "dec1", "ra2", "dec2")
    values = dict(zip(names, args, strict=True))

    def fill(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table and node.name in values:
            return exp.paren(values[node.name].copy(), copy=False)
        return node

    return exp.paren(_HAVERSINE.copy().transform(fill), copy=False)


_REACH = sqlglot.parse_one(
    "CAST(least(899e0, ceiling(1 / greatest(cos(radians(least(abs(dec) + 0.4e0, 90e0))), 1e-3)))"
    " AS bigint)",
    read="trino",
)


def _ra_cells_reached(args: list[exp.Expression]) -> exp.Expression:
    """How many 0.2 degree RA cells either side a 0.2 degree radius can reach at ``dec``
    (one near the equator, more towards the poles, at most half the circle)."""

    def fill(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table and node.name == "dec":
            return exp.paren(args[0].copy(), copy=False)
        return node

    return _REACH.copy().transform(fill)


MACROS: dict[str, tuple[int, Callable[[list[exp.Expression]], exp.Expression]]] = {
    "sky_distance_arcsec": (4, _sky_distance),
    "ra_cells_reached": (1, _ra_cells_reached),
}


def expand(tree: exp.Expression, where: str, line: int) -> exp.Expression:
    for call in list(tree.find_all(exp.Anonymous)):
        name = call.name.lower()
        if name not in MACROS:
            continue
        arity, build = MACROS[name]
        if len(call.expressions) != arity:
            raise QueryFileError(
                where, line, 1, f"{name} takes {arity} arguments, got {len(call.expressions)}"
            )
        replacement = build(list(call.expressions))
        if call is tree:
            return replacement
        call.replace(replacement)
    return tree
