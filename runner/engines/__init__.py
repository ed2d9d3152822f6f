"""Engines run Trino SQL: ``trino`` (production, the VAST DB connector) and
``duckdb`` (embedded). Each takes a connection factory, so tests hand in theirs.
"""

from __future__ import annotations

from runner.engines.base import Engine
from runner.engines.duckdb import DuckDBEngine
from runner.engines.trino import TrinoEngine

ENGINES: dict[str, type[Engine]] = {"duckdb": DuckDBEngine, "trino": TrinoEngine}

__all__ = ["ENGINES", "DuckDBEngine", "Engine", "TrinoEngine"]
