"""The sky index (vastobs/sky_index.py): one table of every observatory's points.

Loads keep it equal to the point tables, in the same unit as the table's own
rows; an index out of step is refused, not extended, until ``index rebuild``;
the cone search and the light curve answer the same from it as from the
tables it mirrors, with or without a choice of observatories.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest

from devtools.toolchain import PROJECT_DIR
from runner.catalog import Catalog
from runner.engines import DuckDBEngine
from runner.loader import load
from runner.loader.index_feed import index_feed
from runner.loader.sinks import DuckDBSink, _DuckDBWriter
from runner.query import Query
from tests.support.dataset import T0, local_database, write_parquet
from tests.support.stacks import FERMI_AND_NUSTAR, stack_raw, stack_with
from vastobs.config import from_mapping
from vastobs.errors import ConfigError, InputError
from vastobs.sky_index import KIND as POINTS

ANALYTICS = PROJECT_DIR / "queries" / "analytics"
ARCSEC = 1 / 3600
CATALOG = Catalog.for_stack(stack_with(FERMI_AND_NUSTAR))  # the local stack keeps the index
assert CATALOG.sky_index


def _measurements(n: int, first: int = 0) -> list[dict[str, Any]]:
    """Points of one source near V404 Cygni, a minute apart."""
    return [
        {"obs_id": f"{i:011d}", "ra": 306.0159 + i * ARCSEC, "dec": 33.8672,
         "mid_time": T0 + dt.timedelta(minutes=i)}
        for i in range(first, first + n)
    ]  # fmt: skip


DATA: dict[str, list[dict[str, Any]]] = {
    "swift.measurements": _measurements(5),
    "chandra.detections": [
        {"obsid": 501, "source_name": "2CXO J202403.8+335201", "ra": 306.016, "dec": 33.867,
         "mid_time": T0 + dt.timedelta(days=1)},
        {"obsid": 502, "source_name": "2CXO J000000.0+000000", "ra": 10.0, "dec": -20.0},
    ],
    "nustar.measurements": [
        {"observation_id": "90101001002", "ra": 306.0159, "dec": 33.8673,
         "mid_time": T0 + dt.timedelta(days=2)},
    ],
}  # fmt: skip


def _points_by_table(database: Path) -> dict[tuple[str, str], int]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute("SELECT observatory, kind, count(*) FROM sky.points GROUP BY ALL")
        return {(o, k): n for o, k, n in rows.fetchall()}


def _rows(database: Path, name: str) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        return int(con.execute(f"SELECT count(*) FROM {name}").fetchone()[0])


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return local_database(tmp_path / "root", DATA, CATALOG)


def _load(database: Path, name: str, path: Path, tmp: Path) -> Any:
    observatory, _, table = name.partition(".")
    definition = CATALOG.tables[(observatory, table)]
    return load(definition, [path], DuckDBSink(database), batch_rows=1000,
                quarantine_dir=tmp / "q", feed=index_feed(CATALOG, definition))  # fmt: skip


def test_loads_keep_the_index_equal_to_the_point_tables(database: Path) -> None:
    assert _points_by_table(database) == {
        ("swift", "measurements"): 5,
        ("chandra", "detections"): 2,
        ("nustar", "measurements"): 1,
    }
    mirrored = CATALOG.points_in_tables().sql("duckdb")
    with duckdb.connect(str(database), read_only=True) as con:
        index = con.execute("SELECT * FROM sky.points ORDER BY ALL").fetchall()
        assert index == con.execute(f"SELECT * FROM ({mirrored}) ORDER BY ALL").fetchall()
        # each load's points in the index's sorted_by order: its row groups prune
        stored = con.execute("SELECT observatory, hpx, time_utc FROM sky.points").fetchall()
    for observatory in ("swift", "chandra", "nustar"):
        mine = [(hpx, t) for o, hpx, t in stored if o == observatory]
        assert mine == sorted(mine), observatory


@pytest.mark.parametrize("name", ["cone_search", "multi_wavelength_light_curve"])
@pytest.mark.parametrize("chosen", [None, ["chandra", "nustar"], ["swift"]])
def test_queries_answer_the_same_from_the_index_as_from_the_tables(
    database: Path, name: str, chosen: list[str] | None
) -> None:
    query = Query.load(ANALYTICS / f"{name}.sql")
    params = {} if chosen is None else {"observatories": chosen}
    indexed = DuckDBEngine.for_file(database, CATALOG).run(query, params).table
    tables = DuckDBEngine.for_file(database, replace(CATALOG, sky_index=False))
    assert indexed.num_rows > 0
    assert indexed.equals(tables.run(query, params).table)
    observatories = set(indexed.column("observatory").to_pylist())
    assert observatories == (set(chosen) if chosen else {"swift", "chandra", "nustar"})


def test_duckdb_reads_the_index_as_its_table_with_the_observatories_in_the_where(
    database: Path,
) -> None:
    """Not through the kind's subquery of every column, which DuckDB binds in each run."""
    from sqlglot import exp, parse_one

    engine = DuckDBEngine.for_file(database, CATALOG)
    query = Query.load(ANALYTICS / "cone_search.sql")
    selection = engine.selection(query, query.bind({"observatories": ["chandra", "nustar"]}))
    tree = parse_one(engine.compiled(query, selection).sql, read="duckdb")
    (points,) = [t for t in tree.find_all(exp.Table) if t.name == "points"]
    reader = points.parent.parent
    assert isinstance(reader, exp.Select) and points.alias == "p"
    where = reader.args["where"].sql("duckdb")
    assert "\"p\".\"observatory\" IN ('chandra', 'nustar')" in where and '"p"."hpx"' in where


def test_a_second_load_of_the_same_rows_adds_no_point(database: Path, tmp_path: Path) -> None:
    again = write_parquet(tmp_path / "again", {"swift.measurements": _measurements(7)}, CATALOG)
    summary = _load(database, "swift.measurements", again["swift.measurements"], tmp_path)
    assert (summary.loaded, summary.files[0].already_present) == (2, 5)
    assert _points_by_table(database)[("swift", "measurements")] == 7
    summary = _load(database, "swift.measurements", again["swift.measurements"], tmp_path)
    assert summary.loaded == 0
    assert _points_by_table(database)[("swift", "measurements")] == 7


def test_a_load_that_fails_after_its_points_leaves_both_tables_unchanged(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    more = write_parquet(tmp_path / "more", {"swift.measurements": _measurements(3, first=10)})
    add_points = _DuckDBWriter._add_points

    def then_fail(
        self: _DuckDBWriter, con: duckdb.DuckDBPyConnection, fresh: str, sort: bool
    ) -> None:
        add_points(self, con, fresh, sort)
        raise OSError("disk full (injected)")

    monkeypatch.setattr(_DuckDBWriter, "_add_points", then_fail)
    with pytest.raises(OSError, match="injected"):
        _load(database, "swift.measurements", more["swift.measurements"], tmp_path)
    assert _points_by_table(database)[("swift", "measurements")] == 5
    assert _rows(database, "swift.measurements") == 5


def test_an_index_out_of_step_is_refused_until_rebuilt(database: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(database)) as con:
        con.execute(
            "DELETE FROM sky.points WHERE observatory = 'swift' AND observation = '00000000003'"
        )
    more = write_parquet(tmp_path / "more", {"swift.measurements": _measurements(3, first=10)})
    with pytest.raises(InputError) as refused:
        _load(database, "swift.measurements", more["swift.measurements"], tmp_path)
    assert str(refused.value) == (
        "sky.points holds 4 points of swift.measurements, which has 5 rows: nothing was "
        "loaded; run `python -m runner index rebuild` to make the index whole again"
    )
    assert _rows(database, "swift.measurements") == 5
    assert DuckDBSink(database).rebuild(CATALOG.index.table, CATALOG.points_in_tables()) == 8
    assert _load(database, "swift.measurements", more["swift.measurements"], tmp_path).loaded == 3
    assert _points_by_table(database)[("swift", "measurements")] == 8


def test_rows_in_their_table_order_are_points_in_the_index_order() -> None:
    for name in (("swift", "measurements"), ("chandra", "detections"), ("nustar", "measurements")):
        feed = index_feed(CATALOG, CATALOG.tables[name])
        assert feed is not None and feed.keeps_order, name  # sorted_by (hpx, mid_time)
    table = CATALOG.tables[("swift", "measurements")]
    other = index_feed(CATALOG, replace(table, sorted_by=("mid_time", "hpx")))
    assert other is not None and not other.keeps_order


def test_a_point_table_of_a_stack_without_the_index_feeds_nothing() -> None:
    without = replace(CATALOG, sky_index=False)
    assert index_feed(without, CATALOG.tables[("swift", "measurements")]) is None
    assert index_feed(CATALOG, CATALOG.tables[("swift", "bursts")]) is None  # not a point kind
    assert ("sky", "points") in CATALOG.stored and ("sky", "points") not in without.stored


def test_an_observatory_named_like_the_index_schema_is_refused() -> None:
    raw = stack_raw({"sky": {"path": "/sky", "quota": {"hard": "1TB"}, "kinds": ["measurements"]}})
    with pytest.raises(ConfigError, match=r"observatories\.sky.*the sky index's schema is sky"):
        from_mapping(raw, PROJECT_DIR, "test stack")


def _runner(*args: str, cwd: Path = PROJECT_DIR) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runner", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_cli_rebuild_without_the_index_is_one_line(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", project / "Pulumi.yaml")
    (project / "queries").symlink_to(PROJECT_DIR / "queries")
    text = (PROJECT_DIR / "Pulumi.local.yaml").read_text()
    assert "sky_index: true" in text
    (project / "Pulumi.noindex.yaml").write_text(
        text.replace("sky_index: true", "sky_index: false")
    )
    done = _runner("--stack", "noindex", "index", "rebuild", cwd=project)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: this stack keeps no sky index: set vastobs:database.sky_index: true, then pulumi up"
    )
    quiet = _runner("--stack", "noindex", "index", "rebuild", "--if-kept", cwd=project)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")


def test_cli_tables_lists_what_a_load_fills_not_the_index() -> None:
    done = _runner("tables")
    assert done.returncode == 0, done.stderr
    assert "sky.points" not in done.stdout and "swift.measurements\tmeasurements" in done.stdout


def test_vastdb_adds_points_in_the_load_transaction(tmp_path: Path) -> None:
    from vastdb import errors

    from runner.loader.sinks import VastDBSink
    from tests.support.fake_vastdb import FakeBucket, FakeSchema, FakeSession, FakeTable

    table = CATALOG.tables[("swift", "measurements")]
    index = CATALOG.index.table
    measurements = FakeTable(table.name, table.arrow_schema(), fail_after_inserts=1)
    points = FakeTable(index.name, index.arrow_schema())
    session = FakeSession({"obsdb": FakeBucket("obsdb", {
        "swift": FakeSchema("swift", {table.name: measurements}),
        "sky": FakeSchema("sky", {index.name: points}),
    })})  # fmt: skip
    files = write_parquet(tmp_path / "in", {"swift.measurements": _measurements(5)}, CATALOG)
    target = VastDBSink(lambda: session, "obsdb", insert_rows=3)
    args = {"batch_rows": 2, "quarantine_dir": tmp_path / "q", "feed": index_feed(CATALOG, table)}
    with pytest.raises(errors.ServiceUnavailable):  # the table's second insert fails
        load(table, [files["swift.measurements"]], target, **args)
    assert (measurements.rows.num_rows, points.rows.num_rows) == (0, 0)  # both rolled back
    measurements.fail_after_inserts = None
    assert load(table, [files["swift.measurements"]], target, **args).loaded == 5
    assert load(table, [files["swift.measurements"]], target, **args).loaded == 0
    assert points.rows.num_rows == 5
    assert points.rows.column("observatory").to_pylist() == ["swift"] * 5
    assert points.rows.column("time_utc").equals(measurements.rows.column("mid_time"))


@pytest.mark.trino
def test_trino_adds_points_and_refuses_an_index_out_of_step(tmp_path: Path, trino_server) -> None:
    from sqlglot import exp

    from runner.loader.sinks import TrinoSink

    table = CATALOG.tables[("swift", "measurements")]
    index = CATALOG.index.table
    cursor = trino_server.connect().cursor()

    def sql(text: str) -> list[list[Any]]:
        cursor.execute(text)
        return cursor.fetchall()

    for t in (table, index):
        sql(f'CREATE SCHEMA IF NOT EXISTS memory."idx_{t.observatory}"')
        sql(t.create_sql("trino", exp.table_(t.name, db=f"idx_{t.observatory}", catalog="memory")))
    target = TrinoSink(trino_server.connect, "memory", lambda obs: f"idx_{obs}")
    files = write_parquet(tmp_path / "in", {"swift.measurements": _measurements(5)}, CATALOG)
    feed = index_feed(CATALOG, table)
    args = {"batch_rows": 100, "quarantine_dir": tmp_path / "q", "feed": feed}
    assert load(table, [files["swift.measurements"]], target, **args).loaded == 5
    assert load(table, [files["swift.measurements"]], target, **args).loaded == 0
    got = sql("SELECT observatory, kind, count(*) FROM memory.idx_sky.points GROUP BY 1, 2")
    assert got == [["swift", "measurements", 5]]
    # An index that lacks a table's row (a rebuild that failed half-way): refused.
    sql("CREATE TABLE memory.idx_sky.short AS SELECT * FROM memory.idx_sky.points LIMIT 4")
    assert feed is not None
    short = replace(feed, index=replace(feed.index, name="short"))
    more = write_parquet(tmp_path / "more", {"swift.measurements": _measurements(2, first=10)})
    with pytest.raises(InputError, match=r"holds 4 points of swift\.measurements, which has 5"):
        load(table, [more["swift.measurements"]], target, **{**args, "feed": short})
    assert sql("SELECT count(*) FROM memory.idx_swift.measurements") == [[5]]


def test_vastdb_rebuild_replaces_the_index_in_one_transaction(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from runner.loader.sinks import VastDBSink
    from tests.support.fake_vastdb import FakeBucket, FakeSchema, FakeSession, FakeTable

    tables = {
        "swift.measurements": CATALOG.tables[("swift", "measurements")],
        "chandra.detections": CATALOG.tables[("chandra", "detections")],
    }
    index = CATALOG.index.table
    fakes = {name: FakeTable(t.name, t.arrow_schema()) for name, t in tables.items()}
    points = FakeTable(index.name, index.arrow_schema())
    session = FakeSession({"obsdb": FakeBucket("obsdb", {
        "swift": FakeSchema("swift", {"measurements": fakes["swift.measurements"]}),
        "chandra": FakeSchema("chandra", {"detections": fakes["chandra.detections"]}),
        "sky": FakeSchema("sky", {index.name: points}),
    })})  # fmt: skip
    files = write_parquet(tmp_path / "in", {k: v for k, v in DATA.items() if k in tables}, CATALOG)
    for name, fake in fakes.items():
        fake.insert(pq.read_table(files[name]).cast(tables[name].arrow_schema()))
    stale = local_database(
        tmp_path / "stale", {"swift.measurements": _measurements(3, first=20)}, CATALOG
    )
    with duckdb.connect(str(stale), read_only=True) as con:
        points.insert(
            con.sql("SELECT * FROM sky.points").to_arrow_table().cast(index.arrow_schema())
        )
    relation = replace(CATALOG, sky_index=False).relation(POINTS, ("swift", "chandra"))
    assert VastDBSink(lambda: session, "obsdb", insert_rows=2).rebuild(index, relation) == 7
    by = points.rows.group_by(["observatory", "kind"]).aggregate([([], "count_all")]).to_pylist()
    assert sorted((r["observatory"], r["kind"], r["count_all"]) for r in by) == [
        ("chandra", "detections", 2), ("swift", "measurements", 5),
    ]  # fmt: skip
    assert set(points.rows.column("observation").to_pylist()).isdisjoint({"00000000020"})
    hpx = points.rows.column("hpx").to_pylist()
    assert hpx == sorted(hpx)  # in the index's sorted_by order
