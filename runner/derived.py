"""Derived parameters: values the runner computes in Python before binding.

A query header names them under ``derived:`` with the function and the
parameters it takes, e.g. the single HEALPix range covering a cone::

    -- derived:
    --   hpx_lo: {function: cone_hpx_lo, args: [ra, dec, radius_arcsec]}
    --   hpx_hi: {function: cone_hpx_hi, args: [ra, dec, radius_arcsec]}

or a runner macro writes them where it expands (``in_cone_cover``, which binds
the four ranges ``cone_hpx_lo1`` .. ``cone_hpx_hi4``, and ``target_key``, which
binds a name parameter's key), named by ``call_name``.
Each function has a declared SQL type, so the value binds like any parameter.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vastobs.sky import ORDER

if TYPE_CHECKING:  # numpy and the HEALPix core load when a cone is first computed
    import numpy as np

CONE_RANGES = 4
"""How many (lo, hi) index ranges a cone's cover is cut to (``cone_hpx_lo1`` .. ``hi4``).

A cone's cells are a few runs of consecutive nested indices, and a single
min..max range spans every cell between them: thousands of times the cone's
area on average, more than half the sky where the cone straddles the edge of
base cells. Up to four ranges of cells one order finer than the radius stay
within a few times the cone's area everywhere (docs/queries.md, "Cones").
"""
EMPTY_RANGE = (0, -1)
"""Pads a cover with fewer ranges: matches nothing, and DuckDB folds it away at planning."""


@dataclass(frozen=True)
class Derived:
    type: str
    compute: Callable[..., Any]


def _cone_depth(radius_deg: float) -> int:
    """The coarsest order whose cells are still at least as wide as the radius."""
    depth = ORDER
    while depth > 0 and math.degrees(math.sqrt(4 * math.pi / (12 * 4**depth))) < radius_deg:
        depth -= 1
    return depth


@functools.lru_cache(maxsize=256)
def _cone_cells(
    ra: float, dec: float, radius_arcsec: float, finer: int = 0
) -> tuple[np.ndarray, int]:
    """The cells overlapping the cone at ``finer`` orders below its depth, and that order."""
    import numpy as np

    from vastobs.healpix import cone_cells

    radius_deg = max(radius_arcsec, 1.0) / 3600
    depth = min(ORDER, _cone_depth(radius_deg) + finer)
    ipix = cone_cells(ra, dec, radius_deg, depth)
    cells = np.sort(np.asarray(ipix, dtype=np.int64))
    if cells.size:  # each once; np.unique would import numpy.ma (10 ms) in every run
        cells = cells[np.concatenate(([True], cells[1:] != cells[:-1]))]
    return cells, depth


def cone_hpx_lo(ra: float, dec: float, radius_arcsec: float) -> int:
    cells, depth = _cone_cells(ra, dec, radius_arcsec)
    return int(cells.min()) << (2 * (ORDER - depth))


def cone_hpx_hi(ra: float, dec: float, radius_arcsec: float) -> int:
    cells, depth = _cone_cells(ra, dec, radius_arcsec)
    return ((int(cells.max()) + 1) << (2 * (ORDER - depth))) - 1


@functools.lru_cache(maxsize=256)
def cone_ranges(ra: float, dec: float, radius_arcsec: float) -> tuple[tuple[int, int], ...]:
    """``CONE_RANGES`` inclusive order-14 ranges whose union covers the cone.

    Runs of consecutive cells become ranges. The smallest gap between two
    closes while there are too many ranges, or while it is no wider than the
    cells already covered: each range costs every row group a zone-map check
    and the planner some work, a gap that small at most doubles what is read.
    """
    import numpy as np

    cells, depth = _cone_cells(ra, dec, radius_arcsec, finer=1)
    shift = 2 * (ORDER - depth)
    breaks = np.flatnonzero(np.diff(cells) != 1) + 1
    runs = [[int(run[0]), int(run[-1])] for run in np.split(cells, breaks)]
    covered = len(cells)
    while len(runs) > 1:
        gaps = [runs[i + 1][0] - runs[i][1] - 1 for i in range(len(runs) - 1)]
        i = gaps.index(min(gaps))
        if len(runs) <= CONE_RANGES and gaps[i] > covered:
            break
        covered += gaps[i]
        runs[i][1] = runs.pop(i + 1)[1]
    ranges = [(lo << shift, ((hi + 1) << shift) - 1) for lo, hi in runs]
    return tuple(ranges + [EMPTY_RANGE] * (CONE_RANGES - len(ranges)))


def _cone_range_end(index: int, end: int) -> Callable[[float, float, float], int]:
    def compute(ra: float, dec: float, radius_arcsec: float) -> int:
        return cone_ranges(ra, dec, radius_arcsec)[index][end]

    return compute


def _target_key(name: str) -> str:
    """runner.target_names builds its tables when imported (~9 ms): only a name needs them."""
    from runner.target_names import name_key

    return name_key(name)


FUNCTIONS: dict[str, Derived] = {
    "cone_hpx_lo": Derived("integer", cone_hpx_lo),
    "cone_hpx_hi": Derived("integer", cone_hpx_hi),
    **{
        f"cone_hpx_{end}{i + 1}": Derived("integer", _cone_range_end(i, j))
        for i in range(CONE_RANGES)
        for j, end in enumerate(("lo", "hi"))
    },
    "target_key": Derived("varchar", _target_key),
}


def call_name(function: str, args: Sequence[str]) -> str:
    """The parameter name a macro gives the value ``function(*args)``: derived like a
    header's ``derived:`` entry, but declared where the macro is used."""
    return f"{function}({', '.join(args)})"


def parse_call(name: str) -> tuple[str, tuple[str, ...]] | None:
    """The function and arguments of a ``call_name``; None for any other name."""
    function, paren, rest = name.partition("(")
    if not paren or function not in FUNCTIONS or not rest.endswith(")"):
        return None
    return function, tuple(arg.strip() for arg in rest[:-1].split(",") if arg.strip())
