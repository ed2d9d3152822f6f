"""Which session properties the Trino engine sends: the query time limit and the sort in
the output stage to every catalog, the VAST DB connector's properties only to a catalog whose
connector is ``vast``."""

from __future__ import annotations

import pytest

from devtools.toolchain import PROJECT_DIR
from devtools.trino_server import TrinoServer
from runner.connect import engine_for
from runner.engines.trino import EVERY_SESSION, VAST_SESSION, TrinoEngine
from vastobs.config import load_stack
from vastobs.errors import EngineError


def _engine(**kwargs: object) -> TrinoEngine:
    return TrinoEngine(lambda **_: None, **kwargs)  # type: ignore[arg-type,return-value]


def test_the_time_limit_and_the_sort_go_to_every_catalog() -> None:
    engine = _engine(query_timeout_seconds=300, catalog_name="memory")
    for connector in ("memory", "iceberg", "vast", None):
        sent = engine.session_properties(connector)
        assert sent["query_max_run_time"] == "300s"
        assert sent["distributed_sort"] == "false"


def test_vast_properties_go_only_to_a_vast_catalog_under_its_own_name() -> None:
    engine = _engine(query_timeout_seconds=60, catalog_name="prod_vast")
    sent = engine.session_properties("vast")
    assert sent.pop("query_max_run_time") == "60s"
    assert sent == {
        **EVERY_SESSION,
        **{f"prod_vast.{name}": value for name, value in VAST_SESSION.items()},
    }
    assert "complex_predicate_pushdown" in VAST_SESSION  # cone ranges are ORs on hpx
    assert _engine(query_timeout_seconds=60, catalog_name="vast").session_properties("memory") == {
        **EVERY_SESSION,
        "query_max_run_time": "60s",
    }


def test_no_catalog_no_limit_sends_trinos_own_only() -> None:
    assert _engine().session_properties("vast") == EVERY_SESSION


def test_the_stack_engine_takes_the_stacks_timeout_and_catalog() -> None:
    stack = load_stack("local", PROJECT_DIR)
    engine = engine_for("trino", stack)
    assert isinstance(engine, TrinoEngine)
    assert engine.query_timeout_seconds == stack.analytics.query_timeout_seconds
    assert engine.catalog_name == stack.trino.catalog
    assert engine.session_properties("vast")[f"{stack.trino.catalog}.complex_predicate_pushdown"]


@pytest.mark.trino
def test_the_real_server_runs_queries_under_the_limit(trino_server: TrinoServer) -> None:
    """The connector is asked of Trino (memory here: no VAST property, which Trino would
    refuse), and the limit reaches the query's session."""
    engine = TrinoEngine(trino_server.connect, query_timeout_seconds=123, catalog_name="memory")
    for name, value in {"query_max_run_time": "123s", **EVERY_SESSION}.items():
        shown = engine._execute(f"SHOW SESSION LIKE '{name}'", []).to_pylist()
        assert [(r["Name"], r["Value"]) for r in shown] == [(name, value)]
    assert engine._session == {"query_max_run_time": "123s", **EVERY_SESSION}


@pytest.mark.trino
def test_a_vast_property_sent_to_another_connector_is_refused(trino_server: TrinoServer) -> None:
    """Why they go to a ``vast`` catalog only: Trino fails the whole query otherwise."""
    engine = TrinoEngine(trino_server.connect)
    engine._session = {"memory.complex_predicate_pushdown": "true"}
    with pytest.raises(EngineError, match="complex_predicate_pushdown"):
        engine._execute("SELECT 1", [])
