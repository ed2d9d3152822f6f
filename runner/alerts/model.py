"""What a parsed notice is, and the checks every format shares (docs/alerts.md, "Notice formats").

Each format module turns its text into the same few facts and hands them to
``make_notice``, so the ranges and units a trigger row relies on are checked
in one place whatever the format. A problem is a ``NoticeError`` with one
line naming the field; ``parse_notice`` turns it into ``Rejected``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["position", "retraction"]
SourceFormat = Literal["gcn_json", "voevent", "gcn_text"]

# As the loader's range check (runner/loader/validate.py): nothing older is a trigger.
EARLIEST = dt.datetime(1990, 1, 1)
LATEST = dt.datetime(2200, 1, 1)
BIGINT_MAX = 2**63 - 1
# A radius beyond a hemisphere is no localisation.
MAX_ERR_RADIUS_ARCSEC = 180.0 * 3600.0
# TJD (truncated Julian day) 0 is JD 2440000.5, midnight UTC of 1968-05-24.
TJD_EPOCH = dt.datetime(1968, 5, 24)


class NoticeError(ValueError):
    """A notice that cannot become a trigger fact; the message is the one-line reason."""


@dataclass(frozen=True)
class Notice:
    """One GCN notice about one trigger, in the stack's units (UTC, ICRS degrees, arcsec).

    A ``position`` notice always has trigger_time, ra, dec and
    err_radius_arcsec; a ``retraction`` names the trigger it withdraws and
    may lack them. ``significance`` is None when the notice gives no SNR.
    """

    observatory: str
    trigger_id: int
    trigger_name: str
    kind: Kind
    trigger_time: dt.datetime | None
    ra: float | None
    dec: float | None
    err_radius_arcsec: float | None
    significance: float | None
    notice_time: dt.datetime | None
    record_number: int | None
    source_format: SourceFormat
    topic: str


@dataclass(frozen=True)
class Rejected:
    """A message that is no notice we can use: ``reason`` is one line naming what is wrong."""

    reason: str


def number(value: object, name: str) -> float:
    """A finite float from a JSON/XML/text value; booleans and NaN/inf are refused."""
    if isinstance(value, bool) or value is None:
        raise NoticeError(f"{name} is not a number ({_show(value)})")
    if isinstance(value, int | float):
        result = float(value) if not isinstance(value, int) or abs(value) < 2**1023 else math.inf
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            raise NoticeError(f"{name} is not a number ({_show(value)})") from None
    else:
        raise NoticeError(f"{name} is not a number ({_show(value)})")
    if not math.isfinite(result):
        raise NoticeError(f"{name} is not a finite number ({_show(value)})")
    return result


def integer_id(value: object, name: str) -> int:
    """A trigger id: an integer, or digits ("01708973486"), in [0, BIGINT's maximum]."""
    if isinstance(value, bool):
        raise NoticeError(f"{name} is not an integer ({_show(value)})")
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,30}\s*", value):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise NoticeError(f"{name} is not an integer ({_show(value)})")
    if not 0 <= value <= BIGINT_MAX:
        raise NoticeError(f"{name} {_show(value)} is outside [0, 2^63 - 1]")
    return value


def utc_time(value: object, name: str) -> dt.datetime:
    """Naive UTC from ISO 8601 ("2015-06-15T18:31:00.000Z", an offset, or none meaning UTC)."""
    if not isinstance(value, str):
        raise NoticeError(f"{name} is not an ISO 8601 time ({_show(value)})")
    text = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise NoticeError(f"{name} is not an ISO 8601 time ({_show(value)})") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return in_range_time(parsed, name)


def in_range_time(value: dt.datetime, name: str) -> dt.datetime:
    if not EARLIEST <= value < LATEST:
        raise NoticeError(
            f"{name} {value.isoformat()} is outside [{EARLIEST.year}-01-01, {LATEST.year}-01-01)"
        )
    return value


def tjd_sod(tjd: float, sod: float, name: str) -> dt.datetime:
    """UTC from a truncated Julian day and seconds of day (classic GCN: GRB_DATE, GRB_TIME)."""
    if not 0 <= sod < 86401:  # 86400.x in a leap second
        raise NoticeError(f"{name}: seconds of day {sod} is outside [0, 86400]")
    if not 0 <= tjd < 100000:
        raise NoticeError(f"{name}: TJD {tjd} is outside [0, 100000)")
    moment = TJD_EPOCH + dt.timedelta(days=int(tjd), microseconds=round(sod * 1e6))
    return in_range_time(moment, name)


def radius_90_arcsec(radius_deg: float, containment: float, name: str) -> float:
    """The 90% radius in arcsec from a radius in degrees at another containment.

    A circular Gaussian error (Rayleigh-distributed offset) has the radius
    at containment p proportional to sqrt(-2 ln(1 - p)), so
    r90 = r_p * sqrt(ln 10 / -ln(1 - p)); p = 0.9 leaves it as it is.
    """
    if not 0 < containment < 1:
        raise NoticeError(f"containment_probability {containment} is outside (0, 1)")
    scale = 1.0 if containment == 0.9 else math.sqrt(math.log(10.0) / -math.log1p(-containment))
    return check_radius(radius_deg * 3600.0 * scale, name)


def check_radius(arcsec: float, name: str) -> float:
    if not 0 < arcsec <= MAX_ERR_RADIUS_ARCSEC:
        raise NoticeError(
            f"{name} {arcsec:g} arcsec is outside (0, {MAX_ERR_RADIUS_ARCSEC:g}] (0 to 180 degrees)"
        )
    return arcsec


def significance(snr: float | None) -> float | None:
    """The stack's [0, 1] significance: 1 - exp(-snr / 4) (docs/data.md), None without an SNR."""
    if snr is None:
        return None
    if snr < 0:
        raise NoticeError(f"SNR {snr:g} is negative")
    return 1.0 - math.exp(-snr / 4.0)


def position(ra: float, dec: float) -> tuple[float, float]:
    """ICRS degrees checked, ra normalised into [0, 360) (360 is 0)."""
    if not 0 <= ra <= 360:
        raise NoticeError(f"ra {ra:g} is outside [0, 360]")
    if not -90 <= dec <= 90:
        raise NoticeError(f"dec {dec:g} is outside [-90, 90]")
    return ra % 360.0, dec


@dataclass(frozen=True)
class Facts:
    """What a format module reads from one message, before the topic's observatory names it."""

    trigger_id: int
    kind: Kind
    trigger_time: dt.datetime | None = None
    ra: float | None = None
    dec: float | None = None
    err_radius_arcsec: float | None = None
    snr: float | None = None
    notice_time: dt.datetime | None = None
    record_number: int | None = None
    trigger_name: str | None = None


def make_notice(
    facts: Facts, *, topic: str, observatory: str, source_format: SourceFormat, trigger_name: str
) -> Notice:
    """A Notice once the facts every trigger row needs are there and in range."""
    if facts.kind == "position":
        for name, value in (
            ("trigger_time", facts.trigger_time),
            ("ra", facts.ra),
            ("dec", facts.dec),
            ("error radius", facts.err_radius_arcsec),
        ):
            if value is None:
                raise NoticeError(f"missing {name}: a position notice needs it")
    ra, dec = facts.ra, facts.dec
    if ra is not None and dec is not None:
        ra, dec = position(ra, dec)
    elif (ra is None) != (dec is None):
        raise NoticeError(f"missing {'ra' if ra is None else 'dec'}: it comes with the other")
    return Notice(
        observatory=observatory,
        trigger_id=facts.trigger_id,
        trigger_name=trigger_name,
        kind=facts.kind,
        trigger_time=facts.trigger_time,
        ra=ra,
        dec=dec,
        err_radius_arcsec=facts.err_radius_arcsec,
        significance=significance(facts.snr),
        notice_time=facts.notice_time,
        record_number=facts.record_number,
        source_format=source_format,
        topic=topic,
    )


def _show(value: object, limit: int = 40) -> str:
    huge = isinstance(value, int) and value.bit_length() >= 200
    text = "a huge integer" if huge else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
