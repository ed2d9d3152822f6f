"""Rows printed from DuckDB's Python values are what Arrow would have printed.

A CLI run that prints text fetches Python values instead of Arrow
(runner/rows.py), so its CSV must be Arrow's CSV writer's byte for byte, and
its JSON, its table on screen and its Arrow the same as from Arrow, for every
type it prints that way and the values that test a formatter: quotes and line
breaks, NULLs, -0, NaN, infinities, subnormals, the edges of Arrow's plain and
exponent layouts, float32 digits, years before 1000, time zones.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import warnings

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from runner.engines import duckdb as duckdb_engine
from runner.render import result_text
from runner.result import Provenance, Result
from runner.rows import Rows

EDGES = """
SELECT * FROM (VALUES
  ('a"b', 1::TINYINT, 2::SMALLINT, 3, 4::BIGINT, 1.0::DOUBLE, 1.5::REAL, true,
   DATE '2020-01-02', TIMESTAMP '2005-03-05 06:13:42.095155',
   TIMESTAMPTZ '2005-03-05 06:13:42+02', 12.30::DECIMAL(10,2)),
  ('', (-128)::TINYINT, (-32768)::SMALLINT, -2147483648, (-9223372036854775808)::BIGINT, 1e-7, 0.1::REAL,
   false, DATE '0001-01-01', TIMESTAMP '0999-12-31 23:59:59',
   TIMESTAMPTZ '1969-12-31 23:59:59.999999+00', -0.5::DECIMAL(10,2)),
  ('x,y
two', 127::TINYINT, 32767::SMALLINT, 2147483647, 9223372036854775807, -0.0, 3.4e38::REAL,
   NULL, DATE '9999-12-31', TIMESTAMP '1970-01-01 00:00:00',
   NULL, 0::DECIMAL(10,2)),
  ('é ✓ "q"', 0::TINYINT, 0::SMALLINT, 0, 0, 'nan'::DOUBLE, 'inf'::REAL, NULL, NULL, NULL, NULL,
   NULL),
  (' lead', NULL, NULL, NULL, NULL, '-inf'::DOUBLE, '-0.0'::REAL, NULL, NULL, NULL, NULL, NULL),
  (NULL, NULL, NULL, NULL, NULL, 5e-324, (-1234567890)::REAL, NULL, NULL, NULL, NULL, NULL),
  ('\r', NULL, NULL, NULL, NULL, 1.7976931348623157e308, NULL, NULL, NULL, NULL, NULL, NULL),
  ('z', NULL, NULL, NULL, NULL, 0.000001, 1e-45::REAL, NULL, NULL, NULL, NULL, NULL),
  ('z', NULL, NULL, NULL, NULL, 9999999999.999998, NULL, NULL, NULL, NULL, NULL, NULL),
  ('z', NULL, NULL, NULL, NULL, 1e10, NULL, NULL, NULL, NULL, NULL, NULL),
  ('z', NULL, NULL, NULL, NULL, 100.0, NULL, NULL, NULL, NULL, NULL, NULL),
  ('z', NULL, NULL, NULL, NULL, 281.553, NULL, NULL, NULL, NULL, NULL, NULL),
  ('z', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
) AS t(s, i8, i16, i32, i64, d, f, b, day, ts, tz, dec)
"""


def _random_numbers() -> pa.Table:
    """Doubles over every magnitude, and the same as float32 where they fit."""
    rng = random.Random(20)
    doubles = [
        rng.choice((-1, 1)) * rng.random() * 10 ** rng.uniform(-320, 308) for _ in range(5000)
    ]
    singles = [v if 1e-45 < abs(v) < 3e38 else 0.25 for v in doubles]
    return pa.table({"d": pa.array(doubles, pa.float64()), "f": pa.array(singles, pa.float32())})


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")  # as the engine's connections (runner/engines/duckdb.py)
    con.register("numbers", _random_numbers())
    return con


QUERIES = {"edges": EDGES, "numbers": "SELECT * FROM numbers", "none": f"{EDGES} WHERE false"}


def _arrow(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return con.execute(sql).to_arrow_table()


def _python(
    con: duckdb.DuckDBPyConnection, sql: str, head_rows: int, mp: pytest.MonkeyPatch
) -> Rows:
    """As a text run fetches: the first ``head_rows`` as Python values, the rest Arrow."""
    mp.setattr(duckdb_engine, "HEAD_ROWS", head_rows)
    return duckdb_engine._fetch(con.execute(sql), arrow=False)


def _arrow_csv(table: pa.Table) -> str:
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer)
    return buffer.getvalue().decode()


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("head_rows", [100_000, 3], ids=["all Python", "Python then Arrow"])
def test_python_values_print_and_convert_as_arrow(
    con: duckdb.DuckDBPyConnection, query: str, head_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CSV is Arrow's byte for byte, and ``arrow()`` is DuckDB's own Arrow."""
    rows = _python(con, QUERIES[query], head_rows, monkeypatch)
    expected = _arrow(con, QUERIES[query])
    assert len(rows.head) == min(head_rows, expected.num_rows)
    assert rows.csv() == _arrow_csv(expected)
    got = rows.arrow()
    assert got.schema == expected.schema
    assert str(got.to_pylist()) == str(expected.to_pylist())  # as text: NaN != NaN


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_a_run_prints_the_same_from_python_values_as_from_arrow(
    con: duckdb.DuckDBPyConnection, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    provenance = Provenance("edges", 1, "0" * 64, "duckdb", {}, dt.datetime(2026, 1, 1), 0.001)
    python = Result(_python(con, EDGES, 5, monkeypatch), provenance)
    arrow = Result(Rows.of(_arrow(con, EDGES)), provenance)
    assert python.rows.head and python.rows.tail is not None
    assert result_text(python, fmt) == result_text(arrow, fmt)


def test_a_type_without_a_printer_comes_as_arrow(con: duckdb.DuckDBPyConnection) -> None:
    rows = duckdb_engine._fetch(con.execute("SELECT [1, 2] AS l, 'a' AS s"), arrow=False)
    assert rows.head == [] and rows.tail is not None
    assert rows.dicts() == [{"l": [1, 2], "s": "a"}]


def test_a_short_result_never_makes_arrow(con: duckdb.DuckDBPyConnection) -> None:
    rows = duckdb_engine._fetch(con.execute(EDGES), arrow=False)
    assert rows.tail is None and rows.num_rows == 13
    assert list(rows.records(2)) == con.execute(EDGES).fetchmany(2)
