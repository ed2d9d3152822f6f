"""vastobs.healpix (cdshealpix's core without astropy) against cdshealpix's public API.

The CLI indexes cones and rows through the core alone; the cells must be the
ones the package's astropy layer gives, bit for bit, or stored ``hpx`` values
and a cone's ranges would disagree at cell edges.
"""

from __future__ import annotations

import subprocess
import sys

import astropy.units as u
import cdshealpix
import numpy as np
import pytest
from astropy.coordinates import Latitude, Longitude

from devtools.toolchain import PROJECT_DIR
from vastobs.healpix import cone_cells, lonlat_to_nested
from vastobs.sky import ORDER, healpix14, healpix14_array


def _positions(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform on the sphere, plus the awkward ones: poles, RA 0/360, base-cell edges,
    out-of-range longitudes (wrapped), exact cell boundaries."""
    rng = np.random.default_rng(seed)
    ra = rng.uniform(0.0, 360.0, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    edges_ra = np.array(
        [0.0, 360.0, 359.9999999999, 45.0, 90.0, 135.0, -0.5, 720.25, -360.0, 1e-300]
    )
    edges_dec = np.array(
        [90.0, -90.0, 41.8103148957786, -41.8103148957786, 0.0, 89.9999, -1e-12, 30.0, 0.0, 12.5]
    )
    grid_ra = np.repeat(np.arange(0.0, 360.0, 360.0 / 64), 9)
    grid_dec = np.tile(np.linspace(-90.0, 90.0, 9), 64)
    return (np.concatenate([ra, edges_ra, grid_ra]), np.concatenate([dec, edges_dec, grid_dec]))


@pytest.mark.parametrize("depth", [0, 7, ORDER, 29])
def test_positions_index_to_the_packages_cells(depth: int) -> None:
    ra, dec = _positions(200_000, seed=depth)
    ours = lonlat_to_nested(ra, dec, depth)
    theirs = cdshealpix.nested.lonlat_to_healpix(
        Longitude(ra * u.deg), Latitude(dec * u.deg), depth
    )
    assert ours.dtype == np.uint64
    assert np.array_equal(ours, theirs)


def test_healpix14_is_the_order_14_cell() -> None:
    ra, dec = _positions(10_000, seed=1)
    theirs = cdshealpix.nested.lonlat_to_healpix(
        Longitude(ra * u.deg), Latitude(dec * u.deg), ORDER
    )
    assert np.array_equal(healpix14_array(ra, dec), theirs.astype(np.int64))
    assert healpix14(float(ra[5]), float(dec[5])) == int(theirs[5])


def test_cones_cover_the_packages_cells() -> None:
    rng = np.random.default_rng(7)
    for _ in range(400):
        ra = float(rng.uniform(-10.0, 370.0))
        dec = float(np.degrees(np.arcsin(rng.uniform(-1.0, 1.0))))
        radius_deg = float(10 ** rng.uniform(-4, 1))
        depth = int(rng.integers(0, ORDER + 1))
        ours = cone_cells(ra, dec, radius_deg, depth)
        theirs, _d, _f = cdshealpix.nested.cone_search(
            Longitude(ra * u.deg), Latitude(dec * u.deg), radius_deg * u.deg, depth, flat=True
        )
        assert np.array_equal(ours, np.asarray(theirs)), (ra, dec, radius_deg, depth)


def test_a_latitude_outside_the_sphere_is_refused_like_astropy_does() -> None:
    with pytest.raises(ValueError, match="Latitude"):
        lonlat_to_nested(np.array([10.0]), np.array([90.5]), ORDER)
    with pytest.raises(ValueError, match="Latitude"):
        cone_cells(10.0, -95.0, 0.1, 10)
    with pytest.raises(ValueError, match="depth"):
        cone_cells(10.0, 5.0, 0.1, 30)


def test_the_package_loaded_after_the_core_shares_it() -> None:
    """The core first (a cone in the CLI), the whole package later (the generator): one
    extension module, both answering, and no astropy until the package is imported."""
    probe = (
        "import sys, numpy as np\n"
        "from vastobs.sky import healpix14\n"
        "first = healpix14(10.0, 20.0)\n"
        "assert 'astropy' not in sys.modules and 'cdshealpix.nested' not in sys.modules\n"
        "import cdshealpix, astropy.units as u\n"
        "from astropy.coordinates import Latitude, Longitude\n"
        "from vastobs.healpix import core\n"
        "assert cdshealpix.nested.healpix.cdshealpix is core()\n"
        "again = cdshealpix.nested.lonlat_to_healpix(Longitude([10.0] * u.deg), "
        "Latitude([20.0] * u.deg), 14)\n"
        "print(first, int(again[0]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=PROJECT_DIR
    )
    first, again = out.stdout.split()
    assert first == again
