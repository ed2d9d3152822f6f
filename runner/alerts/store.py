"""``TriggerStore``: a micro-batch of Kafka messages made durable in one short transaction.

Each message becomes a row of ``alerts.notices`` (or ``alerts.quarantine``,
with the reason), keyed by its topic, partition and offset, and each position
notice updates its observatory's ``triggers`` table: a new trigger is inserted,
a better position (a smaller error radius) refines the row, a worse one is
kept out, a retraction deletes it. All of a batch commits together, and the
listener commits the batch's Kafka offsets only after that: a crash between
the two replays the batch, whose offsets are then found in the tables and
skipped, so nothing is lost and nothing doubles.

The local VAST DB admits one writer: the store holds the writers' lock and the
file for the transaction only (``hold_seconds``; docs/alerts.md gives the
bound), so analysts' queries go on between batches.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlglot import exp

from runner.alerts.model import Notice, Rejected
from runner.alerts.notices import parse_notice, to_trigger_row
from runner.catalog import Catalog, kind_expression
from vastobs.backends.filelock import exclusive, open_duckdb
from vastobs.ddl import TableDef, load_table
from vastobs.errors import EngineError
from vastobs.sky import healpix14

SCHEMA = "alerts"  # where notices and quarantined messages are kept (infra/alerts.py)
# A first notice without a signal-to-noise ratio (a refined position) is a trigger its
# instrument issued: significance 1, as the loader gives the GRB table's bursts.
NO_SNR_SIGNIFICANCE = 1.0


@dataclass(frozen=True)
class Received:
    """One Kafka message, as the consumer gave it."""

    topic: str
    partition: int
    offset: int
    value: bytes | None
    # The message's Kafka timestamp (the producer's, or the broker's if the topic says so),
    # in ms since the epoch; None when the broker gives none.
    timestamp_ms: int | None = None

    @property
    def key(self) -> tuple[str, int, int]:
        return self.topic, self.partition, self.offset


@dataclass(frozen=True)
class Change:
    """What a notice did to its trigger: ``new``, ``refined``, ``kept`` or ``retracted``."""

    outcome: str
    notice: Notice
    received: Received


@dataclass(frozen=True)
class BatchResult:
    changes: tuple[Change, ...]
    quarantined: int
    replayed: int  # messages whose offsets were already in the tables
    hold_seconds: float


def _payload(value: bytes | None) -> str:
    return (value or b"").decode("utf-8", "backslashreplace")


def _writable_columns(table: TableDef, kind_row: dict[str, Any]) -> dict[str, Any]:
    """A ``triggers`` kind row in the table's own column names: an ``as_kind`` mapping that
    is a bare column (Swift's ``trigger_name: grb_name``) is written to that column."""
    mapped = dict(table.as_kind)
    out = {}
    for name, value in kind_row.items():
        if name in mapped:
            target = kind_expression(mapped[name])
            if not isinstance(target, exp.Column):
                raise EngineError(
                    "listener", f"{table.logical_name} reads {name} as {mapped[name]}: not writable"
                )
            name = target.name
        out[name] = value
    return out


class TriggerStore:
    def __init__(self, database: Path, catalog: Catalog, lock_timeout: float = 30.0) -> None:
        self.database, self.catalog, self.lock_timeout = database, catalog, lock_timeout
        # Held while a batch is written; readers in this process (the insights) take it
        # too: DuckDB refuses a read-only connection beside a writing one in one process.
        self.guard = threading.Lock()
        healpix14(0.0, 0.0)  # loads the HEALPix library now, not inside the first batch's hold

    def write(self, messages: Iterable[Received]) -> BatchResult:
        batch = list(messages)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        with self.guard, exclusive(self.database, self.lock_timeout):
            began = time.perf_counter()
            with closing(open_duckdb(self.database, timeout=self.lock_timeout)) as con:
                con.execute("BEGIN TRANSACTION")
                try:
                    result = self._apply(con, batch, now)
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
            held = time.perf_counter() - began
        return BatchResult(result[0], result[1], result[2], held)

    def _apply(
        self, con: duckdb.DuckDBPyConnection, batch: list[Received], now: dt.datetime
    ) -> tuple[tuple[Change, ...], int, int]:
        seen = self._recorded(con, batch)
        fresh, replayed = [], 0
        for message in batch:
            if message.key in seen:
                replayed += 1
                continue
            seen.add(message.key)
            fresh.append((message, parse_notice(message.topic, message.value)))
        wanted: dict[str, set[int]] = {}  # observatory -> trigger ids the batch names
        for _, parsed in fresh:
            if isinstance(parsed, Notice) and self.catalog.table_of(parsed.observatory, "triggers"):
                wanted.setdefault(parsed.observatory, set()).add(parsed.trigger_id)
        rows = {  # this batch's view of the triggers it names
            (observatory, trigger_id): row
            for observatory, ids in wanted.items()
            for trigger_id, row in self._current(con, observatory, ids).items()
        }
        notices: list[dict[str, Any]] = []
        quarantine: list[dict[str, Any]] = []
        changes: list[Change] = []
        touched: dict[str, set[int]] = {}
        for message, parsed in fresh:
            where = {"topic": message.topic, "kafka_partition": message.partition,
                     "kafka_offset": message.offset, "received_at": now}  # fmt: skip
            payload = _payload(message.value)
            table = None
            if isinstance(parsed, Notice):
                table = self.catalog.table_of(parsed.observatory, "triggers")
            if isinstance(parsed, Rejected) or table is None:
                reason = parsed.reason if isinstance(parsed, Rejected) else self._no_table(parsed)
                quarantine.append({**where, "reason": reason, "payload": payload})
                continue
            key = (parsed.observatory, parsed.trigger_id)
            outcome, rows[key] = self._outcome(parsed, rows.get(key), table)
            if outcome != "kept":
                touched.setdefault(parsed.observatory, set()).add(parsed.trigger_id)
            notices.append({
                **where, "observatory": parsed.observatory, "trigger_id": parsed.trigger_id,
                "notice_kind": parsed.kind, "notice_time": parsed.notice_time, "ra": parsed.ra,
                "dec": parsed.dec, "err_radius_arcsec": parsed.err_radius_arcsec,
                "outcome": outcome, "payload": payload,
            })  # fmt: skip
            changes.append(Change(outcome, parsed, message))
        for observatory, ids in touched.items():
            self._replace(con, observatory, [(i, rows.get((observatory, i))) for i in ids])
        self._insert(con, "notices", notices)
        self._insert(con, "quarantine", quarantine)
        return tuple(changes), len(quarantine), replayed

    def _insert(
        self, con: duckdb.DuckDBPyConnection, name: str, rows: list[dict[str, Any]]
    ) -> None:
        """Rows into one of the alerts tables, in one statement (as Arrow, typed by its DDL)."""
        if rows:
            table = load_table(self.catalog.project_dir, SCHEMA, name)
            _insert_arrow(con, f'"{SCHEMA}"."{name}"', table, rows)

    def _no_table(self, notice: Notice) -> str:
        having = ", ".join(self.catalog.observatories("triggers")) or "none"
        return (
            f"observatory {notice.observatory} has no triggers table in this stack"
            f" (observatories with one: {having})"
        )

    def _recorded(
        self, con: duckdb.DuckDBPyConnection, batch: list[Received]
    ) -> set[tuple[str, int, int]]:
        """Which of the batch's messages an earlier run already wrote (a replay)."""
        if not batch:
            return set()
        topics = sorted({m.topic for m in batch})
        lowest = min(m.offset for m in batch)
        seen: set[tuple[str, int, int]] = set()
        for table in ("notices", "quarantine"):
            found = con.execute(
                f"SELECT topic, kafka_partition, kafka_offset FROM {SCHEMA}.{table}"
                f" WHERE topic IN ({', '.join('?' * len(topics))}) AND kafka_offset >= ?",
                [*topics, lowest],
            ).fetchall()
            seen |= {(t, int(p), int(o)) for t, p, o in found}
        return seen

    def _current(
        self, con: duckdb.DuckDBPyConnection, observatory: str, ids: set[int]
    ) -> dict[int, dict[str, Any]]:
        """The rows the observatory's triggers table holds for ``ids``, in one query."""
        table = self.catalog.table_of(observatory, "triggers")
        assert table is not None
        wanted = pa.table({"trigger_id": pa.array(sorted(ids), pa.int64())})  # noqa: F841
        found = con.sql(
            f'SELECT t.* FROM "{table.observatory}"."{table.name}" AS t'
            " JOIN wanted AS w ON w.trigger_id = t.trigger_id"
        ).to_arrow_table()
        return {row["trigger_id"]: row for row in found.to_pylist()}

    def _outcome(
        self, notice: Notice, row: dict[str, Any] | None, table: TableDef
    ) -> tuple[str, dict[str, Any] | None]:
        """What the notice does to the trigger's row, and the row after it."""
        if notice.kind == "retraction":
            return "retracted", None
        kind_row = to_trigger_row(notice)
        if kind_row["significance"] is None:  # no SNR given: counted as real (docs/alerts.md)
            kind_row["significance"] = NO_SNR_SIGNIFICANCE
        fresh = _writable_columns(table, kind_row)
        if row is None:
            return "new", {c.name: fresh.get(c.name) for c in table.columns}
        if notice.err_radius_arcsec is not None and (
            row["err_radius_arcsec"] is None or notice.err_radius_arcsec < row["err_radius_arcsec"]
        ):
            better = {k: fresh[k] for k in ("ra", "dec", "err_radius_arcsec", "hpx")}
            return "refined", {**row, **better}
        return "kept", row

    def _replace(
        self,
        con: duckdb.DuckDBPyConnection,
        observatory: str,
        rows: list[tuple[int, dict[str, Any] | None]],
    ) -> None:
        """The triggers' rows replaced in one DELETE and one INSERT (a retraction: none)."""
        table = self.catalog.table_of(observatory, "triggers")
        assert table is not None
        name = f'"{table.observatory}"."{table.name}"'
        gone = pa.table({"trigger_id": pa.array([i for i, _ in rows], pa.int64())})  # noqa: F841
        con.execute(f"DELETE FROM {name} WHERE trigger_id IN (SELECT trigger_id FROM gone)")
        _insert_arrow(con, name, table, [row for _, row in rows if row is not None])


def _insert_arrow(
    con: duckdb.DuckDBPyConnection, name: str, table: TableDef, rows: list[dict[str, Any]]
) -> None:
    if not rows:
        return
    columns = [c.name for c in table.columns]
    incoming = pa.Table.from_pylist(  # noqa: F841 (read by DuckDB)
        [{c: row.get(c) for c in columns} for row in rows], schema=table.arrow_schema()
    )
    quoted = ", ".join(f'"{c}"' for c in columns)
    con.execute(f"INSERT INTO {name} ({quoted}) SELECT {quoted} FROM incoming")
