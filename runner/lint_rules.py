"""The lint rules: small functions, each registered under its code, whose docstring is
its summary; ``lint_file`` runs every one on one file.

They parse with sqlglot and plan on DuckDB, so this module loads only when a file is
checked: runner/lint.py answers from the project's cache (vastobs/compile_cache.py)
for a file whose inputs have not changed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp
from sqlglot.errors import ErrorLevel, OptimizeError, SqlglotError
from sqlglot.optimizer.qualify import qualify

from runner.analytics import ANALYTICS_DIR
from runner.catalog import OBSERVATORY, Catalog
from runner.engines.duckdb import DuckDBEngine
from runner.lint import LOCK_FILE, Finding
from runner.param_domains import shown
from runner.param_types import PARAM_TYPES
from runner.query import SOURCE_DIALECT, Query, header_position
from vastobs.config import StackConfig
from vastobs.ddl import Column
from vastobs.kinds import kind_names, load_kind
from vastobs.sky_index import KIND as POINTS
from vastobs.sky_index import MATCHES, SCHEMA
from vastobs.sqlfile import SqlFileError


@dataclass(frozen=True)
class Context:
    query: Query
    tree: exp.Expression
    catalog: Catalog
    lock: dict[str, dict[str, object]]


Rule = Callable[[Context], Iterator[tuple[int, int, str]]]
RULES: dict[str, Rule] = {}


def rule(code: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES[code] = fn
        return fn

    return register


def _where(ctx: Context, node: exp.Expression | None) -> tuple[int, int]:
    """Best-effort position of a node in the file (sqlglot keeps token positions on identifiers)."""
    meta = getattr(node, "meta", None) or {}
    ident = node.find(exp.Identifier) if node is not None else None
    meta = meta or (getattr(ident, "meta", None) or {})
    line = int(meta.get("line", 1))
    return ctx.query.body_line + line - 1, int(meta.get("col", 1))


@rule("Q001")
def read_only(ctx: Context) -> Iterator[tuple[int, int, str]]:
    """Analytics are read-only: one SELECT (or WITH ... SELECT), nothing else."""
    if not isinstance(ctx.tree, exp.Query):
        yield (
            ctx.query.body_line,
            1,
            f"statement is {ctx.tree.key.upper()}, analytics must be SELECT",
        )
    for node in ctx.tree.find_all(
        exp.Insert, exp.Delete, exp.Update, exp.Create, exp.Drop, exp.Merge
    ):
        yield (*_where(ctx, node), f"{node.key.upper()} in an analytics query")


@rule("Q002")
def known_tables(ctx: Context) -> Iterator[tuple[int, int, str]]:
    """Every table is a kind read through an observatories parameter (``sources.triggers``),
    a CTE or the kept matches (``sky.matches``, read on every stack: no row where the sky
    index is not kept); an analytic names no observatory (other files may name a stack's
    table)."""
    ctes = {cte.alias_or_name for cte in ctx.tree.find_all(exp.CTE)}
    params = ctx.query.params
    known = (*kind_names(ctx.catalog.project_dir), POINTS)
    header = ctx.query.path.read_text(encoding="utf-8").splitlines()[: ctx.query.body_line - 1]
    for name, param in params.items():
        for kind in param.kinds:
            if kind not in known:
                where = header_position(header, name, "kinds")
                yield *where, f"param {name}: unknown kind {kind} (kinds: {', '.join(known)})"
        if param.selects_tables and param.default is not None:
            where = header_position(header, name, "default")
            yield *where, f"param {name}: a default names observatories; leave it out (every one)"
    for table in ctx.tree.find_all(exp.Table):
        if not table.name or (not table.db and table.name in ctes):
            continue
        if isinstance(table.this, exp.Anonymous | exp.Unnest):
            continue
        shown = table.sql(SOURCE_DIALECT)
        param = params.get(table.db)
        if param is not None:
            if not param.selects_tables:
                yield *_where(ctx, table), f"{shown}: {table.db} is not an observatories parameter"
            elif table.name not in param.kinds:
                kinds = ", ".join(param.kinds)
                yield *_where(ctx, table), f"{shown}: {table.db} selects observatories for {kinds}"
        elif (table.db, table.name) == (SCHEMA, MATCHES):
            continue  # kept or not, every stack reads it (no row where not kept)
        elif _is_analytic(ctx.query):
            yield (
                *_where(ctx, table),
                (
                    f"{shown} names an observatory's table: read a kind through an observatories "
                    "parameter (docs/queries.md)"
                ),
            )
        elif (table.db, table.name) not in ctx.catalog.stored:
            yield (*_where(ctx, table), f"unknown table {shown}")


def _is_analytic(query: Query) -> bool:
    return str(ANALYTICS_DIR) in str(query.path).replace("\\", "/")


@rule("Q003")
def known_columns(ctx: Context) -> Iterator[tuple[int, int, str]]:
    """Every column exists in the table it is read from (qualified against the DDL)."""
    schema = ctx.catalog.sqlglot_schema()
    matches = ctx.catalog.index.matches  # read on every stack (Q002)
    schema.setdefault(SCHEMA, {})[MATCHES] = {c.name: c.type for c in matches.columns}
    for name, param in ctx.query.params.items():
        if param.selects_tables:  # a kind's columns, and whose row it is
            schema[name] = {
                kind: {OBSERVATORY: "VARCHAR", **{c.name: c.type for c in kind_columns(ctx, kind)}}
                for kind in param.kinds
            }
    try:
        qualify(
            ctx.tree.copy(),
            dialect=SOURCE_DIALECT,
            schema=schema,
            validate_qualify_columns=True,
        )
    except OptimizeError as exc:
        yield ctx.query.body_line, 1, f"column check failed: {exc}"


def kind_columns(ctx: Context, kind: str) -> tuple[Column, ...]:
    try:
        if kind == POINTS:
            return ctx.catalog.index.table.columns
        return load_kind(ctx.catalog.project_dir, kind).columns
    except SqlFileError:
        return ()  # an unknown kind: Q002 says so


@rule("Q004")
def declared_params(ctx: Context) -> Iterator[tuple[int, int, str]]:
    """Declared and used parameters match: none used undeclared, none declared unused."""
    used = {p.name for p in ctx.tree.find_all(exp.Placeholder)}
    used |= {t.db for t in ctx.tree.find_all(exp.Table) if t.db}  # observatories parameters
    derived_args = {a for _f, args in ctx.query.derived.values() for a in args}
    for p in ctx.tree.find_all(exp.Placeholder):
        if ctx.query.param_type(p.name) is None:
            what = f":{p.name}" if p.name else "'?' (use named :params)"
            yield (*ctx.query.param_position(p.name), f"parameter {what} is used but not declared")
    unused = [("parameter", n) for n in sorted(set(ctx.query.params) - used - derived_args)]
    unused += [("derived parameter", n) for n in sorted(set(ctx.query.derived) - used)]
    if unused:
        text = ctx.query.path.read_text(encoding="utf-8")
        header = text.splitlines()[: ctx.query.body_line - 1]
        for kind, name in unused:
            yield (*_declared_at(header, name), f"{kind} {name} is declared but never used")


def _declared_at(header: list[str], name: str) -> tuple[int, int]:
    """The header line declaring ``name`` (an indented ``--   name: ...``), else 1:1."""
    for number, line in enumerate(header, 1):
        nested = line[2:]
        if nested.startswith("  ") and nested.lstrip().startswith(f"{name}:"):
            return number, line.index(name) + 1
    return 1, 1


@rule("Q005")
def named_outputs(ctx: Context) -> Iterator[tuple[int, int, str]]:
    """Every output column has a name: engines name unnamed expressions differently."""
    select = ctx.tree if isinstance(ctx.tree, exp.Select) else ctx.tree.find(exp.Select)
    outer = ctx.tree.selects if isinstance(ctx.tree, exp.Query) else []
    for expression in outer:
        if not isinstance(expression, exp.Alias | exp.Column | exp.Star):
            yield (
                *_where(ctx, expression),
                f"output {expression.sql(SOURCE_DIALECT)[:40]!r} has no alias",
            )
    del select


@rule("Q006")
def runs_on_duckdb(ctx: Context) -> Iterator[tuple[int, int, str]]:
    """The query transpiles to DuckDB (unsupported constructs raised) and DuckDB can plan it."""
    engine = DuckDBEngine(lambda: None, ctx.catalog)  # type: ignore[arg-type,return-value]
    try:
        sql, order = engine.compile(ctx.query)
    except SqlFileError as exc:
        yield exc.line, exc.col, f"does not run on duckdb: {exc.args[0].split(': ', 1)[-1]}"
        return
    values = [PARAM_TYPES[ctx.query.param_type(name) or "varchar"].lint_sample for name in order]
    with duckdb.connect(":memory:") as con:
        for (obs, name), table in ctx.catalog.stored.items():
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{obs}"')
            con.execute(table.create_sql("duckdb", exp.table_(name, db=obs, quoted=True)))
        try:
            con.execute(f"EXPLAIN {sql}", values)
        except duckdb.Error as exc:
            yield ctx.query.body_line, 1, f"does not run on duckdb: {str(exc).splitlines()[0]}"


@rule("Q007")
def versioned(ctx: Context) -> Iterator[tuple[int, int, str]]:
    """A file whose text changed must change its version; the lock records each hash."""
    if not _is_analytic(ctx.query):
        return
    entry = ctx.lock.get(ctx.query.name)
    if entry is None:
        yield 1, 1, f"{ctx.query.name} is not in {LOCK_FILE}: run `python -m runner lock`"
    elif entry["sha256"] != ctx.query.sha256 and entry["version"] == ctx.query.version:
        yield (
            2,
            1,
            (
                f"the file changed but its version did not (still {ctx.query.version}): "
                "raise the version, then run `python -m runner lock`"
            ),
        )
    elif entry["sha256"] != ctx.query.sha256:
        yield 2, 1, f"version {ctx.query.version} is not locked: run `python -m runner lock`"


@rule("Q008")
def name_matches_file(ctx: Context) -> Iterator[tuple[int, int, str]]:
    """The header's name is the file's name, so `run NAME` finds it."""
    if ctx.query.name != ctx.query.path.stem:
        yield 1, 1, f"name {ctx.query.name!r} differs from the file name {ctx.query.path.stem!r}"


@rule("Q009")
def parameter_domains(ctx: Context) -> Iterator[tuple[int, int, str]]:
    """Every domain entry applies to its parameter's type, every default lies inside its
    domain, and so does every value the stack key of a ``default_from`` allows."""
    query = ctx.query
    for problem in query.problems:
        yield problem.line, problem.col, problem.message
    header = query.path.read_text(encoding="utf-8").splitlines()[: query.body_line - 1]
    defaults = {name: p.default for name, p in query.params.items() if p.default is not None}
    for name, param in query.params.items():
        if any(problem.param == name for problem in query.problems):
            continue  # its domain is not what the header meant: the problem says why
        if param.default is not None and not _unresolved(param.domain.refs, defaults):
            wrong = param.domain.violation(param.default, defaults)
            if wrong:
                where = header_position(header, name, "default")
                yield *where, f"param {name}: default {shown(param.default)} {wrong}"
        source = query.stack_defaults.get(name)
        for value in _stack_values(source) if source else ():
            wrong = param.domain.violation(value, defaults)
            if wrong and not _unresolved(param.domain.refs, defaults):
                where = header_position(header, name, "default_from")
                yield (
                    *where,
                    f"param {name}: the stack's {source} may be {shown(value)}; {name} {wrong}",
                )


def _unresolved(refs: list[str], values: dict[str, Any]) -> bool:
    return any(ref not in values for ref in refs)


def _stack_values(source: str) -> list[Any]:
    """The stack key's default and the ends of what it allows (just inside an open end):
    the domain, an interval, holds every allowed value if it holds these."""
    section, _, name = source.partition(".")
    owner = next(f for f in fields(StackConfig) if f.name == section).default_factory
    field = next(f for f in fields(owner) if f.name == name)  # type: ignore[arg-type]
    spec = field.metadata["key"]
    values = [field.default]
    if spec.lo is not None:
        values.append(math.nextafter(spec.lo, math.inf) if spec.above else spec.lo)
    if spec.hi is not None:
        values.append(spec.hi)
    return [float(v) if isinstance(field.default, float) else v for v in values]


def lint_file(path: Path, catalog: Catalog, lock: dict[str, dict[str, object]]) -> list[Finding]:
    shown = str(path)
    try:
        query = Query.load(path)
        tree = query.parse(error_level=ErrorLevel.RAISE)
    except SqlFileError as exc:
        return [Finding(shown, exc.line, exc.col, "Q000", exc.args[0].split(": ", 1)[-1])]
    except SqlglotError as exc:
        return [Finding(shown, 1, 1, "Q000", str(exc))]
    ctx = Context(query, tree, catalog, lock)
    return [
        Finding(shown, line, col, code, message)
        for code, check in RULES.items()
        for line, col, message in check(ctx)
    ]
