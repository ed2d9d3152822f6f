"""Plain synthetic tables for the scale scenarios the realistic generator does not shape:
10^5 transients against 10^7 follow-up pointings, and 10^6 x 10^6 cross-matches.

Columns follow the DDL exactly (the loader's checks apply); positions are
uniform on the sphere; a known fraction of rows is planted as true pairs so
the answers can be counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cdshealpix
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from runner.datagen.config import END_US, START_US
from runner.datagen.sources import PERSISTENT
from vastobs.ddl import TableDef
from vastobs.sky import healpix14_array

# the demo data's 20 years and V404 Cygni's position (runner/datagen), so the light curve
# planted here is where the demo's is
EPOCH = np.datetime64(START_US, "us")
SPAN_US = END_US - START_US


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


def _table(table: TableDef, columns: dict[str, Any]) -> pa.Table:
    """The DDL's columns in order and types; those not given are null."""
    n = len(next(iter(columns.values())))
    full = {c.name: columns.get(c.name, pa.nulls(n, c.arrow_type)) for c in table.columns}
    return pa.table(full).cast(table.arrow_schema())


def write(table: TableDef, columns: dict[str, np.ndarray | pa.Array], path: Path) -> Path:
    """Rows sorted by the table's sorted_by, as the loader leaves them."""
    data = _table(table, columns).sort_by([(k, "ascending") for k in table.sorted_by])
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


BATCH_ROWS = 2_000_000
"""Rows generated and written at a time, so memory stays bounded whatever n (about 1 GB
a batch; 10^8 rows are 50 batches)."""
NPIX14 = 12 * 4**14
V404 = next((src.ra, src.dec) for src in PERSISTENT if src.name == "V404 Cyg")


@dataclass
class Batch:
    """Rows sorted by (hpx, time); ``planted`` marks the planted ones."""

    rng: np.random.Generator
    ra: np.ndarray
    dec: np.ndarray
    hpx: np.ndarray
    time: np.ndarray
    planted: np.ndarray

    def __len__(self) -> int:
        return len(self.ra)


def sky_batches(
    seed: int, part: int, n: int, planted: tuple[np.ndarray, np.ndarray]
) -> Iterator[Batch]:
    """``n`` positions uniform on the sphere and 20 years, plus the ``planted`` positions,
    in batches over ascending, disjoint HEALPix ranges: each batch, sorted, is the whole
    table's next rows, so a file comes out sorted with one batch in memory. A uniform
    random order-29 cell (0.4 mas) is a uniform position; its order-14 parent its hpx.
    Deterministic per (seed, part, n)."""
    n_batches = max(1, -(-n // BATCH_ROWS))
    edges = np.linspace(0, NPIX14, n_batches + 1).astype(np.int64)
    counts = np.random.default_rng([seed, part]).multinomial(n, np.diff(edges) / NPIX14)
    planted_hpx = healpix14_array(*planted)
    for b in range(n_batches):
        rng = np.random.default_rng([seed, part, b + 1])
        cells = rng.integers(edges[b] << 30, edges[b + 1] << 30, counts[b])
        lon, lat = cdshealpix.nested.healpix_to_lonlat(cells.astype(np.uint64), 29)
        here = (planted_hpx >= edges[b]) & (planted_hpx < edges[b + 1])
        ra = np.concatenate([np.asarray(lon.deg), planted[0][here]])
        dec = np.concatenate([np.asarray(lat.deg), planted[1][here]])
        hpx = healpix14_array(ra, dec)
        t = EPOCH + rng.integers(0, SPAN_US, len(ra)).astype("timedelta64[us]")
        order = np.lexsort((t, hpx))
        is_planted = np.arange(len(ra)) >= counts[b]
        yield Batch(rng, ra[order], dec[order], hpx[order], t[order], is_planted[order])


def stream(table: TableDef, batches: Iterator[dict[str, Any]], path: Path) -> Path:
    """Batches appended in order, each already sorted by the table's sorted_by."""
    with pq.ParquetWriter(path, table.arrow_schema()) as writer:
        for columns in batches:
            writer.write_table(_table(table, columns), row_group_size=122_880)
    return path


def _swift(n: int, seed: int) -> Iterator[dict[str, Any]]:
    k = 200
    around = nudge(np.random.default_rng([seed, 0]), np.full(k, V404[0]), np.full(k, V404[1]), 1.0)
    names = pa.array([f"S{i}" for i in range(100_000)])
    done = 0
    for b in sky_batches(seed, 1, n - k, around):
        size, planted = len(b), pa.array(b.planted)
        ids = (done + np.cumsum(~b.planted) - 1) % 100_000  # S{i % 100000}, i over the sky rows
        done += size - int(b.planted.sum())
        label = pc.if_else(planted, "V404CYG", names.take(pa.array(ids)))
        yield {
            "obs_id": label, "target_name": label, "instrument": pc.if_else(pa.array(b.rng.random(size) < 0.7), "XRT", "UVOT"),
            "band": _repeat("0.3-10keV", size), "mid_time": b.time, "exposure_s": np.full(size, 100.0), "ra": b.ra, "dec": b.dec,
            "err_radius_arcsec": np.full(size, 1.6), "hpx": b.hpx, "rate": b.rng.lognormal(0, 1, size),
            "rate_error": np.full(size, 0.1), "quality": _repeat("good", size),
        }  # fmt: skip


def _chandra(m: int, seed: int) -> Iterator[dict[str, Any]]:
    kc = 20
    around = nudge(
        np.random.default_rng([seed, 2]), np.full(kc, V404[0]), np.full(kc, V404[1]), 0.5
    )
    done = 0
    for b in sky_batches(seed, 3, m - kc, around):
        size = len(b)
        obsid = np.arange(done, done + size)
        done += size
        numbered = pc.binary_join_element_wise("C", pc.cast(pa.array(obsid), pa.string()), "")
        yield {
            "obsid": obsid, "source_number": np.zeros(size, dtype=np.int32),
            "source_name": pc.if_else(pa.array(b.planted), "2CXO J202403.8+335201", numbered),
            "mid_time": b.time, "ra": b.ra, "dec": b.dec, "err_radius_arcsec": np.full(size, 1.0), "hpx": b.hpx,
            "band": _repeat("broad", size), "rate": np.ones(size), "rate_error": np.full(size, 0.1),
            "flux_erg_cm2_s": np.full(size, 1e-12), "flux_error": np.full(size, 1e-13), "significance": np.full(size, 10.0),
            "pileup_flag": np.zeros(size, bool), "extent_flag": np.zeros(size, bool), "var_flag": np.zeros(size, bool),
            "streak_src_flag": np.zeros(size, bool),
        }  # fmt: skip


def _repeat(value: str, n: int) -> pa.Array:
    return pa.repeat(pa.scalar(value), n)


def points(meas_t: TableDef, det_t: TableDef, n: int, out: Path, seed: int = 3) -> dict[str, Path]:
    """``n`` Swift measurements and ``n // 10`` Chandra detections over the sky and 20
    years, plus a planted light curve at V404 Cygni: 200 Swift points, 20 Chandra.
    Generated and written a batch at a time (BATCH_ROWS), each file sorted as a whole."""
    meas = stream(meas_t, _swift(n, seed), out / "swift.measurements.parquet")
    det = stream(det_t, _chandra(n // 10, seed), out / "chandra.detections.parquet")
    return {"swift.measurements": meas, "chandra.detections": det}
