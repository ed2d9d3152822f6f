"""The scenarios: the project's query files on a warm DuckDB connection, against a
full scan (the same query without its pruning predicate) and a naive pandas baseline."""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from bench.timing import Done
from runner.catalog import Catalog
from runner.engines import DuckDBEngine
from runner.kept_matches import refresh
from runner.loader import load
from runner.loader.index_feed import index_feed
from runner.loader.sinks import DuckDBSink, row_group_rows
from runner.query import Query
from vastobs.backends.local import LocalBackend
from vastobs.ddl import TableDef, all_tables

ROOT = Path(__file__).resolve().parents[1]
ANALYTICS = ROOT / "queries" / "analytics"
TABLES = {t.logical_name: t for t in all_tables(ROOT)}
CATALOG = Catalog.load(ROOT)  # the local stack's: it keeps the sky index
V404 = (306.0159, 33.8672)
# The synthetic follow-up data hold Swift bursts and Chandra pointings only: name the
# roles, so that every engine reads the tables the scenario loaded (and the same work
# as before the analytics read kinds).
FOLLOWUP_ROLES = {"sources": "swift", "followers": "chandra"}
FULL_SKY_HI = 12 * 4**14 - 1


@dataclass
class Database:
    path: Path
    load_seconds: float
    rows: dict[str, int]
    generate_seconds: float | None = None  # writing the input files, before the load
    cached: bool = False  # made by an earlier run: its making is not in this run's RSS

    def engine(self) -> tuple[DuckDBEngine, duckdb.DuckDBPyConnection]:
        """One read-only connection kept open (warm); each run takes a cursor on it."""
        con = duckdb.connect(str(self.path), read_only=True)
        return DuckDBEngine(con.cursor, Catalog.load(ROOT)), con


def build(root: Path, files: dict[str, Path]) -> Database:
    """The files loaded into a fresh local backend's DuckDB file, sorted by (hpx, time)."""
    backend = LocalBackend(root)
    backend.collection("views").create({"path": "/db", "bucket": "benchdb", "policy_id": 1})
    create_tables(backend, (*TABLES.values(), *CATALOG.index.tables))
    database = backend.database_file("benchdb")
    start = time.perf_counter()
    rows = {}
    for name, path in files.items():  # every size through the loader, checks and all
        observatory, _, table = name.partition(".")
        summary = load(TABLES[name], [path], DuckDBSink(database, lock_timeout=600),
                       batch_rows=1_000_000, quarantine_dir=root / "quarantine",
                       feed=index_feed(CATALOG, CATALOG.tables[(observatory, table)]))  # fmt: skip
        rows[name] = summary.loaded
    return Database(database, time.perf_counter() - start, rows)


def create_tables(backend: LocalBackend, tables: tuple[TableDef, ...]) -> None:
    """The tables, as Pulumi's local backend creates them."""
    catalog = backend.catalog()
    for table in tables:
        if not catalog.schema_exists("benchdb", table.observatory):
            catalog.create_schema("benchdb", table.observatory)
        catalog.create_table("benchdb", table.observatory, table.name, table.vms_arrow_schema())


def with_sky_index(database: Path) -> float | None:
    """A database loaded before the stack kept the sky index (or its kept matches) gets
    them, filled as ``runner index rebuild`` fills them; the seconds that took (None: it
    had both)."""
    index, sink = CATALOG.index, DuckDBSink(database, lock_timeout=600)
    missing = tuple(t for t in index.tables if not sink.exists(t))
    if not missing:
        return None
    start = time.perf_counter()
    create_tables(LocalBackend(database.parents[2]), missing)  # <root>/views/db/vastobs.duckdb
    if index.table in missing:
        sink.rebuild(
            index.table, CATALOG.points_in_tables()
        )  # every bench database has every table
    refresh(sink, CATALOG)
    return time.perf_counter() - start


BULK_MEMORY = "4GB"


def bulk_load(database: Path, table: TableDef, path: Path, spill: Path) -> int:
    """One ``INSERT ... SELECT ... ORDER BY`` from the Parquet, in the loader's row groups
    and order, no check made; DuckDB sorts past BULK_MEMORY on disk. What the bench loaded
    above 10^7 rows before the loader streamed; now the baseline bench/load_bench.py
    measures the loader against."""
    spill.mkdir(parents=True, exist_ok=True)
    columns = ", ".join(f'"{c.name}"' for c in table.columns)
    order = ", ".join(f'"{k}"' for k in table.sorted_by)
    quote = "'{}'".format
    config = {"memory_limit": BULK_MEMORY, "temp_directory": str(spill)}
    group = row_group_rows(pq.ParquetFile(path).metadata.num_rows)
    with duckdb.connect(config=config) as con:
        con.execute(f"ATTACH {quote(database)} AS db (ROW_GROUP_SIZE {group})")
        got = con.execute(
            f'INSERT INTO db."{table.observatory}"."{table.name}" ({columns}) '
            f"SELECT {columns} FROM read_parquet({quote(path)}) ORDER BY {order}"
        ).fetchone()
    shutil.rmtree(spill, ignore_errors=True)
    return int(got[0]) if got else 0


def without_pruning(name: str, tmp: Path) -> Query:
    """The same query with its cone cover the whole sky, one range where the runner's
    cover has up to four: a full scan, with no extra predicate to evaluate."""
    text = (ANALYTICS / f"{name}.sql").read_text()
    whole_sky = rf"\1 BETWEEN 0 AND {FULL_SKY_HI}"
    path = tmp / f"{name}.sql"
    path.write_text(re.sub(r"in_cone_cover\(([\w.]+), [^)]*\)", whole_sky, text))
    return Query.load(path)


def haversine_arcsec(ra1: Any, dec1: Any, ra2: Any, dec2: Any) -> Any:
    r1, d1, r2, d2 = (np.radians(x) for x in (ra1, dec1, ra2, dec2))
    a = np.sin((d2 - d1) / 2) ** 2 + np.cos(d1) * np.cos(d2) * np.sin((r2 - r1) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.minimum(1.0, a)))) * 3600


NAIVE_BYTES_PER_ROW = 96
"""naive_cone's peak per row: ra and dec in Arrow, in pandas, and numpy's temporaries
(83 bytes measured at 2.2 * 10^6 rows)."""


def naive_cone(files: dict[str, Path], ra: float, dec: float, radius: float) -> Done:
    """The seed's way: read the tables into pandas (the two columns used), compute, filter.

    If they would not fit in 3/4 of the available memory, only the rows that do are read;
    the time then scales with the share read (see timing.once)."""
    sources = [pq.ParquetFile(files[n]) for n in ("swift.measurements", "chandra.detections")]
    total = sum(f.metadata.num_rows for f in sources)
    share = min(1.0, 0.75 * _available_bytes() / NAIVE_BYTES_PER_ROW / total)
    read = 0
    for source in sources:
        groups = _row_groups(source, int(share * source.metadata.num_rows))
        frame = source.read_row_groups(groups, columns=["ra", "dec"]).to_pandas()
        hits = haversine_arcsec(frame["ra"].to_numpy(), frame["dec"].to_numpy(), ra, dec) <= radius
        hits.sum()  # the count is the seed's work; answers are checked in the tests
        read += len(frame)
    return Done(read / total)


def _row_groups(source: pq.ParquetFile, rows: int) -> list[int]:
    """The leading row groups holding at most ``rows`` rows."""
    groups, seen = [], 0
    for i in range(source.num_row_groups):
        seen += source.metadata.row_group(i).num_rows
        if seen > rows:
            break
        groups.append(i)
    return groups


def _available_bytes() -> int:
    """MemAvailable (Linux; page cache counts as free), else physical memory."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def naive_followup(files: dict[str, Path], window_hours: float, budget_s: float) -> Done:
    """Every burst against every pointing, in pandas (stops at the budget)."""
    began = time.perf_counter()
    b = pd.read_parquet(
        files["swift.bursts"], columns=["trigger_time", "ra", "dec", "err_radius_arcsec"]
    )
    o = pd.read_parquet(files["chandra.observations"], columns=["start_time", "ra", "dec"])
    start = time.perf_counter()
    read, done = start - began, 0
    o_t = o["start_time"].to_numpy().astype("datetime64[us]").astype(np.int64)
    for row in b.itertuples():
        t0 = np.datetime64(row.trigger_time, "us").astype(np.int64)
        dt_ok = (o_t >= t0) & (o_t <= t0 + int(window_hours * 3600e6))
        sep = haversine_arcsec(row.ra, row.dec, o["ra"].to_numpy(), o["dec"].to_numpy())
        (dt_ok & (sep <= np.hypot(row.err_radius_arcsec, 1.0))).sum()
        done += 1
        if time.perf_counter() - start > budget_s:
            break
    return Done(done / len(b), read)


def naive_crossmatch(files: dict[str, Path], budget_s: float) -> Done:
    """Every Swift row against every Chandra row (stops at the budget)."""
    began = time.perf_counter()
    s = pd.read_parquet(files["swift.measurements"], columns=["ra", "dec", "err_radius_arcsec"])
    c = pd.read_parquet(files["chandra.detections"], columns=["ra", "dec", "err_radius_arcsec"])
    start = time.perf_counter()
    read, done = start - began, 0
    cra, cdec, cerr = c["ra"].to_numpy(), c["dec"].to_numpy(), c["err_radius_arcsec"].to_numpy()
    for row in s.itertuples():
        sep = haversine_arcsec(row.ra, row.dec, cra, cdec)
        (sep <= np.maximum(2.0, np.hypot(row.err_radius_arcsec, cerr))).sum()
        done += 1
        if time.perf_counter() - start > budget_s:
            break
    return Done(done / len(s), read)
