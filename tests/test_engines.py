"""One query file through the real Trino and through embedded DuckDB: same answer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from devtools.toolchain import PROJECT_DIR
from devtools.trino_server import TrinoServer
from runner.engines import DuckDBEngine, Engine, TrinoEngine
from runner.query import Query
from tests.support.compare import assert_same_rows

PARITY = PROJECT_DIR / "queries" / "checks" / "engine_parity.sql"


@pytest.fixture(scope="module")
def trino_engine(trino_server: TrinoServer) -> TrinoEngine:
    return TrinoEngine(trino_server.connect)


def _rows(engine: Engine, query: Query, **params: object) -> list[dict]:
    return engine.run(query, dict(params)).table.to_pylist()


@pytest.mark.trino
def test_parity_query_same_on_trino_and_duckdb(trino_engine: TrinoEngine) -> None:
    query = Query.load(PARITY)
    duck = _rows(DuckDBEngine.for_file(None), query)
    assert_same_rows(_rows(trino_engine, query), duck)
    # And the answer is the right one, not merely the same: V404 Cyg and Cyg X-1
    # are 5.46 degrees apart; integer division truncates as Trino defines it.
    pair = next(r for r in duck if (r["source_a"], r["source_b"]) == ("Cyg X-1", "V404 Cyg"))
    assert pair["separation_deg"] == pytest.approx(5.4578, abs=1e-4)
    assert pair["a_cell_order10"] == 958975252 // 256
    assert pair["delay_hours"] == pytest.approx(14.683)


@pytest.mark.trino
def test_parameters_change_the_answer_on_both_engines(trino_engine: TrinoEngine) -> None:
    query = Query.load(PARITY)
    params = {"window_hours": "10", "reference_time": dt.datetime(2015, 6, 15, 18, 31)}
    duck = _rows(DuckDBEngine.for_file(None), query, **params)
    assert_same_rows(_rows(trino_engine, query, **params), duck)
    assert [r["in_window"] for r in duck] == [False, False, False]


HOSTILE = ["x'; DROP TABLE t; --", "/* c */ ' OR '1'='1", "naïve ☄ \\' \"", ":window_hours", "?"]


def _echo_query(tmp_path: Path) -> Query:
    path = tmp_path / "echo.sql"
    path.write_text(
        "-- name: echo\n-- version: 1\n-- params:\n--   text: {type: varchar}\n"
        "SELECT :text AS value, length(:text) AS n\n"
    )
    return Query.load(path)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_data_on_duckdb(tmp_path: Path, value: str) -> None:
    rows = _rows(DuckDBEngine.for_file(None), _echo_query(tmp_path), text=value)
    assert rows == [{"value": value, "n": len(value)}]


@pytest.mark.trino
def test_hostile_values_are_data_on_trino(tmp_path: Path, trino_engine: TrinoEngine) -> None:
    query = _echo_query(tmp_path)
    for value in HOSTILE:
        assert _rows(trino_engine, query, text=value) == [{"value": value, "n": len(value)}]
