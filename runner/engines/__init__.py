"""Engines run Trino SQL: ``trino`` (production, the VAST DB connector) and
``duckdb`` (embedded). Each takes a connection factory, so tests hand in theirs;
``runner.connect.ENGINES`` builds them from a stack by name.
"""

from __future__ import annotations

from runner.engines.base import Engine
from runner.engines.duckdb import DuckDBEngine
from runner.engines.trino import TrinoEngine

__all__ = ["DuckDBEngine", "Engine", "TrinoEngine"]
