"""``python -m runner`` as a user runs it: one-line errors, exit codes, provenance."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from devtools.toolchain import PROJECT_DIR
from runner.cli import main
from runner.connect import ENGINES, SINKS
from tests.support.process import python_module


def runner_process(*args: str, cwd: Path = PROJECT_DIR) -> subprocess.CompletedProcess[str]:
    """``python -m runner ARGS`` as a user starts it: a process of its own."""
    env = {k: v for k, v in os.environ.items() if k != "PULUMI_STACK"}
    return python_module("runner", *args, cwd=cwd, env=env)


Runner = Callable[..., SimpleNamespace]


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Runner:
    """The same command in this process: ``main(argv)``, whose result ``python -m runner``
    exits with (test_unknown_query_is_one_line_and_exit_1 keeps the process boundary)."""
    monkeypatch.delenv("PULUMI_STACK", raising=False)

    def run(*args: str, cwd: Path = PROJECT_DIR) -> SimpleNamespace:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return run


def test_json_result_carries_provenance(runner: Runner) -> None:
    proc = runner("run", "engine_parity", "--param", "window_hours=24", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["provenance"]["query"] == "engine_parity"
    assert doc["provenance"]["engine"] == "duckdb"
    assert doc["provenance"]["params"]["window_hours"] == 24.0
    assert len(doc["provenance"]["sha256"]) == 64
    assert [r["in_window"] for r in doc["rows"]] == [False, True, True]  # 103 h, 15 h, 15 h


def test_unknown_query_is_one_line_and_exit_1() -> None:
    """Through ``python -m runner``: exit status 1 and one line, nothing else, on stderr."""
    proc = runner_process("run", "no_such_query")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "error: no query named 'no_such_query' under queries/analytics, queries/checks"
    ]


def test_ill_typed_parameter_names_it_and_the_type(runner: Runner) -> None:
    proc = runner("run", "engine_parity", "--param", "window_hours=a week")
    assert proc.returncode == 1
    assert "window_hours" in proc.stderr and "double" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_debug_shows_the_traceback(runner: Runner) -> None:
    proc = runner("--debug", "run", "engine_parity", "--param", "nope=1")
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "unknown parameter nope" in proc.stderr


def test_unknown_stack_names_the_file(runner: Runner) -> None:
    proc = runner("--stack", "nowhere", "run", "engine_parity")
    assert proc.returncode == 1
    assert "Pulumi.nowhere.yaml" in proc.stderr


def test_unreachable_trino_is_a_clear_error(runner: Runner, tmp_path: Path) -> None:
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "queries").symlink_to(PROJECT_DIR / "queries")
    (tmp_path / "Pulumi.cli-test.yaml").write_text(
        "config:\n  vastobs:trino:\n    host: 127.0.0.1\n    port: 9\n    http_scheme: http\n"
    )
    proc = runner("--stack", "cli-test", "run", "engine_parity", "--engine", "trino", cwd=tmp_path)
    assert proc.returncode == 1
    assert "cannot reach Trino at 127.0.0.1:9" in proc.stderr


# Every config and command-line mistake ends as one line naming the problem, exit 1,
# no traceback (argparse's own usage errors keep argparse's format and exit 2).
BAD_INVOCATIONS = [
    (["run", "cone_search", "--format", "parquet"], "--format parquet needs --output FILE"),
    (["run"], "run takes a query name or --all"),
    (["run", "--all", "cone_search"], "run takes a query name or --all"),
    (["run", "no_such_query"], "no query named 'no_such_query'"),
    (["run", "missing.sql"], "query file missing.sql not found"),
    (["run", "engine_parity", "--param", "window_hours"], "expected NAME=VALUE"),
    (["run", "engine_parity", "--param", "nope=1"], "unknown parameter nope"),
    (["run", "engine_parity", "--param", "window_hours=a week"], "window_hours"),
    (["show", "no_such_query"], "no query named"),
    (["explain", "no_such_query"], "no query named"),
    (["--stack", "nowhere", "run", "engine_parity"], "Pulumi.nowhere.yaml"),
    (["--stack", "bad", "run", "engine_parity"], "vastobs:trino.port"),
    (["plot", "light-curve", "--ra", "10"], "--ra needs --dec"),
    (["load", "swift.nope", "x.csv"], "table swift.nope: not in observatories.swift.kinds"),
    (["load", "nowhere.bursts", "x.csv"], "nowhere"),
    (["load", "swift.bursts", "no_such_file.csv"], "no_such_file.csv: no such file"),
    (["demo-data", "--rows", "10"], "--rows 10: at least 1000"),
    (["demo-data", "--rows", "-5"], "--rows -5: at least 1000"),
    (["demo-data", "--rows", str(10**12)], "--rows 1000000000000: at most"),
    (["demo-data", "--rows", "5000", "--seed", "-1"], "--seed -1"),
    (["demo-data", "--rows", "5000", "--burst-rate-multiplier", "0"], "(0, 1000]"),
    (["demo-data", "--rows", "5000", "--burst-rate-multiplier", "-1"], "(0, 1000]"),
    (["demo-data", "--rows", "5000", "--burst-rate-multiplier", "nan"], "(0, 1000]"),
    (["demo-data", "--rows", "5000", "--burst-rate-multiplier", "1e6"], "(0, 1000]"),
    (["demo-data", "--rows", "5000", "--burst-rate-multiplier", "1000"], "at most 2.58"),
    (["demo-data", "--rows", "1000"], "--burst-rate-multiplier 1 makes 1940 bursts"),
    (["demo-data", "--rows", "5000", "--followup-fraction", "2"], "--followup-fraction 2.0"),
    (["demo-data", "--rows", "5000", "--followup-fraction", "-0.1"], "[0, 1]"),
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project's queries and stacks, plus a stack whose config is wrong."""
    for name in ("Pulumi.yaml", "Pulumi.local.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    (tmp_path / "queries").symlink_to(PROJECT_DIR / "queries")
    (tmp_path / "Pulumi.bad.yaml").write_text("config:\n  vastobs:trino:\n    port: 0\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PULUMI_STACK", raising=False)
    return tmp_path


@pytest.mark.parametrize(("argv", "fragment"), BAD_INVOCATIONS, ids=lambda a: " ".join(a))
def test_a_mistake_is_one_line_and_exit_1(
    argv: list[str], fragment: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*argv, "--out", str(project / "out")] if argv[0] == "demo-data" else argv
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert fragment in lines[0]
    assert not (project / "out").exists()


def test_debug_shows_where_a_mistake_was_raised(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--debug", "run", "cone_search", "--format", "parquet"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith("error: --format")


def test_choices_come_from_the_registries(capsys: pytest.CaptureFixture[str]) -> None:
    """``--engine`` offers ENGINES, ``load --into`` offers SINKS: argparse refuses the rest."""
    with pytest.raises(SystemExit) as info:
        main(["load", "swift.bursts", "x.csv", "--into", "nowhere"])
    assert info.value.code == 2
    assert f"choose from {', '.join(repr(s) for s in SINKS)}" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", "cone_search", "--engine", "vastdb"])
    assert f"choose from {', '.join(repr(e) for e in ENGINES)}" in capsys.readouterr().err
