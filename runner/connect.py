"""Engines and load sinks built from the stack config and the environment (secrets only there).

``ENGINES`` and ``SINKS`` are the one registry of each: the CLI offers their
names as ``--engine`` and ``load --into`` choices, and ``engine_for`` and
``sink_for`` build one by name.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vastobs import local_paths
from vastobs.config import StackConfig
from vastobs.errors import ParameterError

# Each factory imports its engine or sink when called: the registries' names are the
# CLI's choices, and a command that builds neither (list, show) should not load
# sqlglot, the loader or the Trino client to offer them (tests/test_cli_imports.py).
if TYPE_CHECKING:
    import trino

    from runner.catalog import Catalog
    from runner.engines import Engine
    from runner.loader.sinks import Sink


def database_file(stack: StackConfig) -> Path:
    """The local VAST DB: a DuckDB file inside the database view."""
    return local_paths.database_file(stack.local_root, stack.database.path)


def trino_schema(stack: StackConfig, observatory: str) -> str:
    """The VAST connector names a schema ``<bucket>/<schema>``."""
    return f"{stack.database.bucket}/{observatory}"


def _duckdb_engine(stack: StackConfig) -> Engine:
    from runner.catalog import Catalog
    from runner.engines import DuckDBEngine

    db = database_file(stack)
    catalog = Catalog.for_stack(stack)
    engine = DuckDBEngine.for_file(db if db.is_file() else None, catalog)
    return _with_compile_cache(engine, catalog, stack)  # logical names: nothing more to key by


def _trino_engine(stack: StackConfig) -> Engine:
    from runner.catalog import Catalog, in_catalog
    from runner.engines import TrinoEngine

    table_map = in_catalog(stack.trino.catalog, lambda obs: trino_schema(stack, obs))
    catalog = Catalog.for_stack(stack)
    engine = TrinoEngine(
        lambda **session: trino_connection(stack, **session),
        catalog,
        table_map,
        query_timeout_seconds=stack.analytics.query_timeout_seconds,
        catalog_name=stack.trino.catalog,
    )
    # The physical names are made of these two keys (table_map): compiled SQL names them.
    return _with_compile_cache(engine, catalog, stack, stack.trino.catalog, stack.database.bucket)


def _with_compile_cache(
    engine: Engine, catalog: Catalog, stack: StackConfig, *names: str
) -> Engine:
    """Compiled SQL kept in the project's cache (vastobs/compile_cache.py), keyed by the
    stack's catalog and what else of the stack the engine's SQL is made of (``names``)."""
    from vastobs.compile_cache import CompileCache

    engine.compile_cache = CompileCache.for_project(stack.project_dir, catalog.fingerprint, *names)
    return engine


ENGINES: dict[str, Callable[[StackConfig], Engine]] = {
    "duckdb": _duckdb_engine,  # embedded, reads the local VAST DB file
    "trino": _trino_engine,  # production: the VAST DB connector
}


def engine_for(name: str, stack: StackConfig) -> Engine:
    if name not in ENGINES:
        raise ParameterError(f"engine {name!r} is not one of {', '.join(ENGINES)}")
    return ENGINES[name](stack)


def _duckdb_sink(stack: StackConfig) -> Sink:
    from runner.loader.sinks import DuckDBSink

    return DuckDBSink(database_file(stack))


def _trino_sink(stack: StackConfig) -> Sink:
    from runner.loader.sinks import TrinoSink

    return TrinoSink(
        lambda: trino_connection(stack), stack.trino.catalog, lambda obs: trino_schema(stack, obs)
    )


def _vastdb_sink(stack: StackConfig) -> Sink:
    from runner.loader.sinks import VastDBSink

    return VastDBSink(lambda: vastdb_session(stack), stack.database.bucket)


SINKS: dict[str, Callable[[StackConfig], Sink]] = {
    "duckdb": _duckdb_sink,
    "trino": _trino_sink,
    "vastdb": _vastdb_sink,
}


def sink_for(name: str, stack: StackConfig) -> Sink:
    if name not in SINKS:
        raise ParameterError(f"sink {name!r} is not one of {', '.join(SINKS)}")
    return SINKS[name](stack)


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


def trino_connection(
    stack: StackConfig, session_properties: dict[str, str] | None = None
) -> trino.dbapi.Connection:
    """``session_properties``: the engine's (runner/engines/trino.py); by default the
    query time limit alone (the loader's sink)."""
    import trino

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
        session_properties=session_properties
        or {"query_max_run_time": f"{stack.analytics.query_timeout_seconds}s"},
    )
