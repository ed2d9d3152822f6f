"""The project's cache of sqlglot's results (vastobs/compile_cache.py): what a user sees
is what a cold run gives, whatever the cache holds.

A changed query file, DDL file, stack or code names another entry; an entry that is
damaged counts as absent; writers never leave a half-written entry.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import vastobs.compile_cache as compile_cache
from devtools.toolchain import PROJECT_DIR
from runner.analytics import resolve_query
from runner.catalog import Catalog
from runner.cli import main
from runner.engines import DuckDBEngine
from vastobs.compile_cache import CACHE_DIR, CompileCache

PROBE = (
    "-- name: probe\n-- version: 1\n-- params:\n"
    "--   src: {{type: observatories, kinds: [triggers]}}\n"
    "SELECT b.trigger_id, b.{column} FROM swift.bursts AS b JOIN src.triggers AS t\n"
    "  ON t.trigger_name = b.grb_name\n"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project's queries and local stack, with a check file of our own."""
    for name in ("Pulumi.yaml", "Pulumi.local.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    shutil.copytree(PROJECT_DIR / "queries", tmp_path / "queries")
    (tmp_path / "queries" / "checks" / "probe.sql").write_text(PROBE.format(column="redshift"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PULUMI_STACK", raising=False)
    return tmp_path


def _lint(project: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = main(["lint", str(project / "queries" / "checks" / "probe.sql")])
    return code, capsys.readouterr().out.splitlines()


def _entries(project: Path, kind: str) -> list[Path]:
    return sorted((project / CACHE_DIR).glob(f"{kind}-*.json"))


def test_a_query_edit_brings_its_finding_and_takes_it_away(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    probe = project / "queries" / "checks" / "probe.sql"
    assert _lint(project, capsys) == (0, [])
    probe.write_text(PROBE.format(column="no_such_column"))
    code, found = _lint(project, capsys)
    assert code == 1 and any(" Q003 " in f and "no_such_column" in f for f in found)
    assert _lint(project, capsys) == (code, found)  # the same file again: the same finding
    probe.write_text(PROBE.format(column="redshift"))
    assert _lint(project, capsys) == (0, [])
    assert len(_entries(project, "lint")) == 2  # one per text of the file


def test_a_ddl_edit_is_seen_by_lint(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    probe = project / "queries" / "checks" / "probe.sql"
    probe.write_text(PROBE.format(column="host_galaxy"))
    code, found = _lint(project, capsys)
    assert code == 1 and "host_galaxy" in found[0]
    ddl = project / "queries" / "tables" / "swift" / "bursts.sql"
    ddl.write_text(ddl.read_text().replace("    redshift DOUBLE\n", "    redshift DOUBLE,\n"
                                           "    host_galaxy VARCHAR\n"))  # fmt: skip
    assert _lint(project, capsys) == (0, [])


def test_a_stack_edit_is_seen_by_lint(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An extra column the stack's config gives Swift's bursts table."""
    probe = project / "queries" / "checks" / "probe.sql"
    probe.write_text(PROBE.format(column="host_galaxy"))
    assert _lint(project, capsys)[0] == 1
    stack = project / "Pulumi.local.yaml"
    text = stack.read_text()
    old = "kinds: {triggers: bursts, observations: observations, measurements: measurements}"
    assert old in text
    stack.write_text(text.replace(old, (
        "kinds: {triggers: {table: bursts, columns: {host_galaxy: VARCHAR}}, "
        "observations: observations, measurements: measurements}"
    )))  # fmt: skip
    assert _lint(project, capsys) == (0, [])


def test_damaged_entries_are_recomputed(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    probe = project / "queries" / "checks" / "probe.sql"
    probe.write_text(PROBE.format(column="no_such_column"))
    cold = _lint(project, capsys)
    entries = _entries(project, "lint") + _entries(project, "table")
    assert entries
    for i, entry in enumerate(entries):
        entry.write_bytes([b"", b"{not json", b'{"a": 1}', b"[[1]]"][i % 4])
    assert _lint(project, capsys) == cold
    assert _lint(project, capsys) == cold  # rewritten whole


def _engine(project: Path) -> DuckDBEngine:
    catalog = Catalog.load(project)
    engine = DuckDBEngine.for_file(None, catalog)
    engine.compile_cache = CompileCache.for_project(project, catalog.fingerprint)
    return engine


def test_compiled_sql_is_reused_by_a_new_engine(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = resolve_query("burst_followup_sequences", project)
    cold = _engine(project)
    selection = cold.selection(query, {})
    compiled = cold.compiled(query, selection)
    assert compiled.narrow and compiled.probe  # its variants without coarse sky cells too
    assert len(_entries(project, "compiled")) == 1

    def no_compile(*args: object) -> None:
        raise AssertionError("compiled again")

    warm = _engine(project)
    monkeypatch.setattr(warm, "compile", no_compile)
    assert warm.compiled(query, selection) == compiled
    one = {name: ("swift",) for name in selection}  # another choice of observatories
    assert cold.compiled(query, one) != compiled
    assert len(_entries(project, "compiled")) == 2
    for entry in _entries(project, "compiled"):
        entry.write_text('{"sql": 1}')
    assert _engine(project).compiled(query, selection) == compiled


def test_the_code_and_the_catalog_are_in_every_key(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fingerprint = Catalog.load(project).fingerprint
    before = CompileCache.for_project(project, fingerprint).key("compiled", "q")
    monkeypatch.setattr(compile_cache, "code_version", lambda: "another version")
    assert CompileCache.for_project(project, fingerprint).key("compiled", "q") != before
    kind = project / "queries" / "kinds" / "triggers.sql"
    kind.write_text(kind.read_text() + "\n")
    assert Catalog.load(project).fingerprint != fingerprint


def test_writers_race_and_readers_see_whole_entries(tmp_path: Path) -> None:
    cache = CompileCache(tmp_path / "cache", "context")
    value = {"sql": "SELECT 1" * 10_000, "order": ["a"]}
    threads = [threading.Thread(target=cache.put, args=("k", value)) for _ in range(8)]
    for thread in threads:
        thread.start()
    seen = [cache.get("k") for _ in range(50)]
    for thread in threads:
        thread.join()
    assert all(v in (None, value) for v in seen)
    assert cache.get("k") == value
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["k.json"]


def test_two_processes_fill_the_cache_at_once(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    probe = project / "queries" / "checks" / "probe.sql"
    probe.write_text(PROBE.format(column="no_such_column"))
    command = [sys.executable, "-m", "runner", "lint", str(probe)]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR)}
    both = [subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, text=True)
            for _ in range(2)]  # fmt: skip
    outputs = [(p.wait(timeout=300), p.communicate()[0].splitlines()) for p in both]
    assert outputs[0] == outputs[1] == _lint(project, capsys)
    assert outputs[0][0] == 1
    assert not list((project / CACHE_DIR).glob(".*.tmp"))


def test_an_unwritable_cache_is_no_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = CompileCache(blocker / "cache", "context")
    cache.put("k", [1])
    assert cache.get("k") is None
