"""How each Swift instrument measures a true rate: counts, errors, flux, quality columns.

XRT: Poisson counts over the live exposure, pile-up and bad-column
correction (``corr_fact``), fractional exposure (``frac_exp``), points
flagged ``incbad`` where the exposure is partial; UVOT: counts per filter,
flux through each filter's conversion; BAT: background-subtracted rates
with Gaussian noise, which can dip below zero (then no flux). Also the
stratified times that keep points inside an observation distinct.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from runner.datagen.columns import repeat

XRT_BAND, BAT_BAND = "0.3-10keV", "15-150keV"
UVOT_BANDS = ("UVW2", "UVM2", "UVW1", "U", "B", "V", "WHITE")
# erg cm^-2 s^-1 per count/s: flux density factor times filter width (Poole et al. 2008,
# approximate); WHITE is not calibrated, so its flux is NULL.
UVOT_ECF = np.array(
    [
        6.0e-16 * 657,
        7.5e-16 * 498,
        4.3e-16 * 693,
        1.6e-16 * 785,
        1.5e-16 * 975,
        2.6e-16 * 769,
        np.nan,
    ]
)
XRT_ECF = 3.5e-11  # erg cm^-2 per count, 0.3-10 keV, absorbed power law (unconfirmed)
BAT_ECF = 5.3e-7  # Crab: 2.4e-8 erg cm^-2 s^-1 at 0.045 counts/s/detector


def stratified(rng: np.random.Generator, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of ``counts`` points: the group of each point and its fraction in
    [0, 1), strictly increasing within a group (one point per equal slice)."""
    group = np.repeat(np.arange(len(counts)), counts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(len(group)) - first[group]
    return group, (rank + rng.uniform(0.05, 0.95, len(group))) / counts[group]


def xrt_measure(
    rng: np.random.Generator, true_rate: np.ndarray, exposure: np.ndarray
) -> dict[str, object]:
    n = len(true_rate)
    frac = np.where(rng.random(n) < 0.05, rng.uniform(0.3, 0.9, n), rng.uniform(0.95, 1.0, n))
    wt = true_rate > 1.0
    pile = np.where(
        wt, 1 + np.maximum(true_rate - 100, 0) / 100, 1 + np.maximum(true_rate - 0.6, 0) * 0.8
    )
    corr = pile * rng.uniform(1.0, 1.08, n)
    live = exposure * frac
    counts = rng.poisson(true_rate * live / corr)
    rate = counts * corr / live
    err = np.sqrt(np.maximum(counts, 1)) * corr / live
    bad = (frac < 0.9) | (rng.random(n) < 0.02)
    return {
        "rate": rate,
        "rate_error": err,
        "flux_erg_cm2_s": rate * XRT_ECF,
        "flux_error": err * XRT_ECF,
        "snr": rate / err,
        "frac_exp": frac,
        "corr_fact": corr,
        "quality": pa.array(np.where(bad, "incbad", "good").tolist(), type=pa.string()),
    }


def uvot_measure(
    rng: np.random.Generator, true_rate: np.ndarray, exposure: np.ndarray, band: np.ndarray
) -> dict[str, object]:
    counts = rng.poisson(true_rate * exposure)
    rate = counts / exposure
    err = np.sqrt(np.maximum(counts, 1)) / exposure
    ecf = UVOT_ECF[band]
    return {
        "rate": rate,
        "rate_error": err,
        "flux_erg_cm2_s": rate * ecf,
        "flux_error": err * ecf,
        "snr": rate / err,
        "quality": repeat("good", len(rate)),
    }


def bat_measure(
    rng: np.random.Generator, true_rate: np.ndarray, exposure: np.ndarray
) -> dict[str, object]:
    err = 0.002 * np.sqrt(1000.0 / exposure)
    rate = true_rate + rng.normal(0, err)
    flux = np.where(rate > 0, rate * BAT_ECF, np.nan)  # background-subtracted: may dip below 0
    return {
        "rate": rate,
        "rate_error": err,
        "flux_erg_cm2_s": flux,
        "flux_error": np.where(rate > 0, err * BAT_ECF, np.nan),
        "snr": rate / err,
        "quality": repeat("good", len(rate)),
    }
