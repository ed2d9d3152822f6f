"""Positions: sky slots, coarse cells, truncated position noise, IAU-style names.

Slots make the planted truth exact. Every point-like object the generator
places (a Swift target, a Chandra source, a burst's afterglow) takes its own
order-11 HEALPix pixel (a "slot", 103 arcsec) and sits in the slot's core
(pixel coordinates 0.45-0.55: at most 11 arcsec from the centre, measured on
2e6 slots). Centres of neighbouring order-11 pixels are at least 0.80 pixel
sizes (82 arcsec) apart, measured over the whole sphere, so two different
objects are always about 60 arcsec apart or more: far beyond any source match
radius of the analytics (a few arcsec), so objects the generator did not
plant as one never match by chance, at any size. Persistent sources sit at
their real positions instead; their slot and its neighbours are kept free.

Cells make the output sorted without a global sort: the nested index of a
position at order 14 lies in ``[c * 4^(14-k), (c + 1) * 4^(14-k))`` for its
order-k cell ``c``, so rows generated cell after cell, each cell sorted, are
sorted as a whole. Every row of an object stays in the object's cell: an
object in a slot's core is tens of arcsec inside the slot, far more than its
noise (at most 1.1 arcsec), and noise around other positions (BAT circles,
persistent sources) is drawn again where it would cross the cell's edge.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import astropy.units as u
import cdshealpix
import numpy as np

from vastobs.sky import ORDER, healpix14_array

SLOT_ORDER = 11
FINE_ORDER = 20  # positions inside a slot: centres of order-20 pixels (0.2 arcsec)
_FINE = 1 << (FINE_ORDER - SLOT_ORDER)  # 512 fine pixels along each side of a slot
_CORE = (int(0.45 * _FINE), int(0.55 * _FINE))  # the slot's central tenth, per side
SIGMA_PER_R90 = 1 / math.sqrt(2 * math.log(10))  # a 2-D Gaussian holds 90% within 2.146 sigma
ARCSEC = 1 / 3600
# Measured positions stay this close to the truth (the noise is truncated): a
# Swift position and a Chandra one of the same object are then within 1.9
# arcsec, inside the cross-match's 2 arcsec floor, so every planted match is found.
SWIFT_CAP_ARCSEC = 1.1
CHANDRA_CAP_ARCSEC = 0.8


def cells_of(hpx: np.ndarray, cell_order: int) -> np.ndarray:
    return np.asarray(hpx, dtype=np.int64) >> (2 * (ORDER - cell_order))


def slot_cells(slots: np.ndarray, cell_order: int) -> np.ndarray:
    return np.asarray(slots, dtype=np.int64) >> (2 * (SLOT_ORDER - cell_order))


def slots_of(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    return healpix14_array(ra, dec) >> (2 * (ORDER - SLOT_ORDER))


def slot_range(cell: int, cell_order: int) -> tuple[int, int]:
    width = 4 ** (SLOT_ORDER - cell_order)
    return cell * width, (cell + 1) * width


def slot_neighbourhood(slot: int) -> set[int]:
    """The slot and its (up to) eight neighbours."""
    near = cdshealpix.nested.neighbours(np.array([slot], dtype=np.uint64), SLOT_ORDER)
    return {int(s) for s in near.ravel() if s >= 0}


def slots_in_cone(ra: float, dec: float, radius_arcsec: float) -> np.ndarray:
    ipix, _depth, _full = cdshealpix.nested.cone_search(
        ra * u.deg, dec * u.deg, radius_arcsec * u.arcsec, SLOT_ORDER, flat=True
    )
    return np.unique(np.asarray(ipix, dtype=np.int64))


def offset(
    ra: np.ndarray, dec: np.ndarray, r_arcsec: np.ndarray, angle: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The exact position ``r_arcsec`` from (ra, dec) towards position angle ``angle``
    (radians east of north): valid at the poles and across RA 0/360."""
    d0, r = np.radians(dec), np.radians(np.asarray(r_arcsec) * ARCSEC)
    sin_d = np.sin(d0) * np.cos(r) + np.cos(d0) * np.sin(r) * np.cos(angle)
    d1 = np.arcsin(np.clip(sin_d, -1.0, 1.0))
    dra = np.arctan2(np.sin(angle) * np.sin(r) * np.cos(d0), np.cos(r) - np.sin(d0) * sin_d)
    new_ra = np.mod(np.asarray(ra) + np.degrees(dra), 360.0)
    new_ra = np.where(new_ra >= 360.0, new_ra - 360.0, new_ra)
    return new_ra, np.clip(np.degrees(d1), -90.0, 90.0)


def truncated_radii(rng: np.random.Generator, r90: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Radii of a 2-D Gaussian whose 90% radius is ``r90``, truncated below ``cap``.

    Drawn by inverting the truncated Rayleigh CDF, so no loop. Truncation is what
    keeps every planted match inside the analytics' match radius (docs/data.md).
    """
    sigma = np.asarray(r90, dtype=float) * SIGMA_PER_R90
    cap = np.broadcast_to(np.asarray(cap, dtype=float), sigma.shape)
    mass = -np.expm1(-(cap**2) / (2 * sigma**2))  # probability inside the cap
    u = rng.random(sigma.shape)
    return sigma * np.sqrt(-2 * np.log1p(-u * mass))


def scatter(
    rng: np.random.Generator, ra: np.ndarray, dec: np.ndarray, r90: np.ndarray, cap: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Measured positions: the true ones plus truncated Gaussian noise."""
    n = np.shape(ra)
    radii = truncated_radii(rng, np.broadcast_to(r90, n), cap)
    return offset(ra, dec, radii, rng.uniform(0, 2 * np.pi, n))


def _interleave(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Morton code: the nested index of (x, y) inside a pixel, bits of x and y alternating."""
    code = np.zeros(np.shape(x), dtype=np.int64)
    for bit in range(FINE_ORDER - SLOT_ORDER):
        code |= ((x >> bit) & 1) << (2 * bit)
        code |= ((y >> bit) & 1) << (2 * bit + 1)
    return code


def place(rng: np.random.Generator, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True positions for objects in these slots: uniform over each slot's central tenth."""
    slots = np.asarray(slots, dtype=np.int64)
    x = rng.integers(*_CORE, len(slots))
    y = rng.integers(*_CORE, len(slots))
    fine = (slots << (2 * (FINE_ORDER - SLOT_ORDER))) | _interleave(x, y)
    lon, lat = cdshealpix.nested.healpix_to_lonlat(fine.astype(np.uint64), FINE_ORDER)
    return np.asarray(lon.to_value(u.deg), dtype=float), np.asarray(lat.to_value(u.deg))


def in_cells(
    cells: np.ndarray | int,
    cell_order: int,
    n: int,
    draw: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """Positions from ``draw(indices)``, drawn again where one leaves its cell."""
    want = np.broadcast_to(np.asarray(cells, dtype=np.int64), (n,))
    ra, dec = np.empty(n), np.empty(n)
    todo = np.arange(n)
    for _ in range(1000):
        if not todo.size:
            return ra, dec
        r, d = draw(todo)
        ok = cells_of(healpix14_array(r, d), cell_order) == want[todo]
        ra[todo[ok]], dec[todo[ok]] = r[ok], d[ok]
        todo = todo[~ok]
    raise RuntimeError("position noise keeps leaving its sky cell")  # pragma: no cover


def separation_deg(
    ra1: np.ndarray, dec1: np.ndarray, ra2: np.ndarray, dec2: np.ndarray
) -> np.ndarray:
    """Great-circle distance (haversine), for the generator's own conflict checks."""
    a1, d1, a2, d2 = (np.radians(np.asarray(x, dtype=float)) for x in (ra1, dec1, ra2, dec2))
    h = np.sin((d2 - d1) / 2) ** 2 + np.cos(d1) * np.cos(d2) * np.sin((a2 - a1) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.minimum(1.0, h))))


def j_name(prefix: str, ra: float, dec: float) -> str:
    """An IAU-style name, coordinates truncated: ``2CXO J202403.8+335201``."""
    tenths = math.floor(ra / 15 * 36000 + 1e-9)  # tenths of a second of time
    hh, rest = divmod(tenths, 36000)
    mm, ss = divmod(rest, 600)
    arcsec = math.floor(abs(dec) * 3600 + 1e-9)
    dd, rest = divmod(arcsec, 3600)
    dm, ds = divmod(rest, 60)
    sign = "-" if dec < 0 else "+"
    return f"{prefix} J{hh % 24:02d}{mm:02d}{ss // 10:02d}.{ss % 10}{sign}{dd:02d}{dm:02d}{ds:02d}"
