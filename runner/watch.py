"""``monitor`` on the terminal: the status table, alert lines, and the continuous loop."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

from rich.table import Table

from runner.monitor import Level, Status, take_status
from runner.output import console
from vastobs.config import StackConfig
from vastobs.units import format_size

STYLE = {Level.OK: "green", Level.WARN: "yellow", Level.CRITICAL: "red", Level.UNKNOWN: "magenta"}


def render(status: Status) -> Table:
    table = Table(title=f"storage on {status.backend} at {status.taken_at:%Y-%m-%d %H:%M:%S} UTC")
    for column in (
        "observatory",
        "path",
        "view",
        "hard",
        "soft",
        "used",
        "used bytes",
        "%",
        "state",
        "time to block",
        "level",
    ):
        table.add_column(column, no_wrap=True)
    for p in status.paths:
        table.add_row(
            p.name, p.path, "yes" if p.view_exists else "MISSING",
            "-" if p.hard_limit is None else format_size(p.hard_limit),
            "-" if not p.soft_limit else format_size(p.soft_limit),
            p.used_human, "-" if p.used_bytes is None else f"{p.used_bytes:,}",
            "-" if p.percent_used is None else f"{p.percent_used:.1f}",
            p.state, p.time_to_block or "-",
            f"[{STYLE[p.level]}]{p.level.name}[/{STYLE[p.level]}]",
        )  # fmt: skip
    if status.capacity and status.capacity.total_bytes:
        cap = status.capacity
        used = f"{format_size(cap.used_bytes)} used of " if cap.used_bytes is not None else ""
        table.caption = f"capacity: {used}{format_size(cap.total_bytes)} ({cap.source})"
    return table


def alert_lines(status: Status) -> list[str]:
    if status.error:
        return [f"UNKNOWN: storage status could not be read: {status.error}"]
    return [
        f"{p.level.name}: {p.name} {p.path}: {'; '.join(p.reasons)}"
        for p in status.paths
        if p.level != Level.OK
    ]


def changes(before: Status, after: Status) -> list[str]:
    """What moved between two checks: level or state changes, and usage deltas."""
    old = {p.name: p for p in before.paths}
    lines = []
    for p in after.paths:
        q = old.get(p.name)
        if q is None:
            lines.append(f"{p.name}: now {p.state}, {p.used_human}")
            continue
        if (q.level, q.state) != (p.level, p.state):
            lines.append(f"{p.name}: {q.level.name}/{q.state} -> {p.level.name}/{p.state}")
        if q.used_bytes != p.used_bytes and p.used_bytes is not None:
            delta = p.used_bytes - (q.used_bytes or 0)
            sign = "+" if delta >= 0 else "-"
            lines.append(f"{p.name}: used {p.used_human} ({sign}{format_size(abs(delta))})")
    return lines


def monitor_once(
    stack: StackConfig, as_json: bool, extra: Callable[[], None] | None = None
) -> Status:
    status = take_status(stack)
    if as_json:
        print(json.dumps(status.as_dict(), default=str, indent=2))
    else:
        console().print(render(status))
        if extra:
            extra()
    for line in alert_lines(status):
        print(line, file=sys.stderr)
    return status


def monitor_continuous(
    stack: StackConfig, interval: float, count: int | None, as_json: bool
) -> Level:
    """First the full table, then only changes and alerts; a failed check is logged and retried."""
    status = monitor_once(stack, as_json)
    last_read = status  # changes are told against the last status that could be read
    checks = 1
    try:
        while count is None or checks < count:
            time.sleep(interval)
            current = take_status(stack)
            checks += 1
            when = f"{current.taken_at:%H:%M:%S}"
            if current.error:
                print(f"{when} check failed, retrying in {interval:g}s: {current.error}",
                      file=sys.stderr)  # fmt: skip
                status = current
                continue
            lines = ["status readable again"] if status.error else []
            lines += changes(last_read, current) if not last_read.error else []
            for line in lines:
                print(f"{when} {line}")
            for line in alert_lines(current):
                print(f"{when} {line}", file=sys.stderr)
            status = last_read = current
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return status.level
