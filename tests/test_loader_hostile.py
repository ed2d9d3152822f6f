"""Hostile files through ``python -m runner load``: all or nothing, one line, no traceback.

A file that cannot be read as a whole refuses the whole load (exit 1, one
stderr line naming it, the table's row count unchanged, no raw copy kept);
rows that fail a check inside a readable file go to the quarantine with
their line and reason while the rest load (exit 0). Row counts are taken
before and after every load.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from devtools.toolchain import PROJECT_DIR
from runner.cli import main
from vastobs.backends.local import LocalBackend
from vastobs.config import load_stack
from vastobs.ddl import load_table
from vastobs.kinds import observatory_table
from vastobs.sky import healpix14

BURSTS = load_table(PROJECT_DIR, "swift", "bursts")
HEADER = "trigger_id,grb_name,trigger_time,ra,dec,err_radius_arcsec,significance"
STACK = """config:
  vastobs:backend: local
  vastobs:local_root: {root}
  vastobs:database: {{bucket: hostile-db, path: /db}}
  vastobs:observatories:
    swift: {{path: /swift, quota: {{hard: 1TB}}, kinds: {{triggers: bursts}}}}
    fermi: {{path: /fermi, quota: {{hard: 1TB}}, kinds: {{triggers: {{columns: {{t90_s: DOUBLE}}}}}}}}
"""


class Project:
    def __init__(self, base: Path) -> None:
        self.dir = base / "project"
        self.dir.mkdir()
        shutil.copy(PROJECT_DIR / "Pulumi.yaml", self.dir / "Pulumi.yaml")
        (self.dir / "queries").symlink_to(PROJECT_DIR / "queries")
        self.root = root = base / "root"
        (self.dir / "Pulumi.hostile.yaml").write_text(STACK.format(root=root))
        backend = LocalBackend(root)
        backend.collection("views").create({"path": "/db", "bucket": "hostile-db", "policy_id": 1})
        backend.catalog().create_schema("hostile-db", "swift")
        backend.catalog().create_table("hostile-db", "swift", "bursts", BURSTS.vms_arrow_schema())
        self.database = backend.database_file("hostile-db")
        self.quarantine = self.dir / ".vastobs" / "quarantine" / "swift.bursts"
        self.raw = root / "views" / "swift" / "raw"
        self.files = base / "in"
        self.files.mkdir()

    def rows(self) -> list[int]:
        with duckdb.connect(str(self.database), read_only=True) as con:
            rows = con.execute("SELECT trigger_id FROM swift.bursts ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    def load(self, capsys: pytest.CaptureFixture[str], *names: str) -> tuple[int, list[str]]:
        code = main(["--stack", "hostile", "load", "swift.bursts", *map(str, self.path(*names))])
        err = capsys.readouterr().err
        assert "Traceback" not in err
        return code, err.strip().splitlines()

    def path(self, *names: str) -> list[Path]:
        return [self.files / n for n in names]

    def quarantined(self, name: str) -> list[tuple[int, str]]:
        (path,) = self.quarantine.glob(f"{Path(name).stem}-*.jsonl")
        return [(r["line"], r["reason"]) for r in map(json.loads, path.read_text().splitlines())]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    made = Project(tmp_path)
    monkeypatch.chdir(made.dir)
    monkeypatch.delenv("PULUMI_STACK", raising=False)
    return made


def _csv(project: Project, name: str, *rows: str, header: str = HEADER) -> None:
    (project.files / name).write_text(header + "\n" + "".join(r + "\n" for r in rows))


def _row(trigger: int, name: str | None = None, ra: float = 10.0) -> str:
    return f"{trigger},{name or f'GRB {trigger}'},2015-06-15T18:31:00,{ra},5.0,60,0.95"


def _parquet(project: Project, name: str, triggers: list[int], **columns: pa.Array) -> None:
    n = len(triggers)
    data = {
        "trigger_id": pa.array(triggers, pa.int64()),
        "grb_name": pa.array([f"GRB {t}" for t in triggers]),
        "trigger_time": pa.array([dt.datetime(2010, 1, 1)] * n, pa.timestamp("us")),
        "ra": pa.array([10.0 + i for i in range(n)]),
        "dec": pa.array([5.0] * n),
        "err_radius_arcsec": pa.array([60.0] * n),
        "significance": pa.array([0.95] * n),
    }
    data.update(columns)
    pq.write_table(pa.table(data), project.files / name)


# Files no reader can take: each refuses the whole load, a good file beside it included.
def _truncated_parquet(project: Project, name: str) -> None:
    _parquet(project, "whole.parquet", list(range(100, 200)))
    data = (project.files / "whole.parquet").read_bytes()
    (project.files / name).write_bytes(data[: len(data) // 2])


def _junk(project: Project, name: str) -> None:
    (project.files / name).write_bytes(bytes(range(256)) * 40)


def _half_binary_csv(project: Project, name: str) -> None:
    (project.files / name).write_bytes((HEADER + "\n" + _row(7) + "\n").encode() + b"\x00\xff" * 50)


def _wrong_columns_csv(project: Project, name: str) -> None:
    _csv(project, name, "1,2,3", header="target,when,flux")


def _missing_column_parquet(project: Project, name: str) -> None:
    pq.write_table(pa.table({"trigger_id": [1], "ra": [1.0], "dec": [2.0]}), project.files / name)


def _empty(project: Project, name: str) -> None:
    (project.files / name).write_bytes(b"")


REFUSED = [
    ("truncated.parquet", _truncated_parquet, "not a readable Parquet file"),
    ("junk.csv", _junk, "not a text file"),
    ("junk.parquet", _junk, "not a readable Parquet file"),
    ("half.csv", _half_binary_csv, "not a text file (a NUL byte"),
    ("columns.csv", _wrong_columns_csv, "column 'target' is not in swift.bursts"),
    ("columns.parquet", _missing_column_parquet, "lacks the NOT NULL column(s) grb_name"),
    ("empty.csv", _empty, "empty file, expected a header line"),
    ("empty.parquet", _empty, "not a readable Parquet file"),
]


@pytest.mark.parametrize(("name", "make", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_an_unreadable_file_refuses_the_whole_load(
    project: Project, capsys: pytest.CaptureFixture[str], name: str, make, message: str
) -> None:
    _csv(project, "good.csv", _row(1), _row(2))
    make(project, name)
    before = project.rows()
    code, err = project.load(capsys, "good.csv", name)
    assert code == 1
    assert len(err) == 1 and err[0].startswith(f"error: {project.files / name}: ")
    assert message in err[0] and "nothing was loaded" in err[0]
    assert project.rows() == before == []  # the good file beside it did not load either
    assert not project.quarantine.exists() and not project.raw.exists()
    assert list(project.database.parent.glob(".load-*")) == []  # staging cleaned up


def test_bad_rows_are_quarantined_and_the_rest_loads_in_one_commit(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """Wrong types (never coerced), overflow, duplicates inside and across files."""
    _csv(
        project,
        "a.csv",
        _row(1),
        _row(2, ra="ten"),  # not a double
        _row(2**70),  # beyond BIGINT
        _row(1, "GRB again"),  # duplicate key inside the file
        _row(3),
    )
    # Strings in a column declared DOUBLE: every value refused, none cast.
    _parquet(project, "b.parquet", [10, 11], ra=pa.array(["10.0", "11.0"]))
    # A key already in a.csv (across files), and a fresh one.
    _parquet(project, "c.parquet", [3, 12])
    assert project.rows() == []
    code, err = project.load(capsys, "a.csv", "b.parquet", "c.parquet")
    assert (code, err) == (0, [])
    assert project.rows() == [1, 3, 12]
    assert project.quarantined("a.csv") == [
        (2, "ra 'ten' is not a valid double"),
        (3, f"trigger_id '{2**70}' is not a valid bigint"),
        (4, "duplicate key {'trigger_id': 1} in the input"),
    ]
    reason = "is str in the file, the column is double (typed values are not converted)"
    assert project.quarantined("b.parquet") == [
        (1, f"ra '10.0' {reason}"),
        (2, f"ra '11.0' {reason}"),
    ]
    assert project.quarantined("c.parquet") == [(1, "duplicate key {'trigger_id': 3} in the input")]
    assert len(list(project.raw.iterdir())) == 3  # every raw file kept, after the commit

    code, _err = project.load(capsys, "a.csv", "c.parquet")  # again: nothing new
    assert code == 0 and project.rows() == [1, 3, 12]


def test_a_huge_field_and_latin1_text_load(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = "x" * 10_000_000
    (project.files / "huge.csv").write_bytes(
        (HEADER + "\n" + _row(1, huge) + "\n").encode()
        + (_row(2, "GRB caf\xe9") + "\n").encode("latin-1")
    )
    code, err = project.load(capsys, "huge.csv")
    assert (code, err) == (0, [])
    with duckdb.connect(str(project.database), read_only=True) as con:
        names = con.execute(
            "SELECT length(grb_name), grb_name[:8] FROM swift.bursts ORDER BY trigger_id"
        )
        assert names.fetchall() == [(10_000_000, "x" * 8), (8, "GRB café")]


def test_an_offset_timestamp_is_converted_to_utc(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    aware = pa.array([dt.datetime(2015, 6, 20, tzinfo=dt.timezone(dt.timedelta(hours=12)))])
    _parquet(project, "tz.parquet", [1], trigger_time=aware.cast(pa.timestamp("us", "UTC")))
    _csv(project, "tz.csv", "2,GRB 2,2015-06-20T00:00:00+12:00,10,5,60,0.95")
    assert project.load(capsys, "tz.parquet", "tz.csv") == (0, [])
    with duckdb.connect(str(project.database), read_only=True) as con:
        times = con.execute("SELECT trigger_time, hpx FROM swift.bursts ORDER BY 1").fetchall()
    assert [t for t, _ in times] == [dt.datetime(2015, 6, 19, 12)] * 2
    assert times[0][1] == healpix14(10.0, 5.0)


def test_an_observatory_of_config_only_loads_through_its_kind(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """fermi has no DDL file: its table is the triggers kind plus the config's extra column,
    and the kind's checks (significance in [0, 1]) hold for it as for swift.bursts."""
    entry = load_stack("hostile", project.dir).observatory("fermi").kinds[0]
    table = observatory_table(project.dir, "fermi", entry)
    catalog = LocalBackend(project.root).catalog()
    catalog.create_schema("hostile-db", "fermi")
    catalog.create_table("hostile-db", "fermi", "triggers", table.vms_arrow_schema())
    header = "trigger_id,trigger_name,trigger_time,ra,dec,err_radius_arcsec,significance,t90_s"
    _csv(
        project,
        "gbm.csv",
        "1,bn150615001,2015-06-15T00:00:00,10,5,36000,0.9,12.5",
        "2,bn150615002,2015-06-15T01:00:00,20,5,18000,1.5,3.0",
        header=header,
    )
    argv = ["--stack", "hostile", "load", "fermi.triggers", str(project.files / "gbm.csv")]
    assert main(argv) == 0
    with duckdb.connect(str(project.database), read_only=True) as con:
        rows = con.execute("SELECT trigger_id, t90_s, hpx FROM fermi.triggers").fetchall()
    assert rows == [(1, 12.5, healpix14(10.0, 5.0))]
    (log,) = (project.dir / ".vastobs" / "quarantine" / "fermi.triggers").glob("gbm-*.jsonl")
    assert [json.loads(line)["reason"] for line in log.read_text().splitlines()] == [
        "significance 1.5 is outside [0, 1]"
    ]

    capsys.readouterr()
    assert main([*argv[:3], "fermi.bursts", argv[4]]) == 1
    assert capsys.readouterr().err.strip() == (
        "error: table fermi.bursts: not in observatories.fermi.kinds (tables: triggers (triggers))"
    )
