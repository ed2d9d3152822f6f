"""Storage status against quotas, with alert levels (the monitoring-plugin convention).

Reads quota usage from the backend: VMS quotas and cluster capacity for
``vast``; for ``local``, bytes under each view's directory (the database's
DuckDB file included, measured by size, never opened).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import asdict, dataclass, field
from typing import Any

from vastobs.backends.base import Backend, Capacity, Record
from vastobs.config import QuotaConfig, StackConfig
from vastobs.errors import VastobsError
from vastobs.units import format_size


class Level(enum.IntEnum):
    """Exit codes of Nagios-style checks: 0 ok, 1 warn, 2 critical, 3 unknown."""

    OK = 0
    WARN = 1
    CRITICAL = 2
    UNKNOWN = 3


@dataclass
class PathStatus:
    name: str  # observatory, or 'database'
    path: str
    view_exists: bool
    hard_limit: int | None
    soft_limit: int | None
    used_bytes: int | None
    percent_used: float | None
    state: str  # VMS quota state, or MISSING when no quota is found
    time_to_block: str | None
    level: Level
    reasons: list[str] = field(default_factory=list)

    @property
    def used_human(self) -> str:
        return "-" if self.used_bytes is None else format_size(self.used_bytes)


@dataclass
class Status:
    taken_at: dt.datetime
    backend: str
    paths: list[PathStatus]
    capacity: Capacity | None
    level: Level
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["taken_at"] = self.taken_at.isoformat()
        doc["level"] = self.level.name
        for path in doc["paths"]:
            path["level"] = Level(path["level"]).name
        return doc


def backend_for_monitor(stack: StackConfig) -> Backend:
    """The providers' backend, credentials the same way (environment or credential file)."""
    from vastobs.backends.target import backend_for, target_for

    return backend_for(target_for(stack))


def classify(
    quota: Record | None, declared: QuotaConfig, warn_percent: float, critical_percent: float
) -> tuple[Level, list[str]]:
    if quota is None:
        return Level.UNKNOWN, ["no quota found on this path (run pulumi up)"]
    state = str(quota.get("state") or "OK")
    hard = quota.get("hard_limit") or declared.hard
    soft = quota.get("soft_limit")
    used = int(quota.get("used_capacity") or 0)
    percent = 100.0 * used / hard if hard else 0.0
    reasons: list[str] = []
    level = Level.OK
    if state in ("HARD_EXCEEDED", "GRACE_EXPIRED", "BOTH_EXCEEDED") or (
        state.endswith("EXCEEDED") and "SOFT" not in state
    ):
        level, reasons = Level.CRITICAL, [f"quota state {state}"]
    elif state == "SOFT_EXCEEDED" or (soft and used > soft):
        level, reasons = (
            Level.CRITICAL,
            [f"soft limit exceeded ({format_size(used)} > {format_size(int(soft or 0))})"],
        )
    elif percent >= critical_percent:
        level, reasons = (
            Level.CRITICAL,
            [f"{percent:.1f}% of hard limit (critical at {critical_percent:g}%)"],
        )
    elif percent >= warn_percent:
        level, reasons = Level.WARN, [f"{percent:.1f}% of hard limit (warn at {warn_percent:g}%)"]
    elif state == "FAILED":
        level, reasons = Level.UNKNOWN, ["quota state FAILED"]
    return level, reasons


def take_status(stack: StackConfig, backend: Backend | None = None) -> Status:
    now = dt.datetime.now(dt.UTC)
    try:
        backend = backend or backend_for_monitor(stack)
        quotas = backend.collection("quotas").list()
        views = backend.collection("views").list()
    except VastobsError as exc:
        return Status(now, stack.backend, [], None, Level.UNKNOWN, error=str(exc))
    by_path_quota = {q.get("path"): q for q in quotas}
    view_paths = {v.get("path") for v in views}
    declared = [(o.name, o.path, o.quota) for o in stack.observatories]
    declared.append(("database", stack.database.path, stack.database.quota))
    paths = []
    for name, path, quota_cfg in declared:
        quota = by_path_quota.get(path)
        level, reasons = classify(
            quota, quota_cfg, stack.monitor.warn_percent, stack.monitor.critical_percent
        )
        used = None if quota is None else int(quota.get("used_capacity") or 0)
        hard = None if quota is None else quota.get("hard_limit")
        paths.append(
            PathStatus(
                name=name,
                path=path,
                view_exists=path in view_paths,
                hard_limit=hard,
                soft_limit=None if quota is None else quota.get("soft_limit"),
                used_bytes=used,
                percent_used=None if used is None or not hard else round(100.0 * used / hard, 3),
                state="MISSING" if quota is None else str(quota.get("state") or "OK"),
                time_to_block=None if quota is None else quota.get("time_to_block"),
                level=level,
                reasons=reasons,
            )
        )
    worst = max((p.level for p in paths), default=Level.OK)
    return Status(now, stack.backend, paths, backend.capacity(), worst)
