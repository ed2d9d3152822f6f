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

from dataclasses import dataclass

import numpy as np

DEG = 3600.0  # arcsec


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


DEFAULT_TRIGGERS = TriggerProfile(
    instrument="TRIGGER",
    per_year=50.0,
    err_arcsec=(60.0, 180.0, 480.0),
    err_clip=(30.0, 1200.0),
    snr_median=10.0,
    snr_min=5.0,
    name_style="day_letter",
    name_prefix="",  # the observatory's name, upper case
    swift_share=0.1,
)
DEFAULT_POINTING = PointingProfile(
    instrument="IMAGER",
    modules=("IMAGER",),
    band="0.5-10keV",
    err_arcsec=(2.0, 5.0),
    rows_per_observation=2000.0,
    bins=4.0,
    exposure_s=10_000.0,
    rate_factor=1.0,
    ecf=1e-11,
    id_prefix="9",
    catalogue="",  # the observatory's name, upper case
    field_arcsec=600.0,
)

PROFILES: dict[str, InstrumentProfile] = {
    "fermi": InstrumentProfile(
        "fermi",
        "fermi",
        "2008-07-14",  # GBM's first trigger catalogue entries
        TriggerProfile(
            instrument="GBM",
            per_year=240.0,  # GBM's GRB triggers
            err_arcsec=(1.5 * DEG, 3.5 * DEG, 8.0 * DEG),  # statistical + ~3.7 deg systematic
            err_clip=(1.0 * DEG, 10.0 * DEG),
            snr_median=10.0,
            snr_min=4.5,  # the rate-trigger threshold, sigma
            name_style="day_fraction",
            name_prefix="bn",
            swift_share=0.25,  # unconfirmed: GBM sees about a quarter of BAT's bursts
        ),
        DEFAULT_POINTING,
    ),
    "nustar": InstrumentProfile(
        "nustar",
        "nustar",
        "2012-08-01",
        DEFAULT_TRIGGERS,
        PointingProfile(
            instrument="FPMA+FPMB",
            modules=("FPMA", "FPMB"),
            band="3-79keV",
            err_arcsec=(5.0, 15.0),  # below the cross-match's default max_error_arcsec of 20
            rows_per_observation=2000.0,
            bins=5.0,
            exposure_s=40_000.0,
            rate_factor=0.3,
            ecf=4e-11,
            id_prefix="8",
            catalogue="NuSTAR",
            field_arcsec=360.0,
        ),
    ),
    "xmm": InstrumentProfile(
        "xmm",
        "xmm",
        "2000-01-01",
        DEFAULT_TRIGGERS,
        PointingProfile(
            instrument="EPIC",
            modules=("EPIC-pn", "EPIC-MOS1", "EPIC-MOS2"),
            band="0.2-12keV",
            err_arcsec=(1.5, 4.0),
            rows_per_observation=1000.0,
            bins=3.0,
            exposure_s=30_000.0,
            rate_factor=4.0,
            ecf=5e-12,
            id_prefix="0",
            catalogue="4XMM",
            field_arcsec=900.0,
        ),
    ),
    "einstein_probe": InstrumentProfile(
        "einstein_probe",
        "einstein_probe",
        "2024-01-09",
        TriggerProfile(
            instrument="WXT",
            per_year=100.0,
            err_arcsec=(120.0, 150.0, 180.0),  # WXT: 2-3 arcmin
            err_clip=(60.0, 300.0),
            snr_median=9.0,
            snr_min=5.0,
            name_style="day_letter",
            name_prefix="EP",
            swift_share=0.1,
        ),
        PointingProfile(
            instrument="FXT",
            modules=("FXT-A", "FXT-B"),
            band="0.5-10keV",
            err_arcsec=(5.0, 10.0),
            rows_per_observation=4000.0,
            bins=4.0,
            exposure_s=5_000.0,
            rate_factor=1.5,
            ecf=1e-11,
            id_prefix="7",
            catalogue="EP",
            field_arcsec=600.0,
        ),
    ),
    "svom": InstrumentProfile(
        "svom",
        "svom",
        "2024-06-22",
        TriggerProfile(
            instrument="ECLAIRs",
            per_year=60.0,
            err_arcsec=(480.0, 600.0, 780.0),  # about 10 arcmin
            err_clip=(240.0, 1200.0),
            snr_median=9.0,
            snr_min=6.5,
            name_style="day_fraction",
            name_prefix="sb",
            swift_share=0.1,
        ),
        PointingProfile(
            instrument="MXT",
            modules=("MXT",),
            band="0.2-10keV",
            err_arcsec=(60.0, 180.0),  # MXT: arcminutes; beyond cross-matching's 20 arcsec
            rows_per_observation=4000.0,
            bins=4.0,
            exposure_s=5_000.0,
            rate_factor=0.5,
            ecf=1e-11,
            id_prefix="6",
            catalogue="SVOM",
            field_arcsec=600.0,
        ),
    ),
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
