"""``Result``: rows as Arrow plus the provenance every answer carries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

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
    table: pa.Table
    provenance: Provenance


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
