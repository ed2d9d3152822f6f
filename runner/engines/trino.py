"""Trino through the ``trino`` DBAPI client: production runs on the VAST DB connector."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import trino
from trino.exceptions import HttpError, TrinoConnectionError, TrinoQueryError

from runner.engines.base import Engine
from vastobs.ddl import ARROW_TYPES

Connect = Callable[[], trino.dbapi.Connection]

# Trino type names (as in cursor.description) to Arrow, so that empty results and
# all-NULL columns keep their types: the DDL's map, plus CHAR, which results may have
# (a CAST) and tables may not. ``varchar(n)`` and ``char(n)`` are looked up without n.
_ARROW_TYPES: dict[str, pa.DataType] = {
    **{trino_type.lower(): arrow for trino_type, arrow in ARROW_TYPES.items()},
    "char": pa.string(),
}


def _bindable(value: Any) -> Any:
    """The client writes a date or timestamp with strftime, which leaves a year below 1000
    unpadded (``'1-01-01 ...'``, which Trino refuses); such a value goes as ISO text, and
    its marker's ``CAST(? AS timestamp(6))`` reads it back as the same value."""
    if isinstance(value, dt.date) and value.year < 1000:
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return value


class TrinoEngine(Engine):
    name = "trino"
    dialect = "trino"
    _connect: Connect

    def _execute(self, sql: str, values: list[Any]) -> pa.Table:
        conn = self._connect()
        cursor = conn.cursor()
        try:
            cursor.execute(sql, [_bindable(v) for v in values] or None)
            rows = cursor.fetchall()
            description = cursor.description or []
        except TrinoQueryError as exc:
            raise self._fail(f"{exc.error_name}: {exc.message}", exc.query_id) from exc
        except (TrinoConnectionError, HttpError, OSError) as exc:
            reason = str(exc).rsplit(": ", 1)[-1].rstrip(')"')
            raise self._fail(f"cannot reach Trino at {conn.host}:{conn.port}: {reason}") from exc
        finally:
            conn.close()
        columns = {}
        for i, column in enumerate(description):
            name, type_name = column[0], str(column[1])
            base = (
                type_name.split("(")[0] if type_name.startswith(("varchar", "char")) else type_name
            )
            arrow_type = _ARROW_TYPES.get(base)
            columns[name] = pa.array([row[i] for row in rows], type=arrow_type)
        return pa.table(columns)
