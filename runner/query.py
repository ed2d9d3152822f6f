"""``Query``: one SQL file with its metadata header, parsed and typed.

The header is the leading block of ``-- key: value`` comment lines (YAML),
ending at the first line that is not a comment (docs/queries.md).
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import TokenType

from runner.derived import FUNCTIONS, parse_call
from runner.param_types import PARAM_TYPES
from vastobs.errors import ParameterError, SqlFileError
from vastobs.sqlfile import parse_body, read_sql_file

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

    def coerce(self, value: Any) -> Any:
        """Turn a CLI string (or a Python value) into this parameter's type."""
        try:
            return PARAM_TYPES[self.type].coerce(value)
        except (TypeError, ValueError):
            raise ParameterError(
                f"parameter {self.name}: {value!r} is not a valid {self.type}"
                f" ({PARAM_TYPES[self.type].example})"
            ) from None


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

    body_line: int = 1  # line of the first SQL line, for lint positions

    @classmethod
    def load(cls, path: Path) -> Query:
        sql = read_sql_file(path)
        meta, where = sql.meta, str(path)
        for key in ("name", "version"):
            if key not in meta:
                raise SqlFileError(where, 1, 1, f"header lacks '{key}'")
        if not isinstance(meta["version"], int) or isinstance(meta["version"], bool):
            raise SqlFileError(where, 1, 1, f"version {meta['version']!r} must be an integer")
        params = {}
        stack_defaults: dict[str, str] = {}
        for pname, spec in (meta.get("params") or {}).items():
            spec = spec or {}
            ptype = spec.get("type")
            if ptype not in PARAM_TYPES:
                raise SqlFileError(
                    where,
                    1,
                    1,
                    f"param {pname}: type {ptype!r} is not one of {', '.join(PARAM_TYPES)}",
                )
            param = Param(pname, ptype, None, str(spec.get("description", "")))
            if spec.get("default_from"):
                source = str(spec["default_from"])
                if source not in STACK_DEFAULTS:
                    raise SqlFileError(
                        where, 1, 1, f"param {pname}: default_from {source!r} is not one of "
                        f"{', '.join(STACK_DEFAULTS)}",
                    )  # fmt: skip
                stack_defaults[pname] = source
            default = spec.get("default")
            params[pname] = Param(
                pname, ptype, None if default is None else param.coerce(default), param.description
            )
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
            body_line=sql.body_line,
        )

    def parse(self, **options: Any) -> exp.Expression:
        """The body as a sqlglot tree; a syntax error is raised at its place in the file."""
        return parse_body(self.path, self.sql, self.body_line, SOURCE_DIALECT, **options)

    def param_position(self, name: str) -> tuple[int, int]:
        """Line and column in the file of the first ``:name`` (``?`` when unnamed), so
        that a parameter error points at the parameter; the body's start if not found."""
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
        """Defaults filled in, every value typed; unknown or missing names fail."""
        unknown = sorted(set(given) - set(self.params))
        if unknown:
            known = ", ".join(self.params) or "none"
            raise ParameterError(
                f"{self.name}: unknown parameter {unknown[0]} (parameters: {known})"
            )
        values = {}
        for name, param in self.params.items():
            value = param.coerce(given[name]) if name in given else param.default
            if value is None and name in self.stack_defaults:
                raise ParameterError(
                    f"{self.name}: parameter {name} defaults to the stack's "
                    f"{self.stack_defaults[name]}; pass it with --param {name}=..."
                )
            if value is None:
                raise ParameterError(
                    f"{self.name}: parameter {name} ({param.type}) is required and has no default"
                )
            values[name] = value
        return values
