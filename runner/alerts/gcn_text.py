"""Classic GCN text notices (``gcn.classic.text.*``): ``KEY: value`` lines.

``TRIGGER_NUM``, ``GRB_RA``/``GRB_DEC`` (the first ``...d`` value, J2000),
``GRB_ERROR`` (the unit in its brackets: arcmin for Swift, deg for Fermi
GBM; arcmin when none is given), ``GRB_DATE`` (TJD, checked against the
``yy/mm/dd`` beside it) and ``GRB_TIME`` (seconds of day, UTC). A line that
starts with blanks continues the key above (GRB_RA's current and 1950
positions); a key given twice keeps its first value.
"""

from __future__ import annotations

import datetime as dt
import re

from runner.alerts.model import (
    Facts,
    NoticeError,
    check_radius,
    integer_id,
    number,
    tjd_sod,
)

_KEY = re.compile(r"^([A-Z][A-Z0-9_]*):\s*(.*)$")
_DEGREES = re.compile(r"^([+-]?\d+(?:\.\d*)?)d\b")
_LEADING_NUMBER = re.compile(r"^([+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)")
_ERROR_UNITS = {"arcmin": 60.0, "arcsec": 1.0, "deg": 3600.0}
SNR_KEYS = ("IMAGE_SIGNIF", "RATE_SIGNIF", "TRIGGER_SIGNIF", "DATA_SIGNIF")
MAX_LINES = 500


def fields(text: str) -> dict[str, str]:
    """``KEY: value`` lines as a mapping (first value of each key)."""
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise NoticeError(f"text notice of {len(lines)} lines (at most {MAX_LINES})")
    found: dict[str, str] = {}
    for line in lines:
        match = _KEY.match(line)
        if match:
            found.setdefault(match.group(1), match.group(2).strip())
    if not found:
        raise NoticeError("not a GCN text notice: no 'KEY: value' line")
    return found


def _leading(value: str, key: str) -> float:
    match = _LEADING_NUMBER.match(value)
    if match is None:
        raise NoticeError(f"{key} does not start with a number ({value[:40]!r})")
    return number(match.group(1), key)


def _degrees(value: str, key: str) -> float:
    match = _DEGREES.match(value)
    if match is None:
        raise NoticeError(f"{key} is not degrees such as '306.0159d' ({value[:40]!r})")
    return number(match.group(1), key)


def _error_arcsec(value: str) -> float:
    amount = _leading(value, "GRB_ERROR")
    bracket = re.search(r"\[\s*([a-z]+)", value)
    unit = bracket.group(1) if bracket else "arcmin"
    if unit not in _ERROR_UNITS:
        raise NoticeError(f"GRB_ERROR unit {unit!r} is not one of {', '.join(_ERROR_UNITS)}")
    return check_radius(amount * _ERROR_UNITS[unit], "GRB_ERROR")


def _trigger_time(found: dict[str, str]) -> dt.datetime:
    date, time = found["GRB_DATE"], found["GRB_TIME"]
    tjd = _leading(date, "GRB_DATE")
    moment = tjd_sod(tjd, _leading(time, "GRB_TIME"), "GRB_DATE/GRB_TIME")
    written = re.search(r"(\d\d)/(\d\d)/(\d\d)", date)
    if written:
        yy, mm, dd = (int(g) for g in written.groups())
        if (moment.year % 100, moment.month, moment.day) != (yy, mm, dd):
            raise NoticeError(
                f"GRB_DATE: TJD {tjd:g} is {moment.date()}"
                f" but the date written is {written.group(0)}"
            )
    return moment


def _notice_time(value: str) -> dt.datetime:
    """NOTICE_DATE, e.g. 'Mon 15 Jun 15 18:31:33 UT'."""
    try:
        return dt.datetime.strptime(value.strip(), "%a %d %b %y %H:%M:%S UT")
    except ValueError:
        raise NoticeError(
            f"NOTICE_DATE is not like 'Mon 15 Jun 15 18:31:33 UT' ({value[:40]!r})"
        ) from None


def parse(text: str) -> Facts:
    found = fields(text)
    if "TRIGGER_NUM" not in found:
        raise NoticeError("missing field TRIGGER_NUM")
    trigger = re.match(r"\d+", found["TRIGGER_NUM"])
    if trigger is None:
        raise NoticeError(f"TRIGGER_NUM is not an integer ({found['TRIGGER_NUM'][:40]!r})")
    trigger_id = integer_id(trigger.group(0), "TRIGGER_NUM")
    notice_type = found.get("NOTICE_TYPE", "")
    retraction = "retract" in notice_type.lower() or found.get("RETRACTION", "").lower() in (
        "yes",
        "true",
    )
    if not retraction:
        for key in ("GRB_RA", "GRB_DEC", "GRB_ERROR", "GRB_DATE", "GRB_TIME"):
            if key not in found:
                raise NoticeError(f"missing field {key}")
    snr_key = next((k for k in SNR_KEYS if k in found), None)
    has_time = "GRB_DATE" in found and "GRB_TIME" in found
    return Facts(
        trigger_id=trigger_id,
        kind="retraction" if retraction else "position",
        trigger_time=_trigger_time(found) if has_time else None,
        ra=_degrees(found["GRB_RA"], "GRB_RA") if "GRB_RA" in found else None,
        dec=_degrees(found["GRB_DEC"], "GRB_DEC") if "GRB_DEC" in found else None,
        err_radius_arcsec=_error_arcsec(found["GRB_ERROR"]) if "GRB_ERROR" in found else None,
        snr=None if snr_key is None else _leading(found[snr_key], snr_key),
        notice_time=_notice_time(found["NOTICE_DATE"]) if "NOTICE_DATE" in found else None,
    )
