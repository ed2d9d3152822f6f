"""Engines built from the stack config and the environment (secrets only there)."""

from __future__ import annotations

import os
from pathlib import Path

import trino

from infra.config import StackConfig
from runner.engines import DuckDBEngine, Engine, TrinoEngine
from runner.errors import ParameterError


def database_file(stack: StackConfig) -> Path:
    """The local VAST DB: a DuckDB file inside the database view (docs/architecture.md)."""
    return stack.local_root / "views" / stack.database.path.lstrip("/") / "vastobs.duckdb"


def engine_for(name: str, stack: StackConfig) -> Engine:
    if name == "duckdb":
        db = database_file(stack)
        return DuckDBEngine.for_file(db if db.is_file() else None)
    if name == "trino":
        return TrinoEngine(lambda: _trino_connection(stack))
    raise ParameterError(f"--engine {name!r} is not one of duckdb, trino")


def _trino_connection(stack: StackConfig) -> trino.dbapi.Connection:
    cfg = stack.trino
    password = os.environ.get("VASTOBS_TRINO_PASSWORD")
    auth = trino.auth.BasicAuthentication(cfg.user, password) if password else None
    return trino.dbapi.connect(
        host=cfg.host,
        port=cfg.port,
        user=cfg.user,
        catalog=cfg.catalog,
        http_scheme=cfg.http_scheme,
        auth=auth,
        verify=cfg.verify_tls,
        legacy_prepared_statements=False,  # Trino >= 431: EXECUTE IMMEDIATE, no probing
        session_properties={"query_max_run_time": f"{stack.analytics.query_timeout_seconds}s"},
    )
