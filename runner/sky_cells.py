"""Sky cells: how a cross-match joins positions on one key, with no Cartesian product.

A cell is a band of declination (a zone) times a span of right ascension, both
``Level.degrees`` wide, numbered by one BIGINT. A point lies in one cell; a
circle is copied to every cell its bounding box touches, an equality join finds
the (circle, point) pairs that share a cell, and the exact haversine decides.
Circles up to ``COARSE_ABOVE_DEG`` use 0.2 degree cells (a Swift burst's touches
one to four); wider ones (a Fermi GBM localisation, up to about 10 degrees) use
6 degree cells, so a 10-degree circle is a few dozen copies rather than ten
thousand. Keys of the two levels never coincide, so a query joins fine cells and
coarse cells separately (a point carries one key of each) and each pair is found
once. docs/queries.md ("Sky matching") explains the choices.

Query files reach these through the macros of runner/macros.py: ``sky_zone``,
``sky_ra_cell``, ``sky_cell_key``, ``sky_ra_cells`` and ``sky_cell`` (fine
cells), ``sky_coarse_cell`` (a point's coarse key), and the table macros
``sky_fine_cells(<cte>, <radius_deg column>)`` and ``sky_coarse_cells(...)``:
the rows of the CTE whose circle is that level's, each with the cells its
circle touches (a ``cell`` column). A query joins each on its own: the coarse
join's side of circles is then empty when no circle is wide, and DuckDB stops
that join without reading the points.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp


@dataclass(frozen=True)
class Level:
    degrees: str  # the side of a cell, as a Trino double literal
    ra_cells: int  # cells around a circle of RA: 360 / degrees
    offset: int  # added to every key, so that no two levels share one

    def zone(self, dec: str) -> str:
        return f"CAST(floor((({dec}) + 90) / {self.degrees}) AS bigint)"

    def ra_cell(self, ra: str) -> str:
        return f"CAST(floor(({ra}) / {self.degrees}) AS bigint)"

    def key(self, zone: str, ra_cell: str) -> str:
        """The key of a cell, its RA wrapped into [0, ra_cells)."""
        wrapped = f"mod({ra_cell} + {self.ra_cells}, {self.ra_cells})"
        return f"{self.offset} + {zone} * {self.ra_cells} + {wrapped}"

    def point_key(self, ra: str, dec: str) -> str:
        """The key of a position with RA in [0, 360): no wrap to pay for."""
        return f"({self.offset} + {self.zone(dec)} * {self.ra_cells} + {self.ra_cell(ra)})"


FINE = Level("0.2e0", 1800, 0)
COARSE = Level("6e0", 60, 10_000_000)  # above every fine key (< 901 * 1800)
COARSE_ABOVE_DEG = "1e0"  # circles wider than this go to coarse cells


def _parse(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read="trino")


def _filled(template: str, **args: exp.Expression) -> exp.Expression:
    """``template`` (Trino SQL over bare names) with each name replaced by an argument."""

    def fill(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table and node.name in args:
            return exp.paren(args[node.name].copy(), copy=False)
        return node

    return exp.paren(_parse(template).transform(fill), copy=False)


def sky_zone(args: list[exp.Expression]) -> exp.Expression:
    """The band of declination a position lies in (fine cells)."""
    return _filled(FINE.zone("dec"), dec=args[0])


def sky_ra_cell(args: list[exp.Expression]) -> exp.Expression:
    """The cell of right ascension, unwrapped: a box's edges may fall below 0 or past 1799."""
    return _filled(FINE.ra_cell("ra"), ra=args[0])


def sky_cell_key(args: list[exp.Expression]) -> exp.Expression:
    return _filled(FINE.key("zone", "ra_cell"), zone=args[0], ra_cell=args[1])


def sky_ra_cells(args: list[exp.Expression]) -> exp.Expression:
    return exp.Literal.number(FINE.ra_cells)


def sky_cell(args: list[exp.Expression]) -> exp.Expression:
    return _filled(FINE.point_key("ra", "dec"), ra=args[0], dec=args[1])


def sky_coarse_cell(args: list[exp.Expression]) -> exp.Expression:
    return _filled(COARSE.point_key("ra", "dec"), ra=args[0], dec=args[1])


def _level_cells(level: Level, source: str, radius: str, wide: bool) -> str:
    """The rows of ``source`` whose radius is (not) wide, each copied to its box's cells.

    The box's bounds are columns of a subquery, as docs/queries.md asks of an
    ``UNNEST(sequence(lo, hi))``: DuckDB runs it per distinct (lo, hi).
    """
    r = f"c.{radius}"
    reach = f"ra_reach_deg(c.dec, {r})"
    keep = f"{r} > {COARSE_ABOVE_DEG}" if wide else f"{r} <= {COARSE_ABOVE_DEG}"
    return f"""
        SELECT b.*, {level.key("z.sky_zone", "r.sky_ra_cell")} AS cell
        FROM (
            SELECT
                c.*,
                {level.zone(f"c.dec - {r}")} AS sky_zone_lo,
                {level.zone(f"c.dec + {r}")} AS sky_zone_hi,
                {level.ra_cell(f"c.ra - {reach}")} AS sky_ra_lo,
                {level.ra_cell(f"c.ra + {reach}")} AS sky_ra_hi
            FROM {source} AS c
            WHERE {keep}
        ) AS b
        CROSS JOIN UNNEST(sequence(b.sky_zone_lo, b.sky_zone_hi)) AS z(sky_zone)
        -- at most the cells of the whole circle of RA, each once
        CROSS JOIN UNNEST(sequence(
            b.sky_ra_lo, least(b.sky_ra_hi, b.sky_ra_lo + {level.ra_cells - 1})
        )) AS r(sky_ra_cell)"""


def _table_macro(level: Level, wide: bool) -> Callable[[list[exp.Expression]], exp.Expression]:
    def cells(args: list[exp.Expression]) -> exp.Expression:
        source, radius = args
        if not (isinstance(source, exp.Column) and isinstance(radius, exp.Column)):
            raise ValueError("takes a CTE's name and the name of its radius column (degrees)")
        return exp.Subquery(this=_parse(_level_cells(level, source.name, radius.name, wide)))

    return cells


sky_fine_cells = _table_macro(FINE, wide=False)  # circles up to COARSE_ABOVE_DEG
sky_coarse_cells = _table_macro(COARSE, wide=True)  # the wider ones


# DuckDB binds and plans a query's coarse-cell join even when no circle is wide,
# about 6 ms of a 30 ms follow-up over 10^5 pointings; a probe costs under 2 ms.
# An engine that plans cheaply next to its running time (Trino) runs the query whole.


def _coarse_reads(tree: exp.Expression) -> list[exp.Anonymous]:
    return [
        call
        for call in tree.find_all(exp.Anonymous)
        if call.name.lower() == "sky_coarse_cells" and isinstance(call.parent, exp.Table)
    ]


def _branch(call: exp.Anonymous) -> tuple[exp.Union, exp.Expression] | None:
    """The UNION ALL that reads ``call`` in one branch of its own, and that branch."""
    branch = call.find_ancestor(exp.Select)
    union = branch.parent if branch is not None else None
    if not isinstance(union, exp.Union) or union.args.get("distinct"):
        return None
    return union, branch


def without_coarse_cells(tree: exp.Expression) -> exp.Expression | None:
    """The query without its coarse-cell UNION ALL branches: its answer when no circle
    is wide (those branches then find nothing); None if it reads coarse cells otherwise
    or not at all."""
    tree = tree.copy()
    calls = _coarse_reads(tree)
    branches = [_branch(call) for call in calls]
    if not calls or any(b is None for b in branches):
        return None
    for union, branch in filter(None, branches):
        union.replace(union.expression if branch is union.this else union.this)
    return tree


def wide_circle_probe(tree: exp.Expression) -> exp.Expression | None:
    """One boolean: does any circle the query copies to coarse cells exist? Only the
    CTEs those circles come from are kept. None where ``without_coarse_cells`` is."""
    calls = _coarse_reads(tree)
    with_ = tree.args.get("with_")
    if not calls or with_ is None:
        return None
    ctes = {cte.alias_or_name: cte for cte in with_.expressions}
    wide, needed = [], set()
    for call in calls:
        source, radius = call.expressions
        if source.name not in ctes or _branch(call) is None:
            return None
        needed.add(source.name)
        wide.append(
            f"EXISTS (SELECT 1 FROM {source.name} AS c WHERE c.{radius.name} > {COARSE_ABOVE_DEG})"
        )
    for cte in reversed(with_.expressions):  # a CTE reads only those before it
        if cte.alias_or_name in needed:
            needed |= {t.name for t in cte.this.find_all(exp.Table) if not t.db and t.name in ctes}
    probe = _parse(f"SELECT {' OR '.join(wide)} AS wide")
    kept = [cte.copy() for cte in with_.expressions if cte.alias_or_name in needed]
    probe.set("with_", exp.With(expressions=kept))
    return probe
