"""Storage status against quotas, and the alert stream's lag and age, with alert levels
(the monitoring-plugin convention).

Reads quota usage from the backend: VMS quotas and cluster capacity for
``vast``; for ``local``, bytes under each view's directory (the database's
DuckDB file included, measured by size, never opened). When the stack names
alert topics, reads the stream from the broker (``runner/alerts/lag.py``): the
listener group's consumer lag and the age of each topic's newest message.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import asdict, dataclass, field
from typing import Any

from vastobs.backends.base import Backend, Capacity, Record
from vastobs.config import MonitorConfig, QuotaConfig, StackConfig
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
class TopicStatus:
    """One alert topic: its consumer lag (messages kept that the listener's group has not
    committed past) and the age of its newest message (now minus that message's Kafka
    timestamp: when it was published, not when the listener read it)."""

    topic: str
    partitions: list[dict[str, Any]]  # partition, low, high, committed (None: never), lag
    lag: int | None  # summed over partitions; None: the topic is not on the broker
    newest_message_at: dt.datetime | None
    age_seconds: float | None
    level: Level
    reasons: list[str] = field(default_factory=list)


@dataclass
class StreamStatus:
    brokers: str
    group: str
    topics: list[TopicStatus]
    level: Level
    error: str | None = None  # the broker could not be read (UNKNOWN)


@dataclass
class Status:
    taken_at: dt.datetime
    backend: str
    paths: list[PathStatus]
    capacity: Capacity | None
    level: Level  # the worst of storage and stream
    error: str | None = None  # storage could not be read
    stream: StreamStatus | None = None  # None: the stack names no alert topics

    def as_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["taken_at"] = self.taken_at.isoformat()
        doc["level"] = self.level.name
        for path in doc["paths"]:
            path["level"] = Level(path["level"]).name
        if doc["stream"] is not None:
            doc["stream"]["level"] = Level(doc["stream"]["level"]).name
            for topic in doc["stream"]["topics"]:
                topic["level"] = Level(topic["level"]).name
                if topic["newest_message_at"] is not None:
                    topic["newest_message_at"] = topic["newest_message_at"].isoformat()
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
    """Storage, and the alert stream when the stack names topics; the level is the worst."""
    status = take_storage_status(stack, backend)
    if stack.alerts.topics:
        status.stream = take_stream_status(stack)
        status.level = max(status.level, status.stream.level)
    return status


def take_storage_status(stack: StackConfig, backend: Backend | None = None) -> Status:
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


def take_stream_status(stack: StackConfig) -> StreamStatus:
    """The listener group's lag and each topic's newest message, read from the broker
    (never from the database), within ``monitor.stream_timeout_seconds``."""
    from runner.alerts.lag import bootstrap_of, read_stream  # confluent-kafka: only with topics

    alerts, limits = stack.alerts, stack.monitor
    where = bootstrap_of(alerts)
    try:
        reading = read_stream(alerts, stack.project_dir, limits.stream_timeout_seconds)
    except VastobsError as exc:
        return StreamStatus(where, alerts.group, [], Level.UNKNOWN, error=str(exc))
    now = dt.datetime.now(dt.UTC)
    topics = []
    for topic in alerts.topics:
        parts = [p for p in reading.partitions if p.topic == topic]
        if topic in reading.missing_topics:
            reason = "not on the broker (or not readable with these credentials)"
            topics.append(TopicStatus(topic, [], None, None, None, Level.UNKNOWN, [reason]))
            continue
        stamps = [p.newest_timestamp_ms for p in parts if p.newest_timestamp_ms is not None]
        newest = dt.datetime.fromtimestamp(max(stamps) / 1000, dt.UTC) if stamps else None
        age = None if newest is None else max(0.0, (now - newest).total_seconds())
        lag = sum(p.lag for p in parts)
        level, reasons = classify_stream(lag, age, any(p.high > p.low for p in parts), limits)
        topics.append(
            TopicStatus(
                topic,
                [p.as_dict() for p in parts],
                lag,
                newest,
                None if age is None else round(age, 3),
                level,
                reasons,
            )
        )
    worst = max((t.level for t in topics), default=Level.OK)
    return StreamStatus(where, alerts.group, topics, worst)


def classify_stream(
    lag: int, age: float | None, holds_messages: bool, limits: MonitorConfig
) -> tuple[Level, list[str]]:
    """Lag against its thresholds; age against its own, when they are set (0: never)."""
    levels: list[tuple[Level, str]] = []
    if lag >= limits.lag_critical_messages:
        levels.append(
            (Level.CRITICAL, f"lag {lag} messages (critical at {limits.lag_critical_messages})")
        )
    elif lag >= limits.lag_warn_messages:
        levels.append((Level.WARN, f"lag {lag} messages (warn at {limits.lag_warn_messages})"))
    warn_s, critical_s = limits.stream_warn_seconds, limits.stream_critical_seconds
    if warn_s or critical_s:
        if age is None and holds_messages:
            levels.append((Level.UNKNOWN, "newest message not read within the timeout"))
        elif age is None:
            worst = Level.CRITICAL if critical_s else Level.WARN
            levels.append((worst, "no message kept on the topic"))
        elif critical_s and age >= critical_s:
            levels.append(
                (
                    Level.CRITICAL,
                    f"newest message {format_age(age)} old (critical at {format_age(critical_s)})",
                )
            )
        elif warn_s and age >= warn_s:
            levels.append(
                (Level.WARN, f"newest message {format_age(age)} old (warn at {format_age(warn_s)})")
            )
    if not levels:
        return Level.OK, []
    return max(level for level, _ in levels), [reason for _, reason in levels]


def format_age(seconds: float) -> str:
    """A duration as people read it: 42 s, 7.5 min, 3.2 h, 4.1 d."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"
