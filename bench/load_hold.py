"""How long a load holds the database file, and what concurrent readers see meanwhile.

    python -m bench.load_hold --rows 10000000 --readers 10

Loads ``--rows`` synthetic Swift measurements (bench/synth, cached under
.vastobs/bench/loadhold-N) through ``runner.loader`` into a fresh local
database while ``--readers`` processes run ``cone_search`` back to back
through the runner's DuckDB engine. Reports the load's wall time, the
commit's hold of the database file (``DuckDBSink.hold_seconds``: from the
writers' lock to the checkpoint), and the readers' queries, errors and
slowest answer. ``make bench`` runs it at 10^7 rows (``--load-hold-rows``; docs/reliability.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import synth
from bench.scenarios import CATALOG, ROOT, TABLES, create_tables
from runner.loader import load
from runner.loader.index_feed import index_feed
from runner.loader.sinks import DuckDBSink
from vastobs.backends.local import LocalBackend

CACHE = ROOT / ".vastobs" / "bench"


def _files(rows: int) -> Path:
    out = CACHE / f"loadhold-{rows}"
    path = out / "swift.measurements.parquet"
    if not path.exists():
        out.mkdir(parents=True, exist_ok=True)
        synth.points(TABLES["swift.measurements"], TABLES["chandra.detections"], rows, out)
    return path


def _database(root: Path) -> Path:
    """A fresh local database with the local stack's tables: the readers' catalog keeps
    the sky index, so the cone searches read ``sky.points`` and the load fills it."""
    backend = LocalBackend(root)
    backend.collection("views").create({"path": "/db", "bucket": "benchdb", "policy_id": 1})
    create_tables(
        backend, (TABLES["swift.measurements"], TABLES["chandra.detections"], *CATALOG.index.tables)
    )
    return backend.database_file("benchdb")


def reader(database: Path, stop: Path) -> dict[str, Any]:
    """cone_search with its defaults, back to back, until ``stop`` exists."""
    from runner.catalog import Catalog
    from runner.engines import DuckDBEngine
    from runner.query import Query

    engine = DuckDBEngine.for_file(database, Catalog.load(ROOT))
    query = Query.load(ROOT / "queries" / "analytics" / "cone_search.sql")
    queries, errors, slowest, first_error = 0, 0, 0.0, None
    while not stop.exists():
        started = time.perf_counter()
        try:
            engine.run(query, {})
        except Exception as exc:  # counted: what a user would have seen
            errors += 1
            first_error = first_error or str(exc).splitlines()[0][:200]
        queries += 1
        slowest = max(slowest, time.perf_counter() - started)
    return {"queries": queries, "errors": errors, "slowest_s": slowest, "error": first_error}


def measure(rows: int, readers: int) -> dict[str, Any]:
    source = _files(rows)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        database = _database(Path(tmp) / "root")
        stop = Path(tmp) / "stop"
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "bench.load_hold", "--reader", str(database), str(stop)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(readers)
        ]
        time.sleep(3)  # the readers started and querying
        sink = DuckDBSink(database, lock_timeout=600)
        started = time.perf_counter()
        summary = load(
            TABLES["swift.measurements"],
            [source],
            sink,
            batch_rows=1_000_000,
            quarantine_dir=Path(tmp) / "quarantine",
            feed=index_feed(CATALOG, CATALOG.tables[("swift", "measurements")]),
        )
        load_s = time.perf_counter() - started
        time.sleep(1)
        stop.touch()
        seen = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    return {
        "rows": rows,
        "loaded": summary.loaded,
        "load_s": round(load_s, 2),
        "hold_s": None if sink.hold_seconds is None else round(sink.hold_seconds, 2),
        "readers": readers,
        "queries": sum(s["queries"] for s in seen),
        "reader_errors": sum(s["errors"] for s in seen),
        "readers_failing": sum(1 for s in seen if s["errors"]),
        "slowest_query_s": round(max(s["slowest_s"] for s in seen), 2),
        "first_error": next((s["error"] for s in seen if s["error"]), None),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load_hold", description=__doc__)
    parser.add_argument("--rows", type=lambda s: int(float(s)), default=10_000_000)
    parser.add_argument("--readers", type=int, default=10)
    parser.add_argument(
        "--reader", nargs=2, metavar=("DATABASE", "STOPFILE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.reader:
        print(json.dumps(reader(Path(args.reader[0]), Path(args.reader[1]))))
        return 0
    print(json.dumps(measure(args.rows, args.readers), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
