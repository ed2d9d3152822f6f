"""Instrument profiles: how an observatory other than the seed's two measures, by kind.

Swift and Chandra have generators of their own (swift_*.py, chandra_rows.py).
Any other observatory of a stack is generated from its kinds (generic_rows.py)
and the profile here: what its trigger instrument issues (``triggers``) and
what its pointed instrument records (``observations``, ``measurements``,
``detections``). A name with no profile gets ``default_profile``: a generic
trigger instrument and X-ray imager, documented in docs/data.md. Figures are
round public values (mission pages); the rates are plausible, not measured.

Position errors of measured points are the 90% radius the row reports; the
drawn position is the true one plus noise truncated at 1.1 arcsec, as for
Swift (sphere.py), so every planted cross-match is exact. NuSTAR's quoted
error (5-15 arcsec, about its 8 arcsec absolute astrometry) stays below
``cross_observatory_objects``' default ``max_error_arcsec`` of 20, so its
targets take part in cross-matching; a profile with larger errors (SVOM MXT's
arcminutes) places no target there, as in real use.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


@dataclass(frozen=True)
class TriggerProfile:
    instrument: str
    per_year: float  # triggers a year at --burst-rate-multiplier 1
    err_arcsec: tuple[float, float, float]  # p10 / p50 / p90 of the 90% radius (stat + sys)
    err_clip: tuple[float, float]
    snr_median: float  # of the trigger's signal-to-noise; significance 1 - exp(-snr / 4)
    snr_min: float  # the trigger threshold
    name_style: str  # "day_fraction" ('bn150615123') or "day_letter" ('EP240315a')
    name_prefix: str
    swift_share: float  # of Swift's bursts in the mission it also triggered on


@dataclass(frozen=True)
class PointingProfile:
    instrument: str  # observations.instrument and detections.instrument
    modules: tuple[str, ...]  # measurements.instrument: one light curve each
    band: str
    err_arcsec: tuple[float, float]  # 90% position radius of a point or detection, uniform
    rows_per_observation: float  # background pointings: --rows / this
    bins: float  # mean light-curve points per module and observation
    exposure_s: float  # median exposure
    rate_factor: float  # count rate per Swift XRT count/s of the same source
    ecf: float  # erg cm^-2 per count in the band
    id_prefix: str  # observation ids: prefix + 5-digit sky cell + 4-digit sequence
    catalogue: str  # detections' source-name prefix
    field_arcsec: float  # serendipitous sources detected within this of the aim point


@dataclass(frozen=True)
class InstrumentProfile:
    observatory: str
    profile: str  # the profile's own name ("default" when the observatory has none)
    first_day: str  # mission start: nothing of it is dated earlier
    triggers: TriggerProfile
    pointing: PointingProfile

    @property
    def first_us(self) -> int:
        return int(np.datetime64(self.first_day, "us").astype(np.int64))


def _parse(cell: str, kind: str) -> Any:
    """A table cell as its field's type: "-" an empty string, "a/b" a tuple of floats,
    "a,b" a tuple of strings."""
    if kind == "float":
        return float(cell)
    if kind.startswith("tuple[float"):
        return tuple(float(part) for part in cell.split("/"))
    if kind == "tuple[str, ...]":
        return tuple(cell.split(","))
    return "" if cell == "-" else cell


def _table(cls: type[T], text: str) -> dict[str, T]:
    """A profile a column of ``text``: its first row names the columns, each other row
    gives one of ``cls``' fields, the field's name first."""
    header, *lines = (line.split() for line in text.strip().splitlines())
    cells = {line[0]: line[1:] for line in lines}
    kinds = {f.name: str(f.type) for f in fields(cls)}
    assert list(cells) == list(kinds), f"{cls.__name__} rows: {list(cells)}"
    return {
        name: cls(**{field: _parse(row[i], kinds[field]) for field, row in cells.items()})
        for i, name in enumerate(header[1:])
    }


# The trigger instruments (fields as in TriggerProfile; name_prefix "-": the
# observatory's name, upper case). GBM: 1.5/3.5/8 deg, statistical + ~3.7 deg
# systematic, clipped to 1-10 deg; snr_min is its rate trigger's threshold, in
# sigma; its swift_share is unconfirmed (GBM sees about a quarter of BAT's
# bursts). WXT: 2-3 arcmin. ECLAIRs: about 10 arcmin.
TRIGGERS = _table(
    TriggerProfile,
    """
field         default     fermi             einstein_probe  svom
instrument    TRIGGER     GBM               WXT             ECLAIRs
per_year      50          240               100             60
err_arcsec    60/180/480  5400/12600/28800  120/150/180     480/600/780
err_clip      30/1200     3600/36000        60/300          240/1200
snr_median    10          10                9               9
snr_min       5           4.5               5               6.5
name_style    day_letter  day_fraction      day_letter      day_fraction
name_prefix   -           bn                EP              sb
swift_share   0.1         0.25              0.1             0.1
""",
)

# The pointed instruments (fields as in PointingProfile; catalogue "-": the
# observatory's name, upper case). NuSTAR's err_arcsec stays below the
# cross-match's default max_error_arcsec of 20; MXT's arcminutes lie beyond it.
POINTINGS = _table(
    PointingProfile,
    """
field                 default    nustar     xmm                          einstein_probe  svom
instrument            IMAGER     FPMA+FPMB  EPIC                         FXT             MXT
modules               IMAGER     FPMA,FPMB  EPIC-pn,EPIC-MOS1,EPIC-MOS2  FXT-A,FXT-B     MXT
band                  0.5-10keV  3-79keV    0.2-12keV                    0.5-10keV       0.2-10keV
err_arcsec            2/5        5/15       1.5/4                        5/10            60/180
rows_per_observation  2000       2000       1000                         4000            4000
bins                  4          5          3                            4               4
exposure_s            10000      40000      30000                        5000            5000
rate_factor           1          0.3        4                            1.5             0.5
ecf                   1e-11      4e-11      5e-12                        1e-11           1e-11
id_prefix             9          8          0                            7               6
catalogue             -          NuSTAR     4XMM                         EP              SVOM
field_arcsec          600        360        900                          600             600
""",
)
DEFAULT_TRIGGERS = TRIGGERS["default"]
DEFAULT_POINTING = POINTINGS["default"]

# Mission start: nothing of the observatory is dated earlier (Fermi: GBM's
# first trigger catalogue entries). An observatory without a column of its own
# in a table above takes that table's default.
FIRST_DAYS = {
    "fermi": "2008-07-14",
    "nustar": "2012-08-01",
    "xmm": "2000-01-01",
    "einstein_probe": "2024-01-09",
    "svom": "2024-06-22",
}
PROFILES: dict[str, InstrumentProfile] = {
    name: InstrumentProfile(
        name, name, day, TRIGGERS.get(name, DEFAULT_TRIGGERS), POINTINGS.get(name, DEFAULT_POINTING)
    )
    for name, day in FIRST_DAYS.items()
}

DEFAULT_FIRST_DAY = "2005-01-01"


def profile_for(observatory: str) -> InstrumentProfile:
    """The observatory's profile, or the documented default under its own name."""
    known = PROFILES.get(observatory)
    if known:
        return known
    upper = observatory.upper()
    return InstrumentProfile(
        observatory,
        "default",
        DEFAULT_FIRST_DAY,
        TriggerProfile(**{**DEFAULT_TRIGGERS.__dict__, "name_prefix": upper}),
        PointingProfile(**{**DEFAULT_POINTING.__dict__, "catalogue": upper}),
    )
