"""Real persistent and recurrent X-ray sources both observatories watch for years.

Positions are the catalogued ICRS coordinates (SIMBAD). Swift's names are the
spellings its planners used (ASTRO.md §1 C: V404 Cyg is V404CYG, V404_CYG,
"V404 CYG" and SWIFT J2025.5+3340 under one target id); Chandra's target
name is the usual one. Brightness is in XRT counts/s (0.3-10 keV): quiescent
level, outbursts as fast-rise exponential-decay flares at their real dates,
Eta Carinae's periodic X-ray minimum. Target ids are synthetic (below 100000,
so they never collide with a burst's trigger number).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from runner.datagen.config import DAY_US


def _utc(day: str) -> int:
    return int(np.datetime64(day, "us").astype(np.int64))


@dataclass(frozen=True)
class Outburst:
    peak_utc: int  # microseconds since 1970
    peak_rate: float  # XRT counts/s at the peak
    rise_days: float
    decay_days: float


@dataclass(frozen=True)
class PersistentSource:
    name: str  # Chandra's target name
    ra: float
    dec: float
    swift_names: tuple[str, ...]
    target_ids: tuple[int, ...]
    quiescent_rate: float
    variability: float  # log-normal width of the day-to-day scatter
    outbursts: tuple[Outburst, ...] = ()
    period_days: float = 0.0  # a periodic dip (Eta Car), 0 for none
    dip_utc: int = 0
    bat_bright: bool = False  # BAT survey points in 15-150 keV
    optical: bool = True  # UVOT sees a counterpart

    def xrt_rate(self, t_us: np.ndarray) -> np.ndarray:
        """True XRT count rate at the given times (before measurement noise)."""
        t = np.asarray(t_us, dtype=np.int64)
        rate = np.full(t.shape, self.quiescent_rate)
        for burst in self.outbursts:
            days = (t - burst.peak_utc) / DAY_US
            shape = np.where(
                days < 0,
                np.exp(np.clip(days, -50 * burst.rise_days, 0) / burst.rise_days),
                np.exp(-np.clip(days, 0, 50 * burst.decay_days) / burst.decay_days),
            )
            rate = rate + burst.peak_rate * shape
        if self.period_days:
            phase = ((t - self.dip_utc) / DAY_US / self.period_days + 0.5) % 1.0 - 0.5
            rate = rate * (1 - 0.9 * np.exp(-0.5 * (phase * self.period_days / 30.0) ** 2))
        return rate

    def epochs(self) -> list[int]:
        return [b.peak_utc for b in self.outbursts]


def _fred(day: str, peak: float, rise: float, decay: float) -> Outburst:
    return Outburst(_utc(day), peak, rise, decay)


PERSISTENT: tuple[PersistentSource, ...] = (
    PersistentSource(
        "V404 Cyg",
        306.0159,
        33.8672,
        ("V404CYG", "V404_CYG", "V404 CYG", "SWIFT J2025.5+3340"),
        (31403, 33861),
        0.002,
        0.5,
        (_fred("2015-06-20", 400.0, 3.0, 6.0), _fred("2015-12-26", 40.0, 2.0, 5.0)),
        bat_bright=True,
    ),
    PersistentSource(
        "Cyg X-1",
        299.5903,
        35.2016,
        ("CYG X-1", "CYGX-1", "Cyg_X-1"),
        (30373, 35150),
        120.0,
        0.3,
        bat_bright=True,
    ),
    PersistentSource(
        "Crab",
        83.6331,
        22.0145,
        ("CRAB", "Crab", "CRAB NEBULA"),
        (58000, 58001),
        600.0,
        0.03,
        bat_bright=True,
    ),
    PersistentSource(
        "Sco X-1",
        244.9795,
        -15.6402,
        ("SCO X-1", "SCOX-1"),
        (30417, 30418),
        900.0,
        0.2,
        bat_bright=True,
    ),
    PersistentSource(
        "GX 339-4",
        255.7057,
        -48.7897,
        ("GX 339-4", "GX339-4"),
        (30943, 30944),
        0.05,
        0.5,
        (
            _fred("2007-02-10", 150.0, 15.0, 60.0),
            _fred("2010-04-10", 200.0, 20.0, 90.0),
            _fred("2014-11-20", 60.0, 10.0, 40.0),
            _fred("2021-03-01", 180.0, 15.0, 70.0),
        ),
        bat_bright=True,
    ),
    PersistentSource(
        "Aql X-1",
        287.8168,
        0.5850,
        ("AQL X-1", "AQLX-1"),
        (30796, 30797),
        0.01,
        0.5,
        tuple(
            _fred(d, 120.0, 4.0, 12.0)
            for d in (
                "2007-06-01",
                "2009-11-20",
                "2011-10-25",
                "2013-06-10",
                "2016-08-05",
                "2018-08-15",
                "2020-08-20",
                "2022-09-01",
                "2024-09-10",
            )
        ),
    ),
    PersistentSource(
        "Sgr A*",
        266.41684,
        -29.00781,
        ("SGR A*", "SGRA*", "GALACTIC CENTER"),
        (90012, 91093),
        0.02,
        0.4,
        (_fred("2013-04-25", 8.0, 1.0, 40.0),),
        optical=False,
    ),
    PersistentSource(
        "MAXI J1820+070",
        275.0914,
        7.1854,
        ("MAXI J1820+070", "MAXIJ1820+070", "ASASSN-18EY"),
        (10627, 10628),
        0.003,
        0.5,
        (_fred("2018-03-25", 700.0, 8.0, 45.0),),
        bat_bright=True,
    ),
    PersistentSource(
        "Eta Car",
        161.26496,
        -59.68452,
        ("ETA CAR", "ETACAR", "ETA_CARINAE"),
        (31002, 31003),
        1.5,
        0.1,
        period_days=2022.7,
        dip_utc=_utc("2009-01-16"),
    ),
)
