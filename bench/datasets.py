"""The benchmark's datasets: generated once per (kind, size), loaded into DuckDB, cached.

Shared by the DuckDB scenarios (bench/run.py) and the Trino ones
(bench/trino_bench.py), so both engines answer over the same files.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import scenarios as sc
from bench import synth

CACHE = sc.ROOT / ".vastobs" / "bench"


def data(
    kind: str, size: int, make: Callable[[Path], dict[str, Path]]
) -> tuple[sc.Database, dict[str, Path]]:
    """Generated and loaded once per (kind, size); later runs reuse the directory."""
    directory = CACHE / f"{kind}-{size}"
    files_dir = directory / "files"
    stamp = directory / "loaded.json"
    cached = stamp.exists()
    if not cached:
        shutil.rmtree(directory, ignore_errors=True)
        files_dir.mkdir(parents=True)
        start = time.perf_counter()
        files = make(files_dir)
        made = time.perf_counter() - start
        db = sc.build(directory / "root", files)
        meta = {"load_seconds": db.load_seconds, "rows": db.rows, "generate_seconds": made}
        stamp.write_text(json.dumps(meta))
    meta = json.loads(stamp.read_text())
    database = directory / "root" / "views" / "db" / "vastobs.duckdb"
    indexed = sc.with_sky_index(database)  # databases cached before the index had none
    if indexed is not None:
        meta["index_seconds"] = indexed
        stamp.write_text(json.dumps(meta))
    files = {p.name.removesuffix(".parquet"): p for p in files_dir.glob("*.parquet")}
    db = sc.Database(
        database,
        meta["load_seconds"],
        meta["rows"],
        meta.get("generate_seconds"),  # stamps before it have none
        cached,
    )
    return db, files


def points_files(size: int, out: Path) -> dict[str, Path]:
    return synth.points(sc.TABLES["swift.measurements"], sc.TABLES["chandra.detections"], size, out)


def selective_cases() -> dict[str, tuple[str, dict[str, Any]]]:
    """Scenario label: (query file, parameters); the same on every engine."""
    day = dt.datetime(2005, 1, 1)
    return {
        "light_curve": ("multi_wavelength_light_curve", {"ra": sc.V404[0], "dec": sc.V404[1], "radius_arcsec": 10.0}),
        "cone_search": ("cone_search", {"ra": sc.V404[0], "dec": sc.V404[1], "radius_arcsec": 300.0,
                                        "start_time": day, "end_time": day + dt.timedelta(days=3650)}),
    }  # fmt: skip


def followup_files(n_bursts: int, size: int, out: Path) -> dict[str, Path]:
    made = synth.bursts_and_pointings(sc.TABLES["swift.bursts"], sc.TABLES["chandra.observations"], n_bursts, size, out)  # fmt: skip
    return {"swift.bursts": made[0], "chandra.observations": made[1]}


def crossmatch_files(n: int, out: Path) -> dict[str, Path]:
    made = synth.sources(sc.TABLES["swift.measurements"], sc.TABLES["chandra.detections"], n, out)
    return {"swift.measurements": made[0], "chandra.detections": made[1]}
