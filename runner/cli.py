"""``python -m runner``: thin commands over the library; the one place errors are caught."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path
from typing import Any

from rich.progress import Progress
from rich.table import Table

from runner.connect import database_file, engine_for, load_target
from runner.datagen import GeneratorConfig, Summary, generate
from runner.errors import ParameterError
from runner.lint import ANALYTICS_DIR, lint, write_lock
from runner.loader import LoadSummary, load
from runner.monitor import Level
from runner.output import FORMATS, console, write_result
from runner.plot import light_curve_figure, resolve_target, save, series_of
from runner.query import Query
from runner.watch import monitor_continuous, monitor_once
from vastobs.config import StackConfig, find_project_dir, load_stack, resolve_stack
from vastobs.ddl import load_table
from vastobs.errors import VastobsError
from vastobs.local_paths import view_directory

QUERY_DIRS = ("queries/analytics", "queries/checks")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.command(args) or 0)
    except VastobsError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m runner", description=__doc__)
    parser.add_argument("--stack", help="stack name (default: $PULUMI_STACK, else 'local')")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    sub.add_parser("list", help="the analytics and what they answer").set_defaults(command=_list)

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
    plot.add_argument("--engine", default="duckdb", choices=("duckdb", "trino"))
    plot.add_argument("--output", type=Path, default=Path("light_curve.png"))
    plot.set_defaults(command=_plot)

    mon = sub.add_parser("monitor", help="storage status and quota alerts (exit 0/1/2/3)")
    mon.add_argument("--json", action="store_true", help="machine-readable status")
    mon.add_argument("--continuous", action="store_true", help="check again every --interval")
    mon.add_argument("--interval", type=float, default=300.0, help="seconds between checks")
    mon.add_argument("--count", type=int, help="stop after this many checks")
    mon.add_argument("--no-bursts", action="store_true", help="skip the bursts awaiting follow-up")
    mon.set_defaults(command=_monitor)

    load_cmd = sub.add_parser("load", help="load observation files into a table")
    load_cmd.add_argument("table", help="<observatory>.<table>, e.g. swift.bursts")
    load_cmd.add_argument("files", nargs="+", type=Path, metavar="FILE")
    load_cmd.add_argument("--engine", default="duckdb", choices=("duckdb", "trino", "vastdb"))
    load_cmd.add_argument("--quarantine", type=Path, help="default .vastobs/quarantine")
    load_cmd.set_defaults(command=_load)

    demo = sub.add_parser(
        "demo-data", help="a realistic, deterministic dataset: Parquet per table + answers.json"
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
    return parser


def _engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", default="duckdb", choices=("duckdb", "trino"))
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")


def _stack(args: argparse.Namespace) -> StackConfig:
    return load_stack(resolve_stack(args.stack), find_project_dir())


def resolve_query(ref: str, project_dir: Path) -> Query:
    path = Path(ref)
    if path.suffix == ".sql":
        if not path.is_file():
            raise ParameterError(f"query file {ref} not found")
        return Query.load(path)
    for folder in QUERY_DIRS:
        candidate = project_dir / folder / f"{ref}.sql"
        if candidate.is_file():
            return Query.load(candidate)
    raise ParameterError(f"no query named {ref!r} under {', '.join(QUERY_DIRS)}")


def given_params(items: list[str]) -> dict[str, str]:
    params = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise ParameterError(f"--param {item!r}: expected NAME=VALUE")
        params[name] = value
    return params


def with_stack_defaults(query: Query, stack: StackConfig, params: dict[str, Any]) -> dict[str, Any]:
    """Parameters whose header says ``default_from: analytics.<key>`` take the stack's value."""
    out = dict(params)
    for name, source in query.stack_defaults.items():
        section, _, key = source.partition(".")
        if name not in out:
            out[name] = getattr(getattr(stack, section), key)
    return out


def _list(args: argparse.Namespace) -> int:
    table = Table("name", "version", "description", title="analytics")
    for path in sorted((find_project_dir() / ANALYTICS_DIR).glob("*.sql")):
        q = Query.load(path)
        table.add_row(q.name, str(q.version), " ".join(q.description.split()))
    console().print(table)
    return 0


def _show(args: argparse.Namespace) -> int:
    project_dir = find_project_dir()
    q = resolve_query(args.query, project_dir)
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
    return 0


def _lint(args: argparse.Namespace) -> int:
    project_dir = find_project_dir()
    findings = lint(args.paths or [project_dir / "queries"], project_dir)
    for finding in findings:
        print(finding)
    print(f"{len(findings)} finding(s)", file=sys.stderr)
    return 1 if findings else 0


def _lock(args: argparse.Namespace) -> int:
    entries = write_lock(find_project_dir())
    for name, entry in entries.items():
        print(f"{name} v{entry['version']} {str(entry['sha256'])[:12]}")
    return 0


def _run(args: argparse.Namespace) -> int:
    stack = _stack(args)
    if args.all == bool(args.query):
        raise ParameterError("run takes a query name or --all, not both or neither")
    engine = engine_for(args.engine, stack)
    if args.all:
        for path in sorted((stack.project_dir / ANALYTICS_DIR).glob("*.sql")):
            query = Query.load(path)
            result = engine.run(query, with_stack_defaults(query, stack, {}))
            write_result(result, args.format, _numbered(args.output, query.name))
        return 0
    query = resolve_query(args.query, stack.project_dir)
    params = with_stack_defaults(query, stack, given_params(args.param))
    result = engine.run(query, params)
    write_result(result, args.format, args.output)
    return 0


def _numbered(output: Path | None, name: str) -> Path | None:
    """With --all, --output names a directory: one file per analytic."""
    if output is None:
        return None
    output.mkdir(parents=True, exist_ok=True)
    return output / name


def _explain(args: argparse.Namespace) -> int:
    stack = _stack(args)
    query = resolve_query(args.query, stack.project_dir)
    params = with_stack_defaults(query, stack, given_params(args.param))
    print(engine_for(args.engine, stack).explain(query, params))
    return 0


def _plot(args: argparse.Namespace) -> int:
    stack = _stack(args)
    engine = engine_for(args.engine, stack)
    analytics = stack.project_dir / ANALYTICS_DIR
    if args.target:
        ra, dec = resolve_target(engine, analytics, args.target)
        title = f"{args.target} (RA {ra:.4f}, Dec {dec:.4f})"
    elif args.dec is None:
        raise ParameterError("--ra needs --dec")
    else:
        ra, dec, title = args.ra, args.dec, f"RA {args.ra:.4f}, Dec {args.dec:.4f}"
    params: dict[str, Any] = {"ra": ra, "dec": dec, "radius_arcsec": args.radius_arcsec}
    params.update({k: v for k, v in (("start_time", args.start), ("end_time", args.end)) if v})
    result = engine.run(Query.load(analytics / "multi_wavelength_light_curve.sql"), params)
    series = series_of(result, args.flux)
    save(light_curve_figure(series, title, args.flux), args.output)
    points = sum(len(s.values) for s in series)
    labels = ", ".join(s.label for s in series)
    print(f"{args.output}: {points} points in {len(series)} series ({labels})")
    return 0


def _monitor(args: argparse.Namespace) -> int:
    try:
        stack = _stack(args)
    except VastobsError as exc:
        print(f"UNKNOWN: {exc}", file=sys.stderr)
        return int(Level.UNKNOWN)
    if args.continuous:
        return int(monitor_continuous(stack, args.interval, args.count, args.json))
    extra = None if args.no_bursts else (lambda: _awaiting_followup(stack))
    return int(monitor_once(stack, args.json, extra).level)


def _awaiting_followup(stack: StackConfig) -> None:
    """The real-time insight beside storage, when the local VAST DB holds data."""
    if stack.backend != "local" or not database_file(stack).is_file():
        return
    query = Query.load(stack.project_dir / ANALYTICS_DIR / "bursts_awaiting_followup.sql")
    try:
        result = engine_for("duckdb", stack).run(query, with_stack_defaults(query, stack, {}))
    except VastobsError as exc:
        print(f"bursts awaiting follow-up: not available ({exc})", file=sys.stderr)
        return
    write_result(result, "table", None)


def _load(args: argparse.Namespace) -> int:
    stack = _stack(args)
    observatory, _, name = args.table.partition(".")
    obs = stack.observatory(observatory)
    if name not in obs.tables:
        listed = ", ".join(obs.tables) or "none"
        raise ParameterError(
            f"table {args.table}: not in observatories.{observatory}.tables ({listed})"
        )
    table = load_table(stack.project_dir, observatory, name)
    raw_dir = (
        view_directory(stack.local_root, obs.path) / "raw" if stack.backend == "local" else None
    )
    total = sum(p.stat().st_size for p in args.files if p.is_file())
    with Progress(transient=True, disable=total < 50_000_000) as bar:
        task = bar.add_task(f"loading {args.table}", total=None)
        summary = load(
            table,
            list(args.files),
            load_target(args.engine, stack),
            batch_rows=stack.analytics.batch_size,
            quarantine_dir=args.quarantine or stack.project_dir / ".vastobs" / "quarantine",
            raw_dir=raw_dir,
            progress=lambda n: bar.advance(task, n),
        )
    print_load(summary)
    return 0


def _demo_data(args: argparse.Namespace) -> int:
    config = GeneratorConfig(
        rows=args.rows,
        seed=args.seed,
        burst_rate_multiplier=args.burst_rate_multiplier,
        followup_fraction=args.followup_fraction,
    )
    with Progress(transient=True, disable=args.rows < 1_000_000) as bar:
        task = bar.add_task("generating sky cells", total=None)
        summary = generate(
            config,
            args.out,
            find_project_dir(),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    print_demo_data(summary)
    return 0


def print_demo_data(summary: Summary) -> None:
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


def print_load(summary: LoadSummary) -> None:
    table = Table(title=f"{summary.table} on {summary.target}")
    for column in ("file", "read", "loaded", "already present", "rejected", "quarantine"):
        table.add_column(column, no_wrap=True)
    for f in summary.files:
        table.add_row(
            f.path.name, str(f.read), str(f.loaded), str(f.already_present), str(f.rejected),
            str(f.quarantine or ""),
        )  # fmt: skip
    console().print(table)
