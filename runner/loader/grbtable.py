"""The Swift GRB table's text format (tab-separated, one GRB per line) into swift.bursts rows.

Its quirks, each handled in the open: ``n/a`` cells (NULL); ragged rows (fewer
cells than the header: the row is rejected, since cells cannot be matched to
columns); bytes that are not UTF-8 (read as latin-1); a Trigger Number cell
holding several values joined by ``|`` (rejected as ambiguous), a ``*``
annotation (stripped: it marks a note, not a different trigger) or a non-Swift
trigger such as ``Fermi`` (rejected: not a BAT trigger); the date only in the
GRB name (``YYMMDD`` plus a letter) with the time in its own column.

Catalogued GRBs are confirmed bursts, so their ``significance`` is 1 (docs/data.md).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

GRB = "GRB"
TIME = "Time [UT]"
TRIGGER = "Trigger Number"
BAT_RA, BAT_DEC = "BAT RA (J2000)", "BAT Dec (J2000)"
BAT_ERR = "BAT 90% Error Radius [arcmin]"
T90 = "BAT T90 [sec]"
FLUENCE_PREFIX = "BAT Fluence (15-150 keV)"
PEAK_PREFIX = "BAT 1-sec Peak Photon Flux (15-150 keV)"
INDEX_PREFIX = "BAT Photon Index (15-150 keV)"
XRT_RA = "XRT RA (J2000)"
REDSHIFT = "Redshift"
_NAME = re.compile(r"^(?:GRB\s*)?(\d{2})(\d{2})(\d{2})([A-Z]?)$")
_NUMBER = re.compile(r"^[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def is_grb_table(text: str) -> bool:
    first = text.split("\n", 1)[0]
    return "\t" in first and GRB in first.split("\t")[0] and TRIGGER in first


def _leading_number(cell: str | None) -> float | None:
    """'1.55 (PL)' -> 1.55; 'n/a' -> None. Text after the number is a note."""
    if cell is None:
        return None
    match = _NUMBER.match(cell.strip().lstrip("~<>"))
    return float(match.group(0)) if match else None


def _column(header: list[str], prefix: str) -> str | None:
    return next((h for h in header if h.startswith(prefix) and "Error" not in h), None)


def _trigger(cell: str) -> tuple[int | None, str | None]:
    values = [v.strip().rstrip("*").strip() for v in cell.split("|") if v.strip()]
    if len(values) > 1:
        return None, f"Trigger Number {cell!r} holds several triggers; ambiguous"
    if not values or not values[0].isdigit():
        return None, f"Trigger Number {cell!r} is not a Swift/BAT trigger number"
    return int(values[0]), None


def _trigger_time(name: str, clock: str) -> tuple[str | None, str | None]:
    match = _NAME.match(name.strip())
    if not match:
        return None, f"GRB name {name!r} does not carry a YYMMDD date"
    yy, mm, dd = (int(g) for g in match.groups()[:3])
    try:
        day = dt.date(2000 + yy, mm, dd)
        hh, mi, ss = [*clock.strip().split(":"), "0", "0"][:3]
        moment = dt.datetime.combine(day, dt.time()) + dt.timedelta(
            hours=int(hh), minutes=int(mi), seconds=float(ss)
        )
    except ValueError:
        return None, f"date {name!r} / time {clock!r} is not a valid UTC time"
    return moment.isoformat(), None


def read_grb_table(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    lines = text.splitlines()
    header = [h.strip() for h in lines[0].split("\t")]
    columns = {
        "fluence": _column(header, FLUENCE_PREFIX),
        "peak": _column(header, PEAK_PREFIX),
        "index": _column(header, INDEX_PREFIX),
    }
    for line, raw_line in enumerate(lines[1:], start=1):
        if not raw_line.strip():
            continue
        cells = raw_line.split("\t")
        if len(cells) < len(header):
            yield (
                line,
                {"__ragged__": f"{len(cells)} cells, header has {len(header)}", "line": raw_line},
            )
            continue
        cell = dict(zip(header, (c.strip() for c in cells), strict=False))
        yield line, _burst(cell, columns)


def _burst(cell: dict[str, str], columns: dict[str, str | None]) -> dict[str, Any]:
    trigger_id, problem = _trigger(cell.get(TRIGGER, ""))
    if problem:
        return {"__reject__": problem, **cell}
    when, problem = _trigger_time(cell.get(GRB, ""), cell.get(TIME, ""))
    if problem:
        return {"__reject__": problem, **cell}
    err_arcmin = _leading_number(cell.get(BAT_ERR))
    fluence = _leading_number(cell.get(columns["fluence"] or ""))
    xrt = cell.get(XRT_RA, "n/a")
    return {
        "trigger_id": trigger_id,
        "grb_name": f"GRB {cell[GRB].removeprefix('GRB').strip()}",
        "trigger_time": when,
        "ra": cell.get(BAT_RA),
        "dec": cell.get(BAT_DEC),
        "err_radius_arcsec": None if err_arcmin is None else err_arcmin * 60,
        "t90_seconds": _leading_number(cell.get(T90)),
        "fluence_erg_cm2": None if fluence is None else fluence * 1e-7,
        "peak_flux_ph_cm2_s": _leading_number(cell.get(columns["peak"] or "")),
        "photon_index": _leading_number(cell.get(columns["index"] or "")),
        "significance": 1.0,
        "xrt_detected": xrt.lower() not in ("n/a", ""),
        "redshift": _leading_number(cell.get(REDSHIFT)),
    }
