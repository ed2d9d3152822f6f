"""Small hand-made datasets for analytics tests: rows per logical table, defaults filled.

``local_database()`` creates a stack's tables (the local stack's unless a catalog
is given) the way the local backend does and loads the rows through the real
loader, so hpx and checks apply. A table of an observatory without defaults of
its own takes its kind's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from devtools.toolchain import PROJECT_DIR
from runner.catalog import Catalog
from runner.loader import load
from runner.loader.index_feed import index_feed
from runner.loader.sinks import DuckDBSink
from vastobs.backends.local import LocalBackend
from vastobs.ddl import TableDef
from vastobs.sky import healpix14

T0 = dt.datetime(2015, 6, 15, 18, 31)

DEFAULTS: dict[str, dict[str, Any]] = {
    "swift.bursts": {"grb_name": "GRB 150615A", "trigger_time": T0, "err_radius_arcsec": 102.0,
                     "significance": 0.95},
    "swift.observations": {"target_id": "00000001", "segment": 1, "target_name": "TARGET",
                           "start_time": T0, "end_time": T0 + dt.timedelta(hours=1),
                           "xrt_exposure_s": 1000.0, "uvot_exposure_s": 1000.0,
                           "bat_exposure_s": 1000.0},
    "swift.measurements": {"target_name": "TARGET", "instrument": "XRT", "band": "0.3-10keV",
                           "mid_time": T0, "exposure_s": 100.0, "err_radius_arcsec": 1.6,
                           "rate": 1.0, "rate_error": 0.1, "quality": "good", "snr": 10.0,
                           "frac_exp": 1.0},
    "chandra.observations": {"target_name": "TARGET", "instrument": "ACIS-S", "grating": "NONE",
                             "obs_type": "TOO", "status": "archived", "start_time": T0,
                             "exposure_s": 20000.0},
    "chandra.detections": {"source_number": 1, "source_name": "2CXO J000000.0+000000",
                           "mid_time": T0, "err_radius_arcsec": 1.0, "band": "broad",
                           "rate": 0.1, "rate_error": 0.01, "flux_erg_cm2_s": 1e-12,
                           "flux_error": 1e-13, "significance": 20.0, "pileup_flag": False,
                           "extent_flag": False, "var_flag": False, "streak_src_flag": False},
}  # fmt: skip
KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "triggers": {"trigger_name": "GRB 150615A", "trigger_time": T0, "err_radius_arcsec": 3600.0,
                 "significance": 0.95},
    "observations": {"target_name": "TARGET", "instrument": "FPMA+FPMB", "obs_type": "TOO",
                     "status": "archived", "start_time": T0, "exposure_s": 20000.0},
    "measurements": {"target_name": "TARGET", "instrument": "FPMA", "band": "3-79keV",
                     "mid_time": T0, "exposure_s": 1000.0, "err_radius_arcsec": 8.0,
                     "rate": 1.0, "rate_error": 0.1, "quality": "good"},
    "detections": {"source_name": "X", "instrument": "EPIC", "band": "0.2-12keV", "mid_time": T0,
                   "err_radius_arcsec": 1.5, "rate": 0.1, "rate_error": 0.01,
                   "flux_erg_cm2_s": 1e-12, "flux_error": 1e-13, "significance": 20.0,
                   "quality": "good"},
}  # fmt: skip


def _table(table: TableDef, rows: list[dict[str, Any]]) -> pa.Table:
    defaults = DEFAULTS.get(table.logical_name) or KIND_DEFAULTS[table.kind]
    full = []
    for row in rows:
        merged = {**defaults, **row}
        merged["hpx"] = healpix14(merged["ra"], merged["dec"])
        full.append({c.name: merged.get(c.name) for c in table.columns})
    return pa.Table.from_pylist(full, schema=table.arrow_schema())


def _tables(catalog: Catalog | None) -> dict[str, TableDef]:
    return {t.logical_name: t for t in (catalog or Catalog.load(PROJECT_DIR)).stored.values()}


def write_parquet(
    root: Path, data: dict[str, list[dict[str, Any]]], catalog: Catalog | None = None
) -> dict[str, Path]:
    tables = _tables(catalog)
    root.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, rows in data.items():
        paths[name] = root / f"{name}.parquet"
        pq.write_table(_table(tables[name], rows), paths[name])
    return paths


def local_database(
    root: Path,
    data: dict[str, list[dict[str, Any]]] | dict[str, Path],
    catalog: Catalog | None = None,
) -> Path:
    """A local VAST DB (DuckDB file) holding every table of the stack, with ``data`` (rows
    or files) loaded (and the sky index kept, where the stack keeps one)."""
    backend = LocalBackend(root)
    backend.collection("views").create({"path": "/db", "bucket": "testdb", "policy_id": 1})
    schemas = backend.catalog()
    catalog = catalog or Catalog.load(PROJECT_DIR)
    tables = _tables(catalog)
    for table in tables.values():
        if not schemas.schema_exists("testdb", table.observatory):
            schemas.create_schema("testdb", table.observatory)
        schemas.create_table("testdb", table.observatory, table.name, table.vms_arrow_schema())
    database = backend.database_file("testdb")
    files = {k: v for k, v in data.items() if isinstance(v, Path)}
    rows = {k: v for k, v in data.items() if not isinstance(v, Path)}
    files.update(write_parquet(root, rows, catalog))
    for name, path in files.items():
        summary = load(tables[name], [path], DuckDBSink(database), batch_rows=1000,
                       quarantine_dir=root / "quarantine",
                       feed=index_feed(catalog, tables[name]))  # fmt: skip
        assert summary.rejected == 0, f"test data for {name} rejected"
    return database
