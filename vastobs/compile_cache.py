"""sqlglot's results kept on disk, so that a CLI process started cold need not redo them.

Compiling a query file (Trino SQL to the engine's, kinds and macros expanded) and
linting one both parse with sqlglot, whose import alone costs a `run` about 0.35 s;
the engine keeps its compiled SQL in memory, but each CLI command is a new process
(issue 20). This store keeps the results under the project's ``.vastobs/cache/``
(git-ignored), one JSON file per entry, named by the SHA-256 of every input the
value depends on, so that a changed input names another entry and an entry is never
stale:

- the query file's text (its header's parameter types included);
- the stack's catalog (:attr:`runner.catalog.Catalog.fingerprint`): the text of
  every kind and table DDL file and the stack's observatories with their kinds,
  tables and extra columns; the engine's physical names (Trino's catalog and
  bucket);
- what the value is for: the engine's class and dialect and the observatories
  chosen (compiled SQL), or the file's path and the lock file (lint findings);
- the code (:func:`code_version`): the text of every module of ``runner/`` and
  ``vastobs/``, and the installed sqlglot and DuckDB (their dist-info names).

The code is hashed by content rather than by (size, mtime): it costs about 3 ms for
the 80-odd modules, no checkout, copy or editor that keeps times can fool it, and
there is no list of "the modules that compile" to keep up to date (a change to any
module costs one cold run, nothing worse).

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
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CACHE_DIR = Path(".vastobs") / "cache"
_CODE_ROOT = Path(__file__).resolve().parents[1]  # holds runner/ and vastobs/
_CODE_PACKAGES = ("runner", "vastobs")
_LIBRARIES = ("sqlglot", "duckdb")  # what compiles (sqlglot) and what lint plans on (DuckDB)


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
    """The text of every module of runner/ and vastobs/, and the sqlglot and DuckDB
    installed: what compiles and lints, so a change to either invalidates every entry."""
    parts: list[str | bytes] = []
    for package in _CODE_PACKAGES:
        for path in sorted((_CODE_ROOT / package).rglob("*.py")):
            parts += [str(path.relative_to(_CODE_ROOT)), path.read_bytes()]
    return digest(*parts, *_library_versions())


def _library_versions() -> list[str]:
    """The dist-info directories of the libraries (their names carry the versions),
    read from the directory listing: importlib.metadata would cost more than the rest."""
    import importlib.util

    names = []
    for library in _LIBRARIES:
        spec = importlib.util.find_spec(library)
        origin = Path(spec.origin) if spec and spec.origin else None
        if origin is None:
            names.append(f"{library}: not installed")
            continue
        site = origin.parent.parent
        names += sorted(n for n in os.listdir(site) if n.startswith(f"{library}-"))
    return names


@dataclass(frozen=True)
class CompileCache:
    """Entries under ``directory``; ``context`` is mixed into every key (the stack's
    inputs the caller knows, and the code)."""

    directory: Path
    context: str

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
