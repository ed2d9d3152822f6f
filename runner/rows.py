"""``Rows``: a result's rows as Python values, printed as text without Arrow.

A CLI ``run`` that prints a few hundred rows as CSV, JSON or a table has no use
for Arrow, and ``import pyarrow`` (numpy with it) is 73 ms of the 180 ms floor
of any Python tool on DuckDB (issue 20, bench/cli_bench.py). So such a run
fetches DuckDB's Python values (``head``) and writes them the way Arrow's CSV
writer does, byte for byte. Past ``HEAD_ROWS`` rows the engine hands the rest
over as Arrow (``tail``), which writes millions of rows far faster than Python.

Only the column types ``_FORMATS`` names, and decimals, go through Python; a
result with any other type (lists, structs, intervals) is fetched as Arrow whole.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from vastobs.ddl import arrow_type

if TYPE_CHECKING:
    import pyarrow as pa

# Python fetches and formats 5,000 rows of a cone search's 13 columns in about 50 ms,
# less than `import pyarrow` takes (73 ms); past them Arrow is the faster way.
HEAD_ROWS = 5_000

# DuckDB's names (``cursor.description``) for the column types of vastobs/ddl.py that it
# spells otherwise; the others are spelt alike.
_AS_TRINO = {"FLOAT": "REAL", "TIMESTAMP": "TIMESTAMP(6)"}
_DECIMAL = re.compile(r"DECIMAL\((\d+),(\d+)\)")


def printable(type_name: str) -> bool:
    """Whether a column of this DuckDB type can be fetched as Python values and printed."""
    return type_name in _FORMATS or _DECIMAL.fullmatch(type_name) is not None


def _arrow_type(type_name: str) -> pa.DataType:
    """The Arrow type DuckDB gives a printable column (the session's time zone is UTC)."""
    import pyarrow as pa

    decimal = _DECIMAL.fullmatch(type_name)
    if decimal:
        return pa.decimal128(int(decimal[1]), int(decimal[2]))
    if type_name == "TIMESTAMP WITH TIME ZONE":
        return pa.timestamp("us", "UTC")
    return arrow_type(_AS_TRINO.get(type_name, type_name))


@dataclass(frozen=True)
class Rows:
    """``head``'s rows (Python values, of the DuckDB ``types``) and then ``tail``'s (Arrow).

    A result fetched as Arrow is all ``tail`` (``Rows.of``).
    """

    names: tuple[str, ...]
    types: tuple[str, ...]  # DuckDB's names for head's columns; () when all is tail
    head: list[tuple[Any, ...]]
    tail: pa.Table | None = None

    @classmethod
    def of(cls, table: pa.Table) -> Rows:
        return cls(tuple(table.column_names), (), [], table)

    @property
    def num_rows(self) -> int:
        return len(self.head) + (self.tail.num_rows if self.tail is not None else 0)

    def arrow(self) -> pa.Table:
        """Every row as Arrow, typed as DuckDB types them."""
        if not self.types:
            assert self.tail is not None, "Rows without types are all tail"
            return self.tail
        import pyarrow as pa

        types = [_arrow_type(t) for t in self.types]
        columns = list(zip(*self.head, strict=True)) or [()] * len(types)
        arrays = [pa.array(c, t) for c, t in zip(columns, types, strict=True)]
        table = pa.Table.from_arrays(arrays, names=list(self.names))
        return table if self.tail is None else pa.concat_tables([table, self.tail])

    def records(self, limit: int | None = None) -> Iterator[tuple[Any, ...]]:
        """The rows in order as tuples of Python values, the first ``limit`` of them."""
        yield from self.head[:limit]
        if self.tail is None or (limit is not None and limit <= len(self.head)):
            return
        rest = self.tail if limit is None else self.tail.slice(0, limit - len(self.head))
        for batch in rest.to_batches():
            yield from zip(*(column.to_pylist() for column in batch.columns), strict=True)

    def dicts(self, limit: int | None = None) -> list[dict[str, Any]]:
        return [dict(zip(self.names, row, strict=True)) for row in self.records(limit)]

    def csv(self) -> str:
        """As Arrow's CSV writer writes them: a quoted header, every string quoted,
        NULL empty, numbers in their shortest form (Arrow's layout)."""
        lines = [",".join(_quoted(n) for n in self.names)]
        formats = [_FORMATS.get(t, _decimal) for t in self.types]
        for row in self.head:
            cells = zip(formats, row, strict=True)
            lines.append(",".join("" if v is None else f(v) for f, v in cells))
        text = "\n".join(lines) + "\n"
        if self.tail is None or (self.head and self.tail.num_rows == 0):
            return text
        import pyarrow.csv as pacsv

        buffer = io.BytesIO()
        pacsv.write_csv(self.tail, buffer, pacsv.WriteOptions(include_header=not self.head))
        return (text if self.head else "") + buffer.getvalue().decode()


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _shortest(value: float, single: bool) -> str:
    """The fewest digits that read back as ``value`` (as a float32 where ``single``),
    laid out as Arrow does: plain from 1e-6 up to below 1e10, else ``1.5e+16``."""
    if not single:
        text = repr(value)  # plain from 1e-4 up to below 1e16: Arrow's layout below 1e10
        if "e" not in text and abs(value) < 1e10:
            return text.removesuffix(".0")
    if math.isnan(value) or math.isinf(value):
        return str(value)  # nan, inf, -inf
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    mantissa, exponent = _scientific(value, single).split("e")
    sign, digits = "-" if value < 0 else "", mantissa.lstrip("-").replace(".", "").rstrip("0")
    power = int(exponent)
    if power < -6 or power >= 10:
        fraction = f".{digits[1:]}" if len(digits) > 1 else ""
        return f"{sign}{digits[0]}{fraction}e{'+' if power > 0 else '-'}{abs(power)}"
    if power < 0:
        return f"{sign}0.{'0' * (-power - 1)}{digits}"
    whole, fraction = digits[: power + 1].ljust(power + 1, "0"), digits[power + 1 :]
    return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"


def _scientific(value: float, single: bool) -> str:
    """``value`` as ``d.ddde+XX`` with the fewest digits that read back as it: Python's
    ``repr`` has them for a double; a float32 tries one more digit at a time."""
    if not single:
        significant = value.__repr__().lstrip("-").split("e")[0].replace(".", "").strip("0")
        return f"{value:.{max(len(significant), 1) - 1}e}"
    return next(t for p in range(9) if _single(float(t := f"{value:.{p}e}")) == _single(value))


def _single(value: float) -> float:
    return struct.unpack("f", struct.pack("f", value))[0]


def _timestamp(value: dt.datetime) -> str:
    return value.isoformat(sep=" ", timespec="microseconds")


def _timestamp_utc(value: dt.datetime) -> str:
    return _timestamp(value.astimezone(dt.UTC).replace(tzinfo=None)) + "Z"


def _decimal(value: Decimal) -> str:
    return format(value, "f")


_FORMATS = {
    "BOOLEAN": lambda v: "true" if v else "false",
    "TINYINT": str,
    "SMALLINT": str,
    "INTEGER": str,
    "BIGINT": str,
    "FLOAT": lambda v: _shortest(v, single=True),
    "DOUBLE": lambda v: _shortest(v, single=False),
    "VARCHAR": _quoted,
    "DATE": dt.date.isoformat,
    "TIMESTAMP": _timestamp,
    "TIMESTAMP WITH TIME ZONE": _timestamp_utc,
}
