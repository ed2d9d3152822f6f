"""Trino through the ``trino`` DBAPI client: production runs on the VAST DB connector."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import trino
from trino.exceptions import HttpError, TrinoConnectionError, TrinoQueryError

from runner.catalog import Catalog, TableMap
from runner.engines.base import Engine

Connect = Callable[[], trino.dbapi.Connection]

# Trino type names (as in cursor.description) to Arrow, so that empty results
# and all-NULL columns keep their types.
_ARROW_TYPES: dict[str, pa.DataType] = {
    "boolean": pa.bool_(),
    "tinyint": pa.int8(),
    "smallint": pa.int16(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "real": pa.float32(),
    "double": pa.float64(),
    "varchar": pa.string(),
    "char": pa.string(),
    "date": pa.date32(),
    "timestamp(3)": pa.timestamp("ms"),
    "timestamp(6)": pa.timestamp("us"),
    "timestamp": pa.timestamp("ms"),
}


class TrinoEngine(Engine):
    name = "trino"
    dialect = "trino"

    def __init__(
        self, connect: Connect, catalog: Catalog | None = None, table_map: TableMap | None = None
    ) -> None:
        self._connect = connect
        self.catalog, self.table_map = catalog, table_map

    def _execute(self, sql: str, values: list[Any]) -> pa.Table:
        conn = self._connect()
        cursor = conn.cursor()
        try:
            cursor.execute(sql, values or None)
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
