"""The two Swift row writers: swift.observations rows and swift.measurements points.

Producers (swift_burst_rows.py, swift_target_rows.py) hand over
per-observation and per-point arrays and the true rates, which each
instrument measures here; strings repeated per point (obs_id, target_name)
are Arrow ``take``s of the per-observation values, so no Python loop runs per
point.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from runner.datagen.cell import CellContext, string_ids
from runner.datagen.columns import repeat, strings
from runner.datagen.instruments import (
    BAT_BAND,
    UVOT_BANDS,
    XRT_BAND,
    bat_measure,
    uvot_measure,
    xrt_measure,
)

UVOT_MODES = ("0x30ed", "0x223f", "0x01ab", "0x9999", "0x308f")
SECOND = 1_000_000


def add_points(
    ctx: CellContext,
    obs_ids: pa.Array,
    names: pa.Array,
    instrument: str,
    obs: np.ndarray,
    mid_us: np.ndarray,
    exposure: np.ndarray,
    position: tuple[np.ndarray | float, np.ndarray | float, np.ndarray | float],
    true_rate: np.ndarray,
    uvot_band: np.ndarray | None = None,
) -> None:
    """One instrument's swift.measurements points, measured from their true rates.

    ``obs`` is each point's observation (an index into ``obs_ids``); the band
    column and the measurement follow from the instrument (``uvot_band``: each
    UVOT point's filter index). ``position`` is (ra, dec, error radius), per
    point or, as numbers, the same for every point.
    """
    n = len(obs)
    if not n:
        return
    if instrument == "UVOT":
        band = pa.array(UVOT_BANDS).take(pa.array(uvot_band))
        measured = uvot_measure(ctx.rng, true_rate, exposure, uvot_band)
    elif instrument == "XRT":
        band, measured = repeat(XRT_BAND, n), xrt_measure(ctx.rng, true_rate, exposure)
    elif instrument == "BAT":
        band, measured = repeat(BAT_BAND, n), bat_measure(ctx.rng, true_rate, exposure)
    else:
        raise ValueError(f"not a Swift instrument: {instrument!r}")
    ra, dec, err = (np.full(n, v) if np.ndim(v) == 0 else v for v in position)
    index = pa.array(obs, type=pa.int64())
    ctx.rows["swift.measurements"].add(
        obs_id=obs_ids.take(index),
        target_name=names.take(index),
        instrument=repeat(instrument, n),
        band=band,
        mid_time=mid_us,
        exposure_s=exposure,
        ra=ra,
        dec=dec,
        err_radius_arcsec=err,
        **measured,
    )


def add_observations(
    ctx: CellContext,
    target_id: np.ndarray,
    segment: np.ndarray,
    names: pa.Array,
    start: np.ndarray,
    end: np.ndarray,
    ra: np.ndarray,
    dec: np.ndarray,
    xrt_exp: np.ndarray,
    uvot_exp: np.ndarray,
    xrt_mode: list[str | None],
    trigger_id: np.ndarray,
) -> pa.Array:
    """The swift.observations rows; returns their obs_id strings."""
    n = len(target_id)
    obs_ids = pa.array(
        [f"{int(t):08d}{int(s):03d}" for t, s in zip(target_id, segment, strict=True)],
        type=pa.string(),
    )
    modes = ctx.rng.integers(0, len(UVOT_MODES), n)
    ctx.rows["swift.observations"].add(
        obs_id=obs_ids,
        target_id=string_ids(target_id, 8),
        segment=segment,
        target_name=names,
        start_time=start,
        end_time=end,
        ra=ra,
        dec=dec,
        roll_deg=ctx.rng.uniform(0, 360, n),
        xrt_exposure_s=xrt_exp,
        uvot_exposure_s=uvot_exp,
        bat_exposure_s=(end - start) / SECOND,
        xrt_mode=strings(xrt_mode),
        uvot_mode=strings(
            [UVOT_MODES[m] if u > 0 else None for m, u in zip(modes, uvot_exp, strict=True)]
        ),
        trigger_id=trigger_id,
    )
    return obs_ids


def sums(groups: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(groups, weights=values, minlength=n) if len(groups) else np.zeros(n)
