"""``Insight``: what a duty scientist wants seconds after a notice, for a new or refined trigger.

Where it is (the error region), what every observatory already saw inside that
region before the trigger (the archival light curve, summarised per
observatory, instrument and band), and what is pointed or scheduled there since.
Both come from one analytic, ``trigger_context``, which answers a whole batch
of triggers in one query: per trigger, exactly the rows ``cone_search`` and
``pointings_in_circle`` give for its region (tests/test_insight.py compares
them), so an insight answers what a `run` would, and a backlog of triggers
costs one query rather than two per trigger.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from runner.alerts.store import Change
from runner.analytics import ANALYTICS_DIR
from runner.engines import Engine
from runner.query import Query

COMMAND_TIMEOUT_SECONDS = 10.0  # a user command that hangs must not stop the stream
# Triggers per query: a backlog larger than this is read in several queries, the store's
# guard released between them so that batches of rows go on being written.
TRIGGERS_PER_QUERY = 200
# A query costs about the same for one trigger as for 200 (opening the database and
# planning), so queries are spaced: the next starts at least QUERY_EVERY_SECONDS after the
# last one started, and at least as long after it ended as it took (the guard is the
# writer's at least half the time, however slow the machine), triggers arriving meanwhile
# sharing it.
QUERY_EVERY_SECONDS = 0.25
SEEN, POINTED = "seen before", "pointed since"  # trigger_context's ``found``
NO_TRIGGER = "-"  # a ``triggers`` value naming no trigger (empty names every one)
# A pointing as pointings_in_circle names its columns: trigger_context's column for each.
POINTING_COLUMNS = {
    "observatory": "observatory",
    "observation_id": "observation",
    "target_name": "name",
    "instrument": "instrument",
    "obs_type": "obs_type",
    "status": "status",
    "start_time": "time_utc",
    "exposure_s": "exposure_s",
    "separation_arcsec": "separation_arcsec",
}


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
    searched_arcsec: float  # the error radius, at most 10 degrees (trigger_context's region)
    seen_before: list[SeenBefore] = field(default_factory=list)
    pointings: list[dict[str, Any]] = field(default_factory=list)  # pointed or scheduled since
    elapsed_seconds: float = 0.0  # the query that answered it (one per batch of triggers)
    # From the notice's Kafka timestamp to this insight made: what a duty scientist waited.
    after_notice_seconds: float | None = None

    def as_json(self) -> str:
        return json.dumps(asdict(self), default=str)


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.datetime) else str(value)


TriggerKey = tuple[str, int]  # observatory, trigger id


class InsightMaker:
    """Insights for new or refined triggers, a batch at a time; retracted or kept ones
    (nothing new to say) give none.

    The trigger is read as its table holds it when the insight is made (the
    row a `run` would see); a trigger retracted by then gets no insight.
    """

    def __init__(self, engine: Engine, project_dir: Path) -> None:
        self.engine = engine
        self.context = Query.load(project_dir / ANALYTICS_DIR / "trigger_context.sql")

    def warm(self) -> None:
        """Compile trigger_context, open the database and load the HEALPix library: what
        the first insight would otherwise wait for (a second or two on a new checkout)."""
        self.engine.run(self.context, {"triggers": NO_TRIGGER})

    def __call__(self, change: Change) -> Insight | None:
        """One change's insight (a batch of one)."""
        asked = self.asked([change])
        made = self.insights(asked, self.read(asked)) if asked else []
        return made[0] if made else None

    @staticmethod
    def asked(changes: Iterable[Change]) -> list[Change]:
        """The changes that call for an insight, the latest per trigger, in order."""
        latest: dict[TriggerKey, Change] = {}
        for change in changes:
            n = change.notice
            if change.outcome in ("new", "refined") and n.ra is not None and n.dec is not None:
                latest.pop((n.observatory, n.trigger_id), None)
                latest[(n.observatory, n.trigger_id)] = change
        return list(latest.values())

    def read(self, asked: list[Change]) -> tuple[pa.Table, float]:
        """trigger_context for these triggers: one query (the caller holds the store's guard)."""
        keys = ",".join(f"{c.notice.observatory}:{c.notice.trigger_id}" for c in asked)
        began = time.perf_counter()
        table = self.engine.run(self.context, {"triggers": keys}).table
        return table, time.perf_counter() - began

    def insights(self, asked: list[Change], read: tuple[pa.Table, float]) -> list[Insight]:
        """The insights of ``asked`` from what ``read`` gave, in the order asked."""
        table, elapsed = read
        rows: dict[TriggerKey, list[dict[str, Any]]] = {}
        for row in table.to_pylist():
            rows.setdefault((row["trigger_observatory"], row["trigger_id"]), []).append(row)
        out = []
        for change in asked:
            found = rows.get((change.notice.observatory, change.notice.trigger_id))
            if found:  # else retracted since: nothing to say
                out.append(_insight(change, found, elapsed))
        return out


def _insight(change: Change, rows: list[dict[str, Any]], elapsed: float) -> Insight:
    """One trigger's rows of trigger_context (the trigger on each; none found: one row)."""
    trigger = rows[0]
    return Insight(
        outcome=change.outcome,
        observatory=change.notice.observatory,
        trigger_id=change.notice.trigger_id,
        trigger_name=trigger["trigger_name"],
        trigger_time=_iso(trigger["trigger_time"]),
        ra=trigger["ra"],
        dec=trigger["dec"],
        err_radius_arcsec=trigger["err_radius_arcsec"],
        searched_arcsec=trigger["searched_arcsec"],
        seen_before=_summary([r for r in rows if r["found"] == SEEN]),
        pointings=[
            {name: _iso(r[column]) for name, column in POINTING_COLUMNS.items()}
            for r in rows
            if r["found"] == POINTED
        ],
        elapsed_seconds=round(elapsed, 4),
        after_notice_seconds=_since(change.received.timestamp_ms),
    )


def _since(timestamp_ms: int | None) -> float | None:
    return None if timestamp_ms is None else round(time.time() - timestamp_ms / 1000, 3)


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

    It takes every change waiting and answers them together: the latest
    change of each trigger, up to ``TRIGGERS_PER_QUERY`` triggers a query, the
    queries spaced as ``QUERY_EVERY_SECONDS`` says. ``guard`` is the store's: a
    batch being written and an insight being read never overlap in this
    process, and it is held for the query alone (not for making or emitting
    the insights).
    """

    def __init__(
        self, maker: InsightMaker, emit: Callable[[Insight], None], guard: threading.Lock
    ) -> None:
        self.maker, self.emit, self.guard = maker, emit, guard
        self.pending: queue.Queue[Change | None] = queue.Queue()
        self.dropping = threading.Event()
        self.thread = threading.Thread(target=self._work, name="insights", daemon=True)
        self.thread.start()

    def submit(self, change: Change) -> None:
        self.pending.put(change)

    def close(self, finish: bool = True) -> None:
        """Stop once the insights still waiting are made, or (``finish=False``, on Ctrl-C)
        once the query under way ends. Either way the thread is joined: a daemon thread
        still inside DuckDB when the interpreter exits aborts the process."""
        if not finish:
            self.dropping.set()
        self.pending.put(None)
        self.thread.join()

    def _work(self) -> None:
        ready = 0.0  # time.monotonic() from which the next query may start
        while True:
            taken = [self.pending.get()]
            time.sleep(max(0.0, ready - time.monotonic()))
            while not self.pending.empty():  # what arrived meanwhile shares the query
                taken.append(self.pending.get_nowait())
            asked = self.maker.asked(c for c in taken if c is not None)
            for at in range(0, len(asked), TRIGGERS_PER_QUERY):
                time.sleep(max(0.0, ready - time.monotonic()))
                if self.dropping.is_set():
                    return
                part = asked[at : at + TRIGGERS_PER_QUERY]
                with self.guard:
                    began = time.monotonic()
                    read = self.maker.read(part)
                    ended = time.monotonic()
                ready = max(began + QUERY_EVERY_SECONDS, ended + (ended - began))
                for insight in self.maker.insights(part, read):
                    self.emit(insight)
            if None in taken or self.dropping.is_set():
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
