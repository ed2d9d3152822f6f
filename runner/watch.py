"""``monitor`` once or continuously: take the status (storage, and the alert stream when
the stack names topics), show it (``runner.render``), repeat."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

from runner.monitor import Level, Status, take_status
from runner.render import alert_lines, changes, console, status_table, stream_table
from vastobs.config import StackConfig


def monitor_once(
    stack: StackConfig, as_json: bool, extra: Callable[[], None] | None = None
) -> Status:
    status = take_status(stack)
    if as_json:
        print(json.dumps(status.as_dict(), default=str, indent=2))
    else:
        console().print(status_table(status))
        if status.stream is not None:
            console().print(stream_table(status.stream, status.taken_at))
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
