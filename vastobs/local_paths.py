"""Where the embedded backend keeps things (ARCHITECTURE §2a, local backend paths).

A view with path ``/swift/observations`` is ``<local_root>/views/swift/observations``;
the VAST database is the DuckDB file ``vastobs.duckdb`` inside the database view,
so its bytes count against the database quota. Written once, here, for the
backend, the runner and the tools.
"""

from __future__ import annotations

from pathlib import Path

DATABASE_FILE = "vastobs.duckdb"


def view_directory(root: Path, path: str) -> Path:
    return Path(root) / "views" / path.lstrip("/")


def database_file(root: Path, database_path: str) -> Path:
    return view_directory(root, database_path) / DATABASE_FILE
