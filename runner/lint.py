"""Lint for query files: findings, the lock file, and the run over a tree of files.

Findings print like other linters: ``path:line:col CODE message``. Every rule
(runner/lint_rules.py) runs on every file and all findings are collected before the
exit code is set. Given a cache (the CLI's), a file's findings are kept under every
input they depend on (vastobs/compile_cache.py): the file's path and text, the lock
file, the stack's catalog and the code; a file whose inputs are unchanged is not
parsed again, and a run where none changed loads neither sqlglot nor DuckDB.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runner.analytics import ANALYTICS_DIR
from runner.catalog import Catalog
from runner.query import Query
from vastobs.sky_index import INDEX_PATH

if TYPE_CHECKING:
    from vastobs.compile_cache import CompileCache

LOCK_FILE = Path("queries") / "analytics.lock"


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    col: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col} {self.code} {self.message}"


def _lock_text(project_dir: Path) -> bytes:
    path = project_dir / LOCK_FILE
    return path.read_bytes() if path.exists() else b""


def _parsed_lock(text: bytes) -> dict[str, dict[str, object]]:
    return json.loads(text) if text else {}


def write_lock(project_dir: Path) -> dict[str, dict[str, object]]:
    entries = {}
    for path in sorted((project_dir / ANALYTICS_DIR).glob("*.sql")):
        query = Query.load(path)
        entries[query.name] = {"version": query.version, "sha256": query.sha256}
    (project_dir / LOCK_FILE).write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n")
    return entries


def lint(
    paths: list[Path],
    project_dir: Path,
    catalog: Catalog | None = None,
    cache: CompileCache | None = None,
) -> list[Finding]:
    """Findings of every query file under ``paths``, against a stack's catalog (the
    embedded default's unless given): its observatories are the ones kinds expand to.
    With ``cache`` (made for this catalog), a file's findings are reused while none of
    their inputs changed."""
    catalog = catalog or Catalog.load(project_dir)
    lock_text = _lock_text(project_dir)
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.rglob("*.sql")) if path.is_dir() else [path])
    findings: list[Finding] = []
    for file in files:
        if {"tables", "kinds", INDEX_PATH.parent.name} & set(file.parts):
            continue  # DDL, checked by vastobs.kinds or .sky_index when Pulumi or a load reads it
        if cache is None:
            findings.extend(_lint_file(file, catalog, lock_text))
        else:
            findings.extend(_cached(file, catalog, lock_text, cache))
    return sorted(findings)


def _lint_file(file: Path, catalog: Catalog, lock_text: bytes) -> list[Finding]:
    from runner.lint_rules import lint_file  # sqlglot and DuckDB: only to check a file

    return lint_file(file, catalog, _parsed_lock(lock_text))


def _cached(file: Path, catalog: Catalog, lock_text: bytes, cache: CompileCache) -> list[Finding]:
    """``file``'s findings from ``cache`` if stored for its path, text and the lock file
    (the cache's key holds the catalog and code); else checked now and stored."""
    try:
        text = file.read_bytes()
    except OSError:
        return _lint_file(file, catalog, lock_text)  # a finding (or error) of its own
    key = cache.key("lint", str(file), text, lock_text)
    stored = cache.get(key)
    if isinstance(stored, list) and all(_is_row(row) for row in stored):
        return [Finding(str(file), *row) for row in stored]
    found = _lint_file(file, catalog, lock_text)
    cache.put(key, [[f.line, f.col, f.code, f.message] for f in found])
    return found


def _is_row(row: object) -> bool:
    """A stored finding: [line, col, code, message]."""
    return (
        isinstance(row, list)
        and len(row) == 4
        and all(isinstance(v, int) for v in row[:2])
        and all(isinstance(v, str) for v in row[2:])
    )
