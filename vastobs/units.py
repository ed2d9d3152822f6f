"""Human sizes and durations in stack config ("100TB", "80TiB", "7d").

Decimal units (KB, MB, GB, TB, PB) are powers of 1000, as VAST's UI and the
seed's ``storage_quota_tb`` use them; binary units (KiB ... PiB) are powers of
1024. A bare integer is a byte count (sizes) or seconds (durations).
"""

from __future__ import annotations

import re

_DECIMAL = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "PB": 10**15}
_BINARY = {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40, "PiB": 2**50}
UNIT_NAMES = (*_DECIMAL, *_BINARY)
SIZE_UNITS: dict[str, int] = {k.upper(): v for k, v in {**_DECIMAL, **_BINARY}.items()}
DURATION_UNITS: dict[str, int] = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

_NUMBER_UNIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")


def parse_size(value: object) -> int:
    """Bytes from ``"100TB"``, ``"80TiB"``, ``"1.5 GB"`` or an integer byte count.

    >>> parse_size("100TB"), parse_size("1KiB"), parse_size(512)
    (100000000000000, 1024, 512)
    """
    if isinstance(value, bool):
        raise ValueError("expected a size such as '100TB' or '80TiB'")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a size cannot be negative")
        return value
    match = _NUMBER_UNIT.match(str(value))
    unit = match.group(2).upper() if match else ""
    if not match or (unit or "B") not in SIZE_UNITS:
        allowed = ", ".join(UNIT_NAMES)
        raise ValueError(f"expected a size such as '100TB' or '80TiB' (units: {allowed})")
    return int(float(match.group(1)) * SIZE_UNITS[unit or "B"])


def parse_duration(value: object) -> int:
    """Seconds from ``"7d"``, ``"24h"``, ``"90m"``, ``"30s"`` or an integer.

    >>> parse_duration("7d"), parse_duration(90)
    (604800, 90)
    """
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    match = _NUMBER_UNIT.match(str(value))
    unit = match.group(2).lower() if match else ""
    if not match or (unit or "s") not in DURATION_UNITS:
        raise ValueError("expected a duration such as '7d', '24h', '90m' or '30s'")
    return int(float(match.group(1)) * DURATION_UNITS[unit or "s"])


def format_size(n: int) -> str:
    """Shortest decimal rendering, e.g. ``100.0 TB``."""
    for unit in ("PB", "TB", "GB", "MB", "KB"):
        if n >= SIZE_UNITS[unit]:
            return f"{n / SIZE_UNITS[unit]:.1f} {unit}"
    return f"{n} B"
