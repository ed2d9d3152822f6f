"""``Query``: one SQL file with its metadata header, parsed and typed.

The header is the leading block of ``-- key: value`` comment lines (YAML),
ending at the first line that is not a comment (docs/queries.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.derived import FUNCTIONS, parse_call
from runner.param_domains import Domain, parse_domain, shown
from runner.param_types import PARAM_TYPES, has_offset
from vastobs.compile_cache import CompileCache
from vastobs.config import find_project_dir
from vastobs.errors import ConfigError, ParameterError, SqlFileError
from vastobs.sqlfile import parse_body, read_sql_file

if TYPE_CHECKING:  # sqlglot loads when a query is parsed: list and show never parse one
    from sqlglot import exp

# Stack config values a parameter may take its default from (``default_from:``).
STACK_DEFAULTS = (
    "analytics.correlation_window_hours",
    "analytics.followup_window_hours",
    "analytics.burst_detection_threshold",
)
SOURCE_DIALECT = "trino"  # the dialect query files are written in


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any = None
    description: str = ""
    domain: Domain = field(default_factory=Domain)
    kinds: tuple[str, ...] = ()  # an ``observatories`` parameter: the kinds it selects for
    default_now: bool = False  # a timestamp whose default is the moment the query runs (UTC)

    @property
    def selects_tables(self) -> bool:
        return self.type == "observatories"

    def coerce(self, value: Any, query: str = "") -> Any:
        """Turn a CLI string (or a Python value) into this parameter's type; an offset
        the domain refuses is refused here, before the value becomes UTC."""
        of = f" of {query}" if query else ""
        try:
            if self.domain.offset == "refuse" and has_offset(value):
                raise ParameterError(
                    f"parameter {self.name}={shown(value)}{of}: must be UTC (no offset, or Z)"
                )
            return PARAM_TYPES[self.type].coerce(value)
        except (TypeError, ValueError, OverflowError):
            raise ParameterError(
                f"parameter {self.name}={shown(value)}{of}: not a valid {self.type}"
                f" ({PARAM_TYPES[self.type].example})"
            ) from None

    def check(self, value: Any, values: dict[str, Any], query: str) -> None:
        """Refuse a value outside the domain: one line, the parameter, its value, the range."""
        problem = self.domain.violation(value, values)
        if problem:
            raise ParameterError(f"parameter {self.name}={shown(value)} of {query}: {problem}")


@dataclass(frozen=True)
class HeaderProblem:
    """A header entry the runner cannot apply (lint Q009 reports each; a run refuses)."""

    param: str
    line: int
    col: int
    message: str


@dataclass(frozen=True)
class Query:
    path: Path
    name: str
    version: int
    sql: str
    sha256: str
    description: str = ""
    owner: str = ""
    params: dict[str, Param] = field(default_factory=dict)
    derived: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    stack_defaults: dict[str, str] = field(default_factory=dict)  # param -> 'analytics.<key>'
    problems: tuple[HeaderProblem, ...] = ()  # domain entries that cannot apply

    body_line: int = 1  # line of the first SQL line, for lint positions

    @classmethod
    def load(cls, path: Path) -> Query:
        sql = read_sql_file(path, _project_cache(path))
        meta, where = sql.meta, str(path)
        for key in ("name", "version"):
            if key not in meta:
                raise SqlFileError(where, 1, 1, f"header lacks '{key}'")
        if not isinstance(meta["version"], int) or isinstance(meta["version"], bool):
            raise SqlFileError(where, 1, 1, f"version {meta['version']!r} must be an integer")
        header = sql.text.splitlines()[: sql.body_line - 1]
        specs = {name: spec or {} for name, spec in (meta.get("params") or {}).items()}
        types = {name: spec.get("type") for name, spec in specs.items()}
        params = {}
        stack_defaults: dict[str, str] = {}
        problems: list[HeaderProblem] = []
        for pname, spec in specs.items():
            ptype = types[pname]
            if ptype not in PARAM_TYPES:
                raise SqlFileError(
                    where,
                    1,
                    1,
                    f"param {pname}: type {ptype!r} is not one of {', '.join(PARAM_TYPES)}",
                )
            domain, found = parse_domain(pname, ptype, spec, types, PARAM_TYPES[ptype].coerce)
            problems += [
                HeaderProblem(pname, *header_position(header, pname, k), m) for k, m in found
            ]
            kinds = spec.get("kinds") or ()
            kinds = (kinds,) if isinstance(kinds, str) else tuple(map(str, kinds))
            if ptype == "observatories" and not kinds:
                raise SqlFileError(
                    where, *header_position(header, pname, "type"),
                    f"param {pname}: an observatories parameter names the kinds it selects "
                    "for (kinds: [triggers])",
                )  # fmt: skip
            description = str(spec.get("description", ""))
            param = Param(pname, ptype, None, description, domain, kinds)
            if spec.get("default_from"):
                source = str(spec["default_from"])
                if source not in STACK_DEFAULTS:
                    raise SqlFileError(
                        where, 1, 1, f"param {pname}: default_from {source!r} is not one of "
                        f"{', '.join(STACK_DEFAULTS)}",
                    )  # fmt: skip
                stack_defaults[pname] = source
            default = spec.get("default")
            if ptype == "timestamp" and default == "now":
                param = replace(param, default_now=True)
            elif default is not None:
                param = replace(param, default=param.coerce(default))
            params[pname] = param
        derived = {}
        for dname, spec in (meta.get("derived") or {}).items():
            function = (spec or {}).get("function")
            args = tuple((spec or {}).get("args") or ())
            if function not in FUNCTIONS:
                known = ", ".join(FUNCTIONS)
                raise SqlFileError(
                    where, 1, 1, f"derived {dname}: function {function!r} is not one of {known}"
                )
            missing = [a for a in args if a not in params]
            if missing:
                raise SqlFileError(
                    where, 1, 1, f"derived {dname}: argument {missing[0]} is not a declared param"
                )
            derived[dname] = (function, args)
        return cls(
            path=path,
            name=str(meta["name"]),
            version=meta["version"],
            sql=sql.body,
            sha256=hashlib.sha256(sql.text.encode("utf-8")).hexdigest(),
            description=str(meta.get("description", "")),
            owner=str(meta.get("owner", "")),
            params=params,
            derived=derived,
            stack_defaults=stack_defaults,
            problems=tuple(problems),
            body_line=sql.body_line,
        )

    def parse(self, **options: Any) -> exp.Expression:
        """The body as a sqlglot tree; a syntax error is raised at its place in the file."""
        return parse_body(self.path, self.sql, self.body_line, SOURCE_DIALECT, **options)

    def param_position(self, name: str) -> tuple[int, int]:
        """Line and column in the file of the first ``:name`` (``?`` when unnamed), so
        that a parameter error points at the parameter; the body's start if not found."""
        from sqlglot.dialects.dialect import Dialect
        from sqlglot.tokens import TokenType

        tokens = Dialect.get_or_raise(SOURCE_DIALECT).tokenize(self.sql)
        if name:
            starts = [colon.start for colon, var in itertools.pairwise(tokens)
                      if colon.token_type == TokenType.COLON and var.text == name]  # fmt: skip
        else:
            starts = [t.start for t in tokens if t.token_type == TokenType.PLACEHOLDER]
        if not starts:
            return self.body_line, 1
        line_start = self.sql.rfind("\n", 0, starts[0]) + 1
        return self.body_line + self.sql.count("\n", 0, starts[0]), starts[0] - line_start + 1

    def derivation(self, name: str) -> tuple[str, tuple[str, ...]] | None:
        """How the derived value ``name`` is computed: a ``derived:`` entry of the header,
        or a macro's call on declared parameters (``call_name``); None for other names."""
        if name in self.derived:
            return self.derived[name]
        call = parse_call(name)
        return call if call and all(arg in self.params for arg in call[1]) else None

    def param_type(self, name: str) -> str | None:
        if name in self.params:
            return self.params[name].type
        derivation = self.derivation(name)
        return FUNCTIONS[derivation[0]].type if derivation else None

    def values_for(self, names: list[str], values: dict[str, Any]) -> list[Any]:
        """The values to bind to ``names`` (the compiled markers' order): bound parameters
        as given, derived ones computed from them."""
        out = []
        for name in names:
            derivation = None if name in values else self.derivation(name)
            if derivation is None:
                out.append(values[name])
            else:
                function, args = derivation
                out.append(FUNCTIONS[function].compute(*(values[a] for a in args)))
        return out

    def bind(self, given: dict[str, Any]) -> dict[str, Any]:
        """Defaults filled in, every value typed and inside its domain, before any derived
        value is computed or SQL runs; unknown or missing names fail."""
        unknown = sorted(set(given) - set(self.params))
        if unknown:
            known = ", ".join(self.params) or "none"
            raise ParameterError(
                f"{self.name}: unknown parameter {unknown[0]} (parameters: {known})"
            )
        if self.problems:
            first = self.problems[0]
            raise SqlFileError(str(self.path), first.line, first.col, first.message)
        values = {}
        for name, param in self.params.items():
            value = param.coerce(given[name], self.name) if name in given else param.default
            if value is None and param.default_now:
                value = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            if value is None and name in self.stack_defaults:
                raise ParameterError(
                    f"{self.name}: parameter {name} defaults to the stack's "
                    f"{self.stack_defaults[name]}; pass it with --param {name}=..."
                )
            if value is None and not param.selects_tables:  # None: every observatory
                raise ParameterError(
                    f"{self.name}: parameter {name} ({param.type}) is required and has no default"
                )
            values[name] = value
        for name, param in self.params.items():
            param.check(values[name], values, self.name)
        return values


def _project_cache(path: Path) -> CompileCache | None:
    """The cache of the project holding ``path`` (vastobs/compile_cache.py), in which its
    header's YAML is kept: a command reading an unchanged query file imports no PyYAML.
    None outside a project."""
    try:
        project_dir = find_project_dir(path.parent)
    except ConfigError:
        return None
    return CompileCache.for_project(project_dir)


def header_position(header: list[str], param: str, key: str) -> tuple[int, int]:
    """Line and column of ``key`` in the header entry declaring ``param`` (inline
    ``{type: double, min: 0}`` or a block of ``--     min: 0`` lines); the entry's own
    line if the key is not found, 1:1 if the entry is not."""
    for number, line in enumerate(header, 1):
        body = line[2:]
        if not (body.startswith("  ") and body.lstrip().startswith(f"{param}:")):
            continue
        indent = len(body) - len(body.lstrip())
        for offset, entry in enumerate(header[number - 1 :]):
            text = entry[2:]
            if offset and (not text.strip() or len(text) - len(text.lstrip()) <= indent):
                break
            at = _key_at(entry, key, skip=line.index(param) + len(param) if not offset else 0)
            if at:
                return number + offset, at
        return number, line.index(param) + 1
    return 1, 1


def _key_at(line: str, key: str, skip: int) -> int:
    """1-based column of ``key:`` in ``line`` as a mapping key (after ``{``, ``,`` or
    indentation), searching from ``skip``; 0 if absent."""
    start = skip
    while (found := line.find(f"{key}:", start)) >= 0:
        before = line[skip:found].rstrip()
        if not before or before.endswith(("{", ",", "--")) or line[:found].strip() == "--":
            return found + 1
        start = found + 1
    return 0
