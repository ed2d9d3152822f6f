"""Derived parameters: values the runner computes in Python before binding.

A query header names them under ``derived:`` with the function and the
parameters it takes, e.g. the HEALPix range covering a cone::

    -- derived:
    --   cone_hpx_lo: {function: cone_hpx_lo, args: [ra, dec, radius_arcsec]}

Each function has a declared SQL type, so the value binds like any parameter.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import astropy.units as u
import cdshealpix
import numpy as np
from astropy.coordinates import Latitude, Longitude

from runner.sky import ORDER


@dataclass(frozen=True)
class Derived:
    type: str
    compute: Callable[..., Any]


@functools.lru_cache(maxsize=256)
def _cone_cells(ra: float, dec: float, radius_arcsec: float) -> tuple[np.ndarray, int]:
    """Cells at the coarsest order still finer than the cone, and that order's depth."""
    radius_deg = max(radius_arcsec, 1.0) / 3600
    depth = ORDER
    while depth > 0 and math.degrees(math.sqrt(4 * math.pi / (12 * 4**depth))) < radius_deg:
        depth -= 1
    ipix, _depth, _full = cdshealpix.nested.cone_search(
        Longitude(ra * u.deg), Latitude(dec * u.deg), radius_deg * u.deg, depth, flat=True
    )
    return np.asarray(ipix, dtype=np.int64), depth


def cone_hpx_lo(ra: float, dec: float, radius_arcsec: float) -> int:
    cells, depth = _cone_cells(ra, dec, radius_arcsec)
    return int(cells.min()) << (2 * (ORDER - depth))


def cone_hpx_hi(ra: float, dec: float, radius_arcsec: float) -> int:
    cells, depth = _cone_cells(ra, dec, radius_arcsec)
    return ((int(cells.max()) + 1) << (2 * (ORDER - depth))) - 1


FUNCTIONS: dict[str, Derived] = {
    "cone_hpx_lo": Derived("integer", cone_hpx_lo),
    "cone_hpx_hi": Derived("integer", cone_hpx_hi),
}
