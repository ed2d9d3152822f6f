"""Another observatory's triggers (Fermi GBM, Einstein Probe WXT, ...), drawn once for the sky.

Like the burst catalogue, triggers are few (hundreds a year) and their ids
follow time, so they are drawn before any cell: O(triggers). Three sources:

- a share of Swift's bursts in the mission (``swift_share``; half of the
  bursts three observatories follow up): up to 5 s before BAT's trigger, the
  circle centred within its 90% radius of the XRT position, so every
  follow-up of the burst is a follow-up of this trigger too;
- V404 Cygni's outbursts in the mission: two triggers in the five days
  before each peak, at its position (GBM triggered on it in June 2015);
- its own bursts, uniform on the sky and in time, the true position (where a
  follow-up points) within the circle.

Each trigger is written with the cell of its reported position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from runner.datagen import distributions as dist
from runner.datagen.burst_catalog import BurstCatalog
from runner.datagen.config import DAY_US, END_US, START_US, YEARS, GeneratorConfig
from runner.datagen.profiles import InstrumentProfile
from runner.datagen.sources import PERSISTENT
from runner.datagen.sphere import cells_of, scatter
from vastobs.sky import healpix14_array

V404 = 0  # PERSISTENT[0]
SECOND = 1_000_000
LAST_US = END_US - 8 * DAY_US  # own triggers end early enough for their follow-ups


@dataclass
class TriggerCatalog:
    observatory: str
    instrument: str
    trigger_id: np.ndarray
    names: list[str]
    time_us: np.ndarray
    ra: np.ndarray
    dec: np.ndarray
    err: np.ndarray
    significance: np.ndarray
    cell: np.ndarray
    burst: np.ndarray  # the Swift burst it is, or -1
    source: np.ndarray  # the persistent source it is, or -1
    true_ra: np.ndarray  # where the object is (a follow-up points there)
    true_dec: np.ndarray

    def __len__(self) -> int:
        return len(self.time_us)

    def in_cell(self, cell: int) -> np.ndarray:
        return np.flatnonzero(self.cell == cell)


def build(
    config: GeneratorConfig,
    rng: np.random.Generator,
    profile: InstrumentProfile,
    bursts: BurstCatalog,
    three: np.ndarray,
) -> TriggerCatalog:
    tp, first = profile.triggers, max(profile.first_us, START_US)
    # Swift's bursts it also saw
    share = np.where(np.isin(np.arange(len(bursts)), three), 0.5, tp.swift_share)
    seen = np.flatnonzero((bursts.time_us >= first) & (rng.random(len(bursts)) < share))
    b_time = bursts.time_us[seen] - rng.integers(0, 5 * SECOND, len(seen))
    b_ra = np.where(bursts.xrt_detected[seen], bursts.xrt_ra[seen], bursts.true_ra[seen])
    b_dec = np.where(bursts.xrt_detected[seen], bursts.xrt_dec[seen], bursts.true_dec[seen])
    # V404 Cygni's outbursts
    src = PERSISTENT[V404]
    peaks = [p for p in src.epochs() if first <= p - 5 * DAY_US and p < LAST_US]
    v_time = np.array(
        [p - int(d * DAY_US) for p in peaks for d in np.sort(rng.uniform(0.2, 5.0, 2))[::-1]],
        dtype=np.int64,
    )
    # its own
    span = max(0.0, (LAST_US - first) / (END_US - START_US) * YEARS)
    n_own = int(
        rng.poisson(max(0.0, tp.per_year * span * config.burst_rate_multiplier - len(seen)))
    )
    o_time = rng.integers(first, LAST_US, n_own) if n_own else np.empty(0, np.int64)
    o_ra = rng.uniform(0.0, 360.0, n_own)
    o_dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n_own)))

    time = np.concatenate([b_time, v_time, o_time]).astype(np.int64)
    true_ra = np.concatenate([b_ra, np.full(len(v_time), src.ra), o_ra])
    true_dec = np.concatenate([b_dec, np.full(len(v_time), src.dec), o_dec])
    n = len(time)
    lo, mid, hi = tp.err_arcsec
    err = np.clip(dist.split_lognormal(rng, n, lo, mid, hi), *tp.err_clip)
    # a follow-up at the true position is inside the circle, a BAT-centred pointing most often
    ra, dec = scatter(rng, true_ra, true_dec, err, np.maximum(0.5 * err, err - 600.0))
    snr = np.clip(rng.lognormal(np.log(tp.snr_median), 0.6, n), tp.snr_min, 400.0)
    burst = np.concatenate([seen, np.full(len(v_time) + n_own, -1)]).astype(np.int64)
    source = np.concatenate(
        [np.full(len(seen), -1), np.full(len(v_time), V404), np.full(n_own, -1)]
    ).astype(np.int64)
    order = np.argsort(time, kind="stable")
    time = time[order]
    ids, names = _identify(time, tp.name_style, tp.name_prefix or profile.observatory.upper())
    ra, dec = ra[order], dec[order]
    return TriggerCatalog(
        observatory=profile.observatory,
        instrument=tp.instrument,
        trigger_id=ids,
        names=names,
        time_us=time,
        ra=ra,
        dec=dec,
        err=err[order],
        significance=1.0 - np.exp(-snr[order] / 4.0),
        cell=cells_of(healpix14_array(ra, dec), config.cell_order),
        burst=burst[order],
        source=source[order],
        true_ra=true_ra[order],
        true_dec=true_dec[order],
    )


def _identify(time_us: np.ndarray, style: str, prefix: str) -> tuple[np.ndarray, list[str]]:
    """Trigger numbers and names from the UTC time: 'bn150615751' (day and thousandths
    of a day, bumped past a number already given) or 'EP150615a' (a letter per day)."""
    stamps = time_us.astype("datetime64[us]")
    days = stamps.astype("datetime64[D]")
    ids: list[int] = []
    names: list[str] = []
    previous, letter = None, 0
    for t, day in zip(stamps, days, strict=True):
        text = str(day)
        yymmdd = int(text[2:4] + text[5:7] + text[8:10])
        if style == "day_fraction":
            frac = int((t - day) / np.timedelta64(1, "D") * 1000)
            number = yymmdd * 1000 + frac
            if ids and number <= ids[-1]:
                number = ids[-1] + 1
            ids.append(number)
            names.append(f"{prefix}{number:09d}")
        else:
            letter = letter + 1 if day == previous else 0
            ids.append(yymmdd * 1000 + letter)
            names.append(f"{prefix}{yymmdd:06d}{_letters(letter)}")
        previous = day
    return np.asarray(ids, dtype=np.int64), names


def _letters(i: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    return alphabet[i] if i < 26 else alphabet[i // 26 - 1] + alphabet[i % 26]
