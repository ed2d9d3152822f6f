"""bench/versus.py's replay: both trees' recorded statements, bound as recorded."""

from __future__ import annotations

from pathlib import Path

import duckdb

from bench.versus import replay


def _database(path: Path, rows: int) -> str:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT range AS i, TIMESTAMP '2005-01-01' + to_hours(range) AS seen FROM range(?)", [rows])  # fmt: skip
    return str(path)


def test_replay_runs_each_trees_statements_on_its_own_database(tmp_path: Path) -> None:
    """A probe then the query, with a float and a timestamp as the child recorded them (a
    timestamp crosses the process boundary as ``{"datetime": ISO text}``; bound without
    decoding, it would not compare with the timestamp column)."""
    statements = [
        ["SELECT count(*) FROM t WHERE i < ?", [5.0]],
        ["SELECT i FROM t WHERE seen >= ? ORDER BY i", [{"datetime": "2005-01-01T03:00:00"}]],
    ]
    recorded = {
        "base": {"database": _database(tmp_path / "base.duckdb", 10), "statements": statements},
        "this": {"database": _database(tmp_path / "this.duckdb", 20), "statements": statements},
    }
    medians = replay(recorded, runs=3, warmup=1)
    assert set(medians) == {"base", "this"}
    for timing in medians.values():
        assert timing["wall_ms"] > 0 and timing["cpu_ms"] >= 0
