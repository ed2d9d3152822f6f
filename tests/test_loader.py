"""The loader on hostile files: exact quarantine contents, idempotence, refusals."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from devtools.toolchain import PROJECT_DIR
from runner.loader import load
from runner.loader.sinks import DuckDBSink
from vastobs.backends.local import LocalBackend
from vastobs.ddl import load_table
from vastobs.errors import InputError, TableMissing
from vastobs.sky import healpix14

BURSTS = load_table(PROJECT_DIR, "swift", "bursts")
HEADER = "trigger_id,grb_name,trigger_time,ra,dec,err_radius_arcsec,significance,t90_seconds"


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """A local VAST DB with swift.bursts, created the way Pulumi's local backend does."""
    backend = LocalBackend(tmp_path / "root")
    backend.collection("views").create({"path": "/db", "bucket": "db", "policy_id": 1})
    catalog = backend.catalog()
    catalog.create_schema("db", "swift")
    catalog.create_table("db", "swift", "bursts", BURSTS.vms_arrow_schema())
    return backend.database_file("db")


def _load(database: Path, tmp_path: Path, *files: Path, table=BURSTS):
    return load(
        table,
        list(files),
        DuckDBSink(database),
        batch_rows=2,
        quarantine_dir=tmp_path / "quarantine",
        raw_dir=tmp_path / "raw",
    )


def _rows(database: Path) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            "SELECT trigger_id, hpx FROM swift.bursts ORDER BY trigger_id"
        ).fetchall()


def _quarantine(path: Path) -> list[tuple[int, str]]:
    return [(r["line"], r["reason"]) for r in map(json.loads, path.read_text().splitlines())]


def test_hostile_csv_is_quarantined_row_by_row(database: Path, tmp_path: Path) -> None:
    csv = tmp_path / "bursts.csv"
    csv.write_text(
        HEADER + "\n"
        "1,GRB 150615A,2015-06-15T18:31:00,306.0159,33.8672,102,0.97,10.5\n"
        "2,GRB 150616A,2015-06-16T01:00:00,abc,10,100,0.95,3\n"  # wrong type
        "3,GRB 150617A,2015-06-17T01:00:00,360.0,10,100,0.95,3\n"  # RA out of range
        "4,GRB 150618A,2015-06-18T01:00:00,10,-91,100,0.95,3\n"  # Dec out of range
        "5,GRB 150619A,2015-06-19T01:00:00,10,10,100,0.95,-3\n"  # negative duration
        "1,GRB 150615B,2015-06-15T19:00:00,10,10,100,0.95,3\n"  # duplicated key
        "6,GRB 150620A,2015-06-20T01:00:00,10,10\n"  # truncated row
        "7,GRB 150621A,2015-06-21T01:00:00,10,10,100,n/a,3\n"  # NOT NULL missing
        "8,GRB 150622A,1970-01-01T00:00:00,10,10,100,0.9,3\n"  # time out of range
        "9,GRB 150623A,2015-06-23T01:00:00,10,10,100,1.5,n/a\n"  # significance > 1
        "10,GRB 150624A,2015-06-24T01:00:00,0.5,-89.5,60,0.91,n/a\n"  # fine
    )
    summary = _load(database, tmp_path, csv)
    f = summary.files[0]
    assert (f.read, f.loaded, f.rejected) == (11, 2, 9)
    assert _quarantine(f.quarantine) == [
        (2, "ra 'abc' is not a valid double"),
        (3, "ra 360.0 is outside [0, 360)"),
        (4, "dec -91.0 is outside [-90, 90]"),
        (5, "t90_seconds -3.0 is negative"),
        (6, "duplicate key {'trigger_id': 1} in the input"),
        (7, "ragged row: 5 cells, header has 8"),
        (8, "significance is missing (the column is NOT NULL)"),
        (9, "trigger_time 1970-01-01T00:00:00 is outside [1990-01-01, now + 1 year]"),
        (10, "significance 1.5 is outside [0, 1]"),
    ]
    assert _rows(database) == [(1, healpix14(306.0159, 33.8672)), (10, healpix14(0.5, -89.5))]


def test_loading_twice_adds_nothing_and_keeps_one_raw_copy(database: Path, tmp_path: Path) -> None:
    csv = tmp_path / "one.csv"
    csv.write_text(HEADER + "\n1,GRB 150615A,2015-06-15T18:31:00,306.0159,33.8672,102,0.97,10.5\n")
    first = _load(database, tmp_path, csv).files[0]
    second = _load(database, tmp_path, csv).files[0]
    assert (first.loaded, second.loaded, second.already_present) == (1, 0, 1)
    assert len(_rows(database)) == 1
    assert first.kept_as == second.kept_as and first.kept_as.read_bytes() == csv.read_bytes()
    assert first.kept_as.name == f"{first.sha256}.csv"


def _bursts_parquet(path: Path, **overrides: list) -> Path:
    base = {
        "trigger_id": [1, 2, 3],
        "grb_name": ["GRB 050101A", "GRB 050102A", "GRB 050103A"],
        "trigger_time": [dt.datetime(2005, 1, d) for d in (1, 2, 3)],
        "ra": [10.0, 20.0, 30.0],
        "dec": [0.0, 5.0, -5.0],
        "err_radius_arcsec": [60.0, 60.0, 60.0],
        "hpx": [healpix14(10.0, 0.0), healpix14(20.0, 5.0), healpix14(30.0, -5.0)],
        "significance": [0.95, 0.5, 0.99],
    }
    base.update(overrides)
    columns = {c.name: base.get(c.name, [None] * 3) for c in BURSTS.columns}
    pq.write_table(pa.table(columns, schema=BURSTS.arrow_schema()), path)
    return path


def test_parquet_fast_path_checks_ranges_and_hpx(database: Path, tmp_path: Path) -> None:
    good_hpx = healpix14(10.0, 0.0)
    path = _bursts_parquet(
        tmp_path / "b.parquet",
        dec=[0.0, 95.0, -5.0],  # row 2 out of range
        hpx=[good_hpx, healpix14(20.0, 5.0), 12345],  # row 3 inconsistent with its position
    )
    f = _load(database, tmp_path, path).files[0]
    assert (f.read, f.loaded, f.rejected) == (3, 1, 2)
    assert _quarantine(f.quarantine) == [
        (2, "dec 95.0 is outside [-90, 90]"),
        (3, f"hpx 12345 does not match ra/dec (order 14 gives {healpix14(30.0, -5.0)})"),
    ]


def test_wrong_encoding_and_grb_table_quirks(database: Path, tmp_path: Path) -> None:
    header = "\t".join(
        ["GRB", "Time [UT]", "Trigger Number", "BAT RA (J2000)", "BAT Dec (J2000)",
         "BAT 90% Error Radius [arcmin]", "BAT T90 [sec]",
         "BAT Fluence (15-150 keV) [10^-7 erg/cm^2]", "XRT RA (J2000)", "Redshift"]
    )  # fmt: skip
    lines = [
        header,
        "150615A\t18:31:00\t645236\t306.0159\t33.8672\t1.7\t37.5\t12\t20h24m03.8s\t0.52",
        "150616A\t01:00:00\t645300|645301\t10\t10\t1.5\t2\t1\tn/a\tn/a",  # several triggers
        "150617A\t01:00:00\tFermi\t10\t10\t1.5\t2\t1\tn/a\tn/a",  # not a BAT trigger
        "150618A\t01:00:00\t645400*\t11\t12\t2.0\tn/a\tn/a\tn/a\tn/a",  # annotated, fine
        "150619A\t01:00:00\t645500\t10",  # ragged
        "15061\t01:00:00\t645600\t10\t10\t1.5\t2\t1\tn/a\tn/a",  # no date in the name
    ]
    data = ("\n".join(lines) + "\n").encode("utf-8").replace(b"n/a\tn/a\n", b"n/a\t\xe9\n", 1)
    path = tmp_path / "swift_grbs.txt"
    path.write_bytes(data)  # latin-1 byte: not UTF-8
    f = _load(database, tmp_path, path).files[0]
    assert _quarantine(f.quarantine) == [
        (2, "Trigger Number '645300|645301' holds several triggers; ambiguous"),
        (3, "Trigger Number 'Fermi' is not a Swift/BAT trigger number"),
        (5, "ragged row: 4 cells, header has 10"),
        (6, "GRB name '15061' does not carry a YYMMDD date"),
    ]
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "SELECT trigger_id, grb_name, trigger_time, err_radius_arcsec, fluence_erg_cm2,"
            " xrt_detected, redshift FROM swift.bursts ORDER BY trigger_id"
        ).fetchall()
    assert rows[0] == (
        645236, "GRB 150615A", dt.datetime(2015, 6, 15, 18, 31), pytest.approx(102.0),
        pytest.approx(1.2e-6), True, pytest.approx(0.52),
    )  # fmt: skip
    assert rows[1][:2] == (645400, "GRB 150618A")


def test_a_missing_table_is_refused(tmp_path: Path, database: Path) -> None:
    detections = load_table(PROJECT_DIR, "chandra", "detections")
    csv = tmp_path / "d.csv"
    csv.write_text("obsid\n1\n")
    with pytest.raises(TableMissing, match="run pulumi up"):
        _load(database, tmp_path, csv, table=detections)


@pytest.mark.trino
def test_loading_into_the_real_trino(tmp_path: Path, trino_server) -> None:
    from sqlglot import exp

    from runner.loader.sinks import TrinoSink

    conn = trino_server.connect()
    cursor = conn.cursor()
    cursor.execute('CREATE SCHEMA IF NOT EXISTS memory."loader_swift"')
    cursor.fetchall()
    cursor.execute(
        BURSTS.create_sql("trino", exp.table_("bursts", db="loader_swift", catalog="memory"))
    )
    cursor.fetchall()
    target = TrinoSink(trino_server.connect, "memory", lambda obs: f"loader_{obs}")
    csv = tmp_path / "bursts.csv"
    csv.write_text(
        HEADER + "\n"
        "1,GRB 150615A,2015-06-15T18:31:00,306.0159,33.8672,102,0.97,10.5\n"
        "2,GRB 150616A,2015-06-16T01:00:00,10,95,100,0.95,3\n"
        "3,GRB 150617A,2015-06-17T01:00:00.123456,10,10,100,0.95,n/a\n"
    )
    args = {"batch_rows": 2, "quarantine_dir": tmp_path / "q"}
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\x00\x01")
    with pytest.raises(InputError, match=r"broken\.csv: not a text file"):
        load(BURSTS, [csv, broken], target, **args)  # nothing of csv reaches the table
    first = load(BURSTS, [csv], target, **args).files[0]
    second = load(BURSTS, [csv], target, **args).files[0]
    assert (first.loaded, first.rejected, second.loaded, second.already_present) == (2, 1, 0, 2)
    cursor.execute("SELECT table_name FROM memory.information_schema.tables"
                   " WHERE table_schema = 'loader_swift'")  # fmt: skip
    assert cursor.fetchall() == [["bursts"]]  # every load's staging table dropped
    cursor.execute(
        "SELECT trigger_id, hpx, trigger_time FROM memory.loader_swift.bursts ORDER BY 1"
    )
    assert cursor.fetchall() == [
        [1, healpix14(306.0159, 33.8672), dt.datetime(2015, 6, 15, 18, 31)],
        [3, healpix14(10, 10), dt.datetime(2015, 6, 17, 1, 0, 0, 123456)],
    ]
    # A clean Parquet file is read in place (not spooled): the same rows reach Trino.
    parquet = _bursts_parquet(tmp_path / "b.parquet", trigger_id=[4, 5, 3])
    third = load(BURSTS, [parquet], target, **args).files[0]
    assert (third.read, third.loaded, third.already_present) == (3, 2, 1)
    cursor.execute(
        "SELECT trigger_id, hpx, trigger_time FROM memory.loader_swift.bursts"
        " WHERE trigger_id > 3 ORDER BY 1"
    )
    assert cursor.fetchall() == [
        [4, healpix14(10.0, 0.0), dt.datetime(2005, 1, 1)],
        [5, healpix14(20.0, 5.0), dt.datetime(2005, 1, 2)],
    ]


def _fake(table_def=BURSTS, **table_options):
    from tests.support.fake_vastdb import FakeBucket, FakeSchema, FakeSession, FakeTable

    table = FakeTable(table_def.name, table_def.arrow_schema(), **table_options)
    schema = FakeSchema(table_def.observatory, {table_def.name: table})
    return FakeSession({"obsdb": FakeBucket("obsdb", {table_def.observatory: schema})}), table


def test_vastdb_target_inserts_arrow_batches_once(tmp_path: Path) -> None:
    from runner.loader.sinks import VastDBSink

    session, table = _fake()
    path = _bursts_parquet(tmp_path / "b.parquet")
    target = VastDBSink(lambda: session, "obsdb", insert_rows=2)
    first = load(BURSTS, [path], target, batch_rows=2, quarantine_dir=tmp_path / "q").files[0]
    second = load(BURSTS, [path], target, batch_rows=2, quarantine_dir=tmp_path / "q").files[0]
    assert (first.loaded, second.loaded, second.already_present) == (3, 0, 3)
    hpx = table.rows.column("hpx").to_pylist()
    assert hpx == sorted(hpx)  # in the table's sorted_by order (hpx, trigger_time), batch by batch
    assert table.rows.column("trigger_id").to_pylist() == [3, 1, 2]
    assert table.rows.schema.equals(BURSTS.arrow_schema())  # the fake refuses anything else
    assert table.inserts == 2  # 3 rows in slices of 2


def test_vastdb_failed_insert_rolls_the_file_back(tmp_path: Path) -> None:
    from vastdb import errors

    from runner.loader.sinks import VastDBSink

    session, table = _fake(fail_after_inserts=1)
    path = _bursts_parquet(tmp_path / "b.parquet")
    target = VastDBSink(lambda: session, "obsdb", insert_rows=2)
    with pytest.raises(errors.ServiceUnavailable):
        load(BURSTS, [path], target, batch_rows=2, quarantine_dir=tmp_path / "q")
    assert table.rows.num_rows == 0  # the first slice went in, then the whole file rolled back
    assert (session.committed, session.rolled_back) == (
        1,
        1,
    )  # exists() committed, the load did not


def test_vastdb_missing_table_is_refused(tmp_path: Path) -> None:
    from runner.loader.sinks import VastDBSink

    session, _table = _fake(load_table(PROJECT_DIR, "chandra", "detections"))
    target = VastDBSink(lambda: session, "obsdb")
    with pytest.raises(TableMissing):
        load(
            BURSTS,
            [_bursts_parquet(tmp_path / "b.parquet")],
            target,
            batch_rows=2,
            quarantine_dir=tmp_path,
        )


def test_vastdb_load_is_one_transaction_for_all_its_files(tmp_path: Path) -> None:
    from runner.loader.sinks import VastDBSink
    from vastobs.errors import InputError

    session, table = _fake()
    good = _bursts_parquet(tmp_path / "good.parquet")
    other = _bursts_parquet(tmp_path / "other.parquet", trigger_id=[4, 5, 6])
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(other.read_bytes()[:100])
    target = VastDBSink(lambda: session, "obsdb", insert_rows=2)
    args = {"batch_rows": 2, "quarantine_dir": tmp_path / "q"}
    with pytest.raises(InputError, match=r"broken\.parquet: not a readable Parquet file"):
        load(BURSTS, [good, broken], target, **args)
    assert table.rows.num_rows == 0 and table.inserts == 0  # the good file waited, then went
    assert (session.committed, session.rolled_back) == (1, 0)  # exists() only
    summary = load(BURSTS, [good, other], target, **args)
    assert [f.loaded for f in summary.files] == [3, 3]
    assert sorted(table.rows.column("trigger_id").to_pylist()) == [1, 2, 3, 4, 5, 6]
    assert session.committed == 3  # exists() and ONE transaction for both files
