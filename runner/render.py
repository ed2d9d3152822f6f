"""Everything the CLI shows or writes: results in four formats, the analytics
and one query's card, the monitor's table and alert lines, and the summaries
of a load and of generated demo data.

Commands compute with the library and hand the outcome here; nothing in this
module queries, loads or loops (``runner/watch.py`` holds the monitor's loop).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vastobs.errors import ParameterError
from vastobs.units import format_size

# Each printer imports what it draws with (rich, pyarrow's writers, the monitor's types)
# when called, so a command pays only for its own output: `run --format csv` never loads
# rich, nor the monitor (3-4 ms of dataclasses), nor Arrow for a few hundred rows.
if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from runner.alerts.insight import Insight
    from runner.alerts.store import Change
    from runner.datagen import Summary as DemoSummary
    from runner.loader import LoadSummary
    from runner.monitor import Status, StreamStatus
    from runner.query import Query
    from runner.result import Result
    from runner.rows import Rows

FORMATS = ("table", "csv", "json", "parquet")
LEVEL_STYLE = {  # by runner.monitor.Level's names
    "OK": "green",
    "WARN": "yellow",
    "CRITICAL": "red",
    "UNKNOWN": "magenta",
}


def console() -> Console:
    from rich.console import Console

    # Piped output (logs, CI) is not wrapped at 80 columns.
    return Console(width=None if sys.stdout.isatty() else 200)


# --- query results ---------------------------------------------------------------------------


def write_result(result: Result, fmt: str, output: Path | None) -> None:
    """To ``output``, else stdout; Parquet carries the provenance in its schema metadata."""
    provenance = result.provenance.as_dict()
    if fmt == "parquet":
        import pyarrow.parquet as pq

        if output is None:
            raise ParameterError("--format parquet needs --output FILE")
        meta = {b"vastobs.provenance": json.dumps(provenance).encode()}
        pq.write_table(result.table.replace_schema_metadata(meta), output)
        return
    text = result_text(result, fmt)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def result_text(result: Result, fmt: str) -> str:
    """A result as ``table`` (rich, 50 rows), ``csv`` or ``json``, with its provenance."""
    provenance = result.provenance.as_dict()
    rows = result.rows
    if fmt == "json":
        records = rows.dicts()
        return json.dumps({"provenance": provenance, "rows": records}, default=str, indent=2) + "\n"
    if fmt == "csv":
        return f"# provenance: {json.dumps(provenance)}\n" + rows.csv()
    out = console()
    with out.capture() as captured:
        out.print(_rich_table(rows, result.provenance.query))
        p = result.provenance
        out.print(
            f"[dim]{p.query} v{p.version} sha256:{p.sha256[:12]} on {p.engine}, "
            f"{rows.num_rows} rows in {p.elapsed_seconds * 1000:.1f} ms, "
            f"params {provenance['params']}[/dim]"
        )
    return captured.get()


def _rich_table(rows: Rows, title: str, limit: int = 50) -> Table:
    from rich.table import Table

    shown = Table(title=title)
    for name in rows.names:
        shown.add_column(name, no_wrap=True)
    for row in rows.records(limit):
        shown.add_row(*(_cell(v) for v in row))
    if rows.num_rows > limit:
        shown.caption = (
            f"first {limit} of {rows.num_rows} rows (use --format csv|json|parquet for all)"
        )
    return shown


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)


# --- queries ---------------------------------------------------------------------------------


def print_analytics(queries: list[Query]) -> None:
    from rich.table import Table

    table = Table("name", "version", "description", title="analytics")
    for q in queries:
        table.add_row(q.name, str(q.version), " ".join(q.description.split()))
    console().print(table)


def print_query(q: Query) -> None:
    """Header, parameters (derived ones too), SQL."""
    from rich.table import Table

    out = console()
    out.print(f"[bold]{q.name}[/bold] v{q.version} ({q.path}) owner {q.owner or '-'}")
    out.print(" ".join(q.description.split()))
    params = Table("parameter", "type", "default", "description")
    for p in q.params.values():
        default = q.stack_defaults.get(p.name, p.default)
        params.add_row(p.name, p.type, str(default), p.description)
    for name, (function, fargs) in q.derived.items():
        params.add_row(
            name, "derived", f"{function}({', '.join(fargs)})", "computed before binding"
        )
    out.print(params)
    out.print(q.sql, markup=False, highlight=False)


# --- storage status --------------------------------------------------------------------------


def status_table(status: Status) -> Table:
    from rich.table import Table

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
        style = LEVEL_STYLE[p.level.name]
        table.add_row(
            p.name, p.path, "yes" if p.view_exists else "MISSING",
            "-" if p.hard_limit is None else format_size(p.hard_limit),
            "-" if not p.soft_limit else format_size(p.soft_limit),
            p.used_human, "-" if p.used_bytes is None else f"{p.used_bytes:,}",
            "-" if p.percent_used is None else f"{p.percent_used:.1f}",
            p.state, p.time_to_block or "-",
            f"[{style}]{p.level.name}[/{style}]",
        )  # fmt: skip
    if status.capacity and status.capacity.total_bytes:
        cap = status.capacity
        used = f"{format_size(cap.used_bytes)} used of " if cap.used_bytes is not None else ""
        table.caption = f"capacity: {used}{format_size(cap.total_bytes)} ({cap.source})"
    return table


def stream_table(stream: StreamStatus, taken_at: dt.datetime) -> Table:
    """Per topic: the listener group's lag and the age of the newest message published."""
    from rich.table import Table

    from runner.monitor import format_age

    table = Table(
        title=f"alert stream on {stream.brokers}, group {stream.group}, at {taken_at:%H:%M:%S} UTC"
    )
    for column in (
        "topic",
        "partitions",
        "end offset",
        "lag",
        "newest message (UTC)",
        "age",
        "level",
    ):
        table.add_column(column, no_wrap=True)
    for t in stream.topics:
        style = LEVEL_STYLE[t.level.name]
        committed = all(p["committed"] is not None for p in t.partitions)
        table.add_row(
            t.topic, str(len(t.partitions)) if t.partitions else "-",
            f"{sum(p['high'] for p in t.partitions):,}" if t.partitions else "-",
            "-" if t.lag is None else f"{t.lag:,}" + ("" if committed else " (never committed)"),
            "-" if t.newest_message_at is None else f"{t.newest_message_at:%Y-%m-%d %H:%M:%S}",
            "-" if t.age_seconds is None else format_age(t.age_seconds),
            f"[{style}]{t.level.name}[/{style}]",
        )  # fmt: skip
    table.caption = "age: now minus the newest message's Kafka timestamp (when it was published)"
    return table


def alert_lines(status: Status) -> list[str]:
    from runner.monitor import Level

    lines = (
        [f"UNKNOWN: storage status could not be read: {status.error}"]
        if status.error
        else [
            f"{p.level.name}: {p.name} {p.path}: {'; '.join(p.reasons)}"
            for p in status.paths
            if p.level != Level.OK
        ]
    )
    stream = status.stream
    if stream is not None and stream.error:
        lines.append(f"UNKNOWN: alert stream: {stream.error}")
    elif stream is not None:
        lines += [
            f"{t.level.name}: alert stream {t.topic}: {'; '.join(t.reasons)}"
            for t in stream.topics
            if t.level != Level.OK
        ]
    return lines


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
    return lines + _stream_changes(before.stream, after.stream)


def _stream_changes(before: StreamStatus | None, after: StreamStatus | None) -> list[str]:
    """A topic's level moving, or the broker becoming (un)readable; lag itself moves all
    the time and is told only through its level."""
    if after is None:
        return []
    if after.error:
        return [] if before is not None and before.error else ["alert stream: unreadable"]
    lines = ["alert stream: readable again"] if before is not None and before.error else []
    old = {t.topic: t for t in before.topics} if before is not None else {}
    for t in after.topics:
        q = old.get(t.topic)
        if q is not None and q.level != t.level:
            lag = "" if t.lag is None else f" (lag {t.lag:,})"
            lines.append(f"alert stream {t.topic}: {q.level.name} -> {t.level.name}{lag}")
    return lines


# --- loads and generated data ----------------------------------------------------------------


def rows(n: int) -> str:
    return f"{n:,} row" if n == 1 else f"{n:,} rows"


def print_load(summary: LoadSummary) -> None:
    from rich.table import Table

    table = Table(title=f"{summary.table} into {summary.sink}")
    for column in ("file", "read", "loaded", "already present", "rejected", "quarantine"):
        table.add_column(column, no_wrap=True)
    for f in summary.files:
        table.add_row(
            f.path.name, str(f.read), str(f.loaded), str(f.already_present), str(f.rejected),
            str(f.quarantine or ""),
        )  # fmt: skip
    console().print(table)
    if summary.matches is not None:
        print(f"sky.matches: {rows(summary.matches)}, kept for cross_observatory_objects")
    if summary.matches_failed is not None:
        print(
            f"sky.matches not refilled ({summary.matches_failed}): cross_observatory_objects "
            "computes from the points until `python -m runner index rebuild` succeeds",
            file=sys.stderr,
        )


def print_demo_data(summary: DemoSummary) -> None:
    from rich.table import Table

    table = Table(title=f"demo data in {summary.out} ({summary.seconds:.1f} s)")
    for column in ("table", "rows", "file"):
        table.add_column(column, no_wrap=True)
    for name, rows in summary.rows.items():
        table.add_row(name, str(rows), str(summary.files[name]))
    console().print(table)
    print(
        f"{summary.answers}: {summary.bursts} bursts, {summary.planted_followups} planted "
        f"Chandra follow-ups, {summary.cross_objects} objects seen by both observatories"
    )


# --- the alert stream ------------------------------------------------------------------------


def _change_record(change: Change) -> dict[str, Any]:
    n = change.notice
    return {
        "outcome": change.outcome,
        "observatory": n.observatory,
        "trigger_id": n.trigger_id,
        "trigger_name": n.trigger_name,
        "trigger_time": n.trigger_time.isoformat() if n.trigger_time else None,
        "ra": n.ra,
        "dec": n.dec,
        "err_radius_arcsec": n.err_radius_arcsec,
        "topic": change.received.topic,
        "offset": change.received.offset,
    }


def print_change(change: Change) -> None:
    """One line per notice applied: what it did to which trigger, and where."""
    r = _change_record(change)
    where = (
        f" at RA {r['ra']:.4f}, Dec {r['dec']:+.4f} +- {r['err_radius_arcsec']:.1f} arcsec"
        if r["ra"] is not None
        else ""
    )
    console().print(
        f"[bold]{r['outcome']}[/bold] {r['observatory']} {r['trigger_name']} "
        f"({r['trigger_id']}){where}",
        highlight=False,
    )


def print_change_json(change: Change) -> None:
    print(json.dumps(_change_record(change)), flush=True)


def print_insight(insight: Insight) -> None:
    """What the region held before the trigger, and what is pointed there since."""
    out = console()
    after = insight.after_notice_seconds
    out.print(
        f"[bold]insight[/bold] {insight.observatory} {insight.trigger_name} "
        f"({insight.trigger_id}), {insight.outcome}"
        + (f", {after:.2f} s after its notice" if after is not None else ""),
        highlight=False,
    )
    seen = insight.seen_before
    where = f"within {insight.searched_arcsec:.0f} arcsec"
    if not seen:
        out.print(f"  seen before {where}: nothing", highlight=False)
    for s in seen:
        out.print(
            f"  seen before {where}: {s.observatory} {s.instrument} {s.band}: {s.points} points,"
            f" {s.first_utc[:10]} to {s.last_utc[:10]}, rate mean {s.mean_rate:.3g}"
            f" max {s.max_rate:.3g} counts/s",
            highlight=False,
        )
    if not insight.pointings:
        out.print("  follow-up: none pointed or scheduled there yet", highlight=False)
    for p in insight.pointings[:5]:
        start = p["start_time"] if p["start_time"] != "None" else "scheduled"
        out.print(
            f"  follow-up: {p['observatory']} {p['observation_id']} ({p['instrument']},"
            f" {p['status']}) {start}",
            highlight=False,
        )
    more = len(insight.pointings) - 5
    if more > 0:
        out.print(f"  follow-up: and {more} more", highlight=False)


def print_insight_json(insight: Insight) -> None:
    print(insight.as_json(), flush=True)
