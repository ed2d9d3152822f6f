"""The observed distributions the generator draws from, with their sources.

Figures are from ../shared/reference/ASTRO.md §2 (measured from the public
Swift GRB table: p10/p50/p90) unless a line says otherwise. A split log-normal
(one width below the median, another above) reproduces the three quantiles
exactly; clipping only trims the far tails.
"""

from __future__ import annotations

import numpy as np

Z90 = 1.2815515655446004  # the standard normal's 90th percentile

SHORT_FRACTION = 0.09  # T90 < 2 s: about 9% of BAT bursts
XRT_DETECTED = 1279 / (1279 + 242)  # XRT_detection Yes / (Yes + No), BAT catalogue
UVOT_DETECTED = 0.35  # of XRT-detected bursts (unconfirmed: UVOT finds roughly a third)
REDSHIFT_KNOWN = 488 / 1527  # bursts with a redshift in GRBlist_redshift_BAT.txt
TRIGGER_METHODS = ("rate", "image", "ground")
TRIGGER_WEIGHTS = np.array([1195, 234, 98]) / (1195 + 234 + 98)


def split_lognormal(
    rng: np.random.Generator, n: int, p10: float, p50: float, p90: float
) -> np.ndarray:
    z = rng.standard_normal(n)
    width = np.where(z < 0, np.log(p50 / p10), np.log(p90 / p50)) / Z90
    return p50 * np.exp(width * z)


def bat_err_arcsec(rng: np.random.Generator, n: int) -> np.ndarray:
    """BAT 90% error radius: 1.0 / 1.7 / 2.8 arcmin."""
    return np.clip(split_lognormal(rng, n, 1.0, 1.7, 2.8), 0.5, 8.0) * 60


def xrt_err_arcsec(rng: np.random.Generator, n: int) -> np.ndarray:
    """XRT 90% error radius: 1.4 / 1.6 / 3.4 arcsec."""
    return np.clip(split_lognormal(rng, n, 1.4, 1.6, 3.4), 1.0, 6.0)


def uvot_err_arcsec(rng: np.random.Generator, n: int) -> np.ndarray:
    """UVOT positions: below 1 arcsec (gcn.nasa.gov/missions/swift)."""
    return np.clip(rng.lognormal(np.log(0.5), 0.3, n), 0.2, 0.95)


def chandra_err_arcsec(rng: np.random.Generator, n: int) -> np.ndarray:
    """Chandra 90% radius about 1 arcsec (1.1 arcsec 2019-2024, celmon); 0.7 / 1.0 / 1.6."""
    return np.clip(split_lognormal(rng, n, 0.7, 1.0, 1.6), 0.3, 3.0)


def t90_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Two log-normal populations: 9% short (median 0.5 s), long (median 43 s, width 1.2),
    giving a median near 37 s, p90 near 170 s and about 9% under 2 s."""
    short = rng.random(n) < SHORT_FRACTION
    values = np.where(
        short, rng.lognormal(np.log(0.5), 0.8, n), rng.lognormal(np.log(43.0), 1.2, n)
    )
    return np.clip(values, 0.02, 2000.0)


def fluence_erg_cm2(rng: np.random.Generator, n: int) -> np.ndarray:
    """15-150 keV fluence: 1.7 / 12 / 83 x 1e-7 erg cm^-2."""
    return split_lognormal(rng, n, 1.7e-7, 1.2e-6, 8.3e-6)


def peak_flux(rng: np.random.Generator, n: int) -> np.ndarray:
    """1 s peak photon flux, ph cm^-2 s^-1 (median 1.5: unconfirmed)."""
    return np.clip(rng.lognormal(np.log(1.5), 1.0, n), 0.05, 300.0)


def photon_index(rng: np.random.Generator, short: np.ndarray) -> np.ndarray:
    """BAT photon index: short bursts are harder (means 1.3 and 1.6; unconfirmed)."""
    return np.clip(rng.normal(np.where(short, 1.3, 1.6), 0.35), 0.5, 3.2)


def pcode(rng: np.random.Generator, n: int) -> np.ndarray:
    """Partial coding fraction, median about 0.64."""
    return np.clip(rng.beta(2.0, 1.2, n), 0.1, 1.0)


def image_snr(rng: np.random.Generator, err_arcsec: np.ndarray) -> np.ndarray:
    """BAT image SNR, tied to the error radius (brighter means smaller): median 13
    at the median radius, so about a quarter of bursts fall below significance 0.9."""
    return np.clip(
        13.0 * (102.0 / err_arcsec) ** 1.3 * rng.lognormal(0, 0.15, len(err_arcsec)), 5.0, 400.0
    )


def significance(snr: np.ndarray) -> np.ndarray:
    """The DDL's definition: 1 - exp(-image_snr / 4)."""
    return 1.0 - np.exp(-snr / 4.0)


def redshift(rng: np.random.Generator, short: np.ndarray) -> np.ndarray:
    """NaN (unknown) for about two in three bursts; else log-normal (median 1.6 long, 0.5 short)."""
    z = rng.lognormal(np.where(short, np.log(0.5), np.log(1.6)), np.where(short, 0.6, 0.7))
    return np.where(rng.random(len(short)) < REDSHIFT_KNOWN, np.clip(z, 0.03, 9.4), np.nan)


def xrt_first_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Time from trigger to XRT's first point: median 111 s."""
    return np.clip(rng.lognormal(np.log(111.0), 0.6, n), 40.0, 5000.0)
