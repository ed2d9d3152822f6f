"""Sky indexing: nested HEALPix at order 14 (about 13 arcsec cells), as ARCHITECTURE §2a fixes."""

from __future__ import annotations

import numpy as np

ORDER = 14


def healpix14_array(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    # Here, not at module import: cdshealpix loads astropy (~1.2 s), which the
    # runner's commands that index no position should not pay.
    import astropy.units as u
    import cdshealpix
    from astropy.coordinates import Latitude, Longitude

    return np.asarray(
        cdshealpix.nested.lonlat_to_healpix(
            Longitude(np.asarray(ra, dtype=float) * u.deg),
            Latitude(np.asarray(dec, dtype=float) * u.deg),
            ORDER,
        ),
        dtype=np.int64,
    )


def healpix14(ra: float, dec: float) -> int:
    return int(healpix14_array(np.array([ra]), np.array([dec]))[0])
