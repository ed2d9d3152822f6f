"""Rows of an observatory without a generator of its own, from its kinds and profile.

A pointed observatory (any of ``observations``, ``measurements``,
``detections``) makes *visits*; each visit writes whichever of the three
kinds the observatory has: the observations row, a light curve per module
(``measurements``) and the sources found (``detections``: the target and
serendipitous sources within the profile's field). Visits of a cell:

- planted follow-ups of the bursts three observatories follow (plan.py of
  this module: ``PointingPlan``): a ToO at the XRT position 0.5-6 days after
  the trigger, measuring and detecting the afterglow;
- planted follow-ups of a tenth of the other trigger observatories' own
  triggers: a ToO at the true position 0.5-6 days after, nothing detected
  (the position is not a slot's, so it must not be a measured object);
- V404 Cygni, when the cell holds it: half the visits within hours of
  Chandra's detections of it (``data_quality_correlation`` pairs them), half
  after its outbursts;
- background targets, each in a free slot (the cell's slots the seed left),
  kept out of every Swift burst's follow-up window as Chandra's are.

A trigger observatory's rows are its catalogue's (trigger_catalog.py).
Randomness comes from a stream per observatory and cell, drawn after the
seed's rows: adding an observatory changes no Swift or Chandra byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from runner.datagen.burst_catalog import BurstCatalog
from runner.datagen.cell import CellContext, ObjectKey, SlotPool
from runner.datagen.chandra_rows import _clear_start
from runner.datagen.columns import NULL_INT, Rows, strings
from runner.datagen.config import DAY_US, END_US, START_US, GeneratorConfig
from runner.datagen.instruments import stratified
from runner.datagen.profiles import InstrumentProfile
from runner.datagen.sources import PERSISTENT
from runner.datagen.sphere import (
    SWIFT_CAP_ARCSEC,
    cells_of,
    in_cells,
    j_name,
    place,
    scatter,
)
from runner.datagen.trigger_catalog import V404, TriggerCatalog
from vastobs.sky import healpix14_array

SECOND = 1_000_000
MATCH_MAX_ERROR = 20.0  # cross_observatory_objects' default max_error_arcsec
FOLLOW_DAYS = (0.5, 6.0)  # planted follow-ups: log-uniform delay, inside a 7-day window
TRIGGER_SHARE = 0.1  # of another observatory's own triggers, followed up
OBS_TYPES = ("GO", "GTO", "TOO", "DDT", "CAL")
OBS_TYPE_P = (0.75, 0.12, 0.07, 0.03, 0.03)
Tag = tuple  # what an observation is of: ("afterglow", b) | ("persistent", i) | ("trigger", obs, i)


@dataclass
class Visit:
    ra: float  # the pointing
    dec: float
    true_ra: float  # the target
    true_dec: float
    in_slot: bool
    name: str
    key: ObjectKey | None  # planted cross-observatory object
    tag: Tag | None  # what it follows up or observes, for the follow-up answers
    start: int | None
    exposure: float
    obs_type: str
    rate: float  # true count rate in the profile's band
    measured: bool  # the target is in the light curves and detections
    field: list[tuple[str, float, float, float]] = field(default_factory=list)  # sources


@dataclass
class PlannedVisit:
    cell: int
    ra: float
    dec: float
    true_ra: float
    true_dec: float
    start: int
    tag: Tag
    name: str
    burst: int  # -1 for a trigger's follow-up


class PointingPlan:
    """One pointed observatory's planted follow-ups, drawn before the cells (O(planted))."""

    def __init__(
        self,
        rng: np.random.Generator,
        profile: InstrumentProfile,
        bursts: BurstCatalog,
        three: np.ndarray,
        triggers: list[TriggerCatalog],
        cell_order: int,
    ) -> None:
        first = profile.first_us
        self.by_cell: dict[int, list[PlannedVisit]] = {}
        lo, hi = np.log(FOLLOW_DAYS[0]), np.log(FOLLOW_DAYS[1])
        for b in three.tolist():
            start = int(bursts.time_us[b]) + int(np.exp(rng.uniform(lo, hi)) * DAY_US)
            if start < first:
                continue
            self._add(PlannedVisit(
                int(bursts.cell[b]), float(bursts.xrt_ra[b]), float(bursts.xrt_dec[b]),
                float(bursts.true_ra[b]), float(bursts.true_dec[b]), start,
                ("afterglow", b), bursts.grb_name[b], b,
            ))  # fmt: skip
        for cat in triggers:
            own = np.flatnonzero((cat.burst < 0) & (cat.source < 0))
            chosen = own[rng.random(len(own)) < TRIGGER_SHARE]
            delays = np.exp(rng.uniform(lo, hi, len(chosen)))
            for i, d in zip(chosen.tolist(), delays.tolist(), strict=True):
                start = int(cat.time_us[i]) + int(d * DAY_US)
                if start < first or start >= END_US:
                    continue
                ra, dec = float(cat.true_ra[i]), float(cat.true_dec[i])
                cell = int(
                    cells_of(healpix14_array(np.array([ra]), np.array([dec])), cell_order)[0]
                )
                self._add(PlannedVisit(
                    cell, ra, dec, ra, dec, start, ("trigger", cat.observatory, i),
                    cat.names[i], -1,
                ))  # fmt: skip
        for visits in self.by_cell.values():
            visits.sort(key=lambda v: (v.start, v.name))

    def _add(self, v: PlannedVisit) -> None:
        self.by_cell.setdefault(v.cell, []).append(v)


@dataclass
class Found:
    """What a cell's generic rows planted, for answers.json."""

    points: dict[ObjectKey, dict[str, dict[str, int]]] = field(default_factory=dict)
    sources: dict[tuple[str, ObjectKey], tuple[str, str, int]] = field(default_factory=dict)
    tags: dict[tuple[str, str], Tag] = field(default_factory=dict)  # (obs, observation_id)
    visits: dict[tuple[str, str], tuple[str, int | None]] = field(default_factory=dict)


def write_triggers(rows: Rows, cat: TriggerCatalog, idx: np.ndarray) -> None:
    if not idx.size:
        return
    rows.add(
        trigger_id=cat.trigger_id[idx],
        trigger_name=strings([cat.names[i] for i in idx.tolist()]),
        trigger_time=cat.time_us[idx],
        ra=cat.ra[idx],
        dec=cat.dec[idx],
        err_radius_arcsec=cat.err[idx],
        significance=cat.significance[idx],
    )


@dataclass
class PointedObservatory:
    """One pointed observatory's cell: visits, then the rows of its kinds."""

    profile: InstrumentProfile
    tables: dict[str, str]  # kind -> "<obs>.<table>"
    plan: PointingPlan

    @property
    def name(self) -> str:
        return self.profile.observatory

    def fill(
        self,
        ctx: CellContext,
        rng: np.random.Generator,
        shared_slots: set[int],
        rows: dict[str, Rows],
        found: Found,
        config: GeneratorConfig,
    ) -> None:
        pool = SlotPool(rng, ctx.cell, ctx.cell_order, set())
        pool.taken = shared_slots  # the seed's slots and every other observatory's
        visits = self._planted(ctx, rng, pool)
        visits += self._v404(ctx, rng, pool, config)
        visits += self._background(ctx, rng, pool, config)
        for j, v in enumerate(visits):
            if j >= 10_000:
                raise RuntimeError(f"{self.name}: more than 10000 pointings in one sky cell")
            obs_id = f"{self.profile.pointing.id_prefix}{ctx.cell:05d}{j:04d}"
            self._write(ctx, rng, rows, found, v, obs_id)

    # --- visits -------------------------------------------------------------------------

    def _planted(self, ctx: CellContext, rng: np.random.Generator, pool: SlotPool) -> list[Visit]:
        p = self.profile.pointing
        out = []
        for pv in self.plan.by_cell.get(ctx.cell, []):
            exposure = float(np.clip(rng.lognormal(np.log(p.exposure_s), 0.4), 2000, 2e5))
            if pv.burst >= 0:
                delay = (pv.start - int(ctx.catalog.time_us[pv.burst])) / DAY_US
                rate = 0.02 * p.rate_factor * float(rng.lognormal(0, 0.5)) * delay**-1.2
                key: ObjectKey | None = ("afterglow", pv.burst)
            else:
                rate, key = 0.0, None
            out.append(Visit(
                pv.ra, pv.dec, pv.true_ra, pv.true_dec, pv.burst >= 0, pv.name, key, pv.tag,
                pv.start, exposure, "TOO", rate, pv.burst >= 0,
            ))  # fmt: skip
        return out

    def _v404(
        self, ctx: CellContext, rng: np.random.Generator, pool: SlotPool, config: GeneratorConfig
    ) -> list[Visit]:
        src = PERSISTENT[V404]
        if int(ctx.plan.persistent_cells[V404]) != ctx.cell:
            return []
        p, first = self.profile.pointing, max(self.profile.first_us, START_US)
        n = int(np.clip(config.rows // 50_000, 4, 20))
        chandra = [t for t in _chandra_times(ctx, j_name("2CXO", src.ra, src.dec)) if t >= first]
        chandra = sorted(chandra)[: n // 2]
        epochs = [e for e in src.epochs() if e >= first] or [first]
        starts = [t - int(rng.uniform(-6, 6) * 3600 * SECOND) for t in chandra] + [
            int(epochs[int(rng.integers(0, len(epochs)))] + rng.uniform(-2, 25) * DAY_US)
            for _ in range(n - len(chandra))
        ]
        fld = _field(ctx, rng, pool, src.ra, src.dec, p.field_arcsec, self._catalogue())
        out = []
        for start in sorted(min(max(s, first), END_US - DAY_US) for s in starts):
            exposure = float(np.clip(rng.lognormal(np.log(p.exposure_s), 0.4), 2000, 2e5))
            rate = float(src.xrt_rate(np.array([start]))[0]) * p.rate_factor
            rate *= float(rng.lognormal(0, src.variability))
            out.append(Visit(
                src.ra, src.dec, src.ra, src.dec, False, _spelling(src.name), ("persistent", V404),
                ("persistent", V404), start, exposure, "TOO" if rate > 1 else "GO", rate, True,
                fld,
            ))  # fmt: skip
        return out

    def _background(
        self, ctx: CellContext, rng: np.random.Generator, pool: SlotPool, config: GeneratorConfig
    ) -> list[Visit]:
        p, first = self.profile.pointing, max(self.profile.first_us, START_US)
        span = (END_US - first) / (END_US - START_US)
        mean = max(5.0, config.rows / p.rows_per_observation) * span / ctx.plan.n_cells
        targets: list[tuple[float, float, str, float, list]] = []
        out = []
        for _ in range(int(rng.poisson(mean))):
            if targets and rng.random() < 0.3:
                ra, dec, name, base, fld = targets[int(rng.integers(0, len(targets)))]
            else:
                ra, dec = _place(rng, pool)
                prefix = ("NGC", "2MASX", "SDSS", "1RXS", "WISEA")[int(rng.integers(0, 5))]
                name = j_name(prefix, ra, dec)
                base = float(np.clip(rng.lognormal(np.log(0.05), 1.2), 1e-3, 50.0))
                fld = _field(ctx, rng, pool, ra, dec, p.field_arcsec, self._catalogue())
                targets.append((ra, dec, name, base, fld))
            scheduled = rng.random() < 0.05
            start = None
            if not scheduled:
                start = _clear_start(
                    ctx, ra, dec, int(rng.integers(first, END_US)),
                    lambda: int(rng.integers(first, END_US)),
                )  # fmt: skip
            exposure = float(np.clip(rng.lognormal(np.log(p.exposure_s), 0.6), 1000, 3e5))
            kind = OBS_TYPES[int(rng.choice(5, p=OBS_TYPE_P))]
            rate = base * p.rate_factor * float(rng.lognormal(0, 0.3))
            out.append(Visit(
                ra, dec, ra, dec, True, name, None, None, start, exposure, kind, rate,
                rng.random() < 0.9, fld,
            ))  # fmt: skip
        return out

    def _catalogue(self) -> str:
        return self.profile.pointing.catalogue or self.name.upper()

    # --- rows ---------------------------------------------------------------------------

    def _write(
        self,
        ctx: CellContext,
        rng: np.random.Generator,
        rows: dict[str, Rows],
        found: Found,
        v: Visit,
        obs_id: str,
    ) -> None:
        p = self.profile.pointing
        if v.tag is not None:
            found.tags[(self.name, obs_id)] = v.tag
        found.visits[(self.name, obs_id)] = (v.name, v.start)
        if "observations" in self.tables:
            rows[self.tables["observations"]].add(
                observation_id=strings([obs_id]),
                target_name=strings([v.name]),
                ra=np.array([v.ra]),
                dec=np.array([v.dec]),
                instrument=strings([p.instrument]),
                obs_type=strings([v.obs_type]),
                status=strings(["scheduled" if v.start is None else "archived"]),
                start_time=np.array([NULL_INT if v.start is None else v.start]),
                exposure_s=np.array([v.exposure]),
            )
        if v.start is None:
            return
        if "measurements" in self.tables and v.measured:
            self._measure(ctx, rng, rows[self.tables["measurements"]], found, v, obs_id)
        if "detections" in self.tables:
            self._detect(ctx, rng, rows[self.tables["detections"]], found, v, obs_id)

    def _noisy(self, ctx, rng, ra, dec, err, in_slot):
        limit = np.minimum(err, SWIFT_CAP_ARCSEC) * 0.999
        if in_slot:
            return scatter(rng, ra, dec, err, limit)
        return in_cells(
            ctx.cell,
            ctx.cell_order,
            len(ra),
            lambda i: scatter(rng, ra[i], dec[i], err[i], limit[i]),
        )

    def _measure(
        self,
        ctx: CellContext,
        rng: np.random.Generator,
        rows: Rows,
        found: Found,
        v: Visit,
        obs_id: str,
    ) -> None:
        p = self.profile.pointing
        m = len(p.modules)
        bins = np.maximum(1, rng.poisson(p.bins, m))
        module, frac = stratified(rng, bins)
        n = len(module)
        span = v.exposure * 1.6  # orbital gaps
        mid = v.start + (frac * span * SECOND).astype(np.int64)
        exposure = v.exposure / bins[module] * rng.uniform(0.85, 1.0, n)
        err = rng.uniform(*p.err_arcsec, m)[module]
        ra, dec = self._noisy(
            ctx, rng, np.full(n, v.true_ra), np.full(n, v.true_dec), err, v.in_slot
        )
        frac_exp = np.where(
            rng.random(n) < 0.05, rng.uniform(0.5, 0.9, n), rng.uniform(0.95, 1.0, n)
        )
        counts = rng.poisson(v.rate * rng.lognormal(0, 0.05, n) * exposure * frac_exp)
        live = exposure * frac_exp
        rate = counts / live
        rate_err = np.sqrt(np.maximum(counts, 1)) / live
        rows.add(
            observation_id=strings([obs_id] * n),
            target_name=strings([v.name] * n),
            instrument=strings([p.modules[i] for i in module.tolist()]),
            band=strings([p.band] * n),
            mid_time=mid,
            exposure_s=exposure,
            ra=ra,
            dec=dec,
            err_radius_arcsec=err,
            rate=rate,
            rate_error=rate_err,
            flux_erg_cm2_s=rate * p.ecf,
            flux_error=rate_err * p.ecf,
            snr=rate / rate_err,
            frac_exp=frac_exp,
            quality=strings(np.where(frac_exp < 0.9, "flagged", "good").tolist()),
        )
        matchable = int((err <= MATCH_MAX_ERROR).sum())
        if v.key is not None and matchable:
            names = found.points.setdefault(v.key, {}).setdefault(self.name, {})
            names[v.name] = names.get(v.name, 0) + matchable

    def _detect(
        self,
        ctx: CellContext,
        rng: np.random.Generator,
        rows: Rows,
        found: Found,
        v: Visit,
        obs_id: str,
    ) -> None:
        p = self.profile.pointing
        seen: list[tuple[str, str | None, float, float, int, bool]] = []
        if v.measured:
            counts = max(int(rng.poisson(v.rate * v.exposure)), 8)
            name = j_name(self._catalogue(), v.true_ra, v.true_dec)
            seen.append((name, v.name, v.true_ra, v.true_dec, counts, v.in_slot))
        for name, ra, dec, rate in v.field:
            counts = int(rng.poisson(rate * v.exposure))
            if counts >= 5 and rng.random() < 0.7:
                seen.append((name, None, ra, dec, counts, True))
        if not seen:
            return
        n = len(seen)
        err = rng.uniform(*p.err_arcsec, n)
        ra, dec = self._noisy(
            ctx, rng, np.array([s[2] for s in seen]), np.array([s[3] for s in seen]), err,
            all(s[5] for s in seen),
        )  # fmt: skip
        counts = np.array([s[4] for s in seen], dtype=float)
        rate = counts / v.exposure
        rate_err = np.sqrt(counts) / v.exposure
        flagged = rate > 2.0
        rows.add(
            observation_id=strings([obs_id] * n),
            source_name=strings([s[0] for s in seen]),
            target_name=strings([s[1] for s in seen]),
            instrument=strings([p.instrument] * n),
            band=strings([p.band] * n),
            mid_time=np.full(n, v.start + int(v.exposure * SECOND / 2)),
            ra=ra,
            dec=dec,
            err_radius_arcsec=err,
            rate=rate,
            rate_error=rate_err,
            flux_erg_cm2_s=rate * p.ecf,
            flux_error=rate_err * p.ecf,
            significance=counts / np.sqrt(counts + 2.0),
            quality=strings(np.where(flagged, "flagged", "good").tolist()),
        )
        if v.measured and v.key is not None:
            source, target, count = found.sources.get((self.name, v.key), (seen[0][0], v.name, 0))
            found.sources[(self.name, v.key)] = (source, target, count + 1)


def _place(rng: np.random.Generator, pool: SlotPool) -> tuple[float, float]:
    ra, dec = place(rng, pool.take(1))
    return float(ra[0]), float(dec[0])


def _field(
    ctx: CellContext,
    rng: np.random.Generator,
    pool: SlotPool,
    ra: float,
    dec: float,
    radius: float,
    catalogue: str,
) -> list[tuple[str, float, float, float]]:
    slots = pool.take_near(ra, dec, radius, int(rng.poisson(4)))
    if not slots.size:
        return []
    sra, sdec = place(rng, slots)
    rates = np.clip(rng.lognormal(np.log(0.003), 1.0, len(slots)), 2e-4, 0.5)
    return [
        (j_name(catalogue, float(r), float(d)), float(r), float(d), float(x))
        for r, d, x in zip(sra, sdec, rates, strict=True)
    ]


def _spelling(name: str) -> str:
    """How a pointed mission's planners write a name: 'V404 Cyg' -> 'V404_Cyg'."""
    return name.replace(" ", "_")


def _chandra_times(ctx: CellContext, source: str) -> list[int]:
    """Chandra's detections of ``source`` in this cell (already made: the seed runs first)."""
    rows = ctx.rows.get("chandra.detections")
    if rows is None or not rows.parts.get("source_name"):
        return []
    names: list[str] = []
    for part in rows.parts["source_name"]:
        names += part.to_pylist() if isinstance(part, pa.Array) else list(part)
    times = np.concatenate([np.asarray(t, dtype=np.int64) for t in rows.parts["mid_time"]])
    return [int(t) for n, t in zip(names, times.tolist(), strict=True) if n == source]


def three_observatory_bursts(rng: np.random.Generator, bursts: BurstCatalog) -> np.ndarray:
    """Half the bursts with a Chandra follow-up inside the 7-day window."""
    followed = np.unique(bursts.fu_burst[bursts.fu_in_window])
    return np.sort(followed[rng.random(len(followed)) < 0.5])
