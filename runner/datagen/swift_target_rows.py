"""Swift rows of the cell's pointed targets: persistent sources and background targets.

- a persistent source (sources.py): observations over the years, denser
  after outbursts, each under one of the source's Swift name spellings, with
  BAT survey points for the hard, bright ones;
- a background target: one to a few observations (mean 2) of a steady source
  with XRT points and, for most, UVOT points (about 26 points a target).

Every point of an observation carries that observation's measured position
(truncated noise, sphere.py). Times inside an observation are stratified, so
(obs_id, instrument, band, mid_time) is unique by construction. Bursts are in
swift_burst_rows.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from runner.datagen import distributions as dist
from runner.datagen.cell import CellContext
from runner.datagen.columns import NULL_INT
from runner.datagen.config import END_US, START_US
from runner.datagen.instruments import UVOT_BANDS, stratified
from runner.datagen.sources import PERSISTENT, PersistentSource
from runner.datagen.sphere import SWIFT_CAP_ARCSEC, j_name
from runner.datagen.swift_writers import SECOND, add_observations, add_points, sums

# --- observations of one target, shared by persistent and background targets ----------


def _pointed(
    ctx: CellContext,
    target_id: np.ndarray,
    segment: np.ndarray,
    names: pa.Array,
    start: np.ndarray,
    duration_s: np.ndarray,
    true_ra: np.ndarray,
    true_dec: np.ndarray,
    xrt_rate: np.ndarray,
    uvot_rate: np.ndarray,
    n_xrt: np.ndarray,
    n_uvot: np.ndarray,
    bat_rate: np.ndarray | None,
    in_slots: bool = True,
) -> np.ndarray:
    """Observations (one per entry) pointing at true positions, with their points.

    ``xrt_rate``/``uvot_rate`` are each observation's true rates. Returns each
    observation's XRT + UVOT point count (what cross-matching sees).
    """
    rng, n = ctx.rng, len(start)
    end = start + (duration_s * SECOND).astype(np.int64)
    xrt_err = dist.xrt_err_arcsec(rng, n)
    noisy = ctx.noisy if in_slots else ctx.noisy_anywhere
    xra, xdec = noisy(true_ra, true_dec, xrt_err, SWIFT_CAP_ARCSEC)
    uvot_err = dist.uvot_err_arcsec(rng, n)
    ura, udec = noisy(true_ra, true_dec, uvot_err, SWIFT_CAP_ARCSEC)

    obs_x, frac_x = stratified(rng, n_xrt)
    exp_x = duration_s[obs_x] / n_xrt[obs_x] * rng.uniform(0.6, 0.95, len(obs_x))
    true_x = xrt_rate[obs_x] * rng.lognormal(0, 0.05, len(obs_x))
    obs_u, frac_u = stratified(rng, n_uvot)
    exp_u = duration_s[obs_u] / n_uvot[obs_u] * rng.uniform(0.5, 0.9, len(obs_u))
    band = rng.integers(0, len(UVOT_BANDS), len(obs_u))
    true_u = uvot_rate[obs_u] * rng.lognormal(0, 0.05, len(obs_u))

    trigger = np.full(n, NULL_INT)
    obs_ids = add_observations(
        ctx,
        target_id,
        segment,
        names,
        start,
        end,
        true_ra,
        true_dec,
        sums(obs_x, exp_x, n),
        sums(obs_u, exp_u, n),
        ["WT" if r > 1.0 else "PC" for r in xrt_rate],
        trigger,
    )

    for instrument, obs, frac, exposure, (ra, dec, err), true_rate in (
        ("XRT", obs_x, frac_x, exp_x, (xra, xdec, xrt_err), true_x),
        ("UVOT", obs_u, frac_u, exp_u, (ura, udec, uvot_err), true_u),
    ):
        mid = start[obs] + (frac * duration_s[obs] * SECOND).astype(np.int64)
        at = (ra[obs], dec[obs], err[obs])
        add_points(
            ctx, obs_ids, names, instrument, obs, mid, exposure, at, true_rate, uvot_band=band
        )
    if bat_rate is not None:
        # BAT's survey: one point an observation, at the true position, over its whole length
        exp_b = duration_s.astype(float)
        at = (true_ra, true_dec, dist.bat_err_arcsec(rng, n))
        mid = start + (duration_s * SECOND / 2).astype(np.int64)
        add_points(ctx, obs_ids, names, "BAT", np.arange(n), mid, exp_b, at, bat_rate)
    return n_xrt + n_uvot


# --- persistent sources ----------------------------------------------------------------


def persistent(ctx: CellContext, index: int) -> None:
    src = PERSISTENT[index]
    rng = ctx.rng
    n_obs = max(2 * len(src.swift_names), round(ctx.plan.points_per_persistent / 13))
    n_obs = min(n_obs, 999 * len(src.target_ids))
    start = np.sort(observation_times(rng, src, n_obs))
    order = rng.permutation(n_obs)
    names = pa.array([src.swift_names[j % len(src.swift_names)] for j in order], type=pa.string())
    seq = np.arange(n_obs)
    target_id = np.array([src.target_ids[j // 999] for j in seq], dtype=np.int64)
    segment = seq % 999 + 1
    duration = rng.uniform(500, 2500, n_obs)
    rate = src.xrt_rate(start) * rng.lognormal(0, src.variability, n_obs)
    optical = 3.0 * (rate / src.quiescent_rate) ** 0.3 if src.optical else np.zeros(n_obs)
    n_xrt = 1 + rng.poisson(9, n_obs)
    n_uvot = rng.poisson(3, n_obs) if src.optical else np.zeros(n_obs, np.int64)
    bat = 7.5e-5 * rate if src.bat_bright else None
    ones = np.ones(n_obs)
    counts = _pointed(
        ctx,
        target_id,
        segment,
        names,
        start,
        duration,
        ones * src.ra,
        ones * src.dec,
        rate,
        optical,
        n_xrt,
        n_uvot,
        bat,
        in_slots=False,
    )
    planted = ctx.swift_points.setdefault(("persistent", index), {})
    for name, count in zip(names.to_pylist(), counts.tolist(), strict=True):
        planted[name] = planted.get(name, 0) + count


def observation_times(rng: np.random.Generator, src: PersistentSource, n: int) -> np.ndarray:
    """Uniform over 2005-2025, with 60% clustered after outbursts when there are some."""
    uniform = rng.integers(START_US, END_US, n)
    epochs = src.epochs()
    if not epochs:
        return uniform
    which = np.asarray(epochs)[rng.integers(0, len(epochs), n)]
    days = rng.exponential(20.0, n) - 3.0
    near = which + (days * 86_400 * SECOND).astype(np.int64)
    t = np.where(rng.random(n) < 0.6, near, uniform)
    return np.clip(t, START_US, END_US - 1)


# --- background targets ----------------------------------------------------------------

PREFIXES = ("SWIFT", "1RXS", "2MASX", "XMMU", "SDSS", "WISEA")


@dataclass
class Targets:
    """The cell's background Swift targets, kept for Chandra's shared fields."""

    ids: np.ndarray
    names: list[str]
    ra: np.ndarray
    dec: np.ndarray
    points: np.ndarray  # XRT + UVOT points per target


def background(ctx: CellContext) -> Targets:
    rng, n = ctx.rng, int(ctx.plan.targets[ctx.cell])
    ids = ctx.plan.target_base[ctx.cell] + np.arange(n, dtype=np.int64)
    if not n:
        return Targets(ids, [], np.empty(0), np.empty(0), np.empty(0, np.int64))
    ra, dec = ctx.place(ctx.slots.take(n))
    prefix = rng.integers(0, len(PREFIXES), n)
    names = [j_name(PREFIXES[p], r, d) for p, r, d in zip(prefix, ra, dec, strict=True)]
    base = np.clip(rng.lognormal(np.log(0.05), 1.2, n), 1e-3, 50.0)
    optical = rng.random(n) < 0.6
    uv = rng.lognormal(np.log(3.0), 1.0, n)
    n_obs = np.minimum(rng.geometric(0.5, n), 999)
    owner = np.repeat(np.arange(n), n_obs)
    start = rng.integers(START_US, END_US, len(owner))
    order = np.lexsort((start, owner))
    owner, start = owner[order], start[order]
    first = np.concatenate([[0], np.cumsum(n_obs)[:-1]])
    segment = np.arange(len(owner)) - first[owner] + 1
    m = len(owner)
    rate = base[owner] * rng.lognormal(0, 0.4, m)
    with_uvot = optical[owner] & (rng.random(m) < 0.8)
    counts = _pointed(
        ctx,
        ids[owner],
        segment,
        pa.array(names, type=pa.string()).take(pa.array(owner)),
        start,
        rng.uniform(500, 3000, m),
        ra[owner],
        dec[owner],
        rate,
        uv[owner] * rng.lognormal(0, 0.2, m),
        1 + rng.poisson(9, m),
        np.where(with_uvot, 1 + rng.poisson(5, m), 0),
        None,
    )
    points = np.bincount(owner, weights=counts, minlength=n).astype(np.int64)
    return Targets(ids, names, ra, dec, points)
