"""``Result``: a query's rows plus the provenance every answer carries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from runner.rows import Rows

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class Provenance:
    query: str
    version: int
    sha256: str
    engine: str
    params: dict[str, Any]
    started_at: dt.datetime
    elapsed_seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "version": self.version,
            "sha256": self.sha256,
            "engine": self.engine,
            "params": {k: _jsonable(v) for k, v in self.params.items()},
            "started_at": self.started_at.isoformat(),
            "elapsed_seconds": round(self.elapsed_seconds, 6),
        }


@dataclass(frozen=True)
class Result:
    rows: Rows  # as Python values where the caller asked for text (runner/rows.py)
    provenance: Provenance

    @cached_property
    def table(self) -> pa.Table:
        """Every row as Arrow."""
        return self.rows.arrow()


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
