"""The peer tools' side of bench/peers.py, run by the peers venv's python (never by .venv).

    <peers python> -m bench.peers_worker REQUEST.json

REQUEST names one tool (``astropy`` or ``lsdb``), one task (``crossmatch`` or ``cone``),
its Parquet inputs (exported by bench/peers.py from the bench's DuckDB files), the
repeats and a path for the answer. The worker reads the inputs, builds what the tool
needs (SkyCoord arrays, LSDB catalogues: the set-up, timed apart), times the query with
bench/timing.py (stdlib only, so importable here), writes the answer as Parquet and
prints one JSON object on stdout: versions, read and set-up seconds, the query's Timing,
the answer's path and size, peak RSS. One process per (tool, task): memory is freed
between them and one tool's imports never touch another's time.

Cross-match answer: (left, right) name pairs, every pair within the radius. Cone answer:
(observatory, name, time_us) of every row within the radius and time range.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bench.timing import Timing, measure, peak_rss_mb

LSDB_NEIGHBOURS = 8
"""LSDB's crossmatch keeps the k nearest within the radius; a left row with k matches
may have lost some, so the answer is flagged (``capped``) instead of trusted."""


def timed(fn: Callable[[], Any], repeats: int) -> tuple[Timing, Any, float]:
    """bench.timing.measure after one warm-up call (imports, JIT, caches), plus the process's
    CPU ms per timed call (all threads): on a shared machine the wall time swings with other
    load, the CPU time far less."""
    fn()
    before = time.process_time()
    timing, result = measure(fn, repeats, warmup=0)
    return timing, result, (time.process_time() - before) * 1000 / repeats


def _coords(ra: np.ndarray, dec: np.ndarray) -> Any:
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    return SkyCoord(ra=ra * u.deg, dec=dec * u.deg, frame="icrs")


def astropy_crossmatch(req: dict[str, Any]) -> dict[str, Any]:
    """``search_around_sky`` over SkyCoords built in the set-up; no KD-tree is kept between
    calls (storekdtree=False), so each call builds both trees, as the project's query
    groups and cells its inputs on every run."""
    from astropy import units as u
    from astropy.coordinates import search_around_sky

    start = time.perf_counter()
    left, right = pd.read_parquet(req["left"]), pd.read_parquet(req["right"])
    read = time.perf_counter() - start
    start = time.perf_counter()
    c1 = _coords(left["ra"].to_numpy(), left["dec"].to_numpy())
    c2 = _coords(right["ra"].to_numpy(), right["dec"].to_numpy())
    setup = time.perf_counter() - start
    limit = req["radius_arcsec"] * u.arcsec
    timing, found, cpu = timed(
        lambda: search_around_sky(c1, c2, limit, storekdtree=False), req["repeats"]
    )
    idx1, idx2 = found[0], found[1]
    pairs = pa.table({
        "left": left["name"].to_numpy()[idx1].astype(str),
        "right": right["name"].to_numpy()[idx2].astype(str),
    })  # fmt: skip
    return {
        "read_s": read,
        "setup_s": setup,
        "timing": timing,
        "cpu_ms": cpu,
        "answer": pairs,
        "capped": 0,
    }


def lsdb_crossmatch(req: dict[str, Any]) -> dict[str, Any]:
    """``Catalog.crossmatch`` (KD-tree within the radius) of catalogues partitioned in
    the set-up by ``lsdb.from_dataframe`` (HEALPix partitions and margins)."""
    import lsdb

    start = time.perf_counter()
    left, right = pd.read_parquet(req["left"]), pd.read_parquet(req["right"])
    read = time.perf_counter() - start
    start = time.perf_counter()
    c1 = lsdb.from_dataframe(left, ra_column="ra", dec_column="dec", catalog_name="left")
    c2 = lsdb.from_dataframe(right, ra_column="ra", dec_column="dec", catalog_name="right")
    del left, right
    setup = time.perf_counter() - start
    timing, found, cpu = timed(
        lambda: c1.crossmatch(
            c2, radius_arcsec=req["radius_arcsec"], n_neighbors=LSDB_NEIGHBOURS,
            suffixes=("_l", "_r"), suffix_method="all_columns",
        ).compute(),
        req["repeats"],
    )  # fmt: skip
    per_left = found.groupby("name_l").size()
    pairs = pa.table({"left": found["name_l"].astype(str).to_numpy(),
                      "right": found["name_r"].astype(str).to_numpy()})  # fmt: skip
    return {"read_s": read, "setup_s": setup, "timing": timing, "cpu_ms": cpu, "answer": pairs,
            "capped": int((per_left >= LSDB_NEIGHBOURS).sum())}  # fmt: skip


def _in_time(frame: pd.DataFrame, req: dict[str, Any]) -> pd.DataFrame:
    t = frame["time_us"].to_numpy()
    return frame[(t >= req["start_us"]) & (t <= req["end_us"])]


def astropy_cone(req: dict[str, Any]) -> dict[str, Any]:
    """``SkyCoord.separation`` from the centre over every row, on arrays already in
    memory (the SkyCoord is the set-up), then the radius and time masks."""
    from astropy import units as u

    start = time.perf_counter()
    points = pd.read_parquet(req["points"])
    read = time.perf_counter() - start
    start = time.perf_counter()
    coords = _coords(points["ra"].to_numpy(), points["dec"].to_numpy())
    centre = _coords(np.array(req["ra"]), np.array(req["dec"]))
    setup = time.perf_counter() - start
    radius = req["radius_arcsec"] * u.arcsec
    t = points["time_us"].to_numpy()

    def query() -> pd.DataFrame:
        keep = (coords.separation(centre) <= radius) & (t >= req["start_us"]) & (t <= req["end_us"])
        return points[keep]

    timing, found, cpu = timed(query, req["repeats"])
    return {"read_s": read, "setup_s": setup, "timing": timing, "cpu_ms": cpu, "answer": _cone_answer(found), "capped": 0}  # fmt: skip


def lsdb_cone(req: dict[str, Any]) -> dict[str, Any]:
    """``Catalog.cone_search`` on a catalogue partitioned in the set-up, then the time range
    on its (small) answer."""
    import lsdb

    start = time.perf_counter()
    points = pd.read_parquet(req["points"])
    read = time.perf_counter() - start
    start = time.perf_counter()
    catalog = lsdb.from_dataframe(points, ra_column="ra", dec_column="dec", catalog_name="points")
    del points
    setup = time.perf_counter() - start
    timing, found, cpu = timed(
        lambda: _in_time(
            catalog.cone_search(req["ra"], req["dec"], req["radius_arcsec"]).compute(), req
        ),
        req["repeats"],
    )
    return {"read_s": read, "setup_s": setup, "timing": timing, "cpu_ms": cpu, "answer": _cone_answer(found), "capped": 0}  # fmt: skip


def _cone_answer(found: pd.DataFrame) -> pa.Table:
    return pa.table({
        "observatory": found["observatory"].astype(str).to_numpy(),
        "name": found["name"].astype(str).to_numpy(),
        "time_us": found["time_us"].to_numpy().astype(np.int64),
    })  # fmt: skip


TASKS = {
    ("astropy", "crossmatch"): astropy_crossmatch,
    ("lsdb", "crossmatch"): lsdb_crossmatch,
    ("astropy", "cone"): astropy_cone,
    ("lsdb", "cone"): lsdb_cone,
}


def _version(tool: str) -> str:
    from importlib.metadata import version

    return version(tool)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bench.peers_worker REQUEST.json", file=sys.stderr)
        return 2
    req = json.loads(Path(argv[0]).read_text())
    task = TASKS.get((req.get("tool"), req.get("task")))
    if task is None:
        print(f"{argv[0]}: tool/task {req.get('tool')}/{req.get('task')} is not one of "
              f"{', '.join('/'.join(k) for k in TASKS)}", file=sys.stderr)  # fmt: skip
        return 2
    warnings.simplefilter("ignore")  # LSDB's FutureWarnings would bury a real error
    got = task(req)
    pq.write_table(got["answer"], req["answer"])
    out = {
        "tool": req["tool"], "task": req["task"], "version": _version(req["tool"]),
        "read_s": round(got["read_s"], 3), "setup_s": round(got["setup_s"], 3),
        "timing": got["timing"].as_dict(), "cpu_ms": round(got["cpu_ms"], 1), "answer": req["answer"],
        "answer_rows": got["answer"].num_rows, "capped": got["capped"],
        "peak_rss_mb": peak_rss_mb(),
    }  # fmt: skip
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
