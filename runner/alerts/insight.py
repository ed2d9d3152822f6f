"""``Insight``: what a duty scientist wants seconds after a notice, for a new or refined trigger.

Where it is (the error region), what every observatory already saw inside that
region before the trigger (the archival light curve, summarised per
observatory, instrument and band, from ``cone_search``), and what is pointed or
scheduled there since (``pointings_in_circle``). Both are the project's own
analytics on the same engine, so an insight answers exactly what a `run` would.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import shlex
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from runner.alerts.store import Change
from runner.analytics import ANALYTICS_DIR
from runner.engines import Engine
from runner.query import Query

CONE_MAX_ARCSEC = 36000.0  # the analytics' largest radius: 10 degrees
COMMAND_TIMEOUT_SECONDS = 10.0  # a user command that hangs must not stop the stream


@dataclass(frozen=True)
class SeenBefore:
    """One observatory's instrument and band inside the region before the trigger."""

    observatory: str
    instrument: str
    band: str
    points: int
    first_utc: str
    last_utc: str
    mean_rate: float
    max_rate: float


@dataclass(frozen=True)
class Insight:
    outcome: str
    observatory: str
    trigger_id: int
    trigger_name: str
    trigger_time: str
    ra: float
    dec: float
    err_radius_arcsec: float
    searched_arcsec: float  # the error radius, at most CONE_MAX_ARCSEC
    seen_before: list[SeenBefore] = field(default_factory=list)
    pointings: list[dict[str, Any]] = field(default_factory=list)  # pointed or scheduled since
    elapsed_seconds: float = 0.0

    def as_json(self) -> str:
        return json.dumps(asdict(self), default=str)


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.datetime) else str(value)


class InsightMaker:
    """Runs the two analytics for each new or refined trigger; retracted or kept ones
    (nothing new to say) give no insight."""

    def __init__(self, engine: Engine, project_dir: Path) -> None:
        self.engine = engine
        folder = project_dir / ANALYTICS_DIR
        self.cone = Query.load(folder / "cone_search.sql")
        self.pointed = Query.load(folder / "pointings_in_circle.sql")

    def __call__(self, change: Change) -> Insight | None:
        n = change.notice
        if change.outcome not in ("new", "refined") or n.ra is None or n.dec is None:
            return None
        assert n.trigger_time is not None and n.err_radius_arcsec is not None
        began = time.perf_counter()
        radius = min(n.err_radius_arcsec, CONE_MAX_ARCSEC)
        where = {"ra": n.ra, "dec": n.dec, "radius_arcsec": radius}
        points = self.engine.run(self.cone, {**where, "end_time": n.trigger_time}).table
        pointed = self.engine.run(self.pointed, {**where, "since": n.trigger_time}).table
        return Insight(
            outcome=change.outcome,
            observatory=n.observatory,
            trigger_id=n.trigger_id,
            trigger_name=n.trigger_name,
            trigger_time=_iso(n.trigger_time),
            ra=n.ra,
            dec=n.dec,
            err_radius_arcsec=n.err_radius_arcsec,
            searched_arcsec=radius,
            seen_before=_summary(points.to_pylist()),
            pointings=[{k: _iso(v) for k, v in row.items()} for row in pointed.to_pylist()],
            elapsed_seconds=round(time.perf_counter() - began, 4),
        )


def _summary(rows: list[dict[str, Any]]) -> list[SeenBefore]:
    """The archival light curve in a few lines: per observatory, instrument and band."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["observatory"], row["instrument"], row["band"]), []).append(row)
    out = []
    for (observatory, instrument, band), members in groups.items():
        rates = [m["rate"] for m in members if m["rate"] is not None]
        times = [m["time_utc"] for m in members]
        out.append(
            SeenBefore(
                observatory, instrument, band, len(members), _iso(min(times)), _iso(max(times)),
                round(sum(rates) / len(rates), 6) if rates else float("nan"),
                max(rates) if rates else float("nan"),
            )
        )  # fmt: skip
    return sorted(out, key=lambda s: (s.observatory, s.instrument, s.band))


class InsightWorker:
    """Makes insights on a thread of its own, so that writing rows never waits for them.

    Under load it falls behind on purpose: it takes every change waiting and makes
    one insight per trigger, for the latest of its changes. ``guard`` is the store's:
    a batch being written and an insight being read never overlap in this process.
    """

    def __init__(
        self, maker: InsightMaker, emit: Callable[[Insight], None], guard: threading.Lock
    ) -> None:
        self.maker, self.emit, self.guard = maker, emit, guard
        self.pending: queue.Queue[Change | None] = queue.Queue()
        self.thread = threading.Thread(target=self._work, name="insights", daemon=True)
        self.thread.start()

    def submit(self, change: Change) -> None:
        self.pending.put(change)

    def close(self) -> None:
        """Make the insights still waiting, then stop."""
        self.pending.put(None)
        self.thread.join()

    def _work(self) -> None:
        while True:
            taken = [self.pending.get()]
            while not self.pending.empty():
                taken.append(self.pending.get_nowait())
            latest: dict[tuple[str, int], Change] = {}
            for change in taken:
                if change is not None:
                    latest[(change.notice.observatory, change.notice.trigger_id)] = change
            for change in latest.values():
                with self.guard:
                    insight = self.maker(change)
                if insight is not None:
                    self.emit(insight)
            if None in taken:
                return


def run_command(command: str, insight: Insight) -> str | None:
    """The user's command with the insight as JSON on stdin (no shell); a problem is one
    line for the caller to print, and the stream goes on."""
    try:
        done = subprocess.run(
            shlex.split(command),
            input=insight.as_json(),
            text=True,
            capture_output=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"--on-insight {shlex.split(command)[0]}: {exc}"
    if done.returncode:
        return f"--on-insight {shlex.split(command)[0]}: exit {done.returncode}"
    return None
