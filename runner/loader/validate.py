"""Row checks against the DDL: types, ranges, NOT NULL, key uniqueness.

Text values (CSV, the GRB table) are parsed explicitly, column by column;
typed values (Parquet) must already be of the column's kind (an integer
may widen to a float, nothing else converts), so a string column declared
DOUBLE is rejected row by row, never cast. A row that fails any check is
rejected whole with the first reason; nothing is dropped or coerced
silently. ``hpx`` is computed from the position when the input lacks it and
must agree with it when present. A file whose columns cannot be matched to
the table at all is refused whole (``check_columns``).

Checks here see one batch at a time and keep nothing between batches, so a
file of any size is checked in bounded memory; keys unique within the input
are checked afterwards, in SQL over the spooled rows (``runner.loader.spool``).
Each check returns the good rows with their line numbers, for that check
and for the quarantine.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from vastobs.ddl import TableDef
from vastobs.errors import InputError
from vastobs.sky import healpix14, healpix14_array

EARLIEST = dt.datetime(1990, 1, 1)
NULL_TOKENS = frozenset({"", "n/a", "N/A", "na", "NA", "null", "NULL", "None", "nan", "NaN"})


@dataclass(frozen=True)
class Rejected:
    line: int  # 1-based position of the row in its file (data rows)
    reason: str
    row: dict[str, Any]


def _to_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    text = str(v).strip().lower()
    if text in ("true", "t", "1", "yes", "y"):
        return True
    if text in ("false", "f", "0", "no", "n"):
        return False
    raise ValueError


def _to_int(v: Any) -> int:
    if isinstance(v, bool):
        raise ValueError
    if isinstance(v, float):
        if not v.is_integer():
            raise ValueError
        return int(v)
    return int(str(v).strip())


def _int_of(bits: int) -> Any:
    """An integer converter that refuses what the column's width cannot hold."""
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1

    def convert(v: Any) -> int:
        number = _to_int(v)
        if not low <= number <= high:
            raise ValueError
        return number

    return convert


def _to_float(v: Any) -> float:
    if isinstance(v, bool):
        raise ValueError
    number = float(str(v).strip()) if not isinstance(v, int | float) else float(v)
    if not math.isfinite(number):
        raise ValueError
    return number


def _to_real(v: Any) -> float:
    number = _to_float(v)
    if abs(number) > REAL_MAX:  # would become infinity in 32 bits
        raise ValueError
    return number


def _to_timestamp(v: Any) -> dt.datetime:
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(dt.UTC).replace(tzinfo=None)
        return v
    text = str(v).strip().replace("Z", "+00:00")
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def _to_date(v: Any) -> dt.date:
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return v
    return dt.date.fromisoformat(str(v).strip())


REAL_MAX = 3.4028234663852886e38
CONVERT = {
    "BOOLEAN": _to_bool,
    "TINYINT": _int_of(8),
    "SMALLINT": _int_of(16),
    "INTEGER": _int_of(32),
    "BIGINT": _int_of(64),
    "REAL": _to_real,
    "DOUBLE": _to_float,
    "VARCHAR": lambda v: str(v),
    "DATE": _to_date,
    "TIMESTAMP(3)": _to_timestamp,
    "TIMESTAMP(6)": _to_timestamp,
    "TIMESTAMP(9)": _to_timestamp,
}


INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT")


def _typed_kind(sql_type: str, value: Any) -> bool:
    """Whether a typed (Parquet) value is of the column's kind, so converting it changes nothing."""
    if sql_type == "BOOLEAN":
        return isinstance(value, bool)
    if sql_type in INTEGER_TYPES:
        return isinstance(value, int) and not isinstance(value, bool)
    if sql_type in ("REAL", "DOUBLE"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if sql_type == "VARCHAR":
        return isinstance(value, str)
    if sql_type == "DATE":
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if sql_type.startswith("TIMESTAMP"):
        return isinstance(value, dt.datetime)
    return False


def _arrow_kind(sql_type: str, arrow_type: pa.DataType) -> bool:
    """Whether a Parquet column's type is of the column's kind (a cast converts nothing)."""
    t = arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type
    if pa.types.is_null(t):
        return True
    if sql_type == "BOOLEAN":
        return pa.types.is_boolean(t)
    if sql_type in INTEGER_TYPES:
        return pa.types.is_integer(t)
    if sql_type in ("REAL", "DOUBLE"):
        return pa.types.is_floating(t) or pa.types.is_integer(t)
    if sql_type == "VARCHAR":
        return pa.types.is_string(t) or pa.types.is_large_string(t)
    if sql_type == "DATE":
        return pa.types.is_date(t)
    if sql_type.startswith("TIMESTAMP"):
        return pa.types.is_timestamp(t)
    return False


def check_columns(table: TableDef, names: list[str], path: Any) -> None:
    """Refuse, whole, a file whose columns cannot be the table's: one line naming the file.

    Unknown or repeated column names, or a NOT NULL column missing (``hpx``
    aside, computed from the position), mean the file is not this table's:
    every row would fail the same way, so nothing of it is loaded.
    """
    known = [c.name for c in table.columns]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(f"{path}: column {repeated[0]!r} appears more than once in the header")
    unknown = [n for n in names if n not in known]
    if unknown:
        shown = _shorten(unknown[0])
        raise InputError(
            f"{path}: column {shown!r} is not in {table.logical_name}"
            f" (its columns: {', '.join(known)}); nothing was loaded"
        )
    has_position = {"ra", "dec"} <= set(names)
    missing = [
        c.name
        for c in table.columns
        if not c.nullable and c.name not in names and not (c.name == "hpx" and has_position)
    ]
    if missing:
        raise InputError(
            f"{path}: lacks the NOT NULL column(s) {', '.join(missing)} of"
            f" {table.logical_name}; nothing was loaded"
        )


def _shorten(text: str, limit: int = 60) -> str:
    text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[:limit] + "..."


# Columns that are fractions in [0, 1], by kind (every observatory's table of it) or by
# table; a detection's significance (chandra.detections) is an SNR.
FRACTIONS = frozenset(
    {
        "triggers.significance",
        "measurements.frac_exp",
        "swift.bursts.significance",
        "swift.bursts.pcode",
        "swift.measurements.frac_exp",
    }
)


def _is_fraction(table: TableDef, name: str) -> bool:
    return f"{table.kind}.{name}" in FRACTIONS or f"{table.logical_name}.{name}" in FRACTIONS


def _range_problem(table: TableDef, name: str, value: Any, now: dt.datetime) -> str | None:
    """The domain rules of ARCHITECTURE §2a, by column naming convention."""
    if name == "ra" and not 0 <= value < 360:
        return f"ra {value} is outside [0, 360)"
    if name == "dec" and not -90 <= value <= 90:
        return f"dec {value} is outside [-90, 90]"
    if (name.endswith("_s") or name.endswith("_seconds") or name.endswith("_arcsec")) and value < 0:
        return f"{name} {value} is negative"
    if _is_fraction(table, name) and not 0 <= value <= 1:
        return f"{name} {value} is outside [0, 1]"
    if isinstance(value, dt.datetime) and not EARLIEST <= value <= now:
        return f"{name} {value.isoformat()} is outside [{EARLIEST.date()}, now + 1 year]"
    return None


class RowChecker:
    """Checks rows of one table, each on its own (duplicate keys are found by the spool)."""

    def __init__(self, table: TableDef) -> None:
        self.table = table
        self.now = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=366)
        self.has_position = {"ra", "dec", "hpx"} <= {c.name for c in table.columns}

    def check(
        self, raw: dict[str, Any], typed: bool = False
    ) -> tuple[dict[str, Any] | None, str | None]:
        """The row converted to the table's types, or the first reason it is rejected.

        ``typed``: the values come typed (Parquet) and must already be of
        each column's kind; text is parsed.
        """
        if "__reject__" in raw:  # the reader already knows why (e.g. a GRB table quirk)
            return None, str(raw["__reject__"])
        if "__ragged__" in raw:
            return None, f"ragged row: {raw['__ragged__']}"
        row: dict[str, Any] = {}
        for column in self.table.columns:
            value = raw.get(column.name)
            if value is not None and isinstance(value, str) and value.strip() in NULL_TOKENS:
                value = None
            if value is None and column.name == "hpx" and self.has_position:
                row["hpx"] = None  # filled from the position below
                continue
            if value is None:
                if not column.nullable:
                    return None, f"{column.name} is missing (the column is NOT NULL)"
                row[column.name] = None
                continue
            if typed and not _typed_kind(column.type, value):
                return None, (
                    f"{column.name} {_shorten(repr(value))} is {type(value).__name__} in the file,"
                    f" the column is {column.type.lower()} (typed values are not converted)"
                )
            try:
                converted = CONVERT[column.type](value)
            except (TypeError, ValueError, OverflowError):
                return None, (
                    f"{column.name} {_shorten(repr(value))} is not a valid {column.type.lower()}"
                )
            problem = _range_problem(self.table, column.name, converted, self.now)
            if problem:
                return None, problem
            row[column.name] = converted
        unknown = sorted(set(raw) - {c.name for c in self.table.columns})
        if unknown:
            return None, f"unknown column {unknown[0]} (not in {self.table.path.name})"
        if self.has_position:
            computed = healpix14(row["ra"], row["dec"])
            if row["hpx"] is not None and row["hpx"] != computed:
                return None, f"hpx {row['hpx']} does not match ra/dec (order 14 gives {computed})"
            row["hpx"] = computed
        return row, None


Checked = tuple[pa.Table, pa.Array, list[Rejected]]
"""The good rows (the table's schema), their lines (int64), and the rejected rows."""


def check_rows(
    checker: RowChecker, rows: Iterable[tuple[int, dict[str, Any]]], typed: bool = False
) -> Checked:
    good: list[dict[str, Any]] = []
    lines: list[int] = []
    rejected: list[Rejected] = []
    for line, raw in rows:
        row, reason = checker.check(raw, typed)
        if row is None:
            rejected.append(Rejected(line, reason or "rejected", raw))
        else:
            good.append(row)
            lines.append(line)
    table = pa.Table.from_pylist(good, schema=checker.table.arrow_schema())
    return table, pa.array(lines, pa.int64()), rejected


def check_table(checker: RowChecker, batch: pa.Table, first_line: int) -> Checked:
    """Vectorised checks for typed input (Parquet); rows that fail go the per-row way.

    Columns must cast safely to the DDL types, else the whole batch takes the
    per-row path, which names the offending value.
    """
    import numpy as np

    table = checker.table
    names = {c.name for c in table.columns}
    if set(batch.column_names) - names:
        return _per_row(checker, batch, first_line)
    declared = {c.name: c.type for c in table.columns}
    if not all(_arrow_kind(declared[f.name], f.type) for f in batch.schema):
        return _per_row(checker, batch, first_line)  # rejects each value of the wrong kind
    try:
        columns = {}
        for column in table.columns:
            if column.name in batch.column_names:
                columns[column.name] = batch[column.name].cast(column.arrow_type, safe=True)
            else:
                columns[column.name] = pa.nulls(batch.num_rows, column.arrow_type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _per_row(checker, batch, first_line)

    bad, hpx = _bad_rows(checker, columns, batch.num_rows)
    if hpx is not None:
        columns["hpx"] = pa.array(hpx, pa.int64())
    lines = np.arange(first_line, first_line + batch.num_rows, dtype=np.int64)
    if not bad.any():
        good = pa.table(columns, schema=table.arrow_schema().remove_metadata())
        return good.cast(table.arrow_schema()), pa.array(lines), []
    keep = pa.array(~bad)
    good = pa.table(columns).filter(keep).cast(table.arrow_schema())
    rejected = []
    for i in np.flatnonzero(bad):  # the per-row check says why, in its words
        raw = batch.slice(int(i), 1).to_pylist()[0]
        _row, reason = checker.check(raw, typed=True)
        rejected.append(Rejected(first_line + int(i), reason or "rejected", raw))
    return good, pa.array(lines[~bad]), rejected


def as_is_columns(table: TableDef, schema: pa.Schema) -> list[str] | None:
    """For a Parquet file whose rows could load as they are (every column of the table,
    ``hpx`` among them, each of its type): the columns a check can fail on. None for any
    other file: its rows are converted, so they are copied (``check_table``)."""
    declared = {c.name: c for c in table.columns}
    if sorted(schema.names) != sorted(declared):
        return None
    if any(schema.field(n).type != c.arrow_type for n, c in declared.items()):
        return None
    return [
        c.name
        for c in table.columns
        if c.type in ("DOUBLE", "REAL")
        or c.type.startswith("TIMESTAMP")
        or c.name in ("ra", "dec", "hpx")
        or (not c.nullable and schema.field(c.name).nullable)  # a required field has no null
    ]


def passes_as_is(checker: RowChecker, batch: pa.Table) -> bool:
    """Whether every row of ``batch`` (a file's ``as_is_columns``) passes every check with
    no value changed: ``hpx`` given for every row, not computed."""
    if "hpx" in batch.column_names and batch["hpx"].null_count:
        return False
    bad, _hpx = _bad_rows(checker, {n: batch[n] for n in batch.column_names}, batch.num_rows)
    return not bad.any()


def _bad_rows(checker: RowChecker, columns: dict[str, Any], rows: int) -> tuple[Any, Any | None]:
    """Which rows fail a check of ``columns`` (each cast to its column's type already; a
    column left out is not looked at), and each row's cell from its position (-1 where it
    has none) when the table has one."""
    import numpy as np
    import pyarrow.compute as pc

    table = checker.table
    bad = np.zeros(rows, dtype=bool)
    for column in table.columns:
        data = columns.get(column.name)
        if data is None:
            continue
        if not column.nullable and column.name != "hpx" and data.null_count:
            bad |= np.asarray(pc.is_null(data).to_numpy(zero_copy_only=False), dtype=bool)
        if column.type in ("DOUBLE", "REAL"):
            values = np.asarray(data.to_numpy(zero_copy_only=False), dtype=float)
            not_finite = ~np.isfinite(values)
            if data.null_count:  # a null is NaN here, and not a NaN given
                not_finite &= pc.is_valid(data).to_numpy(zero_copy_only=False)
            bad |= not_finite
            bad |= _out_of_range(table, column.name, values)
        if column.type.startswith("TIMESTAMP"):
            lo, hi = pa.scalar(EARLIEST, data.type), pa.scalar(checker.now, data.type)
            outside = pc.or_(pc.less(data, lo), pc.greater(data, hi))
            bad |= np.asarray(
                pc.fill_null(outside, False).to_numpy(zero_copy_only=False), dtype=bool
            )
    if not checker.has_position or "hpx" not in columns:
        return bad, None
    ra = np.asarray(columns["ra"].to_numpy(zero_copy_only=False), dtype=float)
    dec = np.asarray(columns["dec"].to_numpy(zero_copy_only=False), dtype=float)
    usable = ~bad & np.isfinite(ra) & np.isfinite(dec)
    if usable.all():
        hpx = healpix14_array(ra, dec)
    else:
        hpx = np.full(rows, -1, dtype=np.int64)
        hpx[usable] = healpix14_array(ra[usable], dec[usable])
    given = columns["hpx"]
    if given.null_count < rows:
        mismatch = given.to_numpy(zero_copy_only=False) != hpx
        if given.null_count:
            mismatch &= pc.is_valid(given).to_numpy(zero_copy_only=False)
        bad |= mismatch
    return bad, hpx


def _out_of_range(table: TableDef, name: str, values: Any) -> Any:
    import numpy as np

    with np.errstate(invalid="ignore"):
        if name == "ra":
            return (values < 0) | (values >= 360)
        if name == "dec":
            return (values < -90) | (values > 90)
        if name.endswith(("_s", "_seconds", "_arcsec")):
            return values < 0
        if _is_fraction(table, name):
            return (values < 0) | (values > 1)
    return np.zeros(len(values), dtype=bool)


def _per_row(checker: RowChecker, batch: pa.Table, first_line: int) -> Checked:
    rows = ((first_line + i, row) for i, row in enumerate(batch.to_pylist()))
    return check_rows(checker, rows, typed=True)
