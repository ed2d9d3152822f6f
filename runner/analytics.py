"""The analytics as a library: find a query by name and bind its parameters.

What the CLI, tests and notebooks call alike: a name (or a ``.sql`` path)
becomes a :class:`Query`, ``NAME=VALUE`` strings become parameters, and a
parameter whose header says ``default_from: analytics.<key>`` takes the
stack's value unless given.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from runner.query import Query
from vastobs.config import StackConfig
from vastobs.errors import ParameterError

ANALYTICS_DIR = Path("queries") / "analytics"
QUERY_DIRS = ("queries/analytics", "queries/checks")


def analytics(project_dir: Path) -> list[Query]:
    """Every analytic, by file name."""
    return [Query.load(path) for path in sorted((project_dir / ANALYTICS_DIR).glob("*.sql"))]


def resolve_query(ref: str, project_dir: Path) -> Query:
    """A ``.sql`` path, or a name looked up under QUERY_DIRS in order."""
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


def given_params(items: Iterable[str]) -> dict[str, str]:
    """``NAME=VALUE`` strings (``--param``) as a dict; the query coerces the values."""
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


def prepare(
    ref: str, stack: StackConfig, items: Iterable[str] = ()
) -> tuple[Query, dict[str, Any]]:
    """The query ``ref`` names and its parameters: the given ones, then the stack's defaults."""
    query = resolve_query(ref, stack.project_dir)
    return query, with_stack_defaults(query, stack, given_params(items))
