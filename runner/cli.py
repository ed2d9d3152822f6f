"""``python -m runner``: thin commands over the library; the one place errors are caught.

Each command parses, calls the library (``runner.analytics``, ``runner.connect``,
the loader, the monitor, the generator) and hands the outcome to ``runner.render``.
Commands import the heavy stacks they alone need (matplotlib for ``plot``, the
generator and its astropy for ``demo-data``) when they run, so every other
command starts without them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from runner.connect import ENGINES, SINKS
from runner.render import FORMATS
from vastobs.config import find_project_dir, load_stack, resolve_stack
from vastobs.errors import ParameterError, TableMissing, VastobsError

# Each command imports the library it calls when it runs, so that it loads only what it
# uses: `list` and `show` read headers (no sqlglot, DuckDB or numpy), `run` never loads
# the loader, rich or the Trino client for DuckDB (tests/test_cli_imports.py).
if TYPE_CHECKING:
    from vastobs.config import StackConfig


def main(argv: list[str] | None = None) -> int:
    return _dispatch(_parser().parse_args(argv))


def command_line() -> NoReturn:
    """``python -m runner``: :func:`main`, then, after a command that only reads, prints
    and writes files it has closed, the process ends at once.

    Python's own exit frees every module and runs pyarrow's, numpy's and DuckDB's exit
    handlers: about 40 ms, a tenth of a selective run (issue 20), for nothing such a
    command leaves behind; the databases it read are kept open until then, not freed
    (vastobs/backends/filelock.py ``hold_readers_until_exit``). Output is flushed first;
    a flush that fails (a closed pipe) and a command that left a thread running take
    Python's usual exit instead.
    """
    args = _parser().parse_args()
    if args.command not in _ENDS_AT_ONCE:
        raise SystemExit(_dispatch(args))
    from vastobs.backends.filelock import hold_readers_until_exit

    hold_readers_until_exit()  # no database freed before the end (35 ms at 10^8 rows)
    _exit_now(_dispatch(args))


def _exit_now(code: int) -> NoReturn:
    import threading

    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        raise SystemExit(code) from None  # Python's exit reports it, as it always has
    if threading.active_count() > 1:
        raise SystemExit(code)  # Python's exit waits for it
    os._exit(code)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        return int(args.command(args) or 0)
    except VastobsError as exc:
        if args.debug:
            import traceback

            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m runner", description=__doc__)
    parser.add_argument("--stack", help="stack name (default: $PULUMI_STACK, else 'local')")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    sub.add_parser("list", help="the analytics and what they answer").set_defaults(command=_list)
    sub.add_parser(
        "tables", help="the tables a load fills, one per line: <observatory>.<table> TAB <kind>"
    ).set_defaults(command=_tables)

    show = sub.add_parser("show", help="one query: header, parameters, SQL, lock status")
    show.add_argument("query")
    show.set_defaults(command=_show)

    lint_cmd = sub.add_parser("lint", help="check query files (path:line:col CODE message)")
    lint_cmd.add_argument("paths", nargs="*", type=Path)
    lint_cmd.set_defaults(command=_lint)

    sub.add_parser("lock", help="rewrite queries/analytics.lock").set_defaults(command=_lock)

    run = sub.add_parser("run", help="run a query file, or --all analytics with their defaults")
    run.add_argument("query", nargs="?", help="a query name or a .sql path")
    run.add_argument("--all", action="store_true", help="every analytic with its defaults")
    _engine_options(run)
    run.add_argument("--format", default="table", choices=FORMATS)
    run.add_argument("--output", type=Path, help="write here instead of stdout")
    run.set_defaults(command=_run)

    explain = sub.add_parser("explain", help="the engine's plan for a query")
    explain.add_argument("query")
    _engine_options(explain)
    explain.set_defaults(command=_explain)

    plot = sub.add_parser("plot", help="plots; `plot light-curve` for now")
    plot.add_argument("kind", choices=("light-curve",))
    where = plot.add_mutually_exclusive_group(required=True)
    where.add_argument("--target", help="a target name, any spelling (resolved to a position)")
    where.add_argument("--ra", type=float, help="RA (ICRS degrees); with --dec")
    plot.add_argument("--dec", type=float)
    plot.add_argument("--radius-arcsec", type=float, default=10.0)
    plot.add_argument("--start", help="from (UTC, ISO 8601)")
    plot.add_argument("--end", help="until (UTC, ISO 8601)")
    plot.add_argument("--flux", action="store_true", help="plot energy flux instead of rate")
    plot.add_argument("--engine", default="duckdb", choices=tuple(ENGINES))
    plot.add_argument("--output", type=Path, default=Path("light_curve.png"))
    plot.set_defaults(command=_plot)

    mon = sub.add_parser(
        "monitor", help="storage, quotas and the alert stream's lag and age (exit 0/1/2/3)"
    )
    mon.add_argument("--json", action="store_true", help="machine-readable status")
    mon.add_argument("--continuous", action="store_true", help="check again every --interval")
    mon.add_argument("--interval", type=float, default=300.0, help="seconds between checks")
    mon.add_argument("--count", type=int, help="stop after this many checks")
    mon.add_argument("--no-bursts", action="store_true", help="skip the bursts awaiting follow-up")
    mon.set_defaults(command=_monitor)

    listen = sub.add_parser(
        "listen", help="GCN notices from the stack's Kafka topics into its trigger tables"
    )
    listen.add_argument("--max-messages", type=int, help="stop after this many messages")
    listen.add_argument("--idle-seconds", type=float, help="stop after this long without one")
    listen.add_argument("--json", action="store_true", help="one JSON line per trigger change")
    listen.add_argument(
        "--no-insights", action="store_true", help="only write rows: no insight per trigger"
    )
    listen.add_argument(
        "--on-insight", metavar="COMMAND", help="run COMMAND with each insight as JSON on stdin"
    )
    listen.set_defaults(command=_listen)

    load_cmd = sub.add_parser("load", help="load observation files into a table")
    load_cmd.add_argument("table", help="<observatory>.<table>, e.g. swift.bursts")
    load_cmd.add_argument("files", nargs="+", type=Path, metavar="FILE")
    load_cmd.add_argument(
        "--into", default="duckdb", choices=tuple(SINKS), help="where the rows go"
    )
    load_cmd.add_argument("--quarantine", type=Path, help="default .vastobs/quarantine")
    load_cmd.set_defaults(command=_load)

    index_cmd = sub.add_parser(
        "index", help="the sky index (database.sky_index): `index rebuild` refills it"
    )
    index_cmd.add_argument("action", choices=("rebuild",))
    index_cmd.add_argument(
        "--into", default="duckdb", choices=tuple(SINKS), help="the storage that holds it"
    )
    index_cmd.add_argument(
        "--if-kept", action="store_true", help="do nothing where the stack keeps no index (scripts)"
    )
    index_cmd.set_defaults(command=_index)

    demo = sub.add_parser(
        "demo-data",
        help="a realistic, deterministic dataset: Parquet per table of the stack + answers.json",
    )
    demo.add_argument(
        "--rows", type=int, required=True, help="about the rows of swift.measurements"
    )
    demo.add_argument("--seed", type=int, default=0, help="same seed and options, same bytes")
    demo.add_argument("--out", type=Path, required=True, help="directory for the files")
    demo.add_argument("--burst-rate-multiplier", type=float, default=1.0, help="x 97 bursts/yr")
    demo.add_argument(
        "--followup-fraction", type=float, default=0.05, help="bursts Chandra follows up"
    )
    demo.set_defaults(command=_demo_data)

    replay = sub.add_parser(
        "replay", help="the demo data's bursts as GCN notices to the stack's broker (make alerts)"
    )
    replay.add_argument("--rate", type=float, default=2.0, help="notices per second (default 2)")
    replay.add_argument("--count", type=int, help="the first N bursts, oldest first (default all)")
    replay.add_argument(
        "--from",
        dest="source",
        type=Path,
        help="a demo-data directory (default .vastobs/demo-data/<stack>) or a Parquet file",
    )
    replay.add_argument("--updates", action="store_true", help="a refined notice after each one")
    replay.add_argument("--brokers", help="bootstrap servers (default: the stack's alerts.brokers)")
    replay.set_defaults(command=_replay)
    return parser


def _engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", default="duckdb", choices=tuple(ENGINES))
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")


def _stack(args: argparse.Namespace) -> StackConfig:
    return load_stack(resolve_stack(args.stack), find_project_dir())


def _list(args: argparse.Namespace) -> int:
    from runner.analytics import analytics
    from runner.render import print_analytics

    print_analytics(analytics(find_project_dir()))
    return 0


def _listen(args: argparse.Namespace) -> int:
    import faulthandler
    import signal

    from confluent_kafka import Consumer  # librdkafka: only this command consumes

    from runner.alerts.consumer import consumer_config
    from runner.alerts.insight import Insight, InsightMaker, InsightWorker, run_command
    from runner.alerts.listener import Listener
    from runner.alerts.store import Change, TriggerStore
    from runner.catalog import Catalog
    from runner.connect import database_file
    from runner.engines import DuckDBEngine
    from runner.render import print_change, print_change_json, print_insight, print_insight_json

    # A long-running process: `kill -USR1` prints where each of its threads is, on stderr.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    stack = _stack(args)
    if not stack.alerts.topics:
        raise ParameterError("vastobs:alerts.topics is empty in the stack: no topic to listen to")
    if stack.backend != "local":
        raise ParameterError("listen writes to the local VAST DB only (backend: local) for now")
    catalog = Catalog.for_stack(stack)
    store = TriggerStore(database_file(stack), catalog)

    def emit(insight: Insight) -> None:
        (print_insight_json if args.json else print_insight)(insight)
        problem = run_command(args.on_insight, insight) if args.on_insight else None
        if problem:
            print(problem, file=sys.stderr)

    worker = None
    if not args.no_insights:
        engine = DuckDBEngine.for_file(database_file(stack), catalog)
        maker = InsightMaker(engine, stack.project_dir)
        maker.warm()  # before the first notice, not on its time
        worker = InsightWorker(maker, emit, store.guard)

    def show(change: Change) -> None:
        (print_change_json if args.json else print_change)(change)
        if worker is not None:
            worker.submit(change)

    consumer = Consumer(consumer_config(stack.alerts, stack.project_dir))
    topics = ", ".join(stack.alerts.topics)

    def assigned() -> None:
        print(f"listening to {topics} (group {stack.alerts.group})", file=sys.stderr, flush=True)

    listener = Listener(consumer, store, stack.alerts, show, assigned)
    summary = None
    try:
        summary = listener.run(args.max_messages, args.idle_seconds)
    except KeyboardInterrupt:
        pass  # Ctrl-C: the consumer is closed, the rows written are committed
    finally:
        if worker is not None:
            worker.close(finish=summary is not None)
    if summary is None:
        return 0
    print(
        f"{summary.messages} messages in {summary.batches} batches: {summary.outcomes}, "
        f"{summary.quarantined} quarantined, {summary.replayed} replayed; the longest batch held "
        f"the database {summary.longest_hold_seconds * 1000:.0f} ms",
        file=sys.stderr,
    )
    return 0


def _tables(args: argparse.Namespace) -> int:
    from runner.catalog import Catalog

    for table in Catalog.for_stack(_stack(args)).tables.values():
        print(f"{table.logical_name}\t{table.kind}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from runner.analytics import resolve_query
    from runner.render import print_query

    print_query(resolve_query(args.query, find_project_dir()))
    return 0


def _lint(args: argparse.Namespace) -> int:
    from runner.catalog import Catalog
    from runner.lint import lint
    from vastobs.compile_cache import CompileCache

    stack = _stack(args)  # its observatories are the ones kinds expand to
    project_dir = stack.project_dir
    catalog = Catalog.for_stack(stack)
    cache = CompileCache.for_project(project_dir, catalog.fingerprint)  # unchanged files: no parse
    findings = lint(args.paths or [project_dir / "queries"], project_dir, catalog, cache)
    for finding in findings:
        print(finding)
    print(f"{len(findings)} finding(s)", file=sys.stderr)
    return 1 if findings else 0


def _lock(args: argparse.Namespace) -> int:
    from runner.lint import write_lock

    entries = write_lock(find_project_dir())
    for name, entry in entries.items():
        print(f"{name} v{entry['version']} {str(entry['sha256'])[:12]}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from runner.analytics import analytics, prepare, with_stack_defaults
    from runner.connect import engine_for
    from runner.render import write_result

    if args.all == bool(args.query):
        raise ParameterError("run takes a query name or --all, not both or neither")
    if args.format == "parquet" and args.output is None:
        raise ParameterError("--format parquet needs --output FILE")
    stack = _stack(args)
    engine = engine_for(args.engine, stack)
    arrow = args.format == "parquet"  # text needs no Arrow (runner/rows.py)
    if args.all:
        for query in analytics(stack.project_dir):
            result = engine.run(query, with_stack_defaults(query, stack, {}), arrow=arrow)
            write_result(result, args.format, _numbered(args.output, query.name))
        return 0
    query, params = prepare(args.query, stack, args.param)
    write_result(engine.run(query, params, arrow=arrow), args.format, args.output)
    return 0


def _numbered(output: Path | None, name: str) -> Path | None:
    """With --all, --output names a directory: one file per analytic."""
    if output is None:
        return None
    output.mkdir(parents=True, exist_ok=True)
    return output / name


def _explain(args: argparse.Namespace) -> int:
    from runner.analytics import prepare
    from runner.connect import engine_for

    stack = _stack(args)
    query, params = prepare(args.query, stack, args.param)
    print(engine_for(args.engine, stack).explain(query, params))
    return 0


def _plot(args: argparse.Namespace) -> int:
    from runner.analytics import ANALYTICS_DIR
    from runner.connect import engine_for
    from runner.plot import (  # matplotlib
        light_curve_figure,
        observatory_order,
        panels_of,
        resolve_target,
        save,
        series_of,
    )
    from runner.query import Query

    if args.ra is not None and args.dec is None:
        raise ParameterError("--ra needs --dec")
    stack = _stack(args)
    engine = engine_for(args.engine, stack)
    analytics_dir = stack.project_dir / ANALYTICS_DIR
    if args.target:
        ra, dec = resolve_target(engine, analytics_dir, args.target)
        title = f"{args.target} (RA {ra:.4f}, Dec {dec:.4f})"
    else:
        ra, dec, title = args.ra, args.dec, f"RA {args.ra:.4f}, Dec {args.dec:.4f}"
    params: dict[str, Any] = {"ra": ra, "dec": dec, "radius_arcsec": args.radius_arcsec}
    params.update({k: v for k, v in (("start_time", args.start), ("end_time", args.end)) if v})
    query = Query.load(analytics_dir / "multi_wavelength_light_curve.sql")
    series = series_of(engine.run(query, params), args.flux)
    order = observatory_order(engine, query, params)
    save(light_curve_figure(series, title, args.flux, order), args.output)
    panels, empty = panels_of(series, order)
    points = sum(len(s.values) for s in series)
    labels = "; ".join(f"{o}: {', '.join(s.label for s in p)}" for o, p in panels.items())
    drawn = f"{points} points in {len(series)} series on {len(panels)} panels"
    print(f"{args.output}: {drawn} ({labels})")
    if empty:
        what = "flux" if args.flux else "rate"
        print(f"no {what} points in the cone from {', '.join(empty)}: no panel", file=sys.stderr)
    return 0


def _monitor(args: argparse.Namespace) -> int:
    from runner.monitor import Level
    from runner.watch import monitor_continuous, monitor_once

    try:
        stack = _stack(args)
    except VastobsError as exc:  # a check that cannot read its config says UNKNOWN (exit 3)
        print(f"UNKNOWN: {exc}", file=sys.stderr)
        return int(Level.UNKNOWN)
    if args.continuous:
        return int(monitor_continuous(stack, args.interval, args.count, args.json))
    extra = None if args.no_bursts else (lambda: _awaiting_followup(stack))
    return int(monitor_once(stack, args.json, extra).level)


def _awaiting_followup(stack: StackConfig) -> None:
    """The real-time insight beside storage, when the local VAST DB holds data."""
    from runner.analytics import ANALYTICS_DIR, with_stack_defaults
    from runner.connect import database_file, engine_for
    from runner.query import Query
    from runner.render import write_result

    if stack.backend != "local" or not database_file(stack).is_file():
        return
    query = Query.load(stack.project_dir / ANALYTICS_DIR / "bursts_awaiting_followup.sql")
    try:
        params = with_stack_defaults(query, stack, {})
        result = engine_for("duckdb", stack).run(query, params, arrow=False)
    except VastobsError as exc:  # an extra beside the storage check: never its exit code
        print(f"bursts awaiting follow-up: not available ({exc})", file=sys.stderr)
        return
    write_result(result, "table", None)


def _load(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from runner.catalog import Catalog
    from runner.connect import sink_for
    from runner.loader import load
    from runner.loader.index_feed import index_feed
    from runner.render import print_load
    from vastobs.kinds import observatory_table
    from vastobs.local_paths import view_directory

    stack = _stack(args)
    observatory, _, name = args.table.partition(".")
    obs = stack.observatory(observatory)
    entry = next((k for k in obs.kinds if k.table == name), None)
    if entry is None:  # the table is an instance of a kind: its columns need no DDL file
        listed = ", ".join(f"{k.table} ({k.kind})" for k in obs.kinds) or "none"
        raise ParameterError(
            f"table {args.table}: not in observatories.{observatory}.kinds (tables: {listed})"
        )
    table = observatory_table(stack.project_dir, observatory, entry)
    raw_dir = (
        view_directory(stack.local_root, obs.path) / "raw" if stack.backend == "local" else None
    )
    total = sum(p.stat().st_size for p in args.files if p.is_file())
    with Progress(transient=True, disable=total < 50_000_000) as bar:
        task = bar.add_task(f"loading {args.table}", total=None)
        summary = load(
            table,
            list(args.files),
            sink_for(args.into, stack),
            batch_rows=stack.analytics.batch_size,
            quarantine_dir=args.quarantine or stack.project_dir / ".vastobs" / "quarantine",
            raw_dir=raw_dir,
            progress=lambda n: bar.advance(task, n),
            feed=index_feed(Catalog.for_stack(stack), table),
        )
    print_load(summary)
    return 0


def _index(args: argparse.Namespace) -> int:
    """Every point table's rows into ``sky.points``, replacing what it held, then the kept
    matches from them: after turning the index on over loaded tables, or when a load
    finds it out of step."""
    from runner.catalog import Catalog
    from runner.connect import sink_for
    from runner.kept_matches import refresh
    from runner.render import rows

    stack = _stack(args)
    catalog = Catalog.for_stack(stack)
    index = catalog.index.table
    if not catalog.sky_index and args.if_kept:
        return 0
    if not catalog.sky_index:
        raise ParameterError(
            "this stack keeps no sky index: set vastobs:database.sky_index: true, then pulumi up"
        )
    sink = sink_for(args.into, stack)
    if not sink.exists(index):
        raise TableMissing(
            f"table {index.logical_name} does not exist on {sink.name}: run pulumi up "
            "(Pulumi creates tables)"
        )
    points = sink.rebuild(index, catalog.points_in_tables())
    print(f"{index.logical_name}: {points:,} points")
    print(f"{catalog.index.matches.logical_name}: {rows(refresh(sink, catalog))}")
    return 0


def _demo_data(args: argparse.Namespace) -> int:
    """Every table of the stack (``--stack``): the seed's from their own generators, any
    other observatory's from its kinds and instrument profile (docs/data.md)."""
    from rich.progress import Progress

    from runner.datagen import GeneratorConfig, generate  # the generator loads astropy
    from runner.render import print_demo_data

    config = GeneratorConfig(
        rows=args.rows,
        seed=args.seed,
        burst_rate_multiplier=args.burst_rate_multiplier,
        followup_fraction=args.followup_fraction,
    )
    stack = _stack(args)
    with Progress(transient=True, disable=args.rows < 1_000_000) as bar:
        task = bar.add_task("generating sky cells", total=None)
        summary = generate(
            config,
            args.out,
            stack.project_dir,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            observatories=stack.observatories,
        )
    print_demo_data(summary)
    if summary.triggers:
        print(
            f"{len(summary.observatories)} observatories ({', '.join(summary.observatories)}): "
            f"{summary.triggers} triggers with their follow-ups, "
            f"{summary.three_observatory_bursts} bursts followed up by three or more"
        )
    return 0


def _replay(args: argparse.Namespace) -> int:
    """Swift's bursts from a demo-data directory, published as BAT-GUANO notices."""
    from runner.alerts.replay import TOPIC, notices, publish, read_triggers
    from runner.catalog import Catalog

    if not args.rate > 0:
        raise ParameterError(f"--rate {args.rate} must be above 0")
    if args.count is not None and args.count < 1:
        raise ParameterError(f"--count {args.count} must be at least 1")
    source, brokers = args.source, args.brokers
    if source is None or source.is_dir() or brokers is None:
        stack = _stack(args)
        if brokers is None:
            if stack.alerts.gcn_domain:
                raise ParameterError(
                    f"vastobs:alerts.gcn_domain is {stack.alerts.gcn_domain}: replay publishes to "
                    "a plain broker only; give --brokers"
                )
            if TOPIC not in stack.alerts.topics:
                raise ParameterError(
                    f"vastobs:alerts.topics does not name {TOPIC}: the listener would not read "
                    "the replay"
                )
            brokers = stack.alerts.brokers
        if source is None:
            source = stack.project_dir / ".vastobs" / "demo-data" / resolve_stack(args.stack)
        if source.is_dir():
            table = Catalog.for_stack(stack).table_of("swift", "triggers")
            if table is None:
                raise ParameterError("--from: the stack has no swift triggers table to replay")
            source = source / table.observatory / f"{table.name}.parquet"
    rows = read_triggers(source, args.count)
    total = len(rows) * (2 if args.updates else 1)
    print(
        f"replaying {total} notices ({len(rows)} bursts of {source}) to {TOPIC} at {brokers}, "
        f"{args.rate:g}/s; Ctrl-C stops",
        file=sys.stderr,
        flush=True,
    )
    try:
        summary = publish(brokers, notices(rows, args.updates), args.rate)
    except KeyboardInterrupt:
        return 0
    print(
        f"sent {summary.sent} notices in {summary.seconds:.1f} s ({summary.rate:.1f}/s)",
        file=sys.stderr,
    )
    if summary.failed:
        raise ParameterError(f"--brokers {brokers}: {summary.failed} notices were not acknowledged")
    return 0


# Commands that read, print and write only files they close, on the calling thread: their
# process may end without Python's exit (``command_line``).
_ENDS_AT_ONCE = (_list, _tables, _show, _lint, _lock, _run, _explain)
