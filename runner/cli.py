"""``python -m runner``: thin commands over the library; the one place errors are caught."""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path

import pyarrow.csv as pacsv
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from infra.config import find_project_dir, load_stack, resolve_stack
from infra.ddl import load_table
from infra.errors import VastobsError
from runner.connect import engine_for, load_target, view_directory
from runner.errors import ParameterError
from runner.loader import LoadSummary, load
from runner.query import Query
from runner.result import Result

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

    run = sub.add_parser("run", help="run one query file")
    run.add_argument(
        "query", help="a query name (queries/analytics, queries/checks) or a .sql path"
    )
    run.add_argument("--engine", default="duckdb", choices=("duckdb", "trino"))
    run.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    run.add_argument("--format", default="table", choices=("table", "csv", "json"))
    run.set_defaults(command=_run)

    load = sub.add_parser("load", help="load observation files into a table")
    load.add_argument("table", help="<observatory>.<table>, e.g. swift.bursts")
    load.add_argument("files", nargs="+", type=Path, metavar="FILE")
    load.add_argument("--engine", default="duckdb", choices=("duckdb", "trino"))
    load.add_argument(
        "--quarantine", type=Path, help="where rejected rows go (default .vastobs/quarantine)"
    )
    load.set_defaults(command=_load)
    return parser


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


def _run(args: argparse.Namespace) -> int:
    project_dir = find_project_dir()
    stack = load_stack(resolve_stack(args.stack), project_dir)
    query = resolve_query(args.query, project_dir)
    params = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep:
            raise ParameterError(f"--param {item!r}: expected NAME=VALUE")
        params[name] = value
    result = engine_for(args.engine, stack).run(query, params)
    _print(result, args.format)
    return 0


def _load(args: argparse.Namespace) -> int:
    project_dir = find_project_dir()
    stack = load_stack(resolve_stack(args.stack), project_dir)
    observatory, _, name = args.table.partition(".")
    obs = stack.observatory(observatory)
    if name not in obs.tables:
        listed = ", ".join(obs.tables) or "none"
        raise ParameterError(
            f"table {args.table}: not in observatories.{observatory}.tables ({listed})"
        )
    table = load_table(project_dir, observatory, name)
    raw_dir = view_directory(stack, obs.path) / "raw" if stack.backend == "local" else None
    total = sum(p.stat().st_size for p in args.files if p.is_file())
    with Progress(transient=True, disable=total < 50_000_000) as bar:
        task = bar.add_task(f"loading {args.table}", total=None)
        summary = load(
            table,
            list(args.files),
            load_target(args.engine, stack),
            batch_rows=stack.analytics.batch_size,
            quarantine_dir=args.quarantine or project_dir / ".vastobs" / "quarantine",
            raw_dir=raw_dir,
            progress=lambda n: bar.advance(task, n),
        )
    _print_load(summary)
    return 0


def _print_load(summary: LoadSummary) -> None:
    table = Table(title=f"{summary.table} on {summary.target}")
    for column in ("file", "read", "loaded", "already present", "rejected", "quarantine"):
        table.add_column(column, no_wrap=True)
    for f in summary.files:
        table.add_row(
            f.path.name, str(f.read), str(f.loaded), str(f.already_present), str(f.rejected),
            str(f.quarantine or ""),
        )  # fmt: skip
    Console(width=None if sys.stdout.isatty() else 200).print(table)


def _print(result: Result, fmt: str) -> None:
    provenance = result.provenance.as_dict()
    if fmt == "json":
        rows = result.table.to_pylist()
        print(json.dumps({"provenance": provenance, "rows": rows}, default=str, indent=2))
    elif fmt == "csv":
        pacsv.write_csv(result.table, sys.stdout.buffer)
        sys.stdout.flush()
        print(f"# provenance: {json.dumps(provenance)}", file=sys.stderr)
    else:
        # Piped output (logs, CI) is not wrapped at 80 columns.
        console = Console(width=None if sys.stdout.isatty() else 200)
        table = Table(title=result.provenance.query)
        for name in result.table.column_names:
            table.add_column(name, no_wrap=True)
        for row in result.table.to_pylist():
            table.add_row(*(_cell(v) for v in row.values()))
        console.print(table)
        p = result.provenance
        console.print(
            f"[dim]{p.query} v{p.version} sha256:{p.sha256[:12]} on {p.engine}, "
            f"{result.table.num_rows} rows in {p.elapsed_seconds * 1000:.1f} ms, "
            f"params {provenance['params']}[/dim]"
        )


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)
