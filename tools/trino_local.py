"""`make trino`: a real Trino for the local stack, so `--engine trino` runs on a laptop.

It serves the stack's Trino catalog (``vastobs:trino``: ``vast`` on
http://localhost:8080 in Pulumi.local.yaml) from Trino's memory connector,
with one schema per observatory named as the VAST connector names them
(``<bucket>/<observatory>``) and every table the stack declares, filled with
what the local DuckDB database holds (`make demo` loads data there). The
runner then reaches it exactly as it reaches a cluster's Trino. Ctrl-C stops
it; nothing is kept (the memory connector holds 128 MB per node).

``--workers N`` (or TRINO_WORKERS=N) starts a cluster instead of one node: the
coordinator on the stack's port schedules no tasks and N worker JVMs on free
loopback ports run them (devtools/trino_server.py sizes the heaps: 1.5 GB for
the coordinator, 3 GB per worker).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from sqlglot import exp  # noqa: E402

from devtools.toolchain import find_java, trino_home  # noqa: E402
from devtools.trino_data import iceberg_table  # noqa: E402
from devtools.trino_server import TrinoServer  # noqa: E402
from runner.catalog import Catalog  # noqa: E402
from runner.connect import database_file, trino_schema  # noqa: E402
from vastobs.config import StackConfig, load_stack  # noqa: E402
from vastobs.ddl import TableDef  # noqa: E402


def fill(server: TrinoServer, stack: StackConfig) -> dict[str, int]:
    """Create the stack's schemas and tables in the catalog and copy the local rows.

    Rows go the fast way: DuckDB's rows are written to Parquet (the DDL's Arrow
    schema), Iceberg takes the file into its warehouse (``add_files``), and Trino
    copies it into the catalog with one INSERT ... SELECT. Returns rows per table.
    """
    catalog = stack.trino.catalog
    cursor = server.connect(catalog).cursor()

    def sql(text: str) -> list[list[object]]:
        cursor.execute(text)
        return cursor.fetchall()

    db_file = database_file(stack)
    local = duckdb.connect(str(db_file), read_only=True) if db_file.is_file() else None
    sql('CREATE SCHEMA IF NOT EXISTS iceberg."staging"')
    copied: dict[str, int] = {}
    # every table the stack keeps: the observatories', and the sky index where it keeps
    # one (the cone search and light curve read it)
    for table in Catalog.for_stack(stack).stored.values():
        schema = trino_schema(stack, table.observatory)
        target = exp.table_(table.name, db=schema, catalog=catalog, quoted=True)
        name = target.sql("trino")
        sql(f'CREATE SCHEMA IF NOT EXISTS "{catalog}"."{schema}"')
        sql(table.create_sql("trino", target))
        copied[name] = 0
        if local is None or not _has_table(local, table):
            continue
        staging = exp.table_(table.observatory + table.name, db="staging", catalog="iceberg")
        parquet = server.workdir / f"{table.observatory}.{table.name}.parquet"
        rows = local.sql(f'SELECT * FROM "{table.observatory}"."{table.name}"').to_arrow_table()
        pq.write_table(rows.cast(table.arrow_schema()), parquet)
        iceberg_table(server, table, staging, parquet)
        copied[name] = int(sql(f"INSERT INTO {name} SELECT * FROM {staging.sql('trino')}")[0][0])
        sql(f"DROP TABLE {staging.sql('trino')}")
    return copied


def _has_table(con: duckdb.DuckDBPyConnection, table: TableDef) -> bool:
    found = con.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [table.observatory, table.name],
    ).fetchall()
    return bool(found)


MAX_WORKERS = 8  # each worker takes a 3 GB heap


def _workers(text: str) -> int:
    """--workers/TRINO_WORKERS: a whole number from 0 to MAX_WORKERS."""
    if not text.strip().isdigit() or int(text) > MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"--workers (or TRINO_WORKERS) is {text!r}: allowed a whole number 0-{MAX_WORKERS}"
        )
    return int(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make trino", description=__doc__)
    parser.add_argument("--stack", default="local")
    parser.add_argument(
        "--workers",
        type=_workers,
        default=os.environ.get("TRINO_WORKERS") or "0",
        help=f"worker JVMs beside a coordinator that schedules none (0-{MAX_WORKERS};"
        " default TRINO_WORKERS, else 0: one node)",
    )
    args = parser.parse_args(argv)
    stack = load_stack(args.stack, ROOT)
    cfg = stack.trino
    if cfg.host not in ("localhost", "127.0.0.1") or cfg.http_scheme != "http":
        print(
            f"Pulumi.{args.stack}.yaml: vastobs:trino is {cfg.http_scheme}://{cfg.host}:{cfg.port};"
            " make trino serves http on localhost only (set host: localhost, http_scheme: http)",
            file=sys.stderr,
        )
        return 2
    home, java = trino_home(), find_java()
    if home is None or java is None:
        print(
            "Trino or a Java >= 24 is missing: run `make trino` (it fetches both)", file=sys.stderr
        )
        return 2
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", cfg.port)) == 0:
            print(f"port {cfg.port} is in use: is a Trino already running?", file=sys.stderr)
            return 2
    workdir = ROOT / ".vastobs" / "trino"
    shutil.rmtree(workdir, ignore_errors=True)  # nothing is kept between runs
    workdir.mkdir(parents=True, exist_ok=True)
    server = TrinoServer(
        home, java, workdir, port=cfg.port, memory_catalogs=(cfg.catalog,), workers=args.workers
    )
    # Ctrl-C or a kill stops Trino too (its own process group would outlive us).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    nodes = f" with {args.workers} workers" if args.workers else ""
    print(
        f"starting Trino on http://localhost:{cfg.port}{nodes} (log: {server.log}) ...", flush=True
    )
    server.start()
    try:
        for name, rows in fill(server, stack).items():
            print(f"  {name}: {rows} rows")
        print(
            f"Trino is ready: catalog {cfg.catalog!r} holds the {args.stack} stack's tables.\n"
            f"  python -m runner --stack {args.stack} run cone_search --engine trino\n"
            "Ctrl-C stops it.",
            flush=True,
        )
        assert server.process is not None
        server.process.wait()
        print("Trino exited; see its log", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopping Trino", file=sys.stderr)
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
