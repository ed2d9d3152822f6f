"""The metadata header shared by every SQL file (queries and table DDL).

A leading block of ``-- key: value`` comment lines, read as YAML, ending at
the first line that is not a comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vastobs.errors import SqlFileError

if TYPE_CHECKING:  # sqlglot loads when a body is parsed, not when a header is read
    from sqlglot import exp

    from vastobs.compile_cache import CompileCache


@dataclass(frozen=True)
class SqlFile:
    path: Path
    meta: dict[str, Any]
    body: str
    body_line: int  # 1-based line of the body's first line
    text: str


def read_sql_file(path: Path, cache: CompileCache | None = None) -> SqlFile:
    """``cache``: the header's YAML read once per text (vastobs/compile_cache.py)."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    header: list[str] = []
    for line in lines:
        if not line.startswith("--"):
            break
        header.append(line[2:].removeprefix(" "))
    document = "\n".join(header)
    if cache is None:
        meta = _header_yaml(path, document) or {}
    else:
        meta = cache.yaml(document, lambda: _header_yaml(path, document)) or {}
    if not isinstance(meta, dict):
        raise SqlFileError(str(path), 1, 1, "header must be '-- key: value' lines")
    rest = lines[len(header) :]
    blank = next((i for i, line in enumerate(rest) if line.strip()), len(rest))
    body = "\n".join(rest[blank:]).rstrip().rstrip(";")
    return SqlFile(path, meta, body, len(header) + 1 + blank, text)  # lines stay where they are


def _header_yaml(path: Path, document: str) -> Any:
    import yaml  # only for a header the cache does not hold

    try:
        return yaml.safe_load(document)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 3) if mark else (1, 1)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SqlFileError(str(path), line, col, f"header is not valid YAML: {problem}") from exc


def parse_body(
    path: Path, body: str, body_line: int, dialect: str, **options: Any
) -> exp.Expression:
    """``body`` (starting on line ``body_line`` of ``path``) as a sqlglot tree; a syntax
    error is raised as a :class:`SqlFileError` at its line and column in the file."""
    import sqlglot

    try:
        return sqlglot.parse_one(body, read=dialect, **options)
    except sqlglot.ParseError as exc:
        err = exc.errors[0] if exc.errors else {}
        line = body_line + int(err.get("line", 1)) - 1
        message = str(err.get("description", exc))
        raise SqlFileError(str(path), line, int(err.get("col", 1)), message) from exc
