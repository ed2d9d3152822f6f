"""The burst catalogue, drawn once for the whole sky before any cell.

Bursts are few (about 97 a year, 1940 over 2005-2025 at the default rate),
and their names and trigger numbers need the global time order (the letter
after the date, numbers rising with time), so they are the one thing held for
the whole run: O(bursts), independent of ``rows``. Each burst then belongs to
the cell of its afterglow's slot and is written with that cell.

Positions: the true (afterglow) position is a slot's; XRT measures it within
min(error, 1.1 arcsec); BAT's position lies within its 90% radius of the XRT
position (of the true one when XRT saw nothing), so a Chandra pointing at the
XRT position is always inside the BAT circle. Bursts closer than 0.5 degree
within 90 days of each other are moved, so a follow-up can only answer its
own burst.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from runner.datagen import distributions as dist
from runner.datagen.config import DAY_US, END_US, START_US, GeneratorConfig
from runner.datagen.sphere import (
    SLOT_ORDER,
    SWIFT_CAP_ARCSEC,
    in_cells,
    place,
    scatter,
    separation_deg,
    slot_cells,
)

FIRST_TRIGGER = 100_000  # BAT trigger numbers start near here at the end of 2004
TRIGGERS_PER_YEAR = 57_000  # rate triggers included: about 1.18e6 by 2023
TRIGGER_EPOCH_US = int(np.datetime64("2004-11-20", "us").astype(np.int64))
CLEAR_DEG, CLEAR_DAYS = 0.5, 90.0
WINDOW_DAYS = (0.5, 7.0)  # planted follow-ups: log-uniform delay in this range
LATE_DAYS = (10.0, 60.0)  # a later epoch outside the 7-day window
SECOND_EPOCH, THIRD_EPOCH, LATE_EPOCH = 0.25, 0.05, 0.3


@dataclass
class BurstCatalog:
    """Column arrays, one entry per burst, in trigger-time order."""

    trigger_id: np.ndarray
    grb_name: list[str]
    time_us: np.ndarray
    slot: np.ndarray
    cell: np.ndarray
    true_ra: np.ndarray
    true_dec: np.ndarray
    bat_ra: np.ndarray
    bat_dec: np.ndarray
    bat_err: np.ndarray
    xrt_detected: np.ndarray
    xrt_ra: np.ndarray
    xrt_dec: np.ndarray
    xrt_err: np.ndarray
    uvot_detected: np.ndarray
    uvot_ra: np.ndarray
    uvot_dec: np.ndarray
    uvot_err: np.ndarray
    t90: np.ndarray
    fluence: np.ndarray
    peak_flux: np.ndarray
    photon_index: np.ndarray
    image_snr: np.ndarray
    pcode: np.ndarray
    trigger_method: list[str]
    significance: np.ndarray
    redshift: np.ndarray
    # planted Chandra follow-ups, one entry per observation
    fu_burst: np.ndarray
    fu_delay_us: np.ndarray
    fu_in_window: np.ndarray
    fu_detected: np.ndarray

    def __len__(self) -> int:
        return len(self.time_us)

    def in_cell(self, cell: int) -> np.ndarray:
        lo, hi = np.searchsorted(self.cell_sorted, [cell, cell + 1])
        return self.cell_order_index[lo:hi]

    def followups_in(self, bursts: np.ndarray) -> np.ndarray:
        return np.flatnonzero(np.isin(self.fu_burst, bursts))

    def __post_init__(self) -> None:
        self.cell_order_index = np.argsort(self.cell, kind="stable")
        self.cell_sorted = self.cell[self.cell_order_index]


def build(config: GeneratorConfig, rng: np.random.Generator, excluded: set[int]) -> BurstCatalog:
    n = int(rng.poisson(config.expected_bursts))
    k = config.cell_order
    time_us = np.sort(rng.integers(START_US, END_US, n))
    slot = _free_slots(rng, n, excluded)
    slot, true_ra, true_dec = _spread(rng, slot, time_us, excluded)
    cell = slot_cells(slot, k)

    t90 = dist.t90_seconds(rng, n)
    short = t90 < 2.0
    bat_err = dist.bat_err_arcsec(rng, n)
    xrt_detected = rng.random(n) < dist.XRT_DETECTED
    uvot_detected = xrt_detected & (rng.random(n) < dist.UVOT_DETECTED)
    xrt_err = np.where(xrt_detected, dist.xrt_err_arcsec(rng, n), np.nan)
    uvot_err = np.where(uvot_detected, dist.uvot_err_arcsec(rng, n), np.nan)

    def near(r90: np.ndarray, cap: float | np.ndarray, ra: np.ndarray, dec: np.ndarray):
        safe = np.nan_to_num(r90, nan=1.0)
        cap = np.minimum(safe, cap) * 0.999
        return in_cells(cell, k, n, lambda i: scatter(rng, ra[i], dec[i], safe[i], cap[i]))

    xrt_ra, xrt_dec = near(xrt_err, SWIFT_CAP_ARCSEC, true_ra, true_dec)
    uvot_ra, uvot_dec = near(uvot_err, SWIFT_CAP_ARCSEC, true_ra, true_dec)
    ref_ra = np.where(xrt_detected, xrt_ra, true_ra)
    ref_dec = np.where(xrt_detected, xrt_dec, true_dec)
    bat_ra, bat_dec = near(bat_err, bat_err, ref_ra, ref_dec)
    snr = dist.image_snr(rng, bat_err)
    methods = rng.choice(len(dist.TRIGGER_METHODS), n, p=dist.TRIGGER_WEIGHTS)

    fu = _followups(rng, config, xrt_detected)
    return BurstCatalog(
        trigger_id=_trigger_ids(time_us),
        grb_name=_grb_names(time_us),
        time_us=time_us,
        slot=slot,
        cell=cell,
        true_ra=true_ra,
        true_dec=true_dec,
        bat_ra=bat_ra,
        bat_dec=bat_dec,
        bat_err=bat_err,
        xrt_detected=xrt_detected,
        xrt_ra=np.where(xrt_detected, xrt_ra, np.nan),
        xrt_dec=np.where(xrt_detected, xrt_dec, np.nan),
        xrt_err=xrt_err,
        uvot_detected=uvot_detected,
        uvot_ra=np.where(uvot_detected, uvot_ra, np.nan),
        uvot_dec=np.where(uvot_detected, uvot_dec, np.nan),
        uvot_err=uvot_err,
        t90=t90,
        fluence=dist.fluence_erg_cm2(rng, n),
        peak_flux=dist.peak_flux(rng, n),
        photon_index=dist.photon_index(rng, short),
        image_snr=snr,
        pcode=dist.pcode(rng, n),
        trigger_method=[dist.TRIGGER_METHODS[m] for m in methods],
        significance=dist.significance(snr),
        redshift=dist.redshift(rng, short),
        **fu,
    )


def _free_slots(rng: np.random.Generator, n: int, excluded: set[int]) -> np.ndarray:
    """``n`` distinct slots over the whole sky (equal-area: uniform), none excluded."""
    total = 12 * 4**SLOT_ORDER
    chosen: list[int] = []
    taken = set(excluded)
    while len(chosen) < n:
        for s in rng.integers(0, total, n - len(chosen) + 8).tolist():
            if s not in taken and len(chosen) < n:
                taken.add(s)
                chosen.append(s)
    return np.asarray(chosen, dtype=np.int64)


def _spread(
    rng: np.random.Generator, slot: np.ndarray, time_us: np.ndarray, excluded: set[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Move bursts that fall within CLEAR_DEG and CLEAR_DAYS of an earlier one."""
    ra, dec = place(rng, slot)
    taken = set(slot.tolist()) | excluded
    window = int(CLEAR_DAYS * DAY_US)
    for i in range(len(slot)):
        lo = int(np.searchsorted(time_us, time_us[i] - window))
        for _ in range(1000):
            if lo == i or separation_deg(ra[lo:i], dec[lo:i], ra[i], dec[i]).min() > CLEAR_DEG:
                break
            new = _free_slots(rng, 1, taken)
            taken.add(int(new[0]))
            slot[i] = new[0]
            r, d = place(rng, new)
            ra[i], dec[i] = r[0], d[0]
        else:  # pragma: no cover - needs bursts far denser than any multiplier allows
            raise RuntimeError("cannot keep bursts apart: the burst rate is too high")
    return slot, ra, dec


def _trigger_ids(time_us: np.ndarray) -> np.ndarray:
    years = (time_us - TRIGGER_EPOCH_US) / (365.25 * DAY_US)
    base = FIRST_TRIGGER + np.floor(years * TRIGGERS_PER_YEAR).astype(np.int64)
    ids = base - np.arange(len(base))  # strictly increasing: running max, then + index
    return np.maximum.accumulate(ids) + np.arange(len(base))


def _grb_names(time_us: np.ndarray) -> list[str]:
    """``GRB YYMMDD`` plus A, B, C... in order within the UTC day."""
    days = time_us.astype("datetime64[us]").astype("datetime64[D]")
    names, previous, letter = [], None, 0
    for day in days:
        letter = letter + 1 if day == previous else 0
        previous = day
        stamp = str(day)  # YYYY-MM-DD
        suffix = _letters(letter)
        names.append(f"GRB {stamp[2:4]}{stamp[5:7]}{stamp[8:10]}{suffix}")
    return names


def _letters(i: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return alphabet[i] if i < 26 else alphabet[i // 26 - 1] + alphabet[i % 26]


def _followups(
    rng: np.random.Generator, config: GeneratorConfig, xrt_detected: np.ndarray
) -> dict[str, np.ndarray]:
    """Which bursts Chandra follows up (a fraction of all, chosen among XRT-detected
    ones: Chandra needs an arcsecond position), the epochs and their delays."""
    n = len(xrt_detected)
    chance = min(1.0, config.followup_fraction / dist.XRT_DETECTED)
    followed = np.flatnonzero(xrt_detected & (rng.random(n) < chance))
    u = rng.random((len(followed), 3))
    epochs = 1 + (u[:, 0] < SECOND_EPOCH) + (u[:, 0] < THIRD_EPOCH)
    late = u[:, 1] < LATE_EPOCH
    lo, hi = np.log(WINDOW_DAYS[0]), np.log(WINDOW_DAYS[1])
    burst, delay, inside, seen = [], [], [], []
    for j, b in enumerate(followed.tolist()):
        days = np.sort(np.exp(rng.uniform(lo, hi, int(epochs[j]))))
        if late[j]:
            days = np.append(days, rng.uniform(*LATE_DAYS))
        for e, d in enumerate(days.tolist()):
            burst.append(b)
            delay.append(int(d * DAY_US))
            inside.append(d < WINDOW_DAYS[1])
            seen.append(bool(rng.random() < (0.9 if e == 0 else 0.6)))
    return {
        "fu_burst": np.asarray(burst, dtype=np.int64),
        "fu_delay_us": np.asarray(delay, dtype=np.int64),
        "fu_in_window": np.asarray(inside, dtype=bool),
        "fu_detected": np.asarray(seen, dtype=bool),
    }
