"""The follow-up and cross-match against an earlier revision, back to back on this machine.

    python -m bench.versus                       # against VERSUS_REVISION, report merged
    python -m bench.versus --revision HEAD~3 --sizes 100000 --rounds 2 --no-report

Issue #16 asks that adding table kinds leave these two analytics no slower (within
10%) than before it, against a baseline run back to back. The revision is checked
out once as a git worktree under .vastobs/versus/<commit> (its bench data generated
there by its own code, once). Per case, each round runs one child process per tree,
the order alternating; each child imports its own tree's runner and bench data (the
interpreter is this venv's: the revision must run with today's pins), warms up,
times ``--repeats`` runs through ``Engine.run`` and records the statements one run
sends to DuckDB, with their values.

A child's times are not the verdict's: on our shared 2-core machine whole processes
run 40% slower than others of the same code (at 10^4 most children's cross-match runs
all sit near 35 ms or all near 48 ms, whichever the tree), so a handful of children
per tree cannot resolve 10%. The verdict's times come from replaying both trees'
recorded statements in this one process, each on a warm read-only connection to its
tree's database file, alternating run by run (``--runs`` each after a warm-up), as
``Engine.run`` sends them: the two then share the process and the machine's moment.
What the replay leaves out is the runner's Python around the statements (binding
values, about a millisecond in both trees).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import duckdb

from bench.report import merge_section

ROOT = Path(__file__).resolve().parent.parent
VERSUS_REVISION = "76da5d3"  # the last commit before table kinds (issue #16)
LIMIT = 1.10  # at most 10% slower
ROUNDS, REPEATS = 4, 7  # child processes per tree; timed runs per child
RUNS, WARMUP = 40, 3  # replayed runs per tree, alternating; untimed runs first
CHILD_TIMEOUT_S = 1800  # generating a tree's 10^7 follow-up data takes minutes, once

# Runs with the tree under test as its working directory (first on sys.path); the
# names it imports exist in every revision from VERSUS_REVISION on.
CHILD = """
import json, sys, time
from bench import scenarios as sc
from bench.datasets import crossmatch_files, data, followup_files
from runner.query import Query
scenario, size, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if scenario == "burst_followup":
    n_bursts = max(1000, size // 100)
    db, _ = data("followup", size, lambda out: followup_files(n_bursts, size, out))
    query = Query.load(sc.ANALYTICS / "burst_followup_sequences.sql")
    params = {"window_hours": 168.0, "min_significance": 0.0, **getattr(sc, "FOLLOWUP_ROLES", {})}
else:
    db, _ = data("crossmatch", size, lambda out: crossmatch_files(size, out))
    query = Query.load(sc.ANALYTICS / "cross_observatory_objects.sql")
    params = {}
engine, con = db.engine()
for _ in range(3):
    result = engine.run(query, params)
wall, cpu = [], []
for _ in range(repeats):
    w, c = time.perf_counter(), time.process_time()
    result = engine.run(query, params)
    wall.append((time.perf_counter() - w) * 1000)
    cpu.append((time.process_time() - c) * 1000)
sent = []  # the statements of one run, as the engine sends them to its cursor

class Recording:
    def __init__(self, cursor):
        self.cursor = cursor
    def __enter__(self):
        self.cursor.__enter__()
        return self
    def __exit__(self, *exc):
        return self.cursor.__exit__(*exc)
    def execute(self, statement, values=None):
        text = statement if isinstance(statement, str) else statement.query
        sent.append([text, [{"datetime": v.isoformat()} if hasattr(v, "isoformat") else v
                            for v in values or []]])
        return self.cursor.execute(statement, values) if values else self.cursor.execute(statement)
    def __getattr__(self, name):
        return getattr(self.cursor, name)

cursor = engine._connect
engine._connect = lambda: Recording(cursor())
engine.run(query, params)
print(json.dumps({"rows": result.table.num_rows, "wall_ms": wall, "cpu_ms": cpu,
                  "database": str(db.path), "statements": sent}))
"""


def worktree(revision: str) -> tuple[str, Path]:
    """The revision's commit and a worktree of it (made once, reused)."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", f"{revision}^{{commit}}"],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout.strip()  # fmt: skip
    tree = ROOT / ".vastobs" / "versus" / commit
    if not (tree / "runner").is_dir():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], check=True, timeout=30)
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), commit],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    return commit, tree


def _child(tree: Path, scenario: str, size: int, repeats: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, scenario, str(size), str(repeats)],
        cwd=tree, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{tree}: {scenario} at {size:,} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _medians(samples: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, float]]:
    return {k: {t: statistics.median(v[t]) for t in v} for k, v in samples.items()}


def _values(recorded: list[Any]) -> list[Any]:
    return [
        dt.datetime.fromisoformat(v["datetime"]) if isinstance(v, dict) else v for v in recorded
    ]


def replay(
    recorded: dict[str, dict[str, Any]], runs: int = RUNS, warmup: int = WARMUP
) -> dict[str, dict[str, float]]:
    """Each tree's statements on its own database, in this process, alternating run by
    run: median wall and CPU ms per tree (the last statement's rows as Arrow, as the
    engines return them; a probe before it fetched)."""
    connections = {k: duckdb.connect(r["database"], read_only=True) for k, r in recorded.items()}
    # parsed once, as both engines keep DuckDB's parse of each statement
    statements = {
        k: [(connections[k].extract_statements(text)[0], _values(values)) for text, values in r["statements"]]
        for k, r in recorded.items()
    }  # fmt: skip

    def once(label: str) -> None:
        cursor = connections[label].cursor()
        *before, (last, values) = statements[label]
        for statement, bound in before:
            cursor.execute(statement, bound).fetchall()
        with warnings.catch_warnings():  # the extra copy of the rows, as in the engines
            warnings.simplefilter("ignore", UserWarning)
            cursor.execute(last, values).to_arrow_table()

    samples: dict[str, dict[str, list[float]]] = {}
    try:
        for _ in range(warmup):
            for label in recorded:
                once(label)
        for i in range(runs):
            labels = list(recorded) if i % 2 == 0 else list(recorded)[::-1]
            for label in labels:
                wall, cpu = time.perf_counter(), time.process_time()
                once(label)
                kept = samples.setdefault(label, {"wall_ms": [], "cpu_ms": []})
                kept["wall_ms"].append((time.perf_counter() - wall) * 1000)
                kept["cpu_ms"].append((time.process_time() - cpu) * 1000)
    finally:
        for con in connections.values():
            con.close()
    return _medians(samples)


def cases(sizes: list[int]) -> list[tuple[str, int]]:
    """bench/run.py's sizes: follow-up at each, cross-match at a tenth (10^4 to 10^6)."""
    follow = [("burst_followup", s) for s in sizes if s < 100_000_000]
    cross = sorted({min(1_000_000, max(10_000, s // 10)) for s in sizes if s < 100_000_000})
    return follow + [("cross_match", n) for n in cross]


def scenario(
    revision: str,
    sizes: list[int],
    rounds: int = ROUNDS,
    repeats: int = REPEATS,
    runs: int = RUNS,
) -> dict[str, Any]:
    commit, base = worktree(revision)
    rows = []
    for name, size in cases(sizes):
        samples: dict[str, dict[str, list[float]]] = {}
        answers: dict[str, int] = {}
        recorded: dict[str, dict[str, Any]] = {}
        for i in range(rounds):
            order = [("base", base), ("this", ROOT)]
            for label, tree in order if i % 2 == 0 else order[::-1]:
                got = _child(tree, name, size, repeats)
                answers[label], recorded[label] = got["rows"], got
                kept = samples.setdefault(label, {"wall_ms": [], "cpu_ms": []})
                kept["wall_ms"] += got["wall_ms"]
                kept["cpu_ms"] += got["cpu_ms"]
        children = _medians(samples)
        median = replay(recorded, runs)
        row = {
            "scenario": name, "rows": size, "answer_rows": answers,
            "base": median["base"], "this": median["this"],
            "wall_ratio": median["this"]["wall_ms"] / median["base"]["wall_ms"],
            "cpu_ratio": median["this"]["cpu_ms"] / median["base"]["cpu_ms"],
            "children": children,
            "children_wall_ratio": children["this"]["wall_ms"] / children["base"]["wall_ms"],
        }  # fmt: skip
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    return {"revision": revision, "commit": commit, "rounds": rounds, "repeats": repeats,
            "runs": runs, "limit": LIMIT, "rows": rows}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.versus", description=__doc__)
    parser.add_argument("--revision", default=VERSUS_REVISION)
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="child processes per tree")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="timed runs per child")
    parser.add_argument("--runs", type=int, default=RUNS, help="replayed runs per tree")
    parser.add_argument("--no-report", action="store_true", help="print only")
    args = parser.parse_args(argv)
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    section = scenario(args.revision, sizes, args.rounds, args.repeats, args.runs)
    if not args.no_report:
        merge_section("versus", section)
    print(json.dumps(section, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
