"""The CLI end to end against the floor of any Python tool on DuckDB (issue 20).

    python -m bench.cli_bench                          # the sizes whose data exist
    python -m bench.cli_bench --sizes 10000000 --repeats 9 --report

The floor is ``python -c "import duckdb, pyarrow"``. Each command is
``python -m runner ...`` as a user starts it, process start included:
``list``, ``show cone_search``, ``lint`` and the selective runs (the cone
search and the light curve of bench/datasets.py, CSV out) over the bench's
cached DuckDB file of each size. The commands are timed in rounds, one run of
each per round, so that a busy machine slows all of them alike; the ratio is
of medians. Targets: ``list``, ``show`` and ``lint`` within 1.3x the floor,
a selective run within 1.5x.

``lint`` and a run answer from the project's compile cache when an earlier
process saw the same files, stack and code (vastobs/compile_cache.py): the
warm-up round fills it, so the plain rows are what a user sees from the second
command on. The rows marked *cold cache* run in a project of their own whose
cache is emptied before each run: what the first command after an edit costs.

Twice, floor included: with Python's compiled modules kept (*cached*, its
default; the verdicts) and with none (*none*: every process compiles every
module it imports from source, as under PYTHONDONTWRITEBYTECODE=1 over a venv
that uv installed without bytecode, its default): the floor then takes about
four times as long (2026-12-03, docs/benchmarks.md), and a command that imports
less gains more than it does with bytecode kept. Beside each
time: the heavy stacks the command loaded (a second run that lists
``sys.modules``), which is what the time is made of (tests/test_cli_imports.py
asserts them).

``--report`` merges this section (``cli``) into bench/results.json and
regenerates docs/benchmarks.md; ``make bench`` (bench/run.py) runs it after
the selective scenarios, on the sizes they used from 10^7 rows.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from vastobs.compile_cache import CACHE_DIR

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".vastobs" / "bench"
V404 = (306.0159, 33.8672)  # = bench/scenarios.py V404: the selective cases' centre
FLOOR = ("-c", "import duckdb, pyarrow")
HEAVY = ("sqlglot", "duckdb", "numpy", "pyarrow", "rich", "astropy", "matplotlib", "trino", "yaml")
TARGETS = {"list": 1.3, "show": 1.3, "lint": 1.3, "run": 1.5}  # x the floor's median
STACK = "bench"


@dataclass(frozen=True)
class Command:
    label: str
    argv: tuple[str, ...]  # after ``python -m runner --stack bench``
    rows: int | None = None  # the database's size, for a run
    ok: tuple[int, ...] = (0,)  # lint exits 1 on findings: still a full run
    cold: bool = False  # the project's compile cache emptied before each run

    @property
    def target(self) -> float:
        return TARGETS[self.argv[0]]


def _runs(size: int) -> list[Command]:
    """The two selective cases of bench/datasets.py (same parameters), CSV out."""
    ra, dec = V404
    cone = (
        "cone_search",
        f"--param=ra={ra}",
        f"--param=dec={dec}",
        "--param=radius_arcsec=300.0",
        "--param=start_time=2005-01-01T00:00:00",
        "--param=end_time=2014-12-30T00:00:00",
    )
    curve = ("multi_wavelength_light_curve", f"--param=ra={ra}", f"--param=dec={dec}",
             "--param=radius_arcsec=10.0")  # fmt: skip
    runs = [
        Command(f"run {name[0]}", ("run", *name, "--format", "csv"), size) for name in (cone, curve)
    ]
    cold = Command(f"run {cone[0]} (cold cache)", runs[0].argv, size, cold=True)
    return [*runs, cold]


def commands(sizes: list[int]) -> list[Command]:
    fixed = [
        Command("list", ("list",)),
        Command("show cone_search", ("show", "cone_search")),
        Command("lint", ("lint",), ok=(0, 1)),
        Command("lint (cold cache)", ("lint",), ok=(0, 1), cold=True),
    ]
    return fixed + [c for size in sizes for c in _runs(size)]


def database_root(size: int) -> Path | None:
    """The bench's cached local root for the points data of ``size`` (bench/datasets.py),
    or None when this machine has not made it."""
    directory = CACHE / f"points-{size}"
    return directory / "root" if (directory / "loaded.json").is_file() else None


@contextlib.contextmanager
def project(root: Path) -> Iterator[Path]:
    """A project whose ``bench`` stack is the local stack's observatories over ``root``."""
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        (where / "Pulumi.yaml").write_text("name: vastobs\n")
        (where / "queries").symlink_to(ROOT / "queries")
        local = yaml.safe_load((ROOT / "Pulumi.local.yaml").read_text())["config"]
        config = {"vastobs:local_root": str(root), "vastobs:database": {"bucket": "benchdb", "path": "/db"},
                  "vastobs:observatories": local["vastobs:observatories"]}  # fmt: skip
        (where / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump({"config": config}))
        yield where


BYTECODE = "cached"  # the mode verdicts use: what a user's Python does from its second run
MODES = ("cached", "none")


def _env(mode: str) -> dict[str, str]:
    """``cached``: compiled modules kept (under .vastobs/bench/pycache, the venv untouched),
    as Python does by default; ``none``: every module compiled from source in every process,
    as with PYTHONDONTWRITEBYTECODE=1 over a venv installed without bytecode (uv's default)."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("PULUMI_STACK", "PYTHONDONTWRITEBYTECODE")
    }
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONPYCACHEPREFIX"] = str(CACHE / ("pycache" if mode == "cached" else "pycache-none"))
    if mode == "none":
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _seconds(args: list[str], cwd: Path, ok: tuple[int, ...], mode: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, timeout=600, env=_env(mode)
    )
    elapsed = time.perf_counter() - start
    if proc.returncode not in ok:
        raise RuntimeError(
            f"{' '.join(args)}: exit {proc.returncode}: {proc.stderr.decode()[-500:]}"
        )
    return elapsed


PROBE = (
    "import json, sys\nfrom runner.cli import main\ncode = main(sys.argv[1:])\n"
    "print('\\n' + json.dumps([m for m in {heavy!r} if m in sys.modules]))\n"
)


def _loaded(command: Command, cwd: Path) -> list[str]:
    """The heavy stacks the command leaves in ``sys.modules``."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), "--stack", STACK, *command.argv],
        cwd=cwd, capture_output=True, text=True, timeout=600, env=_env(BYTECODE),
    )  # fmt: skip
    return list(json.loads(proc.stdout.strip().splitlines()[-1]))


def _summary(samples: list[float]) -> dict[str, Any]:
    ordered = sorted(samples)
    return {
        "median_s": round(statistics.median(ordered), 3),
        "min_s": round(ordered[0], 3),
        "max_s": round(ordered[-1], 3),
        "runs": len(ordered),
    }


def scenario(sizes: list[int], repeats: int) -> dict[str, Any]:
    """The floor and every command, in each bytecode mode, in ``repeats`` interleaved
    rounds after one warm-up round (which also writes the cached mode's bytecode)."""
    available = [s for s in sizes if database_root(s) is not None]
    missing = [s for s in sizes if s not in available]
    if not available:
        return {"skipped": "no bench points data: run make bench (bench/run.py) first"}
    smallest = min(available)
    cmds = commands(available)
    shutil.rmtree(CACHE / "pycache-none", ignore_errors=True)  # never holds any: stays empty
    with contextlib.ExitStack() as stack:
        projects = {(s, cold): stack.enter_context(project(root)) for s in available
                    for cold in (False, True) if (root := database_root(s)) is not None}  # fmt: skip

        def where(c: Command) -> Path:
            cwd = projects[(c.rows or smallest, c.cold)]
            if c.cold:
                shutil.rmtree(cwd / CACHE_DIR, ignore_errors=True)
            return cwd

        def run(c: Command | None, mode: str) -> float:
            if c is None:
                return _seconds(list(FLOOR), projects[(smallest, False)], (0,), mode)
            argv = ["-m", "runner", "--stack", STACK, *c.argv]
            return _seconds(argv, where(c), c.ok, mode)

        jobs: list[Command | None] = [None, *cmds]  # None: the floor
        samples: dict[tuple[str, int], list[float]] = {}
        for round_ in range(repeats + 1):
            for mode in MODES:
                for i, c in enumerate(jobs):
                    elapsed = run(c, mode)
                    if round_:  # the first round warms the page cache and writes bytecode
                        samples.setdefault((mode, i), []).append(elapsed)
        loaded = [_loaded(c, where(c)) for c in cmds]
    floors = {mode: _summary(samples[(mode, 0)]) for mode in MODES}
    rows = []
    for i, c in enumerate(cmds, 1):
        timing = {mode: _summary(samples[(mode, i)]) for mode in MODES}
        ratio = {
            mode: round(timing[mode]["median_s"] / floors[mode]["median_s"], 2) for mode in MODES
        }
        rows.append({
            "command": c.label, "rows": c.rows, "timing": timing, "ratio": ratio,
            "target": None if c.cold else c.target,  # the first command after an edit: shown
            "verdict": "-" if c.cold else "met" if ratio[BYTECODE] <= c.target else "missed",
            "loaded": loaded[i - 1],
        })  # fmt: skip
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "floor": {"command": 'python -c "import duckdb, pyarrow"', "timing": floors},
        "verdict_mode": BYTECODE,
        "commands": rows,
        "repeats": repeats,
        "sizes_missing": missing,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cli_bench", description=__doc__)
    parser.add_argument("--sizes", default="10000000,100000000",
                        help="points rows of the run commands; sizes not made yet are reported missing")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--report", action="store_true",
                        help="merge into bench/results.json and regenerate docs/benchmarks.md")  # fmt: skip
    args = parser.parse_args(argv)
    result = scenario([int(float(s)) for s in args.sizes.split(",") if s], args.repeats)
    print(json.dumps(result, indent=2))
    if args.report:
        from bench.report import merge_section

        merge_section("cli", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
