"""SQL functions the runner expands on the sqlglot tree, identically for every engine.

``sky_distance_arcsec(ra1, dec1, ra2, dec2)`` is the haversine great-circle
distance in arcseconds between two ICRS positions in degrees. Neither engine
has it (Trino's ``great_circle_distance`` is in km on Earth, and DuckDB lacks
it), so query files call the macro and the runner writes it out once, here.
It is ``haversine_arcsec(sky_haversine(ra1, dec1, ra2, dec2))``, the same
arithmetic in two steps a query can put in two CTEs (docs/queries.md).
``ra_cells_reached(dec)`` is the RA reach of the 0.2 degree cell joins
(docs/queries.md, "Sky matching"); ``ra_reach_deg(dec, radius_deg)`` is the
RA half-width of a circle, for joins that copy each circle only to the cells
its bounding box touches. ``sky_mean_ra(ra, dec)`` and ``sky_mean_dec(ra, dec)``
are aggregates: the mean direction of a group of positions, so that a source
seen at RA 359.9999 and 0.0001 averages near 0, not at 180.
``sky_zone``, ``sky_ra_cell``, ``sky_cell``, ``sky_coarse_cell``,
``sky_cell_key``, ``sky_ra_cells`` and the tables ``sky_fine_cells(cte, radius_deg)``
and ``sky_coarse_cells(cte, radius_deg)`` are the sky cells every cross-match
joins on (runner/sky_cells.py).
``in_cone_cover(hpx, :ra, :dec, :radius_arcsec)`` is true for the HEALPix cells
of a cone's cover (a few times the cone, docs/queries.md "Cones"): range
predicates ``hpx BETWEEN lo AND hi`` an hpx-sorted table prunes on, whose bounds
the runner computes from the parameters before binding (runner/derived.py).
``target_key(name)`` is the key every spelling of a target name shares
(runner/target_names.py): written out as SQL for a column, and for a
``:param`` the value ``name_key`` computes in Python before binding.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp

from runner import sky_cells
from runner.derived import CONE_RANGES, call_name
from runner.target_names import AFTER_WORDS, BEFORE_WORDS, WORDS, WORDS_GUARD, Step
from vastobs.errors import SqlFileError

_HAVERSINE = sqlglot.parse_one(
    "power(sin(radians(dec2 - dec1) / 2), 2)"
    " + cos(radians(dec1)) * cos(radians(dec2)) * power(sin(radians(ra2 - ra1) / 2), 2)",
    read="trino",
)
# Rounding can take a haversine a few ulps above 1 (antipodes), where asin fails; a
# factor 1e-14 below 1 keeps it in range without a clamp (see _haversine_arcsec).
_ARCSEC = sqlglot.parse_one("3600 * degrees(2 * asin(sqrt(h * 0.99999999999999e0)))", read="trino")


def _fill(
    template: exp.Expression, names: tuple[str, ...], args: list[exp.Expression]
) -> exp.Expression:
    """The template with each of its bare columns ``names`` replaced by an argument."""
    values = dict(zip(names, args, strict=True))

    def fill(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table and node.name in values:
            return exp.paren(values[node.name].copy(), copy=False)
        return node

    return exp.paren(template.copy().transform(fill), copy=False)


def _sky_haversine(args: list[exp.Expression]) -> exp.Expression:
    """sin^2 of half the angle between two positions (the haversine of the angle)."""
    return _fill(_HAVERSINE, ("ra1", "dec1", "ra2", "dec2"), args)


def _haversine_arcsec(args: list[exp.Expression]) -> exp.Expression:
    """The angle in arcseconds whose haversine is the argument.

    Scaled rather than clamped: DuckDB's ``least`` ignores NULLs where Trino's
    returns NULL, so sqlglot writes a clamp for DuckDB as a CASE that evaluates
    its argument twice (4% of a cross-match). The factor shortens an angle d by
    1e-14 tan(d/2) radians: 2.4e-7 arcsec at 179 degrees, 0.04 arcsec at the antipode.
    """
    return _fill(_ARCSEC, ("h",), args)


def _sky_distance(args: list[exp.Expression]) -> exp.Expression:
    return _haversine_arcsec([_sky_haversine(args)])


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


_RA_REACH = sqlglot.parse_one(
    "CASE WHEN abs(at_dec) + radius_deg >= 89.99e0 THEN 180e0"
    " ELSE degrees(asin(sin(radians(radius_deg)) / cos(radians(at_dec)))) END",
    read="trino",
)


def _ra_reach_deg(args: list[exp.Expression]) -> exp.Expression:
    """How far in RA (degrees, either side) a circle of ``radius_deg`` around a point at
    ``dec`` reaches: asin(sin r / cos dec), exact for a spherical circle; 180 (every RA)
    when the circle comes within 0.01 degree of a pole. Below that, sin r / cos dec is at
    most cos(0.01 degree), 1.5e-8 under 1, far beyond rounding, so asin needs no clamp
    (a clamp is a CASE on DuckDB that evaluates the ratio twice: see _haversine_arcsec);
    above it, every RA is a superset of the circle's."""
    return _fill(_RA_REACH, ("at_dec", "radius_deg"), args)


# The mean of the unit vectors of a group of positions, as RA and Dec. ``avg(ra)``
# is wrong across RA 0/360; the vector mean has no seam (only the poles, where
# RA means nothing, make it ill-conditioned).
_X = "avg(cos(radians(dec)) * cos(radians(ra)))"
_Y = "avg(cos(radians(dec)) * sin(radians(ra)))"
_MEAN_RA = sqlglot.parse_one(f"mod(degrees(atan2({_Y}, {_X})) + 360e0, 360e0)", read="trino")
_MEAN_DEC = sqlglot.parse_one(
    f"degrees(atan2(avg(sin(radians(dec))), sqrt(power({_X}, 2) + power({_Y}, 2))))", read="trino"
)


def _sky_mean_ra(args: list[exp.Expression]) -> exp.Expression:
    return _fill(_MEAN_RA, ("ra", "dec"), args)


def _sky_mean_dec(args: list[exp.Expression]) -> exp.Expression:
    return _fill(_MEAN_DEC, ("ra", "dec"), args)


def _in_cone_cover(args: list[exp.Expression]) -> exp.Expression:
    """``(hpx BETWEEN :lo1 AND :hi1 OR ... :hi4)``, each bound a derived value.

    The cover is computed in Python (cdshealpix), so the cone is given as
    parameters; the bounds are bound as values, never written into the SQL, and
    DuckDB's zone maps and Trino's domains prune on the ranges.
    """
    hpx, *cone = args
    if not all(isinstance(arg, exp.Placeholder) and arg.name for arg in cone):
        raise ValueError("the cone's ra, dec and radius_arcsec must be :params")
    names = tuple(arg.name for arg in cone)
    ranges = [
        exp.Between(
            this=hpx.copy(),
            low=exp.Placeholder(this=call_name(f"cone_hpx_lo{i}", names)),
            high=exp.Placeholder(this=call_name(f"cone_hpx_hi{i}", names)),
        )
        for i in range(1, CONE_RANGES + 1)
    ]
    return exp.paren(exp.or_(*ranges, copy=False), copy=False)


def _key_steps(text: exp.Expression, steps: tuple[Step, ...]) -> exp.Expression:
    for step in steps:
        find, to = exp.Literal.string(step.find), exp.Literal.string(step.to)
        if step.op == "replace":
            text = exp.Replace(this=text, expression=find, replacement=to)
        elif step.op == "regexp":
            text = exp.RegexpReplace(this=text, expression=find, replacement=to)
        elif step.op == "upper":
            text = exp.Upper(this=text)
        else:  # pad: each word between two spaces
            space, two = exp.Literal.string(" "), exp.Literal.string("  ")
            spaced = exp.Replace(this=text, expression=space, replacement=two)
            text = exp.DPipe(this=exp.DPipe(this=space, expression=spaced), expression=space.copy())
    return text


def _target_key(args: list[exp.Expression]) -> exp.Expression:
    """The key of a target name (runner/target_names.py).

    A parameter's key is the derived value ``target_key(<param>)``, computed in
    Python and bound. A column's is the same steps as nested ``replace`` and
    ``regexp_replace`` calls, which sqlglot writes for each engine; the hundred-odd
    constellation and Greek-letter steps run only on names ``WORDS_GUARD`` matches.
    """
    (name,) = args
    if isinstance(name, exp.Placeholder):
        if not name.name:
            raise ValueError("the name must be a column or a :param")
        return exp.Placeholder(this=call_name("target_key", (name.name,)))
    words = exp.If(
        this=exp.RegexpLike(
            this=exp.Upper(this=name.copy()), expression=exp.Literal.string(WORDS_GUARD)
        ),
        true=_key_steps(_key_steps(name.copy(), BEFORE_WORDS), WORDS),
    )
    guarded = exp.Case(ifs=[words], default=_key_steps(name.copy(), BEFORE_WORDS))
    return exp.paren(_key_steps(guarded, AFTER_WORDS), copy=False)


MACROS: dict[str, tuple[int, Callable[[list[exp.Expression]], exp.Expression]]] = {
    "sky_distance_arcsec": (4, _sky_distance),
    "sky_haversine": (4, _sky_haversine),
    "haversine_arcsec": (1, _haversine_arcsec),
    "ra_cells_reached": (1, _ra_cells_reached),
    "ra_reach_deg": (2, _ra_reach_deg),
    "sky_mean_ra": (2, _sky_mean_ra),
    "sky_mean_dec": (2, _sky_mean_dec),
    "in_cone_cover": (4, _in_cone_cover),
    "sky_zone": (1, sky_cells.sky_zone),
    "sky_ra_cell": (1, sky_cells.sky_ra_cell),
    "sky_cell_key": (2, sky_cells.sky_cell_key),
    "sky_cell": (2, sky_cells.sky_cell),
    "sky_coarse_cell": (2, sky_cells.sky_coarse_cell),
    "sky_ra_cells": (0, sky_cells.sky_ra_cells),
    # tables: FROM sky_fine_cells(cte, radius_deg) AS t
    "sky_fine_cells": (2, sky_cells.sky_fine_cells),
    "sky_coarse_cells": (2, sky_cells.sky_coarse_cells),
    "target_key": (1, _target_key),
}


def expand(tree: exp.Expression, where: str, line: int) -> exp.Expression:
    # Innermost calls first: a macro copies its arguments, so a call nested in
    # another's arguments must be expanded before it is copied.
    for call in reversed(list(tree.find_all(exp.Anonymous))):
        name = call.name.lower()
        if name not in MACROS:
            continue
        arity, build = MACROS[name]
        if len(call.expressions) != arity:
            raise SqlFileError(
                where, line, 1, f"{name} takes {arity} arguments, got {len(call.expressions)}"
            )
        try:
            replacement = expand(build(list(call.expressions)), where, line)
        except ValueError as exc:
            raise SqlFileError(where, line, 1, f"{name}: {exc}") from exc
        if call is tree:
            return replacement
        if isinstance(call.parent, exp.Table):  # a table macro: the Table becomes a subquery
            table = call.parent
            replacement.set("alias", table.args.get("alias"))
            call = table
        call.replace(replacement)
    return tree
