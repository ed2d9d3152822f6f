"""The cross-match kept in ``sky.matches`` (runner/kept_matches.py).

A stack that keeps the sky index keeps the pairs of cross_observatory_objects
too, refilled after each load of a point kind. The analytic reads them only
while their count rows equal the tables' and its parameters keep every match
inside the radius they were kept within; its answer is the same either way,
and a refill that failed, or a table changed behind the loader's back, sends
it back to the points instead of to stale pairs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from devtools.toolchain import PROJECT_DIR
from runner.catalog import Catalog
from runner.engines import DuckDBEngine
from runner.kept_matches import refresh
from runner.loader import load
from runner.loader.index_feed import index_feed
from runner.loader.sinks import DuckDBSink
from runner.query import Query
from tests.support.dataset import T0, local_database, write_parquet
from tests.support.stacks import FERMI_AND_NUSTAR, stack_with
from vastobs.errors import EngineError

QUERY = Query.load(PROJECT_DIR / "queries" / "analytics" / "cross_observatory_objects.sql")
CATALOG = Catalog.for_stack(stack_with(FERMI_AND_NUSTAR))  # keeps the sky index
COMPUTED = replace(CATALOG, sky_index=False)  # sky.matches read as no row: from the points
ARCSEC = 1 / 3600
V404 = (306.0159, 33.8672)


def _swift(n: int, first: int = 0, err: float = 1.6) -> list[dict[str, Any]]:
    """Points of V404 Cygni, an arcsecond apart, and of a second target 10 arcmin away."""
    ra, dec = V404
    return [
        {"obs_id": f"{i:011d}", "target_name": "V404CYG" if i % 2 else "S2",
         "ra": ra + (i % 5) * ARCSEC + (0 if i % 2 else 10 / 60), "dec": dec,
         "err_radius_arcsec": err, "mid_time": T0 + dt.timedelta(minutes=i)}
        for i in range(first, first + n)
    ]  # fmt: skip


DATA: dict[str, list[dict[str, Any]]] = {
    "swift.measurements": _swift(6) + _swift(1, first=50, err=600.0),  # BAT places nothing
    "chandra.detections": [
        {"obsid": 501 + i, "source_name": name, "target_name": "V404CYG", "ra": ra, "dec": dec,
         "err_radius_arcsec": err, "mid_time": T0 + dt.timedelta(days=1)}
        for i, (name, ra, dec, err) in enumerate([
            ("2CXO J202403.8+335201", V404[0] + 2 * ARCSEC, V404[1], 0.5),
            ("2CXO J202503.8+335201", V404[0] + 10 / 60 + 20 * ARCSEC, V404[1], 2.0),  # 20"
            ("2CXO J000000.0+000000", 10.0, -20.0, 0.5),
        ])
    ],
    "nustar.measurements": [
        {"observation_id": "90101001002", "target_name": "V404 Cyg", "ra": V404[0],
         "dec": V404[1] + 3 * ARCSEC, "err_radius_arcsec": 8.0, "mid_time": T0},
    ],
}  # fmt: skip


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return local_database(tmp_path / "root", DATA, CATALOG)


def _answer(database: Path, catalog: Catalog, params: dict[str, Any]) -> pa.Table:
    return DuckDBEngine.for_file(database, catalog).run(QUERY, params).table


def _names(table: pa.Table) -> str:
    return " / ".join(table.column("matched_names").to_pylist())


def _sql(database: Path, statement: str) -> None:
    with duckdb.connect(str(database)) as con:
        con.execute(statement)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"match_factor": 3.0},  # within the kept radius still
        {"min_radius_arcsec": 25.0, "match_factor": 0.0},  # the 20" pair too
        {"min_radius_arcsec": 45.0},  # beyond it: from the points
        {"max_error_arcsec": 5.0},  # NuSTAR's 8" places nothing: from the points
        {"catalogues": ["chandra"], "measured": ["nustar"]},
    ],
)
def test_kept_pairs_answer_as_the_points_do(database: Path, params: dict[str, Any]) -> None:
    kept = _answer(database, CATALOG, params)
    assert kept.num_rows > 0
    assert kept.equals(_answer(database, COMPUTED, params))


def test_the_load_fills_them_with_counts_of_every_table(database: Path) -> None:
    with duckdb.connect(str(database), read_only=True) as con:
        counted = con.execute(
            "SELECT kind, observatory, points, within_arcsec, max_error_arcsec FROM sky.matches"
            " WHERE kind <> 'pair' ORDER BY ALL"
        ).fetchall()
        pairs = con.execute(
            "SELECT name, matched_name FROM sky.matches WHERE kind = 'pair' ORDER BY ALL"
        ).fetchall()
    assert counted == [
        ("detections", "chandra", 3, 30.0, 20.0),
        ("measurements", "nustar", 1, 30.0, 20.0),
        ("measurements", "swift", 7, 30.0, 20.0),
    ]
    assert pairs == [
        ("2CXO J202403.8+335201", "V404 Cyg"),
        ("2CXO J202403.8+335201", "V404CYG"),
        ("2CXO J202503.8+335201", "S2"),
    ]


def test_the_analytic_reads_them_only_while_they_hold(database: Path) -> None:
    """A kept pair renamed by hand shows while the counts hold and the parameters fit,
    and never once a table holds more points than they were counted from."""
    _sql(database, "UPDATE sky.matches SET matched_name = 'KEPT' WHERE kind = 'pair'")
    assert "KEPT" in _names(_answer(database, CATALOG, {}))
    assert "KEPT" not in _names(_answer(database, CATALOG, {"min_radius_arcsec": 45.0}))
    assert "KEPT" not in _names(_answer(database, CATALOG, {"max_error_arcsec": 10.0}))
    # a point added behind the loader's back: the counts no longer hold
    _sql(database, "INSERT INTO swift.measurements SELECT * REPLACE ('99999999999' AS obs_id)"
                   " FROM swift.measurements LIMIT 1")  # fmt: skip
    assert "KEPT" not in _names(_answer(database, CATALOG, {}))
    assert _answer(database, CATALOG, {}).equals(_answer(database, COMPUTED, {}))
    # `index rebuild` makes both whole again
    sink = DuckDBSink(database)
    sink.rebuild(CATALOG.index.table, CATALOG.points_in_tables())
    assert refresh(sink, CATALOG) == 6  # three count rows, three pairs
    _sql(database, "UPDATE sky.matches SET matched_name = 'KEPT' WHERE kind = 'pair'")
    assert "KEPT" in _names(_answer(database, CATALOG, {}))


def test_each_load_that_adds_points_refills_them(database: Path, tmp_path: Path) -> None:
    _sql(database, "UPDATE sky.matches SET matched_name = 'KEPT' WHERE kind = 'pair'")
    same = write_parquet(tmp_path / "same", {"swift.measurements": _swift(6)}, CATALOG)
    again = _load(database, "swift.measurements", same["swift.measurements"], tmp_path)
    assert again.loaded == 0 and again.matches is None  # nothing added: nothing refilled
    more = write_parquet(tmp_path / "more", {"swift.measurements": _swift(2, first=10)}, CATALOG)
    summary = _load(database, "swift.measurements", more["swift.measurements"], tmp_path)
    assert summary.loaded == 2 and summary.matches == 6 and summary.matches_failed is None
    answer = _answer(database, CATALOG, {})
    assert "KEPT" not in _names(answer)
    assert answer.equals(_answer(database, COMPUTED, {}))


def _load(database: Path, name: str, path: Path, tmp: Path) -> Any:
    observatory, _, table = name.partition(".")
    definition = CATALOG.tables[(observatory, table)]
    return load(definition, [path], DuckDBSink(database), batch_rows=1000,
                quarantine_dir=tmp / "q", feed=index_feed(CATALOG, definition))  # fmt: skip


def test_a_refill_that_fails_leaves_the_load_whole(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(sink: DuckDBSink, table: Any, query: Any) -> int:
        raise EngineError("duckdb", "the disk is full")

    monkeypatch.setattr(DuckDBSink, "refill", failing)
    _sql(database, "UPDATE sky.matches SET matched_name = 'KEPT' WHERE kind = 'pair'")
    more = write_parquet(tmp_path / "more", {"swift.measurements": _swift(2, first=10)}, CATALOG)
    summary = _load(database, "swift.measurements", more["swift.measurements"], tmp_path)
    assert summary.loaded == 2
    assert summary.matches is None and "the disk is full" in (summary.matches_failed or "")
    answer = _answer(database, CATALOG, {})
    assert "KEPT" not in _names(answer)  # stale: from the points, with the new rows
    assert answer.equals(_answer(database, COMPUTED, {}))


def test_a_stack_without_the_index_reads_no_kept_pair(database: Path, tmp_path: Path) -> None:
    plain = local_database(tmp_path / "plain", DATA, COMPUTED)
    with duckdb.connect(str(plain), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT schema_name FROM duckdb_tables()").fetchall()}
    assert "sky" not in tables
    answer = _answer(plain, COMPUTED, {})
    assert _names(answer) == "V404 Cyg | V404CYG"
    assert answer.equals(_answer(database, CATALOG, {}))


def test_vastdb_refills_them_after_each_load(tmp_path: Path) -> None:
    from runner.loader.sinks import VastDBSink
    from tests.support.fake_vastdb import FakeBucket, FakeSchema, FakeSession, FakeTable

    tables = {name: CATALOG.tables[(name.split(".")[0], name.split(".")[1])] for name in DATA}
    fakes = {name: FakeTable(t.name, t.arrow_schema()) for name, t in tables.items()}
    index, matches = CATALOG.index.table, CATALOG.index.matches
    kept = FakeTable(matches.name, matches.arrow_schema())
    schemas = {
        o: FakeSchema(o, {t.name: fakes[n] for n, t in tables.items() if t.observatory == o})
        for o in ("swift", "chandra", "nustar")
    }
    schemas["sky"] = FakeSchema("sky", {index.name: FakeTable(index.name, index.arrow_schema()),
                                        matches.name: kept})  # fmt: skip
    session = FakeSession({"obsdb": FakeBucket("obsdb", schemas)})
    files = write_parquet(tmp_path / "in", DATA, CATALOG)
    target = VastDBSink(lambda: session, "obsdb", insert_rows=2)
    for name, table in tables.items():
        summary = load(table, [files[name]], target, batch_rows=100, quarantine_dir=tmp_path / "q",
                       feed=index_feed(CATALOG, table))  # fmt: skip
        assert summary.matches_failed is None
    rows = kept.rows.to_pylist()
    assert sorted((r["kind"], r["observatory"], r["points"]) for r in rows if r["kind"] != "pair") == [
        ("detections", "chandra", 3), ("measurements", "nustar", 1), ("measurements", "swift", 7),
    ]  # fmt: skip
    assert sorted((r["name"], r["matched_name"]) for r in rows if r["kind"] == "pair") == [
        ("2CXO J202403.8+335201", "V404 Cyg"),
        ("2CXO J202403.8+335201", "V404CYG"),
        ("2CXO J202503.8+335201", "S2"),
    ]


def test_a_declared_table_the_database_lacks_says_to_run_pulumi_up(database: Path) -> None:
    """A stack upgraded to keep sky.matches, over a database `pulumi up` has not created
    it in: one line that says what to do, not DuckDB's alone."""
    _sql(database, "DROP TABLE sky.matches")
    with pytest.raises(EngineError, match=r"matches does not exist.*`pulumi up` creates"):
        _answer(database, CATALOG, {})
