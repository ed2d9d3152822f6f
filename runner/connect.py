"""Engines built from the stack config and the environment (secrets only there)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import trino

from runner.catalog import Catalog, in_catalog
from runner.engines import DuckDBEngine, Engine, TrinoEngine
from runner.errors import ParameterError
from runner.loader.targets import DuckDBTarget, Target, TrinoTarget, VastDBTarget
from vastobs import local_paths
from vastobs.config import StackConfig


def database_file(stack: StackConfig) -> Path:
    """The local VAST DB: a DuckDB file inside the database view."""
    return local_paths.database_file(stack.local_root, stack.database.path)


def trino_schema(stack: StackConfig, observatory: str) -> str:
    """The VAST connector names a schema ``<bucket>/<schema>``."""
    return f"{stack.database.bucket}/{observatory}"


def load_target(name: str, stack: StackConfig) -> Target:
    if name == "duckdb":
        return DuckDBTarget(database_file(stack))
    if name == "trino":
        return TrinoTarget(
            lambda: trino_connection(stack),
            stack.trino.catalog,
            lambda obs: trino_schema(stack, obs),
        )
    if name == "vastdb":
        return VastDBTarget(lambda: vastdb_session(stack), stack.database.bucket)
    raise ParameterError(f"--engine {name!r} is not one of duckdb, trino, vastdb")


def vastdb_session(stack: StackConfig) -> Any:
    """The VAST DB data path; credentials only from the environment.

    TLS and the per-request timeout are the database's own keys: the S3
    endpoint is not the VMS, whose ``vms.verify_tls`` says nothing about it.
    """
    import vastdb

    access = os.environ.get("VASTOBS_S3_ACCESS_KEY")
    secret = os.environ.get("VASTOBS_S3_SECRET_KEY")
    if not (access and secret and stack.database.endpoint):
        raise ParameterError(
            "vastdb needs vastobs:database.endpoint in the stack and "
            "VASTOBS_S3_ACCESS_KEY / VASTOBS_S3_SECRET_KEY in the environment"
        )
    return vastdb.connect(
        access=access,
        secret=secret,
        endpoint=stack.database.endpoint,
        ssl_verify=stack.database.verify_tls,
        timeout=stack.database.timeout_seconds,  # requests' timeout, per request
    )


def engine_for(name: str, stack: StackConfig) -> Engine:
    catalog = Catalog.load(stack.project_dir)
    if name == "duckdb":
        db = database_file(stack)
        return DuckDBEngine.for_file(db if db.is_file() else None, catalog)
    if name == "trino":
        table_map = in_catalog(stack.trino.catalog, lambda obs: trino_schema(stack, obs))
        return TrinoEngine(lambda: trino_connection(stack), catalog, table_map)
    raise ParameterError(f"--engine {name!r} is not one of duckdb, trino")


def trino_connection(stack: StackConfig) -> trino.dbapi.Connection:
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
