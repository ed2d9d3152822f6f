"""Nested HEALPix from cdshealpix's compiled core, without the astropy its package loads.

cdshealpix is a Rust library (``cdshealpix.cdshealpix``, one extension module)
under a Python layer that takes astropy angles; importing the package imports
astropy, about 1.2 s, which a CLI that indexes one cone should not pay. The
core takes radians and numpy arrays, so this module loads it from its file on
its own and does what the Python layer did around it: the same wrapping of
longitudes (astropy's ``Longitude``), the same latitude check (``Latitude``)
and the same degree-to-radian scale, so the cells are the same bit for bit.
tests/test_healpix.py compares both over random positions and cones, for the
pinned cdshealpix.

The core is registered as ``cdshealpix.cdshealpix``, so a later ``import
cdshealpix`` (the demo-data generator's) reuses it instead of loading it twice.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

CORE = "cdshealpix.cdshealpix"
MAX_DEPTH = 29
_DEG_TO_RAD = math.pi / 180.0  # astropy's scale from deg to rad: pi / 180 * rad


@functools.cache
def core() -> ModuleType:
    """The compiled core: the package's own if loaded already, else from its file."""
    if CORE in sys.modules:
        return sys.modules[CORE]
    package = importlib.util.find_spec("cdshealpix")  # finds; runs no package code
    if package is None or not package.submodule_search_locations:
        raise ImportError("cdshealpix is not installed")
    folder = Path(next(iter(package.submodule_search_locations)))
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = folder / f"cdshealpix{suffix}"
        if path.is_file():
            break
    else:
        raise ImportError(f"cdshealpix's compiled core is not in {folder}")
    spec = importlib.util.spec_from_file_location(CORE, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[CORE] = module
    return module


def _longitude_rad(lon_deg: np.ndarray) -> np.ndarray:
    """Degrees wrapped into [0, 360) as astropy's ``Longitude`` does, then radians."""
    lon = np.array(lon_deg, dtype=np.float64)  # a copy: wrapped in place
    if ((lon < 0.0) | (lon >= 360.0)).any():
        lon -= ((lon - 0.0) // 360.0) * 360.0
        lon[lon >= 360.0] -= 360.0
        lon[lon < 0.0] += 360.0
    return lon * _DEG_TO_RAD


def _latitude_rad(lat_deg: np.ndarray) -> np.ndarray:
    """Radians of latitudes in [-90, 90] (NaN passes, as with astropy's ``Latitude``)."""
    lat = np.asarray(lat_deg, dtype=np.float64)
    if np.any(lat < -90.0) or np.any(lat > 90.0):
        raise ValueError("Latitude angle(s) must be within -90 deg <= angle <= 90 deg")
    return lat * _DEG_TO_RAD


def _check_depth(depth: int) -> None:
    if not 0 <= depth <= MAX_DEPTH:
        raise ValueError(f"HEALPix depth {depth} must be in [0, {MAX_DEPTH}]")


def lonlat_to_nested(lon_deg: np.ndarray, lat_deg: np.ndarray, depth: int) -> np.ndarray:
    """The nested cell at ``depth`` of each position (ICRS degrees), as uint64."""
    _check_depth(depth)
    lon = np.atleast_1d(_longitude_rad(lon_deg))
    lat = np.atleast_1d(_latitude_rad(lat_deg))
    if lon.shape != lat.shape:
        raise ValueError(f"lon and lat differ in shape: {lon.shape} and {lat.shape}")
    depths = np.full(lon.shape, depth, dtype=np.uint8)
    ipix = np.empty(lon.shape, dtype=np.uint64)
    dx = np.empty(lon.shape, dtype=np.float64)
    dy = np.empty(lon.shape, dtype=np.float64)
    core().lonlat_to_healpix(depths, lon, lat, ipix, dx, dy, np.uint16(0))
    return ipix


def cone_cells(
    lon_deg: float, lat_deg: float, radius_deg: float, depth: int, depth_delta: int = 2
) -> np.ndarray:
    """Every cell at ``depth`` that overlaps the cone (a few may only touch its
    bounding area: cdshealpix's approximate coverage), as uint64."""
    _check_depth(depth)
    lon = float(_longitude_rad(np.array([lon_deg]))[0])
    lat = float(_latitude_rad(np.array([lat_deg]))[0])
    ipix, _depths, _full = core().cone_search(
        np.uint8(depth),
        np.uint8(depth_delta),
        np.float64(lon),
        np.float64(lat),
        np.float64(radius_deg * _DEG_TO_RAD),
        True,  # flat: every cell at ``depth``, none merged into a coarser one
    )
    return np.asarray(ipix, dtype=np.uint64)
