"""Query parameter types: one record per type, for the header, the engines and lint.

A header declares ``type: double``; the runner coerces CLI text to it, casts
its bound marker to the SQL type, names an example when a value is refused,
and lint plans each query with a sample of it. What a type refuses here, no
query can mean: an integer beyond bigint, text that is not Unicode (argv bytes
that are not UTF-8), a timestamp that is not ISO 8601. A timestamp with a UTC
offset becomes the same instant in UTC, never the same wall-clock time; the
ranges a query allows are its header's domains (runner/param_domains.py).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ParamType:
    name: str  # as a query header writes it
    coerce: Callable[[Any], Any]  # CLI text or a Python value -> the value; ValueError if not
    sql_type: str  # the Trino type its marker is cast to (``CAST(? AS bigint)``); "" if none
    example: str  # shown when a value is refused
    lint_sample: Any  # a value lint binds to plan the query on DuckDB


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise ValueError(value)


BIGINT = (-(2**63), 2**63 - 1)


def _integer(value: Any) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(value)
    number = int(value)
    if not BIGINT[0] <= number <= BIGINT[1]:
        raise ValueError(value)
    return number


def _double(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(value)
    return float(value)


def _varchar(value: Any) -> str:
    """Unicode text without NUL: a lone surrogate (argv bytes that are not UTF-8) cannot be
    sent, and the engines' regular expressions disagree on a NUL (DuckDB's stop at it)."""
    text = str(value)
    text.encode("utf-8")  # UnicodeEncodeError, a ValueError, for a lone surrogate
    if "\x00" in text:
        raise ValueError(value)
    return text


def parse_timestamp(value: Any) -> dt.datetime:
    """The value as a datetime, its offset (if any) kept."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))


def has_offset(value: Any) -> bool:
    """True for a timestamp given with a UTC offset other than zero (``+02:00``)."""
    offset = parse_timestamp(value).utcoffset()
    return bool(offset)


def _timestamp(value: Any) -> dt.datetime:
    """Naive UTC: a naive value is UTC already, an offset is converted (OverflowError
    becomes ValueError: ``0001-01-01T00:00:00+01:00`` is before year 1 in UTC)."""
    stamp = parse_timestamp(value)
    if stamp.tzinfo is None:
        return stamp
    try:
        return stamp.astimezone(dt.UTC).replace(tzinfo=None)
    except OverflowError:
        raise ValueError(value) from None


def _observatories(value: Any) -> tuple[str, ...]:
    """``swift,chandra`` (or a list) as names in the order given, each once. Which
    names exist is the stack's to say: the catalog resolves the list (runner/catalog.py)."""
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [str(n).strip() for n in names]
    if not names or not all(re.fullmatch(r"[a-z][a-z0-9_]{0,62}", n) for n in names):
        raise ValueError(value)
    return tuple(dict.fromkeys(names))


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    return dt.date.fromisoformat(str(value))


PARAM_TYPES: dict[str, ParamType] = {
    t.name: t
    for t in (
        ParamType("boolean", _boolean, "boolean", "true or false", True),
        ParamType("integer", _integer, "bigint", "a 64-bit integer, e.g. 42", 1),
        ParamType("double", _double, "double", "e.g. 0.9", 1.0),
        ParamType("varchar", _varchar, "varchar", "Unicode text without NUL characters", "x"),
        ParamType(
            "timestamp",
            _timestamp,
            "timestamp(6)",
            "ISO 8601, UTC unless an offset is given, e.g. 2024-05-01T12:00:00",
            dt.datetime(2020, 1, 1),
        ),
        ParamType("date", _date, "date", "e.g. 2024-05-01", dt.date(2020, 1, 1)),
        # Selects tables (``sources.triggers``), never a value in SQL: no marker type.
        ParamType(
            "observatories",
            _observatories,
            "",
            "observatory names separated by commas, e.g. swift,chandra",
            None,
        ),
    )
}
