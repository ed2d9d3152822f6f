"""The streaming loader: keys checked across batches and files in SQL, in bounded memory.

The checks keep nothing between batches; duplicates inside the input and
against the table are found by DuckDB over the load's spool. These tests
load a few 10^5 rows with DuckDB held to a small memory bound, the same rows
again renamed and reordered (nothing added), and check the order rows land
in (the table's ``sorted_by``) whichever order the file had.
"""

from __future__ import annotations

import datetime as dt
import json
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from devtools.toolchain import PROJECT_DIR
from runner.loader import load, raw, spool
from runner.loader.sinks import ROW_GROUP_MAX, ROW_GROUP_MIN, DuckDBSink, row_group_rows
from vastobs.backends.local import LocalBackend
from vastobs.ddl import load_table
from vastobs.errors import BackendError, InputError
from vastobs.sky import healpix14_array

MEASUREMENTS = load_table(PROJECT_DIR, "swift", "measurements")
ROWS = 300_000


@pytest.fixture
def database(tmp_path: Path) -> Path:
    backend = LocalBackend(tmp_path / "root")
    backend.collection("views").create({"path": "/db", "bucket": "db", "policy_id": 1})
    backend.catalog().create_schema("db", "swift")
    backend.catalog().create_table("db", "swift", "measurements", MEASUREMENTS.vms_arrow_schema())
    return backend.database_file("db")


def _rows(n: int, seed: int = 5) -> pa.Table:
    """``n`` measurements with distinct keys (obs_id S<i>), positions over the sky."""
    rng = np.random.default_rng(seed)
    ra, dec = rng.uniform(0, 360, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    start = np.datetime64("2010-01-01T00:00:00", "us")
    data = {
        "obs_id": pa.array([f"S{i}" for i in range(n)]),
        "target_name": pa.repeat(pa.scalar("T"), n),
        "instrument": pa.repeat(pa.scalar("XRT"), n),
        "band": pa.repeat(pa.scalar("0.3-10keV"), n),
        "mid_time": start + rng.integers(0, 10**14, n).astype("timedelta64[us]"),
        "exposure_s": np.full(n, 100.0),
        "ra": ra,
        "dec": dec,
        "err_radius_arcsec": np.full(n, 1.6),
        "hpx": healpix14_array(ra, dec),
        "rate": np.ones(n),
        "rate_error": np.full(n, 0.1),
        "quality": pa.repeat(pa.scalar("good"), n),
    }
    columns = {c.name: data.get(c.name, pa.nulls(n, c.arrow_type)) for c in MEASUREMENTS.columns}
    return pa.table(columns).cast(MEASUREMENTS.arrow_schema())


def _load(database: Path, tmp_path: Path, *files: Path, batch_rows: int = 50_000, **options):
    return load(
        MEASUREMENTS,
        list(files),
        DuckDBSink(database),
        batch_rows=batch_rows,
        quarantine_dir=tmp_path / "quarantine",
        **options,
    )


def _table_order(database: Path) -> tuple[int, int]:
    """Rows, and rows out of (hpx, mid_time) order in the table's storage order."""
    with duckdb.connect(str(database), read_only=True) as con:
        got = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE hpx < ph OR (hpx = ph AND mid_time < pt))"
            " FROM (SELECT hpx, mid_time, lag(hpx) OVER (ORDER BY rowid) AS ph,"
            " lag(mid_time) OVER (ORDER BY rowid) AS pt FROM swift.measurements)"
        ).fetchone()
    assert got is not None
    return int(got[0]), int(got[1])


def test_a_few_hundred_thousand_rows_in_a_small_memory_bound(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB held to 160 MB (the spool's SQL spills): every row checked, duplicates found
    across batches far apart, rows stored in sorted_by order though the file is not."""
    monkeypatch.setattr(spool, "SPOOL_MEMORY", "160MB")
    rows = _rows(ROWS)
    changed = {**rows.slice(10, 1).to_pylist()[0], "rate": 2.0}
    twice = pa.Table.from_pylist([changed], schema=rows.schema)  # a key of the first batch
    data = pa.concat_tables([rows.slice(0, ROWS - 5), twice, rows.slice(ROWS - 5)])
    path = tmp_path / "many.parquet"
    pq.write_table(data, path, row_group_size=40_000)
    f = _load(database, tmp_path, path).files[0]
    assert (f.read, f.loaded, f.rejected, f.already_present) == (ROWS + 1, ROWS, 1, 0)
    (line,) = f.quarantine.read_text().splitlines()
    record = json.loads(line)
    assert (record["line"], record["reason"]) == (
        ROWS - 4,
        "duplicate key {'obs_id': 'S10', 'instrument': 'XRT', 'band': '0.3-10keV',"
        f" 'mid_time': {rows['mid_time'][10].as_py()!r}}} in the input",
    )
    assert record["row"]["rate"] == 2.0  # the later row is the one quarantined
    assert _table_order(database) == (ROWS, 0)


def test_the_same_rows_renamed_and_reordered_add_nothing(database: Path, tmp_path: Path) -> None:
    rows = _rows(20_000, seed=9)
    first = tmp_path / "night1.parquet"
    pq.write_table(rows.sort_by([("hpx", "ascending"), ("mid_time", "ascending")]), first)
    again = tmp_path / "renamed" / "other-name.parquet"
    again.parent.mkdir()
    shuffled = rows.take(np.random.default_rng(1).permutation(rows.num_rows))
    pq.write_table(shuffled, again)
    loaded = _load(database, tmp_path, first, batch_rows=3_000).files[0]
    repeat = _load(database, tmp_path, again, batch_rows=3_000).files[0]
    assert (loaded.loaded, loaded.already_present) == (20_000, 0)
    assert (repeat.read, repeat.loaded, repeat.already_present) == (20_000, 0, 20_000)
    assert _table_order(database) == (20_000, 0)
    # Half new, half old, in another order again: only the new half goes in.
    new = _rows(25_000, seed=9).slice(20_000)  # keys S20000 to S24999, not loaded before
    third = tmp_path / "mixed.parquet"
    pq.write_table(pa.concat_tables([shuffled.slice(0, 5_000), new]), third)
    result = _load(database, tmp_path, third, batch_rows=3_000).files[0]
    assert (result.read, result.loaded, result.already_present) == (10_000, 5_000, 5_000)


def test_a_text_file_streams_with_its_lines(database: Path, tmp_path: Path) -> None:
    """CSV rows are parsed a batch at a time; a duplicate three batches later is found."""
    header = "obs_id,target_name,instrument,band,mid_time,exposure_s,ra,dec,err_radius_arcsec"
    header += ",rate,rate_error,quality"
    lines = [
        f"S{i},T,XRT,0.3-10keV,{dt.datetime(2011, 1, 1) + dt.timedelta(hours=i):%Y-%m-%dT%H:%M:%S},"
        f"100,{i % 360},{(i % 170) - 85},1.6,1,0.1,good"
        for i in range(40)
    ]
    lines.insert(31, lines[3])  # line 32 repeats line 4's key
    path = tmp_path / "m.csv"
    path.write_text(header + "\n" + "\n".join(lines) + "\n")
    f = _load(database, tmp_path, path, batch_rows=8).files[0]
    assert (f.read, f.loaded, f.rejected) == (41, 40, 1)
    record = json.loads(f.quarantine.read_text())
    assert record["line"] == 32 and record["reason"].startswith("duplicate key {'obs_id': 'S3'")
    assert _table_order(database) == (40, 0)


def test_a_loads_row_groups_grow_with_it_to_about_a_thousand() -> None:
    """Small groups keep a small table's cone fast; a big load's groups grow so that a
    query checks about a thousand zone maps, not 6,200 (docs/benchmarks.md)."""
    assert row_group_rows(1) == row_group_rows(10**7) == ROW_GROUP_MIN == 16_384
    assert row_group_rows(3 * 10**7) == 32_768
    assert row_group_rows(10**8) == row_group_rows(10**11) == ROW_GROUP_MAX == 65_536
    assert all(
        row_group_rows(n) % 2048 == 0 for n in (1, 10**7, 3 * 10**7, 10**9)
    )  # DuckDB's vector


def _count(database: Path) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        got = con.execute("SELECT count(*) FROM swift.measurements").fetchone()
    return int(got[0]) if got else 0


def test_a_clean_parquet_file_is_read_in_place_not_copied(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every row passes as it is: the spool holds no copy of it (the disk a load needs),
    and the rows land whole and in order."""
    rows = _rows(30_000, seed=3)
    path = tmp_path / "clean.parquet"
    pq.write_table(rows.sort_by([("hpx", "ascending"), ("mid_time", "ascending")]), path)
    spooled: list[int] = []
    commit = DuckDBSink.writer

    def watching(self, table, feed=None):  # the spool's own file, when the commit reads it
        with commit(self, table, feed) as writer:
            inner = writer.commit
            writer.commit = lambda s: spooled.append(s.path.stat().st_size) or inner(s)
            yield writer

    monkeypatch.setattr(DuckDBSink, "writer", contextmanager(watching))
    f = _load(database, tmp_path, path, batch_rows=7_000).files[0]
    assert (f.read, f.loaded, f.rejected) == (30_000, 30_000, 0)
    assert spooled and spooled[0] < path.stat().st_size / 20
    assert _table_order(database) == (30_000, 0)


def test_a_file_changed_after_its_checks_refuses_the_load(database: Path, tmp_path: Path) -> None:
    """Read in place, the file is read again at the commit: if it is not the file checked
    (here rewritten with a row out of range after its last batch), nothing is loaded."""
    rows = _rows(10_000, seed=4)
    path = tmp_path / "night.parquet"
    pq.write_table(rows, path)
    bad = rows.set_column(rows.schema.get_field_index("ra"), "ra", pa.array([400.0] * 10_000))
    read = []

    def rewrite_at_the_end(n: int) -> None:
        read.append(n)
        if sum(read) == rows.num_rows:
            pq.write_table(bad, path)

    with pytest.raises(InputError, match=r"night\.parquet: changed or replaced while"):
        _load(
            database,
            tmp_path,
            path,
            batch_rows=4_000,
            raw_dir=tmp_path / "raw",
            progress=rewrite_at_the_end,
        )
    assert _count(database) == 0
    assert not any((tmp_path / "raw").glob("*"))  # no raw copy kept, none half-written


def test_a_bad_row_late_in_a_file_and_keys_across_files(database: Path, tmp_path: Path) -> None:
    """A row that fails in a later batch sends its file the copying way, which names it;
    a key given in two files, one read in place, is refused in the later one, by line."""
    rows = _rows(9_000, seed=6)
    first = tmp_path / "a.parquet"
    pq.write_table(rows.slice(0, 5_000), first)
    second_rows = pa.concat_tables([rows.slice(5_000), rows.slice(17, 1)])  # a key of a.parquet
    late = second_rows.to_pylist()
    late[3_500]["dec"] = -91.0
    second = tmp_path / "b.parquet"
    pq.write_table(pa.Table.from_pylist(late, schema=rows.schema), second)
    read: list[int] = []
    summary = _load(database, tmp_path, first, second, batch_rows=1_000, progress=read.append)
    a, b = summary.files
    assert (a.read, a.loaded, a.rejected) == (5_000, 5_000, 0)
    assert (b.read, b.loaded, b.rejected) == (4_001, 3_999, 2)
    assert sum(read) == 9_001  # what the copying way read again is taken back
    reasons = [json.loads(x) for x in b.quarantine.read_text().splitlines()]
    assert [(r["line"], r["reason"][:16]) for r in reasons] == [
        (3_501, "dec -91.0 is out"),
        (4_001, "duplicate key {'"),
    ]
    assert _table_order(database) == (8_999, 0)


def test_a_raw_copy_that_fails_fails_the_load_before_its_commit(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The raw copy is made in a thread beside the checks; the load waits for it before
    its commit, so a full disk leaves the table as it was and no partial copy behind."""
    path = tmp_path / "night.parquet"
    pq.write_table(_rows(2_000, seed=8), path)

    def full_disk(source: Path, target: Path) -> None:
        Path(target).write_bytes(b"half")
        raise OSError(28, "No space left on device", str(target))

    monkeypatch.setattr(raw.shutil, "copyfile", full_disk)
    with pytest.raises(BackendError, match=r"\.partial-\d+: No space left on device; nothing was"):
        _load(database, tmp_path, path, batch_rows=1_000, raw_dir=tmp_path / "raw")
    assert _count(database) == 0
    assert not (tmp_path / "raw").exists()


def test_a_file_whose_name_looks_like_a_glob_is_read_as_itself(
    database: Path, tmp_path: Path
) -> None:
    """DuckDB reads ``night[1].parquet`` as the pattern matching ``night1.parquet``: the file
    read in place is read through a name of the load's own."""
    rows = _rows(3_000, seed=10)
    pq.write_table(rows.slice(0, 1_000), tmp_path / "night1.parquet")
    pq.write_table(rows.slice(1_000), tmp_path / "night[1].parquet")
    f = _load(database, tmp_path, tmp_path / "night[1].parquet").files[0]
    assert (f.read, f.loaded) == (2_000, 2_000)
    with duckdb.connect(str(database), read_only=True) as con:
        names = con.execute("SELECT min(obs_id), count(*) FROM swift.measurements").fetchone()
    assert names == (min(rows.slice(1_000)["obs_id"].to_pylist()), 2_000)


def test_a_full_disk_under_the_spools_sql_is_one_line(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB's own I/O errors (its spill on a full disk) before the commit are one line
    too, and leave the table as it was."""
    path = tmp_path / "night.parquet"
    pq.write_table(_rows(2_000, seed=11), path)

    def full(self: spool.Spool) -> None:
        raise duckdb.IOException('IO Error: Could not write file "x.tmp": No space left on device')

    monkeypatch.setattr(spool.Spool, "seal", full)
    with pytest.raises(BackendError, match=r"^the load's spool: IO Error: .*; nothing was loaded$"):
        _load(database, tmp_path, path)
    assert _count(database) == 0
