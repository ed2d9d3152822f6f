"""Query files: every one parses as Trino SQL; headers and parameters are typed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlglot

from devtools.toolchain import PROJECT_DIR
from runner.engines import DuckDBEngine, TrinoEngine
from runner.query import Query
from vastobs.errors import ParameterError, SqlFileError

SQL_FILES = sorted((PROJECT_DIR / "queries").rglob("*.sql"))


def test_there_are_query_files() -> None:
    assert SQL_FILES, "queries/ holds no .sql file"


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: str(p.relative_to(PROJECT_DIR)))
def test_every_sql_file_parses_as_trino(path: Path) -> None:
    statements = sqlglot.parse(path.read_text(encoding="utf-8"), read="trino")
    assert [s for s in statements if s is not None], f"{path} holds no statement"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "q.sql"
    path.write_text(text)
    return path


def test_header_is_parsed(tmp_path: Path) -> None:
    q = Query.load(
        _write(
            tmp_path,
            "-- name: q\n-- version: 3\n-- owner: astro\n-- params:\n"
            "--   since: {type: timestamp, default: '2024-01-01T00:00:00'}\n"
            "--   n: {type: integer}\n"
            "SELECT 1 AS one;\n",
        )
    )
    assert (q.name, q.version, q.owner, q.body_line) == ("q", 3, "astro", 7)
    assert q.params["since"].default == dt.datetime(2024, 1, 1)
    # an offset is the same instant in UTC, never the same wall-clock time
    assert q.bind({"n": 1, "since": "2024-01-01T02:00:00+02:00"})["since"] == dt.datetime(
        2024, 1, 1
    )
    assert q.bind({"n": 1, "since": "2023-12-31T19:00:00-05:00"})["since"] == dt.datetime(
        2024, 1, 1
    )
    assert q.sql == "SELECT 1 AS one"
    assert q.bind({"n": "5"}) == {"since": dt.datetime(2024, 1, 1), "n": 5}


def test_parameter_errors_name_the_parameter_and_type(tmp_path: Path) -> None:
    q = Query.load(
        _write(
            tmp_path,
            "-- name: q\n-- version: 1\n-- params:\n--   n: {type: integer}\nSELECT :n AS n\n",
        )
    )
    with pytest.raises(ParameterError, match=r"parameter n .*required"):
        q.bind({})
    with pytest.raises(ParameterError, match=r"^parameter n='five' of q: not a valid integer"):
        q.bind({"n": "five"})
    with pytest.raises(ParameterError, match=r"^parameter n=9223372036854775808 of q: not a valid"):
        q.bind({"n": 2**63})  # beyond bigint: refused here, not by the engine
    with pytest.raises(ParameterError, match="unknown parameter m"):
        q.bind({"n": 1, "m": 2})


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("-- version: 1\nSELECT 1", "lacks 'name'"),
        ("-- name: q\n-- version: one\nSELECT 1", "must be an integer"),
        ("-- name: q\n-- version: 1\n-- params:\n--   x: {type: money}\nSELECT 1", "type 'money'"),
    ],
)
def test_bad_headers_are_reported_with_position(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(SqlFileError, match=fragment) as info:
        Query.load(_write(tmp_path, text))
    assert str(info.value).startswith(f"{tmp_path / 'q.sql'}:")


def test_undeclared_parameter_is_refused(tmp_path: Path) -> None:
    q = Query.load(_write(tmp_path, "-- name: q\n-- version: 1\nSELECT :x AS x"))
    with pytest.raises(SqlFileError, match=":x is not declared"):
        DuckDBEngine.for_file(None).run(q)


def test_syntax_error_points_into_the_file(tmp_path: Path) -> None:
    q = Query.load(_write(tmp_path, "-- name: q\n-- version: 1\nSELECT 1 AS a\nFROM (SELECT"))
    with pytest.raises(SqlFileError) as info:
        DuckDBEngine.for_file(None).run(q)
    assert info.value.line >= 3


def test_markers_follow_text_order_not_tree_order(tmp_path: Path) -> None:
    """CTEs come last in sqlglot's traversal; the bound values must not."""
    q = Query.load(
        _write(
            tmp_path,
            "-- name: q\n-- version: 1\n-- params:\n"
            "--   a: {type: integer}\n--   b: {type: varchar}\n--   c: {type: double}\n"
            "WITH t AS (SELECT :a AS a) SELECT t.a, :b AS b, :c AS c, :a + 1 AS a1 FROM t",
        )
    )
    sql, order = TrinoEngine(lambda: None).compile(q)  # type: ignore[arg-type,return-value]
    assert order == ["a", "b", "c", "a"]
    assert sql.count("?") == 4
    rows = DuckDBEngine.for_file(None).run(q, {"a": 1, "b": "x", "c": 2.5}).table.to_pylist()
    assert rows == [{"a": 1, "b": "x", "c": 2.5, "a1": 2}]


def test_integer_division_truncates_on_duckdb_as_on_trino(tmp_path: Path) -> None:
    q = Query.load(
        _write(
            tmp_path,
            "-- name: q\n-- version: 1\n"
            "SELECT 7 / 2 AS a, -7 / 2 AS b,"
            " CAST(1585026358 AS bigint) / 256 AS cell, 7e0 / 2 AS d",
        )
    )
    rows = DuckDBEngine.for_file(None).run(q).table.to_pylist()
    assert rows == [{"a": 3, "b": -3, "cell": 6191509, "d": 3.5}]


def test_sky_distance_macro_is_the_haversine(tmp_path: Path) -> None:
    q = Query.load(
        _write(
            tmp_path,
            "-- name: q\n-- version: 1\n"
            "SELECT round(sky_distance_arcsec(306.0159, 33.8672, 299.5903, 35.2016), 3) AS d,"
            " sky_distance_arcsec(10e0, 89.99, 190e0, 89.99) AS pole",
        )
    )
    row = DuckDBEngine.for_file(None).run(q).table.to_pylist()[0]
    assert row["d"] == pytest.approx(5.457778 * 3600, abs=1e-3)  # V404 Cyg to Cyg X-1
    assert row["pole"] == pytest.approx(72.0, rel=1e-6)  # across the pole: 2 x 0.01 degrees


def test_macro_arity_is_checked(tmp_path: Path) -> None:
    q = Query.load(
        _write(tmp_path, "-- name: q\n-- version: 1\nSELECT sky_distance_arcsec(1, 2, 3) AS d")
    )
    with pytest.raises(SqlFileError, match="takes 4 arguments, got 3"):
        DuckDBEngine.for_file(None).run(q)
