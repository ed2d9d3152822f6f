"""`make trino`: the local stack's tables and rows served by a real Trino, which the runner
reaches through the stack's own ``vastobs:trino`` settings and which answers as the
local DuckDB does."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import duckdb
import pytest

from devtools.toolchain import PROJECT_DIR
from devtools.trino_server import TrinoServer
from runner.analytics import with_stack_defaults
from runner.connect import database_file, engine_for
from runner.datagen import GeneratorConfig, generate
from runner.query import Query
from tests.support.compare import assert_same_rows
from tests.support.dataset import local_database
from vastobs.config import load_stack


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("trino_local", PROJECT_DIR / "tools" / "trino_local.py")  # fmt: skip
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _stack_file(project: Path, root: Path, port: int) -> None:
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", project / "Pulumi.yaml")
    (project / "queries").symlink_to(PROJECT_DIR / "queries")
    (project / "Pulumi.t.yaml").write_text(f"""config:
  vastobs:local_root: {root}
  vastobs:database: {{bucket: testdb, path: /db, sky_index: true}}
  vastobs:observatories:
    swift:
      path: /swift
      quota: {{hard: 1TB}}
      kinds: {{triggers: bursts, observations: observations, measurements: measurements}}
    chandra: {{path: /chandra, quota: {{hard: 1TB}}, kinds: [observations, detections]}}
  vastobs:trino: {{host: 127.0.0.1, port: {port}, http_scheme: http, catalog: memory}}
""")


@pytest.mark.trino
def test_the_runner_gets_the_same_answers_from_the_local_trino(
    trino_server: TrinoServer, tmp_path: Path
) -> None:
    summary = generate(GeneratorConfig(rows=3000, seed=7), tmp_path / "data", PROJECT_DIR)
    local_database(tmp_path / "root", dict(summary.files))
    project = tmp_path / "project"
    project.mkdir()
    _stack_file(project, tmp_path / "root", trino_server.port)
    stack = load_stack("t", project)

    copied = _tool().fill(trino_server, stack)

    with duckdb.connect(str(database_file(stack)), read_only=True) as local:
        (measurements,) = local.execute("SELECT count(*) FROM swift.measurements").fetchone()
        (detections,) = local.execute("SELECT count(*) FROM chandra.detections").fetchone()
        (matches,) = local.execute("SELECT count(*) FROM sky.matches").fetchone()
    assert copied['"memory"."testdb/swift"."measurements"'] == measurements > 1000
    # the stack keeps the sky index, which the cone search reads, and the kept matches,
    # which the cross-match reads: served too
    assert copied['"memory"."testdb/sky"."points"'] == measurements + detections
    assert copied['"memory"."testdb/sky"."matches"'] == matches > 3  # counts and pairs
    assert len(copied) == 7
    trino, duck = engine_for("trino", stack), engine_for("duckdb", stack)
    for name in (
        "cone_search", "multi_wavelength_light_curve", "burst_followup_sequences",
        "cross_observatory_objects",
    ):  # fmt: skip
        query = Query.load(PROJECT_DIR / "queries" / "analytics" / f"{name}.sql")
        params = with_stack_defaults(query, stack, {})
        expected = duck.run(query, params).table.to_pylist()
        assert expected, name
        assert_same_rows(trino.run(query, params).table.to_pylist(), expected, name)
