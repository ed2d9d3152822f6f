"""``runner load`` at 10^6, 10^7 and 10^8 rows, beside the unchecked bulk insert of the same file.

    python -m bench.load_bench --sizes 1e6,1e7,1e8 [--report]

Per size, one Parquet file of synthetic Swift measurements (bench/synth.py's
generator, cached under .vastobs/bench/loadhold-N, the file bench/load_hold.py
loads) goes three ways, interleaved, each a child process whose peak RSS
is its own (``bench.timing.peak_rss_mb``):

1. *loader*: ``python -m runner load swift.measurements FILE`` into a fresh
   database, every check made (types, ranges, hpx, keys in the input and
   against the table, quarantine, raw copy kept);
2. *bulk*: the bench's unchecked load (``bench.scenarios.bulk_load``: one
   ``INSERT ... SELECT ... ORDER BY`` from the file, DuckDB memory 4 GB) into
   another fresh database;
3. *again*: the loader's command a second time, which must add nothing.

Seconds are the run alone, timed inside the child after its imports (the
CLI's start-up is issue #20's first item, reported by bench/run.py); the
wall time with start-up is kept beside them in bench/results.json. Each run
starts with the file in the page cache (``_warm``).

Targets (issue #20): the loader's peak RSS at most 2 GB, at least 3 x 10^5
rows/s, and no slower than the bulk insert in the same run. ``--report``
writes the section into bench/results.json and docs/benchmarks.md (a size
measured again replaces its row, others stay);
``make bench`` runs it through bench/run.py (``--load-sizes``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import yaml

from bench import synth
from bench.scenarios import ROOT, TABLES, bulk_load
from vastobs.backends.local import LocalBackend

CACHE = ROOT / ".vastobs" / "bench"
TABLE = "swift.measurements"
BATCH_ROWS = 1_000_000
"""The bench stack's ``analytics.batch_size``: rows read and checked at a time."""
MAX_RSS_MB = 2048
MIN_ROWS_PER_S = 300_000
# Issue #20 sets its speed targets (rows/s, no slower than the bulk insert) for one 10^8-row
# file; smaller files are reported beside it, their fixed costs not judged against them.
TARGET_ROWS = 100_000_000


def source(rows: int) -> Path:
    """The size's file, generated once (shared with bench/load_hold.py)."""
    out = CACHE / f"loadhold-{rows}"
    path = out / f"{TABLE}.parquet"
    if not path.exists():
        out.mkdir(parents=True, exist_ok=True)
        synth.points(TABLES[TABLE], TABLES["chandra.detections"], rows, out)
    return path


def _database(root: Path) -> Path:
    """A fresh local backend with the table, created the way Pulumi's local backend does."""
    backend = LocalBackend(root)
    backend.collection("views").create({"path": "/db", "bucket": "benchdb", "policy_id": 1})
    table = TABLES[TABLE]
    catalog = backend.catalog()
    catalog.create_schema("benchdb", table.observatory)
    catalog.create_table("benchdb", table.observatory, table.name, table.vms_arrow_schema())
    return backend.database_file("benchdb")


def _project(directory: Path, root: Path) -> Path:
    """A project whose stack ``bench`` is the local stack's swift observatory on ``root``."""
    project = directory / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: vastobs\n")
    (project / "queries").symlink_to(ROOT / "queries")
    local = yaml.safe_load((ROOT / "Pulumi.local.yaml").read_text())["config"]
    config = {
        "vastobs:backend": "local",
        "vastobs:local_root": str(root),
        "vastobs:database": {"bucket": "benchdb", "path": "/db"},
        "vastobs:observatories": {"swift": local["vastobs:observatories"]["swift"]},
        "vastobs:analytics": {"batch_size": BATCH_ROWS},
    }
    (project / "Pulumi.bench.yaml").write_text(yaml.safe_dump({"config": config}))
    return project


TIMED = """import json, sys, time
sys.path.insert(0, {root!r})
from bench.timing import peak_rss_mb
from {module} import {function} as run
started = time.perf_counter()
code = run({args})
print(json.dumps({{"work_s": time.perf_counter() - started, "peak_rss_mb": peak_rss_mb()}}))
sys.exit(code or 0)
"""
"""A child that imports what it runs, then times the run alone (start-up apart) and says
its own peak RSS (bench/timing.py: a parent's rusage of it would count the bench's)."""


def _warm(path: Path) -> None:
    """The file read through once, untimed, before each run: every run starts with it in
    the page cache, so that none pays a cold read the others do not (the 10^8 file: 13 s
    cold, 0.7 s warm on the build machine, 2026-12-05). The bulk insert used to run just
    after the loader had read the file."""
    with path.open("rb") as handle:
        while handle.read(1 << 24):
            pass


def _child(code: str, argv: list[str], cwd: Path, log: Path) -> dict[str, Any]:
    """Times and peak RSS of one child process.

    ``seconds``: the run itself (what the targets judge); ``wall_s``: with the
    interpreter's start-up and imports, as a user's shell would time it.
    """
    with log.open("w") as out:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", code, *argv], cwd=cwd, stdout=out, stderr=subprocess.STDOUT
        )
        wall = time.perf_counter() - started
    text = log.read_text()
    if done.returncode:
        raise RuntimeError(f"{argv[:4]} exited {done.returncode}: {text[-2000:]}")
    said = json.loads(text.strip().splitlines()[-1])
    return {
        "seconds": round(said["work_s"], 2),
        "wall_s": round(wall, 2),
        "peak_rss_mb": said["peak_rss_mb"],
        "load_average": round(os.getloadavg()[1], 1),  # the machine's, over the last 5 minutes
    }


LOAD = TIMED.format(
    root=str(ROOT), module="runner.cli", function="main", args="sys.argv[1:]"
).replace(
    "started = ",
    # what `load` imports on its way (the loader, its sinks, the sky index: astropy and
    # cdshealpix), so that the seconds are the load's and the imports are the start-up's
    "import numpy, rich.progress, runner.connect, runner.loader.load, runner.render\n"
    "from vastobs.sky import healpix14_array\n"
    "healpix14_array(numpy.zeros(1), numpy.zeros(1))\n"
    "started = ",
)
BULK = TIMED.format(
    root=str(ROOT), module="bench.load_bench", function="bulk", args="*map(Path, sys.argv[1:])"
).replace("import json, sys, time", "import json, sys, time\nfrom pathlib import Path")


def bulk(database: Path, path: Path) -> int:
    """The bench's unchecked bulk insert of ``path`` (bench.scenarios.bulk_load)."""
    bulk_load(database, TABLES[TABLE], path, database.parent / "spill")
    return 0


def _say(rows: int, label: str, run: dict[str, Any]) -> None:
    """Each step as it ends (a long run stopped midway still tells what it measured)."""
    print(f"{rows:,} rows, {label}: {json.dumps(run)}", file=sys.stderr, flush=True)


def _count(database: Path) -> int:
    table = TABLES[TABLE]
    with duckdb.connect(str(database), read_only=True) as con:
        got = con.execute(f'SELECT count(*) FROM "{table.observatory}"."{table.name}"').fetchone()
    return int(got[0]) if got else 0


def _rate(rows: int, run: dict[str, Any]) -> dict[str, Any]:
    return {**run, "rows_per_s": round(rows / run["seconds"])}


def measure(rows: int, again: bool = True) -> dict[str, Any]:
    """The three runs at one size (*again* only if asked: at 10^8 it is the longest)."""
    path = source(rows)
    with tempfile.TemporaryDirectory(dir=CACHE, prefix="loadbench-") as tmp:
        work = Path(tmp)
        root = work / "root"
        database = _database(root)
        project = _project(work, root)
        command = ["--stack", "bench", "load", TABLE, str(path)]  # python -m runner ...
        _warm(path)
        first = _child(LOAD, command, project, work / "load.log")
        loaded = _count(database)
        _say(rows, "loader", first)
        bulk_db = _database(work / "bulk")
        _warm(path)
        bulk = _child(BULK, [str(bulk_db), str(path)], ROOT, work / "bulk.log")
        bulk_rows = _count(bulk_db)
        _say(rows, "bulk", bulk)
        for leftover in (work / "bulk").rglob("*.duckdb*"):
            leftover.unlink()  # its disk, before the loader's second run
        second: dict[str, Any] | None = None
        if again:
            _warm(path)
            second = _child(LOAD, command, project, work / "again.log")
            second = {**_rate(rows, second), "added": _count(database) - loaded}
            _say(rows, "again", second)
    loader = {**_rate(rows, first), "rows_after": loaded}
    return {
        "rows": rows,
        "file_mb": round(path.stat().st_size / 2**20, 1),
        "batch_rows": BATCH_ROWS,
        "bulk": {**_rate(bulk_rows, bulk), "rows_after": bulk_rows},
        "loader": loader,
        "again": second,
        "verdicts": verdicts(rows, loader, bulk, second and second["added"]),
    }


def verdicts(
    rows: int, loader: dict[str, Any], bulk: dict[str, Any], added_again: int | None
) -> dict[str, str]:
    """Issue #20's targets for one size, each ``met`` or what it measured."""

    def judge(ok: bool, figure: str, judged: bool = True) -> str:
        if not judged:
            return f"reported (the target is for the 10^8 file): {figure}"
        return "met" if ok else f"**missed**: {figure}"

    speed = rows >= TARGET_ROWS
    return {
        "rss": judge(loader["peak_rss_mb"] <= MAX_RSS_MB, f"{loader['peak_rss_mb']:,.0f} MB"),
        "throughput": judge(
            loader["rows_per_s"] >= MIN_ROWS_PER_S, f"{loader['rows_per_s']:,} rows/s", speed
        ),
        "vs_bulk": judge(
            loader["seconds"] <= bulk["seconds"],
            f"{loader['seconds'] / bulk['seconds']:.2f}x the bulk insert's time",
            speed,
        ),
        "all_rows": judge(loader["rows_after"] == rows, f"{loader['rows_after']:,} rows loaded"),
        "again_adds_nothing": "not run"
        if added_again is None
        else judge(added_again == 0, f"{added_again:,} rows added"),
    }


def scenario(sizes: list[int], again_up_to: int | None = None) -> dict[str, Any]:
    """Every size, smallest first; a size that fails is reported as such, the rest go on."""
    runs: list[dict[str, Any]] = []
    for rows in sizes:
        try:
            runs.append(measure(rows, again_up_to is None or rows <= again_up_to))
        except (RuntimeError, OSError) as exc:
            runs.append({"rows": rows, "failed": str(exc).splitlines()[0][:300]})
        print(json.dumps(runs[-1], indent=1), file=sys.stderr)
    return {
        "targets": {"max_rss_mb": MAX_RSS_MB, "min_rows_per_s": MIN_ROWS_PER_S},
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load_bench", description=__doc__)
    parser.add_argument("--sizes", default="1e6,1e7,1e8")
    parser.add_argument(
        "--again-up-to",
        type=lambda s: int(float(s)),
        help="load a second time only up to this size (default: every size)",
    )
    parser.add_argument(
        "--report", action="store_true", help="also into bench/results.json and docs/benchmarks.md"
    )
    args = parser.parse_args(argv)
    result = scenario([int(float(s)) for s in args.sizes.split(",") if s], args.again_up_to)
    if args.report:
        from bench.report import merge_section

        doc = json.loads((ROOT / "bench" / "results.json").read_text())
        sizes = {r["rows"] for r in result["runs"]}  # other sizes' runs kept from before
        kept = [r for r in (doc.get("load_bench") or {}).get("runs", []) if r["rows"] not in sizes]
        result["runs"] = sorted(kept + result["runs"], key=lambda r: r["rows"])
        merge_section("load_bench", result)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
