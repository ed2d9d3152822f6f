"""``make bench``: the scenarios at several sizes, with ratios measured in the same run.

    python -m bench.run                      # 10^5, 10^6, 10^7 rows
    python -m bench.run --sizes 100000 --repeats 3 --smoke   # quick, used by a test

Writes bench/results.json and docs/benchmarks.md. Millisecond figures are
timed in-process through the project's query files and runner library on a
warm DuckDB connection; the CLI's end-to-end time is reported beside them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import sqlglot

from bench import scenarios as sc
from bench import synth
from bench.report import write_report
from bench.timing import measure, once
from runner.query import Query

ROOT = sc.ROOT
CACHE = ROOT / ".vastobs" / "bench"


def _data(kind: str, size: int, make: Any) -> tuple[sc.Database, dict[str, Path]]:
    """Generated and loaded once per (kind, size); later runs reuse the directory."""
    directory = CACHE / f"{kind}-{size}"
    files_dir = directory / "files"
    stamp = directory / "loaded.json"
    if not stamp.exists():
        import shutil

        shutil.rmtree(directory, ignore_errors=True)
        files_dir.mkdir(parents=True)
        files = make(files_dir)
        db = sc.build(directory / "root", files)
        stamp.write_text(json.dumps({"load_seconds": db.load_seconds, "rows": db.rows}))
    meta = json.loads(stamp.read_text())
    files = {p.name.removesuffix(".parquet"): p for p in files_dir.glob("*.parquet")}
    db = sc.Database(
        directory / "root" / "views" / "db" / "vastobs.duckdb", meta["load_seconds"], meta["rows"]
    )
    return db, files


def _cli_seconds(db: sc.Database, args: list[str]) -> float:
    """``python -m runner ...`` end to end against the bench database."""
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "Pulumi.yaml").write_text("name: vastobs\n")
        (project / "queries").symlink_to(ROOT / "queries")
        root = db.path.parents[2]
        (project / "Pulumi.bench.yaml").write_text(
            f"config:\n  vastobs:local_root: {root}\n  vastobs:database: {{bucket: benchdb, path: /db}}\n"
        )
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "runner", "--stack", "bench", "run", *args, "--format", "csv"],
                       cwd=project, check=True, capture_output=True)  # fmt: skip
        return time.perf_counter() - start


def selective(size: int, repeats: int, budget_s: float) -> list[dict[str, Any]]:
    db, files = _data(
        "points",
        size,
        lambda out: synth.points(
            sc.TABLES["swift.measurements"], sc.TABLES["chandra.detections"], size, out
        ),
    )
    engine, con = db.engine()
    results = []
    day = dt.datetime(2005, 1, 1)
    cases = {
        "light_curve": ("multi_wavelength_light_curve", {"ra": sc.V404[0], "dec": sc.V404[1], "radius_arcsec": 10.0}),
        "cone_search": ("cone_search", {"ra": sc.V404[0], "dec": sc.V404[1], "radius_arcsec": 300.0,
                                        "start_time": day, "end_time": day + dt.timedelta(days=3650)}),
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for label, (name, params) in cases.items():
            query = Query.load(sc.ANALYTICS / f"{name}.sql")
            fast, result = measure(lambda q=query, p=params: engine.run(q, p), repeats)
            full_q = sc.without_pruning(name, Path(tmp))
            full, full_result = measure(
                lambda q=full_q, p=params: engine.run(q, p), max(3, repeats // 3)
            )
            assert full_result.table.num_rows == result.table.num_rows, "pruning changed the answer"
            naive = once(
                lambda p=params: sc.naive_cone(files, p["ra"], p["dec"], p["radius_arcsec"]),
                budget_s,
            )
            cli_args = [
                name,
                *[
                    f"--param={k}={v.isoformat() if hasattr(v, 'isoformat') else v}"
                    for k, v in params.items()
                ],
            ]
            results.append({
                "scenario": label, "rows": size, "answer_rows": result.table.num_rows,
                "project": fast.as_dict(), "full_scan": full.as_dict(), "naive": naive.as_dict(),
                "cli_seconds": round(_cli_seconds(db, cli_args), 3), "load_seconds": round(db.load_seconds, 1),
            })  # fmt: skip
    con.close()
    return results


def followup(size: int, repeats: int, budget_s: float) -> dict[str, Any]:
    n_bursts = max(1000, size // 100)
    db, files = _data("followup", size, lambda out: {
        k: v for k, v in zip(("swift.bursts", "chandra.observations"),
                             synth.bursts_and_pointings(sc.TABLES["swift.bursts"], sc.TABLES["chandra.observations"], n_bursts, size, out)[:2], strict=True)
    })  # fmt: skip
    engine, con = db.engine()
    query = Query.load(sc.ANALYTICS / "burst_followup_sequences.sql")
    params = {"window_hours": 168.0, "min_significance": 0.0}
    fast, result = measure(lambda: engine.run(query, params), repeats)
    matched = sum(1 for r in result.table.column("obsid").to_pylist() if r is not None)
    naive = once(lambda: sc.naive_followup(files, 168.0, budget_s), budget_s)
    con.close()
    return {"scenario": "burst_followup", "rows": size, "bursts": n_bursts, "answer_rows": matched,
            "project": fast.as_dict(), "naive": naive.as_dict(),
            "cli_seconds": round(_cli_seconds(db, ["burst_followup_sequences", "--param=min_significance=0"]), 3)}  # fmt: skip


def crossmatch(size: int, repeats: int, budget_s: float) -> dict[str, Any]:
    n = min(1_000_000, max(10_000, size // 10))
    db, files = _data("crossmatch", n, lambda out: dict(zip(
        ("swift.measurements", "chandra.detections"),
        synth.sources(sc.TABLES["swift.measurements"], sc.TABLES["chandra.detections"], n, out)[:2], strict=True)))  # fmt: skip
    engine, con = db.engine()
    query = Query.load(sc.ANALYTICS / "cross_observatory_objects.sql")
    fast, result = measure(lambda: engine.run(query, {}), max(3, repeats // 2))
    naive = once(lambda: sc.naive_crossmatch(files, budget_s), budget_s)
    con.close()
    return {"scenario": "cross_match", "rows": n, "answer_rows": result.table.num_rows,
            "expected_matches": n // 10, "project": fast.as_dict(), "naive": naive.as_dict(),
            "cli_seconds": round(_cli_seconds(db, ["cross_observatory_objects"]), 3)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="seconds a naive baseline may run before it is reported as a lower bound",
    )
    parser.add_argument("--smoke", action="store_true", help="no report files: a quick check")
    parser.add_argument(
        "--no-preview", action="store_true", help="skip the pulumi preview scenario"
    )
    args = parser.parse_args(argv)
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    rows: list[dict[str, Any]] = []
    for size in sizes:
        rows.extend(selective(size, args.repeats, args.budget))
        rows.append(followup(size, args.repeats, args.budget))
        rows.append(crossmatch(size, args.repeats, args.budget))
        print(json.dumps(rows[-4:], indent=1), file=sys.stderr)
    preview = [] if args.no_preview else _preview_rows(args.smoke)
    doc = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {_cores()} cores, {platform.system()}",
        "versions": {
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
            "sqlglot": sqlglot.__version__,
        },
        "command": "make bench  # python -m bench.run " + " ".join(argv or sys.argv[1:]),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "scenarios": rows,
        "preview": preview,
    }
    if not args.smoke:
        (ROOT / "bench" / "results.json").write_text(json.dumps(doc, indent=2) + "\n")
        write_report(doc, ROOT / "docs" / "benchmarks.md")
    print(json.dumps(doc, indent=2))
    return 0


def _preview_rows(smoke: bool) -> list[dict[str, Any]]:
    try:
        from bench.preview import preview_scenarios
    except ImportError as exc:  # the VMS stand-in lives in tests/support
        print(f"preview scenario skipped: {exc}", file=sys.stderr)
        return []
    return preview_scenarios([2] if smoke else [2, 10, 50])


def _cores() -> int:
    import os

    return os.cpu_count() or 0


if __name__ == "__main__":
    raise SystemExit(main())
