"""Queries keep answering beside a load, a continuous monitor and ``pulumi up``.

Twenty reader threads run ``cone_search`` through the runner's DuckDB
engine (one read-only connection per query, as the CLI does) back to back
while ``python -m runner load`` stages and commits, ``monitor --continuous``
checks every 0.2 s and, in the Pulumi test, ``pulumi up`` adds a table.
No error may reach a user, and every answer is the table before the load or
after it, never a part.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from bench import synth
from devtools.pulumi_project import PulumiProject
from devtools.toolchain import PROJECT_DIR
from runner.catalog import Catalog
from runner.engines import DuckDBEngine
from runner.loader import load
from runner.loader.sinks import DuckDBSink
from runner.query import Query
from vastobs.backends.filelock import exclusive
from vastobs.backends.local import LocalBackend
from vastobs.config import from_mapping
from vastobs.ddl import load_table
from vastobs.errors import BackendError

READERS = 20
ROWS = 10_000  # the load stages for a moment, then commits
PAUSE = 0.2  # between one reader's queries: 20 analysts, not 20 busy loops on 2 cores
MEASUREMENTS = load_table(PROJECT_DIR, "swift", "measurements")
DETECTIONS = load_table(PROJECT_DIR, "chandra", "detections")
CONFIG = {
    "backend": "local",
    "local_root": "local-root",
    "database": {"bucket": "concdb", "path": "/db", "quota": "10GB"},
    "observatories": {
        "swift": {"path": "/swift", "quota": {"hard": "1TB"}, "kinds": ["measurements"]},
        "chandra": {"path": "/chandra", "quota": {"hard": "1TB"}, "kinds": ["detections"]},
    },
}

CATALOG = Catalog.for_stack(from_mapping(CONFIG, PROJECT_DIR, "test stack"))  # no sky index


def _points(out: Path) -> tuple[Path, Path]:
    out.mkdir()
    files = synth.points(MEASUREMENTS, DETECTIONS, ROWS, out)
    return files["swift.measurements"], files["chandra.detections"]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PULUMI_STACK"}


def _runner(project: Path, stack: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "runner", "--stack", stack, *args],
        cwd=project,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class Readers:
    """cone_search on many threads until stopped; answers counted, errors kept."""

    def __init__(self, database: Path) -> None:
        self.engine = DuckDBEngine.for_file(database, CATALOG)
        self.query = Query.load(PROJECT_DIR / "queries" / "analytics" / "cone_search.sql")
        self.stop = threading.Event()
        self.answers: Counter[int] = Counter()
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._loop) for _ in range(READERS)]

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                rows = self.engine.run(self.query, {}).table.num_rows
            except Exception as exc:  # what a user would see
                self.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            self.answers[rows] += 1
            self.stop.wait(PAUSE)

    def __enter__(self) -> Readers:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)


def _cone(database: Path) -> int:
    readers = Readers(database)
    return readers.engine.run(readers.query, {}).table.num_rows


def _check(proc: subprocess.Popen[str], what: str, codes: tuple[int, ...] = (0,)) -> str:
    out, err = proc.communicate(timeout=300)
    assert "Traceback" not in err, f"{what}: {err}"
    assert proc.returncode in codes, f"{what} exited {proc.returncode}: {err}"
    return out


def _concurrent_load(
    project: Path,
    stack: str,
    database: Path,
    measurements: Path,
    up: subprocess.Popen[str] | None = None,
) -> Readers:
    """Readers, a continuous monitor, a load (and ``up``) together; the readers' record."""
    with Readers(database) as readers:
        while not readers.answers and not readers.errors:  # the state before, seen first
            readers.stop.wait(0.05)
        monitor = _runner(
            project, stack, "monitor", "--continuous", "--interval", "0.2", "--count", "10"
        )
        loading = _runner(project, stack, "load", "swift.measurements", str(measurements))
        _check(loading, "load")
        _check(monitor, "monitor")
        if up is not None:
            # a table and its sorted projection, while the readers still read
            assert "2 created" in _check(up, "pulumi up")
        while sum(readers.answers.values()) < READERS * 2:  # some answers after the commit
            readers.stop.wait(0.05)
    return readers


def _stack_project(tmp_path: Path) -> tuple[Path, Path]:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", project / "Pulumi.yaml")
    (project / "queries").symlink_to(PROJECT_DIR / "queries")
    import yaml

    config = {**CONFIG, "local_root": str(tmp_path / "root")}
    document = {"config": {f"vastobs:{k}": v for k, v in config.items()}}
    (project / "Pulumi.conc.yaml").write_text(yaml.safe_dump(document))
    backend = LocalBackend(tmp_path / "root")
    backend.collection("views").create({"path": "/db", "bucket": "concdb", "policy_id": 1})
    for path in ("/db", "/swift", "/chandra"):  # as pulumi up declares them
        backend.collection("quotas").create({"path": path, "hard_limit": 10**12})
    catalog = backend.catalog()
    for table in (MEASUREMENTS, DETECTIONS):
        catalog.create_schema("concdb", table.observatory)
        catalog.create_table("concdb", table.observatory, table.name, table.vms_arrow_schema())
    return project, backend.database_file("concdb")


def test_queries_answer_during_a_load_and_a_monitor(tmp_path: Path) -> None:
    project, database = _stack_project(tmp_path)
    measurements, detections = _points(tmp_path / "in")
    load(DETECTIONS, [detections], DuckDBSink(database), batch_rows=10_000,
         quarantine_dir=tmp_path / "q")  # fmt: skip
    before = _cone(database)
    readers = _concurrent_load(project, "conc", database, measurements)
    assert readers.errors == []
    after = _cone(database)
    assert before < after  # synth plants a light curve in the default cone
    assert set(readers.answers) == {before, after}  # both states seen, never a part


@pytest.mark.pulumi
def test_queries_answer_during_pulumi_up(pulumi_project: PulumiProject, tmp_path: Path) -> None:
    p = pulumi_project
    p.stack = "conc"
    p.write_stack(CONFIG)
    p.init()
    p.run("up", "--yes", "--skip-preview")
    database = p.root / "local-root" / "views" / "db" / "vastobs.duckdb"
    measurements, detections = _points(tmp_path / "in")
    load(DETECTIONS, [detections], DuckDBSink(database), batch_rows=10_000,
         quarantine_dir=tmp_path / "q")  # fmt: skip
    # up adds a table (a write into the database file) while readers, a monitor and a load run
    p.write_stack({**CONFIG, "observatories": {**CONFIG["observatories"], "swift": {
        **CONFIG["observatories"]["swift"], "kinds": {"measurements": None, "triggers": "bursts"}}}})  # fmt: skip
    up = subprocess.Popen(
        [str(p.binary), "up", "--yes", "--skip-preview", "--stack", p.stack, "--non-interactive"],
        cwd=p.root, env=p.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    before = _cone(database)
    readers = _concurrent_load(p.root, p.stack, database, measurements, up)
    assert readers.errors == []
    assert set(readers.answers) == {before, _cone(database)}


def test_a_reader_held_off_past_its_bound_gets_one_line(tmp_path: Path) -> None:
    """A writer holding the database longer than a reader waits: one line, not DuckDB's error."""
    _project, database = _stack_project(tmp_path)
    engine = DuckDBEngine.for_file(database, CATALOG, lock_wait=1.0)
    query = Query.load(PROJECT_DIR / "queries" / "analytics" / "cone_search.sql")
    with exclusive(database), pytest.raises(BackendError) as info:
        engine.run(query, {})
    assert str(info.value) == (
        f"{database}: the database is busy, a load (or pulumi up) is writing it;"
        " still locked after 1s, try again when it finishes"
    )
    assert engine.run(query, {}).table.num_rows == 0  # released: it answers
