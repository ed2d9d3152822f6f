"""The final ORDER BY the Trino engine does on the rows (runner/engines/final_sort.py):
which ones it takes out of the SQL, and that Arrow orders rows as Trino does."""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow as pa
import pytest
import sqlglot

from devtools.trino_server import TrinoServer
from runner.engines import TrinoEngine
from runner.engines.final_sort import sort_rows, take_final_sort
from runner.query import Query

TAKEN = [
    # (statement, output columns sorted by)
    ("SELECT a, b FROM t ORDER BY a, b", (0, 1)),
    ("SELECT a, b AS c FROM t ORDER BY c, a NULLS LAST, a ASC", (1, 0, 0)),
    ("SELECT x.a, y.b FROM x JOIN y ON x.k = y.k ORDER BY y.b, x.a", (1, 0)),
    ("SELECT ROUND(d, 3) AS d, e FROM t ORDER BY d", (0,)),  # the output column, as Trino reads it
    ("SELECT t.a AS renamed, b FROM t ORDER BY t.a", (0,)),
    ("SELECT a, b FROM t ORDER BY 2, 1", (1, 0)),
    ("WITH w AS (SELECT 1 AS a) SELECT a FROM w WHERE a = ? ORDER BY a", (0,)),
]

KEPT = [
    "SELECT a, b FROM t ORDER BY a DESC",
    "SELECT a, b FROM t ORDER BY a NULLS FIRST",
    "SELECT a, b FROM t ORDER BY a LIMIT 10",
    "SELECT a, b FROM t ORDER BY a OFFSET 2",
    "SELECT * FROM t ORDER BY a",
    "SELECT t.*, b FROM t ORDER BY b",
    "SELECT a FROM t ORDER BY b",  # not an output column
    "SELECT a, b FROM t ORDER BY a + b",  # an expression
    "SELECT round(t.a, 1) AS a FROM t ORDER BY t.a",  # the input column, not the output's
    "SELECT a, a FROM t ORDER BY a",  # ambiguous
    "SELECT a FROM t ORDER BY 2",
    "SELECT a FROM t UNION ALL SELECT a FROM u ORDER BY a",
    "SELECT a FROM t",
]


@pytest.mark.parametrize(("sql", "keys"), TAKEN)
def test_a_final_sort_on_output_columns_is_taken_out(sql: str, keys: tuple[int, ...]) -> None:
    tree = sqlglot.parse_one(sql, read="trino")
    assert take_final_sort(tree) == keys
    assert tree.args.get("order") is None
    assert tree.sql("trino") == sql.split(" ORDER BY ")[0]


@pytest.mark.parametrize("sql", KEPT)
def test_any_other_sort_stays_in_the_sql(sql: str) -> None:
    tree = sqlglot.parse_one(sql, read="trino")
    before = tree.sql("trino")
    assert take_final_sort(tree) is None
    assert tree.sql("trino") == before


def test_rows_come_in_trino_ascending_order() -> None:
    """Nulls last, NaN after every number and before null, strings by their UTF-8 bytes,
    ties in the order they came (Trino's ORDER BY x ASC on each key)."""
    table = pa.table(
        {
            "name": ["é", "b", None, "B", "b", "a"],
            "value": [1.0, math.nan, 2.0, None, -1.0, 5.0],
            "arrival": [0, 1, 2, 3, 4, 5],
        }
    )
    ordered = sort_rows(table, (0, 1))
    assert ordered is not None
    assert ordered.column("name").to_pylist() == ["B", "a", "b", "b", "é", None]
    assert ordered.column("arrival").to_pylist() == [3, 5, 4, 1, 0, 2]
    by_value = sort_rows(table, (1,))
    assert by_value is not None
    assert by_value.column("arrival").to_pylist() == [4, 0, 2, 5, 1, 3]
    ties = sort_rows(pa.table({"k": [1, 1, 1], "i": [2, 0, 1]}), (0,))
    assert ties is not None and ties.column("i").to_pylist() == [2, 0, 1]


def test_a_key_arrow_cannot_order_leaves_the_sort_to_trino() -> None:
    table = pa.table({"names": [["b"], ["a"]], "n": [1, 2]})
    assert sort_rows(table, (0,)) is None
    assert sort_rows(table, (1,)) is not None


@pytest.mark.trino
def test_trino_runs_it_unsorted_and_the_rows_come_as_its_order_by_gives_them(
    trino_server: TrinoServer, tmp_path: Path
) -> None:
    path = tmp_path / "ordered.sql"
    path.write_text(
        "-- name: ordered\n-- version: 1\n"
        "SELECT 'final-sort-check' AS tag, name, value\n"
        "FROM (VALUES ('b', 2e0), ('a', nan()), (NULL, 1e0), ('a', 1e0), ('B', NULL), ('é', 0e0))\n"
        "    AS t(name, value)\n"
        "ORDER BY name, value\n"
    )
    engine = TrinoEngine(trino_server.connect)
    query = Query.load(path)
    compiled = engine.compiled(query, {})
    assert compiled.unsorted is not None and compiled.sort == (1, 2)
    rows = engine.run(query).table.to_pylist()
    by_trino = engine._execute(compiled.sql, []).to_pylist()  # the ORDER BY as written

    def pairs(found: list[dict]) -> list[tuple[str | None, str]]:
        return [(r["name"], repr(r["value"])) for r in found]  # NaN equal to NaN

    assert pairs(rows) == pairs(by_trino)
    assert pairs(rows) == [
        ("B", "None"), ("a", "1.0"), ("a", "nan"), ("b", "2.0"), ("é", "0.0"), (None, "1.0")
    ]  # fmt: skip
    ran = (
        engine._execute(
            "SELECT query FROM system.runtime.queries WHERE query LIKE '%final-sort-check%' "
            "AND query NOT LIKE '%system.runtime%'",
            [],
        )
        .column("query")
        .to_pylist()
    )
    assert any("ORDER BY" not in q for q in ran), ran  # the run: no ORDER BY sent
