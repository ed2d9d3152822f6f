"""sqlglot's results kept on disk, so that a CLI process started cold need not redo them.

Compiling a query file (Trino SQL to the engine's, kinds and macros expanded),
reading a stack's tables (every command that loads a stack checks their DDL) and
linting a file all parse with sqlglot, whose import alone costs a `run` about
0.35 s; the engine keeps its compiled SQL in memory, but each CLI command is a new
process (issue 20). This store keeps the results under the project's
``.vastobs/cache/`` (git-ignored), one JSON file per entry: ``compiled-*`` (the
engine's SQL and its markers' order, runner/engines/base.py), ``table-*`` (a table's
definition, vastobs/kinds.py) and ``lint-*`` (a file's findings, runner/lint.py).
PyYAML's results are kept the same way, ``yaml-*`` (a stack file, a SQL file's header:
:meth:`CompileCache.yaml`): a command whose stack and query are unchanged imports no
PyYAML (14 ms) and runs no pure-Python parser.
An entry is named by the SHA-256 of every input its value depends on, so that a
changed input names another entry and an entry is never stale:

- the query file's text (its header's parameter types included);
- the stack's catalog (:attr:`runner.catalog.Catalog.fingerprint`): the text of
  every kind and table DDL file and the stack's observatories with their kinds,
  tables and extra columns; the engine's physical names (Trino's catalog and
  bucket);
- what the value is for: the engine's class and dialect and the observatories
  chosen (compiled SQL), the observatory and its kind entry (a table), or the
  file's path and the lock file (lint findings);
- the code (:func:`code_version`): every module of ``runner/`` and ``vastobs/``, and
  the installed sqlglot, DuckDB and PyYAML, each by its file's size, mtime and ctime.

The code is known by its files' identity rather than their text: 0.3 ms for the
80-odd modules instead of 3 ms to read them, in every command, and the ctime (which
no copy or restore can set back) tells two versions apart as surely. All modules
count, not a list of "the modules that compile" to keep up to date: a change to any
costs one cold run, nothing worse.

An entry is written to a file of the writing process's own, then renamed over its
name, so a reader sees a whole entry or none, and two processes that compute the
same entry write the same bytes. An entry that cannot be read or decoded counts as
absent (it is recomputed and rewritten), never as an error, and a cache directory
that cannot be written only costs the next process the work. Nothing is pruned:
deleting ``.vastobs/cache`` at any time is safe.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

CACHE_DIR = Path(".vastobs") / "cache"
_CODE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # runner/, vastobs/
_CODE_PACKAGES = ("runner", "vastobs")
# What compiles (sqlglot), what lint plans on (DuckDB) and what reads YAML (PyYAML).
_LIBRARIES = ("sqlglot", "duckdb", "yaml")


def digest(*parts: str | bytes) -> str:
    """SHA-256 of ``parts``, each length-prefixed so that no two lists of parts collide."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(f"{len(data)}:".encode())
        h.update(data)
    return h.hexdigest()


@functools.cache
def code_version() -> str:
    """Every module of runner/ and vastobs/, and the sqlglot and DuckDB installed, by
    their files' identity (:func:`_identity`): what compiles and lints, so that a change
    to any of them invalidates every entry."""
    parts = []
    for package in _CODE_PACKAGES:
        parts += _modules(os.path.join(_CODE_ROOT, package), package)
    for library in _LIBRARIES:
        parts.append(_library(library))
    return digest(*parts)


def _identity(path: str) -> str:
    """A file's size, modification time and status-change time (ns).

    Writing a file changes its mtime and ctime; a tool that copies or restores a file
    with its old times (``cp -p``, ``rsync -t``, an archive) sets the mtime but not the
    ctime, which the kernel sets to now on every change. So two versions of a module
    never share an identity (a filesystem with coarse times aside), at a tenth of the
    cost of reading them: this runs in every command.
    """
    st = os.stat(path)
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def _modules(directory: str, name: str) -> list[str]:
    """``name/relative path identity`` of each .py file under ``directory``, sorted."""
    found = []
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.is_dir() and entry.name != "__pycache__":
                found += _modules(entry.path, f"{name}/{entry.name}")
            elif entry.name.endswith(".py"):
                found.append(f"{name}/{entry.name} {_identity(entry.path)}")
    return sorted(found)


def _library(name: str) -> str:
    """The installed package's ``__init__.py`` and its identity (an install rewrites it);
    found without importing the package (lint answers without DuckDB)."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return f"{name}: not installed"
    return f"{spec.origin} {_identity(spec.origin)}"


class CompileCache:
    """Entries under ``directory``; ``context`` is mixed into every key (the stack's
    inputs the caller knows, and the code). A plain class: a dataclass costs every
    command a millisecond to define."""

    __slots__ = ("context", "directory")

    def __init__(self, directory: Path, context: str) -> None:
        self.directory, self.context = directory, context

    @classmethod
    def for_project(cls, project_dir: Path, *inputs: str) -> CompileCache:
        """The project's cache, keyed by ``inputs`` (a catalog's fingerprint, ...) and
        the code."""
        return cls(project_dir / CACHE_DIR, digest(code_version(), *inputs))

    def key(self, kind: str, *parts: str | bytes) -> str:
        """The name of the entry of ``kind`` ("compiled", "lint") for these inputs."""
        return f"{kind}-{digest(self.context, kind, *parts)}"

    def get(self, key: str) -> Any | None:
        """The value stored under ``key``; None when absent, unreadable or not JSON."""
        try:
            return json.loads((self.directory / f"{key}.json").read_bytes())
        except (OSError, ValueError):
            return None

    def put(self, key: str, value: Any) -> None:
        """Store ``value`` (JSON) under ``key`` atomically; a failure to write is ignored."""
        path = self.directory / f"{key}.json"
        temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            temp.write_text(json.dumps(value), encoding="utf-8")
            os.replace(temp, path)
        except OSError:
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)

    def yaml(self, text: str, parse: Callable[[], Any]) -> Any:
        """``parse()``'s value (``text`` read by PyYAML), stored under the text when JSON
        gives it back exactly (:func:`_plain`); a date, a non-string key or a NaN is
        parsed again each time. A text PyYAML refuses is never stored: ``parse`` raises
        its error, in the caller's words, every time."""
        key = self.key("yaml", text)
        entry = self.get(key)
        if isinstance(entry, dict) and "value" in entry:
            return entry["value"]
        value = parse()
        if _plain(value):
            self.put(key, {"value": value})
        return value


def _plain(value: Any) -> bool:
    """Whether ``value`` is made only of what JSON writes and reads back as the same
    types and values: dicts with string keys, lists, strings, finite floats, ints,
    booleans and None."""
    if value is None or type(value) in (str, bool, int):
        return True
    if type(value) is float:
        return math.isfinite(value)
    if type(value) is list:
        return all(_plain(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    return False
