"""Sky indexing: nested HEALPix at order 14 (about 13 arcsec cells), as ARCHITECTURE §2a fixes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy and the HEALPix core load on first use: ORDER alone costs nothing
    import numpy as np

ORDER = 14


def healpix14_array(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """The order-14 cell of each position (ICRS degrees): cdshealpix's core, no astropy."""
    import numpy as np

    from vastobs.healpix import lonlat_to_nested

    return np.asarray(lonlat_to_nested(ra, dec, ORDER), dtype=np.int64)


def healpix14(ra: float, dec: float) -> int:
    import numpy as np

    return int(healpix14_array(np.array([ra]), np.array([dec]))[0])
