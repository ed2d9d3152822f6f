"""Chandra rows of one cell: observations (OCAT-like) and source detections (CSC-like).

An observation points at a field: its target and the serendipitous sources
within 8 arcmin, which keep their names (from their true positions) when the
field is observed again. Three kinds:

- follow-ups of the cell's bursts, planted in burst_catalog.py: ToO (or DDT)
  pointings at the XRT position 0.5-7 days after the trigger (and sometimes a
  later epoch), detecting the afterglow on most epochs;
- persistent sources (sources.py): grating or continuous-clocking modes when
  bright, detections piled up and variable in outburst;
- background fields; a quarter of new ones point at one of the cell's Swift
  background targets, so those objects are seen by both observatories.

Any observation that is not a planted follow-up is kept out of every burst's
follow-up window: none starts within 8 days after a burst 0.2 degree or
closer, so the follow-up query finds exactly the planted ones (for windows up
to 192 hours and every match radius the query supports).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from runner.datagen import distributions as dist
from runner.datagen.cell import CellContext, ObjectKey
from runner.datagen.columns import NULL_INT, strings
from runner.datagen.config import DAY_US, END_US, START_US
from runner.datagen.sources import PERSISTENT
from runner.datagen.sphere import CHANDRA_CAP_ARCSEC, j_name, separation_deg
from runner.datagen.swift_target_rows import Targets, observation_times
from runner.datagen.swift_writers import SECOND

INSTRUMENTS = ("ACIS-S", "ACIS-I", "HRC-I", "HRC-S")
INSTRUMENT_P = (0.55, 0.30, 0.10, 0.05)
OBS_TYPES = ("GO", "GTO", "TOO", "DDT", "CAL")
OBS_TYPE_P = (0.70, 0.15, 0.08, 0.03, 0.04)
STATUSES = ("archived", "observed", "scheduled", "unobserved", "canceled")
STATUS_P = (0.93, 0.02, 0.02, 0.02, 0.01)
ECF = {"ACIS": 6e-12, "HRC": 2e-11}  # erg cm^-2 per count, broad band (unconfirmed)
FIELD_ARCSEC = 480.0  # serendipitous sources within 8 arcmin of the aim point
CLEAR_DEG, CLEAR_US = 0.2, 8 * DAY_US
SHARED = 0.25
PREFIXES = ("CXOU", "2MASX", "SDSS", "XMMU", "NVSS")


@dataclass
class Source:
    name: str
    ra: float
    dec: float
    rate: float  # typical ACIS counts/s
    key: ObjectKey | None = None  # planted cross-observatory object, if any
    target_name: str | None = None  # set for the field's target
    in_slot: bool = True  # False for persistent sources (real positions)


@dataclass
class Field:
    ra: float
    dec: float
    target_name: str
    target: Source
    sources: list[Source] = field(default_factory=list)


@dataclass
class Setup:
    instrument: str
    grating: str
    obs_type: str
    too_type: str | None
    status: str
    data_mode: str | None
    exposure_s: float
    dropped: int
    proprietary_days: int


class ChandraRows:
    """Column lists for the cell's Chandra rows, added to the cell's tables at the end."""

    def __init__(self) -> None:
        self.obs: dict[str, list[object]] = {}
        self.det: dict[str, list[object]] = {}

    @staticmethod
    def _put(target: dict[str, list[object]], **values: object) -> None:
        for k, v in values.items():
            target.setdefault(k, []).append(v)

    def flush(self, ctx: CellContext) -> None:
        for name, cols in (("chandra.observations", self.obs), ("chandra.detections", self.det)):
            if not cols:
                continue
            table = ctx.rows[name]
            built = {}
            for col, values in cols.items():
                kind = table.schema.field(col).type
                built[col] = strings(values) if pa.types.is_string(kind) else np.asarray(values)
            table.add(**built)


def _setup(rng: np.random.Generator, obs_type: str | None = None, bright: bool = False) -> Setup:
    instrument = INSTRUMENTS[rng.choice(4, p=INSTRUMENT_P)]
    kind = obs_type or OBS_TYPES[rng.choice(5, p=OBS_TYPE_P)]
    acis = instrument.startswith("ACIS")
    grating = "NONE"
    if instrument == "HRC-S" or (bright and not acis):
        grating = "LETG"
    elif instrument == "ACIS-S" and (bright or rng.random() < 0.15):
        grating = "HETG"
    mode = None
    if acis:
        mode = (
            "CC33_GRADED"
            if bright and rng.random() < 0.5
            else ("VFAINT" if rng.random() < 0.6 else "FAINT")
        )
    too = None
    if kind in ("TOO", "DDT"):
        too = ("0-4", "4-15", "15-30")[rng.choice(3, p=(0.3, 0.5, 0.2))]
    return Setup(
        instrument=instrument,
        grating=grating,
        obs_type=kind,
        too_type=too,
        status=STATUSES[rng.choice(5, p=STATUS_P)],
        data_mode=mode,
        exposure_s=float(np.clip(rng.lognormal(np.log(25_000), 0.7), 1_000, 200_000)),
        dropped=int(rng.random() < 0.1) * int(rng.integers(1, 3)) if acis else int(NULL_INT),
        proprietary_days=0 if kind in ("CAL", "DDT") else 365,
    )


def _clear(ctx: CellContext, ra: float, dec: float, start: int) -> bool:
    """No burst 0.2 degree or closer triggered in the 8 days before ``start``."""
    c = ctx.catalog
    lo = int(np.searchsorted(c.time_us, start - CLEAR_US, side="left"))
    hi = int(np.searchsorted(c.time_us, start, side="right"))
    if lo == hi:
        return True
    return bool(separation_deg(c.bat_ra[lo:hi], c.bat_dec[lo:hi], ra, dec).min() > CLEAR_DEG)


def _clear_start(
    ctx: CellContext, ra: float, dec: float, start: int, redraw: Callable[[], int]
) -> int:
    """``start``, or a redrawn one, clear of every burst's follow-up window."""
    for _ in range(1000):
        if _clear(ctx, ra, dec, start):
            return start
        start = int(redraw())
    raise RuntimeError("cannot keep a Chandra observation out of the bursts' windows")


def _observe(
    ctx: CellContext,
    out: ChandraRows,
    fld: Field,
    obsid: int,
    start: int | None,
    setup: Setup,
    target_rate: float,
    detect_target: bool,
) -> int:
    """One observation row and its detections; returns the target's detections (0 or 1)."""
    rng = ctx.rng
    if start is not None and setup.status not in ("archived", "observed"):
        setup.status = "archived"  # a start time means it was observed
    observed = start is not None
    day = NULL_INT if start is None else start // DAY_US + setup.proprietary_days
    out._put(
        out.obs,
        obsid=obsid,
        seq_num=f"{500000 + obsid % 400000:06d}",
        target_name=fld.target_name,
        ra=fld.ra,
        dec=fld.dec,
        instrument=setup.instrument,
        grating=setup.grating,
        obs_type=setup.obs_type,
        too_type=setup.too_type,
        status=setup.status,
        data_mode=setup.data_mode,
        start_time=start if observed else NULL_INT,
        exposure_s=setup.exposure_s,
        dropped_chip_count=setup.dropped,
        public_date=day,
    )
    if start is None:
        return 0
    seen: list[tuple[Source, float, int]] = []
    if detect_target:
        counts = max(int(rng.poisson(target_rate * setup.exposure_s)), 8)
        seen.append((fld.target, target_rate, counts))
    for src in fld.sources:
        counts = int(rng.poisson(src.rate * setup.exposure_s))
        if counts >= 5 and rng.random() < 0.7:
            seen.append((src, src.rate, counts))
    if not seen:
        return 0
    n = len(seen)
    err = dist.chandra_err_arcsec(rng, n)
    noisy = ctx.noisy if all(s.in_slot for s, _, _ in seen) else ctx.noisy_anywhere
    ra, dec = noisy(
        np.array([s.ra for s, _, _ in seen]),
        np.array([s.dec for s, _, _ in seen]),
        err,
        CHANDRA_CAP_ARCSEC,
    )
    counts = np.array([c for _, _, c in seen], dtype=float)
    rate = counts / setup.exposure_s
    rate_err = np.sqrt(counts) / setup.exposure_s
    ecf = ECF[setup.instrument.split("-")[0]]
    acis = setup.instrument.startswith("ACIS")
    imaging = acis and setup.grating == "NONE" and setup.data_mode != "CC33_GRADED"
    mid = start + int(setup.exposure_s * SECOND / 2)
    for j, (src, _, _) in enumerate(seen):
        out._put(
            out.det,
            obsid=obsid,
            source_number=j + 1,
            source_name=src.name,
            target_name=src.target_name,
            mid_time=mid,
            ra=float(ra[j]),
            dec=float(dec[j]),
            err_radius_arcsec=float(err[j]),
            band="broad",
            rate=float(rate[j]),
            rate_error=float(rate_err[j]),
            flux_erg_cm2_s=float(rate[j] * ecf),
            flux_error=float(rate_err[j] * ecf),
            significance=float(counts[j] / np.sqrt(counts[j] + 2.0 + 1e-5 * setup.exposure_s)),
            pileup_flag=bool(imaging and rate[j] > 0.05),
            extent_flag=bool(rng.random() < 0.05 and src.target_name is None),
            var_flag=bool(src.key is not None and src.key[0] != "target")
            or bool(rng.random() < 0.1),
            streak_src_flag=bool(acis and rate[j] > 1.0),
        )
    return int(detect_target)


def _field_sources(ctx: CellContext, ra: float, dec: float) -> list[Source]:
    rng = ctx.rng
    slots = ctx.slots.take_near(ra, dec, FIELD_ARCSEC, int(rng.poisson(8)))
    if not slots.size:
        return []
    sra, sdec = ctx.place(slots)
    rates = np.clip(rng.lognormal(np.log(0.003), 1.0, len(slots)), 2e-4, 0.5)
    return [
        Source(j_name("2CXO", float(r), float(d)), float(r), float(d), float(x))
        for r, d, x in zip(sra, sdec, rates, strict=True)
    ]


def followups(ctx: CellContext, out: ChandraRows, bursts: np.ndarray) -> None:
    """The planted follow-ups of the cell's bursts."""
    c, rng = ctx.catalog, ctx.rng
    entries = c.followups_in(bursts)
    fields: dict[int, Field] = {}
    for e in entries.tolist():
        b = int(c.fu_burst[e])
        if b not in fields:
            pra, pdec = float(c.xrt_ra[b]), float(c.xrt_dec[b])
            afterglow = Source(
                j_name("2CXO", float(c.true_ra[b]), float(c.true_dec[b])),
                float(c.true_ra[b]),
                float(c.true_dec[b]),
                0.0,
                key=("afterglow", b),
                target_name=c.grb_name[b],
            )
            fields[b] = Field(pra, pdec, c.grb_name[b], afterglow, _field_sources(ctx, pra, pdec))
        delay_days = int(c.fu_delay_us[e]) / DAY_US
        setup = _setup(rng, "TOO" if rng.random() < 0.85 else "DDT")
        setup.instrument, setup.grating, setup.status = "ACIS-S", "NONE", "archived"
        setup.data_mode = "VFAINT"
        setup.dropped = 0
        setup.too_type = "0-4" if delay_days < 4 else ("4-15" if delay_days < 15 else "15-30")
        setup.proprietary_days = 0
        setup.exposure_s = float(np.clip(rng.lognormal(np.log(20_000), 0.5), 5_000, 100_000))
        rate = 0.02 * float(rng.lognormal(0, 0.8)) * delay_days**-1.2
        obsid = int(ctx.obsids(1)[0])
        start = int(c.time_us[b] + c.fu_delay_us[e])
        found = _observe(ctx, out, fields[b], obsid, start, setup, rate, bool(c.fu_detected[e]))
        ctx.followup_obsids[e] = obsid
        _remember(ctx, fields[b].target, found)


def _remember(ctx: CellContext, src: Source, found: int) -> None:
    if src.key is None or not found:
        return
    name, target, count = ctx.chandra_sources.get(src.key, (src.name, src.target_name or "", 0))
    ctx.chandra_sources[src.key] = (name, target, count + found)


def persistent(ctx: CellContext, out: ChandraRows, index: int) -> None:
    src, rng = PERSISTENT[index], ctx.rng
    target = Source(
        j_name("2CXO", src.ra, src.dec),
        src.ra,
        src.dec,
        0.0,
        key=("persistent", index),
        target_name=src.name,
        in_slot=False,
    )
    fld = Field(src.ra, src.dec, src.name, target, _field_sources(ctx, src.ra, src.dec))
    n = ctx.plan.chandra_per_persistent
    starts = np.sort(observation_times(rng, src, n))
    for j in range(n):
        start = _clear_start(
            ctx, src.ra, src.dec, int(starts[j]), lambda: int(rng.integers(START_US, END_US))
        )
        rate = 2.0 * float(src.xrt_rate(np.array([start]))[0])
        setup = _setup(rng, None if j else "GO", bright=rate > 1.0)
        if j == 0:
            setup.status = "archived"  # the first one is always observed: the source is seen
        found = _observe(ctx, out, fld, int(ctx.obsids(1)[0]), start, setup, rate, True)
        _remember(ctx, target, found)


def background(ctx: CellContext, out: ChandraRows, targets: Targets) -> None:
    rng = ctx.rng
    n = int(ctx.plan.chandra_obs[ctx.cell])
    fields: list[Field] = []
    shared = set()
    for _ in range(n):
        if fields and rng.random() >= 0.7:
            fld = fields[int(rng.integers(0, len(fields)))]
        else:
            free = [j for j in range(len(targets.ids)) if j not in shared]
            if free and rng.random() < SHARED:
                j = free[int(rng.integers(0, len(free)))]
                shared.add(j)
                ra, dec = float(targets.ra[j]), float(targets.dec[j])
                name, key = targets.names[j], ("target", int(targets.ids[j]))
            else:
                slot = ctx.slots.take(1)
                sra, sdec = ctx.place(slot)
                ra, dec = float(sra[0]), float(sdec[0])
                name = j_name(PREFIXES[int(rng.integers(0, len(PREFIXES)))], ra, dec)
                key = None
            rate = float(np.clip(rng.lognormal(np.log(0.05), 1.5), 1e-3, 20.0))
            target = Source(j_name("2CXO", ra, dec), ra, dec, rate, key=key, target_name=name)
            fld = Field(ra, dec, name, target, _field_sources(ctx, ra, dec))
            fields.append(fld)
        setup = _setup(rng, bright=fld.target.rate > 1.0)
        start: int | None = None
        if setup.status in ("archived", "observed"):
            start = _clear_start(
                ctx,
                fld.ra,
                fld.dec,
                int(rng.integers(START_US, END_US)),
                lambda: int(rng.integers(START_US, END_US)),
            )
        rate = fld.target.rate * float(rng.lognormal(0, 0.3))
        found = _observe(
            ctx, out, fld, int(ctx.obsids(1)[0]), start, setup, rate, rng.random() < 0.9
        )
        _remember(ctx, fld.target, found)
