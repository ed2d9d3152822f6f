"""A burst's Swift rows: the swift.bursts row, its observations and its light curve.

BAT points over the prompt emission (segment 000, at the BAT position, a
fast-rise exponential-decay pulse lasting about T90); when XRT saw the burst,
a power-law afterglow (slope about 1.2) from the first pointing (median 111 s)
to days later, one segment per day, at the XRT position; UVOT points for about
a third of those. Points per burst follow ``GeneratorConfig.points_per_burst``.
"""

from __future__ import annotations

import numpy as np

from runner.datagen import distributions as dist
from runner.datagen.cell import CellContext
from runner.datagen.columns import repeat, strings
from runner.datagen.instruments import UVOT_BANDS, stratified
from runner.datagen.swift_writers import SECOND, add_observations, add_points, sums


def bursts(ctx: CellContext, idx: np.ndarray) -> None:
    """The cell's bursts: swift.bursts rows and their light curves."""
    if not idx.size:
        return
    c = ctx.catalog
    ctx.rows["swift.bursts"].add(
        trigger_id=c.trigger_id[idx],
        grb_name=strings([c.grb_name[i] for i in idx]),
        trigger_time=c.time_us[idx],
        ra=c.bat_ra[idx],
        dec=c.bat_dec[idx],
        err_radius_arcsec=c.bat_err[idx],
        t90_seconds=c.t90[idx],
        fluence_erg_cm2=c.fluence[idx],
        peak_flux_ph_cm2_s=c.peak_flux[idx],
        photon_index=c.photon_index[idx],
        image_snr=c.image_snr[idx],
        pcode=c.pcode[idx],
        trigger_method=strings([c.trigger_method[i] for i in idx]),
        significance=c.significance[idx],
        xrt_detected=c.xrt_detected[idx],
        redshift=c.redshift[idx],
    )
    for i in idx.tolist():
        _burst_light_curve(ctx, i)


def _burst_light_curve(ctx: CellContext, i: int) -> None:
    rng, c, mean = ctx.rng, ctx.catalog, ctx.plan.points_per_burst
    t0, name = int(c.time_us[i]), c.grb_name[i]
    # BAT: the prompt pulse, fast rise and exponential decay, in segment 000
    n_bat = max(1, int(rng.poisson(0.2 * mean)))
    span = max(2.0, 1.5 * float(c.t90[i]))
    _, frac = stratified(rng, np.array([n_bat]))
    t_bat = frac * span
    peak_t = 0.2 * float(c.t90[i])
    shape = np.where(
        t_bat < peak_t,
        np.exp((t_bat - peak_t) / max(peak_t, 0.05)),
        np.exp(-(t_bat - peak_t) / max(0.3 * float(c.t90[i]), 0.1)),
    )
    bat_exp = np.full(n_bat, span / n_bat)
    bat_true = 0.08 * float(c.peak_flux[i]) * shape
    # XRT: a decaying power law from the first pointing to days later
    n_xrt = max(2, int(rng.poisson(0.65 * mean))) if c.xrt_detected[i] else 0
    first = float(dist.xrt_first_seconds(rng, 1)[0])
    last = float(np.clip(rng.lognormal(np.log(3e5), 0.7), 2e4, 2e6))
    _, frac = stratified(rng, np.array([n_xrt]))
    t_xrt = first * (last / first) ** frac
    norm, slope = rng.lognormal(0.0, 1.0), rng.normal(1.2, 0.2)
    xrt_true = norm * (t_xrt / 1000.0) ** -slope
    xrt_exp = np.clip(0.3 * t_xrt, 5.0, 1500.0)
    # UVOT: fewer points, fading more slowly
    n_uvot = max(1, int(rng.poisson(0.15 * mean))) if c.uvot_detected[i] else 0
    _, frac = stratified(rng, np.array([n_uvot]))
    t_uvot = (first + 30) * (min(last, 2e5) / (first + 30)) ** frac
    band = rng.integers(0, len(UVOT_BANDS), n_uvot)
    uvot_true = rng.lognormal(np.log(20.0), 1.0) * (t_uvot / 1000.0) ** -0.9
    uvot_exp = np.clip(0.2 * t_uvot, 10.0, 900.0)

    seg_xrt = np.minimum(t_xrt // 86400, 998).astype(np.int64)
    seg_uvot = np.minimum(t_uvot // 86400, 998).astype(np.int64)
    segments = np.unique(np.concatenate([[0], seg_xrt, seg_uvot]))
    pos = {int(s): j for j, s in enumerate(segments)}
    n_obs = len(segments)
    all_t = np.concatenate([t_bat, t_xrt, t_uvot])
    all_e = np.concatenate([bat_exp, xrt_exp, uvot_exp])
    all_seg = np.concatenate([np.zeros(n_bat, np.int64), seg_xrt, seg_uvot])
    group = np.array([pos[int(s)] for s in all_seg], dtype=np.int64)
    lo = np.full(n_obs, np.inf)
    hi = np.full(n_obs, -np.inf)
    np.minimum.at(lo, group, all_t - all_e / 2)
    np.maximum.at(hi, group, all_t + all_e / 2)
    lo[0] = 0.0
    start = t0 + (np.maximum(lo, 0.0) * SECOND).astype(np.int64)
    end = t0 + (hi * SECOND).astype(np.int64) + SECOND
    xrt_pos = (c.xrt_ra[i], c.xrt_dec[i]) if c.xrt_detected[i] else (c.bat_ra[i], c.bat_dec[i])
    ra = np.where(segments == 0, c.bat_ra[i], xrt_pos[0])
    dec = np.where(segments == 0, c.bat_dec[i], xrt_pos[1])
    obs_xrt, obs_uvot = group[n_bat : n_bat + n_xrt], group[n_bat + n_xrt :]
    names = repeat(name, n_obs)
    obs_ids = add_observations(
        ctx,
        np.full(n_obs, c.trigger_id[i]),
        segments,
        names,
        start,
        end,
        ra,
        dec,
        sums(obs_xrt, xrt_exp, n_obs),
        sums(obs_uvot, uvot_exp, n_obs),
        ["WT" if s == 0 and n_xrt else "PC" for s in segments],
        np.full(n_obs, c.trigger_id[i]),
    )

    bat_at = (c.bat_ra[i], c.bat_dec[i], c.bat_err[i])
    xrt_at = (c.xrt_ra[i], c.xrt_dec[i], c.xrt_err[i])
    uvot_at = (c.uvot_ra[i], c.uvot_dec[i], c.uvot_err[i])
    for instrument, obs, t, exposure, at, true_rate in (
        ("BAT", np.zeros(n_bat, np.int64), t_bat, bat_exp, bat_at, bat_true),
        ("XRT", obs_xrt, t_xrt, xrt_exp, xrt_at, xrt_true),
        ("UVOT", obs_uvot, t_uvot, uvot_exp, uvot_at, uvot_true),
    ):
        mid = t0 + (t * SECOND).astype(np.int64)
        add_points(
            ctx, obs_ids, names, instrument, obs, mid, exposure, at, true_rate, uvot_band=band
        )
    if n_xrt + n_uvot:
        ctx.swift_points[("afterglow", i)] = {name: n_xrt + n_uvot}
