"""Column accumulation for one sky cell, and its conversion to the DDL's Arrow schema.

Producers append NumPy arrays (NaN or ``NULL_INT`` mark NULL) and Arrow string
arrays; ``to_table`` computes ``hpx`` from ra/dec (``vastobs.sky.healpix14_array``,
once per table and cell: each call has a fixed cost), checks every row lies in
the cell, builds each column with exactly the type and nullability
``TableDef.arrow_schema()`` declares, and sorts the cell by (hpx, time), NULL
times last, as the loader would.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from vastobs.sky import ORDER, healpix14_array

NULL_INT = np.iinfo(np.int64).min


def strings(values: Sequence[str | None]) -> pa.Array:
    return pa.array(values, type=pa.string())


def repeat(value: str, n: int) -> pa.Array:
    return pa.array([value], type=pa.string()).take(pa.array(np.zeros(n, dtype=np.int64)))


class Rows:
    """One table's rows for one cell, appended column-wise."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.parts: dict[str, list[Any]] = defaultdict(list)
        self.count = 0

    def add(self, **columns: Any) -> None:
        n = {len(v) for v in columns.values()}
        if len(n) != 1:
            raise ValueError(
                f"columns of different lengths: { {k: len(v) for k, v in columns.items()} }"
            )
        unknown = set(columns) - set(self.schema.names) | ({"hpx"} & set(columns))
        if unknown:
            raise ValueError(f"unknown columns {sorted(unknown)}")
        size = n.pop()
        for field in self.schema:
            if field.name == "hpx":
                continue
            value = columns.get(field.name)
            if value is None:
                if not field.nullable:
                    raise ValueError(f"{field.name} is NOT NULL")
                value = pa.nulls(size, field.type)
            self.parts[field.name].append(value)
        self.count += size

    def to_table(self, time_column: str, cell: int, cell_order: int) -> pa.Table:
        columns = {}
        for field in self.schema:
            if field.name != "hpx":
                columns[field.name] = _column(field, self.parts[field.name])
        ra = columns["ra"].to_numpy(zero_copy_only=False)
        dec = columns["dec"].to_numpy(zero_copy_only=False)
        hpx = healpix14_array(ra, dec) if len(ra) else np.empty(0, dtype=np.int64)
        outside = (hpx >> (2 * (ORDER - cell_order))) != cell
        if outside.any():
            raise AssertionError(f"{int(outside.sum())} rows fall outside sky cell {cell}")
        columns["hpx"] = pa.array(hpx, type=pa.int64())
        table = pa.Table.from_arrays([columns[f.name] for f in self.schema], schema=self.schema)
        if not table.num_rows:
            return table
        t = table[time_column].cast(pa.int64()).fill_null(np.iinfo(np.int64).max)
        return table.take(pa.array(np.lexsort((np.asarray(t.to_numpy(), dtype=np.int64), hpx))))


def _column(field: pa.Field, parts: list[Any]) -> pa.Array:
    arrays = [_array(field.type, p) for p in parts]
    if not arrays:
        return pa.array([], type=field.type)
    return pa.concat_arrays(arrays) if len(arrays) > 1 else arrays[0]


def _array(kind: pa.DataType, values: Any) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if values.type == kind else values.cast(kind)
    data = np.asarray(values)
    if pa.types.is_floating(kind):
        data = data.astype(np.float64)
        return pa.array(data, type=kind, mask=np.isnan(data))
    if pa.types.is_boolean(kind):
        return pa.array(data.astype(bool), type=kind)
    if pa.types.is_integer(kind) or pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        data = data.astype(np.int64)
        mask = data == NULL_INT
        safe = np.where(mask, 0, data)
        if pa.types.is_integer(kind):
            return pa.array(safe, type=pa.int64(), mask=mask).cast(kind)
        if pa.types.is_date(kind):
            return pa.array(safe.astype(np.int32), type=pa.int32(), mask=mask).view(kind)
        return pa.array(safe, type=pa.int64(), mask=mask).view(kind)
    return pa.array(values, type=kind)
