"""What each command imports: only what it uses (issue 20's fast CLI), asserted by module,
not by time.

Each command runs in a process of its own, as a user starts it, through
``runner.cli.main``; the process then lists which of the heavy stacks are in
``sys.modules``. A command that ran (exit 0) and loaded none of its forbidden
stacks is what makes the CLI start within a small multiple of
``python -c "import duckdb, pyarrow"`` (bench/cli_bench.py measures that). A run or
lint whose inputs an earlier process compiled answers from the project's cache
(vastobs/compile_cache.py) without sqlglot.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from devtools.toolchain import PROJECT_DIR
from tests.support.dataset import local_database
from vastobs.compile_cache import CACHE_DIR

V404 = (306.0159, 33.8672)
HEAVY = (
    "astropy",
    "matplotlib",
    "pulumi",
    "cdshealpix.nested",  # the package's astropy layer (its compiled core alone is fine)
    "confluent_kafka",
    "trino",
    "sqlglot",
    "duckdb",
    "numpy",
    "pyarrow",
    "rich",
    "runner.loader",
    "pandas",
    "yaml",  # PyYAML: for a stack file or header the project's cache does not hold yet
)
# Whatever reads headers only (list, show) needs no SQL tooling, engine or arrays.
HEADERS_ONLY = set(HEAVY) - {"rich", "yaml"}
NEVER_FOR_A_QUERY = {
    "astropy",
    "matplotlib",
    "pulumi",
    "cdshealpix.nested",
    "confluent_kafka",
    "trino",
    "runner.loader",
    "pandas",
}

ENV = {
    **{k: v for k, v in os.environ.items() if k != "PULUMI_STACK"},
    "PYTHONPATH": str(PROJECT_DIR),
}
PROBE = """
import json, sys
from runner.cli import main
code = main(sys.argv[1:])
heavy = {heavy!r}
sys.stdout.flush()
print("\\n" + json.dumps({{"code": code, "loaded": [m for m in heavy if m in sys.modules]}}))
"""


def _loaded(project: Path, *argv: str) -> set[str]:
    """Run one command in a fresh process; the heavy modules it left loaded."""
    return _command(project, *argv)[0]


def _command(project: Path, *argv: str, ok: tuple[int, ...] = (0,)) -> tuple[set[str], list[str]]:
    """Run one command in a fresh process: the heavy modules it left loaded, and what it
    printed before them (lines); its exit code one of ``ok``."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env=ENV,
    )
    assert proc.returncode == 0, proc.stderr
    *printed, last = proc.stdout.strip().splitlines()
    report = json.loads(last)
    assert report["code"] in ok, proc.stderr
    return set(report["loaded"]), printed


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's queries over a local stack whose VAST DB holds a few V404 Cyg points."""
    project = tmp_path_factory.mktemp("cli_imports")
    root = project / "root"
    (project / "Pulumi.yaml").write_text("name: vastobs\n")
    (project / "queries").symlink_to(PROJECT_DIR / "queries")
    config = yaml.safe_load((PROJECT_DIR / "Pulumi.local.yaml").read_text())["config"]
    config["vastobs:local_root"] = str(root)
    config["vastobs:database"] = {"bucket": "testdb", "path": "/db"}
    (project / "Pulumi.local.yaml").write_text(yaml.safe_dump({"config": config}))
    ra, dec = V404
    local_database(
        root,
        {
            "swift.measurements": [
                {"obs_id": "00031403001", "ra": ra, "dec": dec, "target_name": "V404CYG"}
            ],
            "chandra.detections": [{"obsid": 16703, "ra": ra, "dec": dec}],
        },
    )
    return project


@pytest.mark.parametrize(
    "argv",
    [("list",), ("show", "cone_search"), ("show", "multi_wavelength_light_curve")],
    ids=" ".join,
)
def test_list_and_show_read_headers_only(project: Path, argv: tuple[str, ...]) -> None:
    assert _loaded(project, *argv) & HEADERS_ONLY == set()


def test_a_second_list_reads_the_headers_from_the_cache(project: Path) -> None:
    """list reads each header with PyYAML once; the next list, a new process, reads what
    the project's cache kept and prints the same."""
    shutil.rmtree(project / CACHE_DIR, ignore_errors=True)
    first, cold = _command(project, "list")
    second, warm = _command(project, "list")
    assert "yaml" in first and "yaml" not in second
    assert warm == cold


def test_lint_loads_no_plotting_alerts_or_astropy(project: Path) -> None:
    """lint compiles every file (sqlglot) and plans it on DuckDB, nothing else."""
    assert (
        _loaded(project, "lint", str(PROJECT_DIR / "queries" / "analytics"))
        & (NEVER_FOR_A_QUERY - {"runner.loader"})
        == set()
    )


SELECTIVE = (
    ("cone_search", f"--param=ra={V404[0]}", f"--param=dec={V404[1]}", "--param=radius_arcsec=300"),
    (
        "multi_wavelength_light_curve",
        f"--param=ra={V404[0]}",
        f"--param=dec={V404[1]}",
        "--param=radius_arcsec=10",
    ),
)


@pytest.mark.parametrize("argv", SELECTIVE, ids=lambda argv: argv[0])
@pytest.mark.parametrize("fmt", ["csv", "table"])
def test_a_selective_run_loads_no_astropy_or_arrow(
    project: Path, argv: tuple[str, ...], fmt: str
) -> None:
    """A cone's HEALPix ranges come from cdshealpix's core, without its astropy layer;
    rows printed as text need no Arrow (runner/rows.py), and a CSV result no rich."""
    loaded = _loaded(project, "run", *argv, "--format", fmt)
    assert loaded & (NEVER_FOR_A_QUERY | {"pyarrow"}) == set()
    assert "duckdb" in loaded  # the command did run a query
    if fmt == "csv":
        assert "rich" not in loaded


@pytest.mark.parametrize("argv", SELECTIVE, ids=lambda argv: argv[0])
def test_a_second_run_loads_no_sqlglot(project: Path, argv: tuple[str, ...]) -> None:
    """The first run compiles (sqlglot) and keeps the SQL, and what PyYAML read of the
    stack file and the query's header, in the project's cache; the next one, a new
    process, runs it as stored, without sqlglot or PyYAML, and prints the same rows."""
    shutil.rmtree(project / CACHE_DIR, ignore_errors=True)
    first, cold = _command(project, "run", *argv, "--format", "csv")
    second, warm = _command(project, "run", *argv, "--format", "csv")
    assert {"sqlglot", "yaml"} <= first
    assert second & {"sqlglot", "yaml", "pyarrow", *NEVER_FOR_A_QUERY} == set()
    assert "duckdb" in second and "rich" not in second
    assert cold[0].startswith("# provenance: ") and len(cold) > 2  # a header and rows
    assert warm[1:] == cold[1:]  # the provenance line differs in its times only


def test_python_m_runner_prints_every_row_and_exits_with_the_command(project: Path) -> None:
    """``python -m runner`` ends a run's process without Python's own exit (runner/cli.py,
    ``command_line``): what the run printed is all there, and the exit status is its."""
    argv = ("run", *SELECTIVE[0], "--format", "csv")
    printed = "\n".join(_command(project, *argv)[1]).strip().splitlines()
    ok, failed = (
        subprocess.run([sys.executable, "-m", "runner", *args], cwd=project,
                       capture_output=True, text=True, timeout=300, env=ENV)
        for args in (argv, ("run", "no_such_query"))
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    lines = ok.stdout.splitlines()
    assert lines[0].startswith("# provenance: ") and lines[1:] == printed[1:]
    assert ok.stdout.endswith("\n") and ok.stderr == ""
    assert failed.returncode == 1
    assert failed.stderr.splitlines() == [
        "error: no query named 'no_such_query' under queries/analytics, queries/checks"
    ]


def test_a_second_lint_loads_no_sqlglot_or_duckdb(project: Path) -> None:
    """Unchanged files, DDL, stack and code: lint answers from the cache, same findings."""
    shutil.rmtree(project / CACHE_DIR, ignore_errors=True)
    first, cold = _command(project, "lint", ok=(0, 1))  # 1: findings, still a full run
    second, warm = _command(project, "lint", ok=(0, 1))
    assert {"sqlglot", "duckdb"} <= first
    assert second & {"sqlglot", "duckdb", "rich", "yaml", *NEVER_FOR_A_QUERY} == set()
    assert warm == cold


def test_plot_may_load_matplotlib(project: Path, tmp_path: Path) -> None:
    """plot alone draws; it still needs neither astropy nor the alert stack."""
    out = tmp_path / "v404.png"
    loaded = _loaded(
        project, "plot", "light-curve", "--ra", str(V404[0]), "--dec", str(V404[1]),
        "--output", str(out),
    )  # fmt: skip
    assert "matplotlib" in loaded and out.is_file()
    assert loaded & (NEVER_FOR_A_QUERY - {"matplotlib"}) == set()
