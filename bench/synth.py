"""Plain synthetic tables for the scale scenarios the realistic generator does not shape:
10^5 transients against 10^7 follow-up pointings, and 10^6 x 10^6 cross-matches.

Columns follow the DDL exactly (the loader's checks apply); positions are
uniform on the sphere; a known fraction of rows is planted as true pairs so
the answers can be counted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from infra.ddl import TableDef
from runner.sky import healpix14_array

EPOCH = np.datetime64("2005-01-01T00:00:00", "us")
SPAN_US = int(20 * 365.25 * 86400 * 1e6)


def sphere(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    ra = rng.uniform(0, 360, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    return ra, dec


def nudge(
    rng: np.random.Generator, ra: np.ndarray, dec: np.ndarray, arcsec: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points within ``arcsec`` of the given ones (small-angle, pole-safe enough for tests)."""
    d = rng.uniform(0, arcsec, len(ra)) / 3600
    angle = rng.uniform(0, 2 * np.pi, len(ra))
    new_dec = np.clip(dec + d * np.sin(angle), -89.999, 89.999)
    new_ra = (ra + d * np.cos(angle) / np.cos(np.radians(new_dec))) % 360
    return new_ra, new_dec


def write(table: TableDef, columns: dict[str, np.ndarray | pa.Array], path: Path) -> Path:
    """Rows sorted by the table's sorted_by, as the loader leaves them."""
    n = len(next(iter(columns.values())))
    full = {c.name: columns.get(c.name, pa.nulls(n, c.arrow_type)) for c in table.columns}
    data = pa.table(full).cast(table.arrow_schema())
    data = data.sort_by([(k, "ascending") for k in table.sorted_by])
    pq.write_table(data, path, row_group_size=122_880)
    return path


def bursts_and_pointings(
    bursts_t: TableDef, obs_t: TableDef, n_bursts: int, n_obs: int, out: Path, seed: int = 7
) -> tuple[Path, Path, int]:
    """``n_bursts`` bursts; ``n_obs`` Chandra pointings of which a third follow a burst."""
    rng = np.random.default_rng(seed)
    ra, dec = sphere(rng, n_bursts)
    t = EPOCH + rng.integers(0, SPAN_US, n_bursts).astype("timedelta64[us]")
    err = rng.lognormal(np.log(102), 0.35, n_bursts)
    bursts = write(bursts_t, {
        "trigger_id": np.arange(1, n_bursts + 1), "grb_name": pa.array([f"GRB B{i}" for i in range(n_bursts)]),
        "trigger_time": t, "ra": ra, "dec": dec, "err_radius_arcsec": err,
        "hpx": healpix14_array(ra, dec), "significance": rng.uniform(0.8, 1.0, n_bursts),
    }, out / "swift.bursts.parquet")  # fmt: skip
    n_follow = min(n_obs // 3, n_bursts)
    pick = rng.choice(n_bursts, n_follow, replace=False)
    fra, fdec = nudge(rng, ra[pick], dec[pick], 20)
    ft = t[pick] + rng.integers(int(0.5 * 86400e6), int(7 * 86400e6), n_follow).astype(
        "timedelta64[us]"
    )
    ora, odec = sphere(rng, n_obs - n_follow)
    ot = EPOCH + rng.integers(0, SPAN_US, n_obs - n_follow).astype("timedelta64[us]")
    all_ra, all_dec = np.concatenate([fra, ora]), np.concatenate([fdec, odec])
    n = n_obs
    pointings = write(obs_t, {
        "obsid": np.arange(1, n + 1), "target_name": pa.array(["T"] * n), "ra": all_ra, "dec": all_dec,
        "hpx": healpix14_array(all_ra, all_dec), "instrument": pa.array(["ACIS-S"] * n),
        "grating": pa.array(["NONE"] * n), "obs_type": pa.array(["TOO"] * n), "status": pa.array(["archived"] * n),
        "start_time": np.concatenate([ft, ot]), "exposure_s": np.full(n, 20000.0),
    }, out / "chandra.observations.parquet")  # fmt: skip
    return bursts, pointings, n_follow


def sources(
    meas_t: TableDef, det_t: TableDef, n: int, out: Path, seed: int = 11
) -> tuple[Path, Path, int]:
    """``n`` Swift XRT targets and ``n`` Chandra sources; a tenth are the same objects."""
    rng = np.random.default_rng(seed)
    ra, dec = sphere(rng, n)
    shared = n // 10
    cra, cdec = sphere(rng, n)
    cra[:shared], cdec[:shared] = nudge(rng, ra[:shared], dec[:shared], 1.0)
    t = EPOCH + rng.integers(0, SPAN_US, n).astype("timedelta64[us]")
    names = pa.array([f"S{i}" for i in range(n)])
    meas = write(meas_t, {
        "obs_id": names, "target_name": names, "instrument": pa.array(["XRT"] * n), "band": pa.array(["0.3-10keV"] * n),
        "mid_time": t, "exposure_s": np.full(n, 100.0), "ra": ra, "dec": dec, "err_radius_arcsec": np.full(n, 1.6),
        "hpx": healpix14_array(ra, dec), "rate": np.ones(n), "rate_error": np.full(n, 0.1), "quality": pa.array(["good"] * n),
    }, out / "swift.measurements.parquet")  # fmt: skip
    det = write(det_t, {
        "obsid": np.arange(n), "source_number": np.zeros(n, dtype=np.int32), "source_name": pa.array([f"C{i}" for i in range(n)]),
        "mid_time": t, "ra": cra, "dec": cdec, "err_radius_arcsec": np.full(n, 1.0), "hpx": healpix14_array(cra, cdec),
        "band": pa.array(["broad"] * n), "rate": np.ones(n), "rate_error": np.full(n, 0.1),
        "flux_erg_cm2_s": np.full(n, 1e-12), "flux_error": np.full(n, 1e-13), "significance": np.full(n, 10.0),
        "pileup_flag": np.zeros(n, bool), "extent_flag": np.zeros(n, bool), "var_flag": np.zeros(n, bool),
        "streak_src_flag": np.zeros(n, bool),
    }, out / "chandra.detections.parquet")  # fmt: skip
    return meas, det, shared


def points(meas_t: TableDef, det_t: TableDef, n: int, out: Path, seed: int = 3) -> dict[str, Path]:
    """``n`` Swift measurements and ``n // 10`` Chandra detections over the sky and 20
    years, plus a planted light curve at V404 Cygni: 200 Swift points, 20 Chandra."""
    rng = np.random.default_rng(seed)
    v404 = (306.0159, 33.8672)
    k, kc = 200, 20
    ra, dec = sphere(rng, n - k)
    vra, vdec = nudge(rng, np.full(k, v404[0]), np.full(k, v404[1]), 1.0)
    ra, dec = np.concatenate([ra, vra]), np.concatenate([dec, vdec])
    t = EPOCH + rng.integers(0, SPAN_US, n).astype("timedelta64[us]")
    names = pa.array([f"S{i % 100000}" for i in range(n - k)] + ["V404CYG"] * k)
    inst = pa.array(np.where(rng.random(n) < 0.7, "XRT", "UVOT").tolist())
    meas = write(meas_t, {
        "obs_id": names, "target_name": names, "instrument": inst, "band": pa.array(["0.3-10keV"] * n),
        "mid_time": t, "exposure_s": np.full(n, 100.0), "ra": ra, "dec": dec, "err_radius_arcsec": np.full(n, 1.6),
        "hpx": healpix14_array(ra, dec), "rate": rng.lognormal(0, 1, n), "rate_error": np.full(n, 0.1),
        "quality": pa.array(["good"] * n),
    }, out / "swift.measurements.parquet")  # fmt: skip
    m = n // 10
    cra, cdec = sphere(rng, m - kc)
    vra, vdec = nudge(rng, np.full(kc, v404[0]), np.full(kc, v404[1]), 0.5)
    cra, cdec = np.concatenate([cra, vra]), np.concatenate([cdec, vdec])
    ct = EPOCH + rng.integers(0, SPAN_US, m).astype("timedelta64[us]")
    det = write(det_t, {
        "obsid": np.arange(m), "source_number": np.zeros(m, dtype=np.int32),
        "source_name": pa.array([f"C{i}" for i in range(m - kc)] + ["2CXO J202403.8+335201"] * kc),
        "mid_time": ct, "ra": cra, "dec": cdec, "err_radius_arcsec": np.full(m, 1.0), "hpx": healpix14_array(cra, cdec),
        "band": pa.array(["broad"] * m), "rate": np.ones(m), "rate_error": np.full(m, 0.1),
        "flux_erg_cm2_s": np.full(m, 1e-12), "flux_error": np.full(m, 1e-13), "significance": np.full(m, 10.0),
        "pileup_flag": np.zeros(m, bool), "extent_flag": np.zeros(m, bool), "var_flag": np.zeros(m, bool),
        "streak_src_flag": np.zeros(m, bool),
    }, out / "chandra.detections.parquet")  # fmt: skip
    return {"swift.measurements": meas, "chandra.detections": det}
