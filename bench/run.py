"""``make bench``: the scenarios at several sizes, with ratios measured in the same run.

    python -m bench.run                      # 10^5, 10^6, 10^7 and 10^8 rows
    python -m bench.run --sizes 100000,1000000,10000000       # without 10^8
    python -m bench.run --sizes 100000 --repeats 3 --smoke   # quick, used by a test

``make bench BENCH_ARGS="--sizes 100000,1000000,10000000"`` runs smaller. From 10^8
rows (SELECTIVE_ONLY_FROM) only the light curve and cone search run: generating and
loading that size takes about 4 minutes and 12 GB of disk (20 GB while the load sorts),
once (cached under .vastobs/bench); the follow-up and cross-match targets stop at
10^5 x 10^7 and 10^6 x 10^6. On Trino (``--trino-sizes``) 10^6, 10^7 and 10^8 rows,
each written once into the Iceberg warehouse under .vastobs/bench (10^8: about twelve
minutes on two cores). Last, the follow-up and cross-match against ``--versus``, an
earlier revision, back to back (bench/versus.py; its data made once in its worktree).

Writes bench/results.json and docs/benchmarks.md. Millisecond figures are
timed in-process through the project's query files and runner library on a
warm DuckDB connection; the CLI's end-to-end time is reported beside them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
import yaml

from bench import scenarios as sc
from bench.datasets import crossmatch_files, data, followup_files, points_files, selective_cases
from bench.load_bench import scenario as load_bench
from bench.load_hold import measure as load_hold
from bench.report import write_report
from bench.timing import measure, once, peak_rss_mb
from bench.trino_bench import trino_scenarios
from bench.versus import VERSUS_REVISION
from bench.versus import scenario as versus_scenario
from runner.query import Query

ROOT = sc.ROOT
SELECTIVE_ONLY_FROM = 100_000_000


def _cli_seconds(db: sc.Database, args: list[str]) -> float:
    """``python -m runner ...`` end to end against the bench database."""
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "Pulumi.yaml").write_text("name: vastobs\n")
        (project / "queries").symlink_to(ROOT / "queries")
        root = db.path.parents[2]
        # The local stack's observatories: the bench's tables are theirs (the seed's five).
        local = yaml.safe_load((ROOT / "Pulumi.local.yaml").read_text())["config"]
        config = {"vastobs:local_root": str(root), "vastobs:database": {"bucket": "benchdb", "path": "/db"},
                  "vastobs:observatories": local["vastobs:observatories"]}  # fmt: skip
        (project / "Pulumi.bench.yaml").write_text(yaml.safe_dump({"config": config}))
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "runner", "--stack", "bench", "run", *args, "--format", "csv"],
                       cwd=project, check=True, capture_output=True)  # fmt: skip
        return time.perf_counter() - start


def selective(size: int, repeats: int, budget_s: float) -> list[dict[str, Any]]:
    db, files = data(
        "points",
        size,
        lambda out: points_files(size, out),
    )
    engine, con = db.engine()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, (name, params) in selective_cases().items():
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
                "generate_seconds": None if db.generate_seconds is None else round(db.generate_seconds, 1),
                "data_cached": db.cached,
                "peak_rss_mb": peak_rss_mb(),
            })  # fmt: skip
    con.close()
    return results


def followup(size: int, repeats: int, budget_s: float) -> dict[str, Any]:
    n_bursts = max(1000, size // 100)
    db, files = data("followup", size, lambda out: followup_files(n_bursts, size, out))
    engine, con = db.engine()
    query = Query.load(sc.ANALYTICS / "burst_followup_sequences.sql")
    params = {"window_hours": 168.0, "min_significance": 0.0, **sc.FOLLOWUP_ROLES}
    fast, result = measure(lambda: engine.run(query, params), repeats)
    matched = sum(1 for r in result.table.column("observation_id").to_pylist() if r is not None)
    naive = once(lambda: sc.naive_followup(files, 168.0, budget_s), budget_s)
    con.close()
    return {"scenario": "burst_followup", "rows": size, "bursts": n_bursts, "answer_rows": matched,
            "project": fast.as_dict(), "naive": naive.as_dict(),
            "cli_seconds": round(_cli_seconds(db, ["burst_followup_sequences", "--param=min_significance=0",
                                                  *(f"--param={k}={v}" for k, v in sc.FOLLOWUP_ROLES.items())]), 3),
            "peak_rss_mb": peak_rss_mb()}  # fmt: skip


def crossmatch(size: int, repeats: int, budget_s: float) -> dict[str, Any]:
    n = min(1_000_000, max(10_000, size // 10))
    db, files = data("crossmatch", n, lambda out: crossmatch_files(n, out))
    engine, con = db.engine()
    query = Query.load(sc.ANALYTICS / "cross_observatory_objects.sql")
    fast, result = measure(lambda: engine.run(query, {}), max(3, repeats // 2))
    naive = once(lambda: sc.naive_crossmatch(files, budget_s), budget_s)
    con.close()
    return {"scenario": "cross_match", "rows": n, "answer_rows": result.table.num_rows,
            "expected_matches": n // 10, "project": fast.as_dict(), "naive": naive.as_dict(),
            "cli_seconds": round(_cli_seconds(db, ["cross_observatory_objects"]), 3),
            "peak_rss_mb": peak_rss_mb()}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--sizes",
        default="100000,1000000,10000000,100000000",
        help="observation rows; from 10^8 only the light curve and cone search",
    )
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument(
        "--budget",
        type=float,
        default=120.0,
        help="seconds a naive baseline may run before it is reported as a lower bound "
        "(the issue allows 10 minutes; four baselines at 10^6-10^7 never finish)",
    )
    parser.add_argument("--smoke", action="store_true", help="no report files: a quick check")
    parser.add_argument(
        "--no-preview", action="store_true", help="skip the pulumi preview scenario"
    )
    parser.add_argument(
        "--trino-sizes",
        default="1000000,10000000,100000000",
        help="sizes for the Trino scenarios ('' to skip); Iceberg from 10^6 rows",
    )
    parser.add_argument(
        "--load-hold-rows",
        type=lambda s: int(float(s)),
        default=10_000_000,
        help="rows of the load whose hold of the database file is measured (0 to skip)",
    )
    parser.add_argument(
        "--alert-rates",
        default="10,100,1000",
        help="notices/s for the alerts latency scenario, rows only ('' to skip; not with --smoke)",
    )
    parser.add_argument(
        "--alert-insight-rates", default="10,100", help="the same with an insight per trigger"
    )
    parser.add_argument("--alert-seconds", type=float, default=10.0, help="publishing per rate")
    parser.add_argument(
        "--load-sizes",
        default="1000000,10000000,100000000",
        help="rows loaded by runner load beside the bulk insert (bench/load_bench.py; '' to skip)",
    )
    parser.add_argument(
        "--no-peers", action="store_true", help="skip astropy and LSDB (bench/peers.py)"
    )
    parser.add_argument(
        "--versus",
        default=VERSUS_REVISION,
        help="the revision the follow-up and cross-match are timed against, back to back "
        "(bench/versus.py; '' to skip)",
    )
    args = parser.parse_args(argv)
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    rows: list[dict[str, Any]] = []
    for size in sizes:
        these = selective(size, args.repeats, args.budget)
        if size < SELECTIVE_ONLY_FROM:
            these.append(followup(size, args.repeats, args.budget))
            these.append(crossmatch(size, args.repeats, args.budget))
        rows.extend(these)
        print(json.dumps(these, indent=1), file=sys.stderr)
    cli = {} if args.smoke else _cli(sizes, args.repeats)  # on the points data just used
    preview = [] if args.no_preview else _preview_rows(args.smoke)
    trino_sizes = [int(float(s)) for s in args.trino_sizes.split(",") if s]
    trino = trino_scenarios(trino_sizes, max(3, args.repeats // 2)) if trino_sizes else {}
    hold = {} if args.smoke or not args.load_hold_rows else load_hold(args.load_hold_rows, 10)
    alerts = {} if args.smoke else _alerts(args)
    load_sizes = [int(float(s)) for s in args.load_sizes.split(",") if s]
    loads = {} if args.smoke or not load_sizes else load_bench(load_sizes)
    peers = {} if args.smoke or args.no_peers else _peers(sizes, args.repeats)
    versus = {} if args.smoke or not args.versus else versus_scenario(args.versus, sizes)
    doc = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {_cores()} cores, {platform.system()}",
        "versions": {
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
            "sqlglot": sqlglot.__version__,
        },
        "command": "make bench  # python -m bench.run " + " ".join(argv or sys.argv[1:]),
        "naive_budget_s": args.budget,
        "peak_rss_mb": peak_rss_mb(),
        "scenarios": rows,
        "cli": cli,
        "preview": preview,
        "trino": trino,
        "load_hold": hold,
        "alerts": alerts,
        "load_bench": loads,
        "peers": peers,
        "versus": versus,
    }
    if not args.smoke:
        (ROOT / "bench" / "results.json").write_text(json.dumps(doc, indent=2) + "\n")
        write_report(doc, ROOT / "docs" / "benchmarks.md")
    print(json.dumps(doc, indent=2))
    return 0


def _cli(sizes: list[int], repeats: int) -> dict[str, Any]:
    """bench/cli_bench.py: list, show, lint and the selective runs against the floor."""
    from bench.cli_bench import scenario

    return scenario([s for s in sizes if s >= 10_000_000] or sizes[-1:], repeats)


def _preview_rows(smoke: bool) -> list[dict[str, Any]]:
    try:
        from bench.preview import preview_scenarios
    except ImportError as exc:  # the VMS stand-in lives in tests/support
        print(f"preview scenario skipped: {exc}", file=sys.stderr)
        return []
    return preview_scenarios([2] if smoke else [2, 10, 50])


def _alerts(args: argparse.Namespace) -> dict[str, Any]:
    """bench/alerts_bench.py: a real broker, the listener, notices at each rate."""
    from bench.alerts_bench import scenario

    rates = [float(r) for r in args.alert_rates.split(",") if r.strip()]
    with_insights = [float(r) for r in args.alert_insight_rates.split(",") if r.strip()]
    if not (rates or with_insights):
        return {}
    return scenario(rates, with_insights, args.alert_seconds)


def _peers(sizes: list[int], repeats: int) -> dict[str, Any]:
    """bench/peers.py: astropy and LSDB in their own venv, on the same data, in this run."""
    from bench.peers import peer_scenarios

    return peer_scenarios(sizes, repeats)


def _cores() -> int:
    import os

    return os.cpu_count() or 0


if __name__ == "__main__":
    raise SystemExit(main())
