"""Engines run Trino SQL: ``trino`` (production, the VAST DB connector) and
``duckdb`` (embedded). Each takes a connection factory, so tests hand in theirs;
``runner.connect.ENGINES`` builds them from a stack by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runner.engines.base import Engine
from runner.engines.duckdb import DuckDBEngine

if TYPE_CHECKING:
    from runner.engines.trino import TrinoEngine

__all__ = ["DuckDBEngine", "Engine", "TrinoEngine"]


def __getattr__(name: str) -> Any:
    """``TrinoEngine`` on first use: the Trino client (~0.2 s) loads only for Trino."""
    if name == "TrinoEngine":
        from runner.engines.trino import TrinoEngine

        return TrinoEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
