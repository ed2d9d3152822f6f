"""Query parameter types: one record per type, for the header, the engines and lint.

A header declares ``type: double``; the runner coerces CLI text to it, casts
its bound marker to the SQL type, names an example when a value is refused,
and lint plans each query with a sample of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ParamType:
    name: str  # as a query header writes it
    coerce: Callable[[Any], Any]  # CLI text or a Python value -> the value; ValueError if not
    sql_type: str  # the Trino type its marker is cast to (``CAST(? AS bigint)``)
    example: str  # shown when a value is refused
    lint_sample: Any  # a value lint binds to plan the query on DuckDB


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise ValueError(value)


def _integer(value: Any) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(value)
    return int(value)


def _double(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(value)
    return float(value)


def _timestamp(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).replace(tzinfo=None)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    return dt.date.fromisoformat(str(value))


PARAM_TYPES: dict[str, ParamType] = {
    t.name: t
    for t in (
        ParamType("boolean", _boolean, "boolean", "true or false", True),
        ParamType("integer", _integer, "bigint", "e.g. 42", 1),
        ParamType("double", _double, "double", "e.g. 0.9", 1.0),
        ParamType("varchar", str, "varchar", "any text", "x"),
        ParamType(
            "timestamp",
            _timestamp,
            "timestamp(6)",
            "ISO 8601 in UTC, e.g. 2024-05-01T12:00:00",
            dt.datetime(2020, 1, 1),
        ),
        ParamType("date", _date, "date", "e.g. 2024-05-01", dt.date(2020, 1, 1)),
    )
}
