"""The embedded backend: VMS objects recorded in a JSON file, views as directories,
VAST DB schemas and tables in one DuckDB file inside the database view.

``<root>/views/<view path>`` is a view's directory; ``<root>/vms.json`` records
the objects with VMS field names, and the tables' sorted projections; the
database whose bucket is ``b`` is the DuckDB file ``vastobs.duckdb`` in the
directory of the view with ``bucket: b`` (docs/architecture.md). Usage is
measured: bytes under the directory.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vastobs.backends.base import COLLECTIONS, Capacity, Record
from vastobs.backends.filelock import exclusive, open_duckdb
from vastobs.errors import BackendError
from vastobs.local_paths import DATABASE_FILE, database_file, view_directory

PROJECTIONS = "projections"  # in vms.json beside the collections: tables' sorted projections

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

# duckdb, pyarrow and sqlglot (with vastobs.ddl) are imported where the catalog uses
# them: every Pulumi command starts a provider process, and most never touch a table.


def directory_bytes(directory: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(directory):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except FileNotFoundError:
                continue
    return total


def quota_state(used: int, soft: int | None, hard: int | None) -> str:
    if hard and used >= hard:
        return "HARD_EXCEEDED"
    if soft and used > soft:
        return "SOFT_EXCEEDED"
    return "OK"


class LocalBackend:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.registry = self.root / "vms.json"

    @contextmanager
    def _store(self, write: bool) -> Iterator[dict[str, Any]]:
        data: dict[str, Any] = {"next_id": 1, **{k: {} for k in COLLECTIONS}}
        if not write and not self.registry.exists():
            yield data  # nothing recorded yet; a read creates nothing (preview stays pure)
            return
        with exclusive(self.registry):
            if self.registry.exists():
                try:
                    data.update(json.loads(self.registry.read_text()))
                except json.JSONDecodeError as exc:
                    raise BackendError(f"{self.registry}: not valid JSON ({exc})") from exc
            yield data
            if write:
                tmp = self.registry.with_suffix(".tmp")
                tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
                tmp.replace(self.registry)

    def collection(self, kind: str) -> LocalCollection:
        if kind not in COLLECTIONS:
            raise BackendError(f"local backend: unknown collection {kind}")
        return LocalCollection(self, kind)

    def catalog(self) -> LocalCatalog:
        return LocalCatalog(self)

    def view_holds_data(self, view: Record) -> bool:
        """Any file counts, but the database file only while a table in it has rows."""
        directory = view_directory(self.root, view["path"])
        if not directory.is_dir():
            return False
        for entry in directory.iterdir():
            if not entry.name.startswith(DATABASE_FILE):
                return True
        database = directory / DATABASE_FILE
        return database.exists() and _has_rows(database)

    def remove_view_data(self, view: Record) -> None:
        shutil.rmtree(view_directory(self.root, view["path"]), ignore_errors=True)

    def capacity(self) -> Capacity:
        """The filesystem of the root (of the working directory until the root exists)."""
        root = self.root if self.root.exists() else Path(".")
        usage = shutil.disk_usage(root)
        return Capacity(usage.total, usage.used, f"filesystem of {root}")

    def database_file(self, database: str) -> Path:
        views = self.collection("views").list(bucket=database)
        if not views:
            raise BackendError(
                f"database {database}: no view with that bucket (declare the database view first)"
            )
        return database_file(self.root, views[0]["path"])


class LocalCollection:
    def __init__(self, backend: LocalBackend, kind: str) -> None:
        self.backend, self.kind = backend, kind

    def _live(self, record: Record) -> Record:
        """Fill the fields VMS computes: usage of views and quotas."""
        record = dict(record)
        if self.kind in ("views", "quotas"):
            directory = view_directory(self.backend.root, record["path"])
            used = directory_bytes(directory) if directory.is_dir() else 0
            if self.kind == "views":
                record["logical_capacity"] = used
            else:
                record["used_capacity"] = used
                hard = record.get("hard_limit") or 0
                record["percent_capacity"] = round(100.0 * used / hard, 2) if hard else 0
                record["state"] = quota_state(used, record.get("soft_limit"), hard)
        return record

    def list(self, **filters: Any) -> list[Record]:
        with self.backend._store(write=False) as data:
            records = list(data[self.kind].values())
        return [
            self._live(r)
            for r in records
            if all(r.get(k) == v for k, v in filters.items() if v is not None)
        ]

    def get(self, id_: int) -> Record | None:
        with self.backend._store(write=False) as data:
            record = data[self.kind].get(str(id_))
        return None if record is None else self._live(record)

    def create(self, body: Record) -> Record:
        with self.backend._store(write=True) as data:
            if self.kind == "views" and any(
                v["path"] == body["path"] for v in data["views"].values()
            ):
                raise BackendError(f"view {body['path']}: a view with this path exists")
            if (
                self.kind != "views"
                and "name" in body
                and any(r.get("name") == body["name"] for r in data[self.kind].values())
            ):
                raise BackendError(f"{self.kind} {body['name']}: the name is taken")
            record = {**body, "id": data["next_id"]}
            data["next_id"] += 1
            data[self.kind][str(record["id"])] = record
        if self.kind == "views":
            view_directory(self.backend.root, body["path"]).mkdir(parents=True, exist_ok=True)
        return self._live(record)

    def update(self, id_: int, changes: Record) -> Record:
        with self.backend._store(write=True) as data:
            record = data[self.kind].get(str(id_))
            if record is None:
                raise BackendError(f"{self.kind} {id_}: not found")
            if self.kind == "quotas":  # as VMS: PATCH spells limits as strings of bytes
                changes = {k: int(v) if k.endswith("_limit") else v for k, v in changes.items()}
            record.update(changes)
        if self.kind == "views":
            view_directory(self.backend.root, record["path"]).mkdir(parents=True, exist_ok=True)
        return self._live(record)

    def delete(self, id_: int) -> None:
        with self.backend._store(write=True) as data:
            data[self.kind].pop(str(id_), None)


class LocalCatalog:
    """Schemas and tables of the local VAST DB, in DuckDB; writers hold the file lock."""

    def __init__(self, backend: LocalBackend) -> None:
        self.backend = backend

    @contextmanager
    def _connect(self, database: str) -> Iterator[duckdb.DuckDBPyConnection]:
        path = self.backend.database_file(database)
        path.parent.mkdir(parents=True, exist_ok=True)
        with exclusive(path), open_duckdb(path) as con:  # waits for readers inside
            yield con

    def schema_exists(self, database: str, schema: str) -> bool:
        with self._connect(database) as con:
            rows = con.execute(
                "SELECT 1 FROM information_schema.schemata WHERE schema_name = ?", [schema]
            ).fetchall()
        return bool(rows)

    def create_schema(self, database: str, schema: str) -> None:
        with self._connect(database) as con:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)}")

    def delete_schema(self, database: str, schema: str) -> None:
        with self._connect(database) as con:
            con.execute(f"DROP SCHEMA IF EXISTS {_ident(schema)}")

    def columns(self, database: str, schema: str, table: str) -> list[Record] | None:
        with self._connect(database) as con:
            exists = con.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                [schema, table],
            ).fetchall()
            if not exists:
                return None
            arrow = con.sql(f"SELECT * FROM {_qualified(schema, table)} LIMIT 0").to_arrow_table()
        return [{"name": f.name, "field": {"column_type": str(f.type)}} for f in arrow.schema]

    def table_rows(self, database: str, schema: str, table: str) -> int | None:
        if self.columns(database, schema, table) is None:
            return None
        with self._connect(database) as con:
            return int(
                con.execute(f"SELECT count(*) FROM {_qualified(schema, table)}").fetchall()[0][0]
            )

    def create_table(
        self, database: str, schema: str, table: str, arrow_schema: list[Record]
    ) -> None:
        import pyarrow as pa

        empty = pa.schema([_field(c) for c in arrow_schema]).empty_table()  # noqa: F841 (read by DuckDB)
        with self._connect(database) as con:
            con.execute(f"CREATE TABLE {_qualified(schema, table)} AS SELECT * FROM empty")
        self._forget_projections(database, schema, table)  # a new table has none yet

    def add_columns(
        self, database: str, schema: str, table: str, arrow_schema: list[Record]
    ) -> None:
        import pyarrow as pa

        with self._connect(database) as con:
            for column in arrow_schema:
                added = pa.schema([_field(column)]).empty_table()  # noqa: F841 (read by DuckDB)
                duck_type = con.sql("SELECT * FROM added").types[0]
                con.execute(
                    f"ALTER TABLE {_qualified(schema, table)} ADD COLUMN "
                    f"{_ident(column['name'])} {duck_type}"
                )

    def delete_table(self, database: str, schema: str, table: str) -> None:
        with self._connect(database) as con:
            con.execute(f"DROP TABLE IF EXISTS {_qualified(schema, table)}")
        self._forget_projections(database, schema, table)

    def _forget_projections(self, database: str, schema: str, table: str) -> None:
        """A table's projections go with it (also when its DuckDB file went by hand)."""
        prefix = _projection_key(database, schema, table, "")
        with self.backend._store(write=True) as data:
            kept = data.get(PROJECTIONS, {})
            data[PROJECTIONS] = {k: v for k, v in kept.items() if not k.startswith(prefix)}

    # A sorted projection is a declaration here: DuckDB keeps one order per table, the
    # one the loader writes (the DDL's sorted_by), so the record says which it is.

    def projection(self, database: str, schema: str, table: str, name: str) -> Record | None:
        with self.backend._store(write=False) as data:
            record = data.get(PROJECTIONS, {}).get(_projection_key(database, schema, table, name))
        if record is None or self.columns(database, schema, table) is None:
            return None
        return {k: record[k] for k in ("name", "sorted_columns", "unsorted_columns")}

    def create_projection(
        self, database: str, schema: str, table: str, name: str,
        sorted_columns: list[str], unsorted_columns: list[str],
    ) -> None:  # fmt: skip
        live = self.columns(database, schema, table)
        if live is None:
            raise BackendError(f"projection {name}: table {schema}.{table} does not exist")
        unknown = sorted(set(sorted_columns + unsorted_columns) - {c["name"] for c in live})
        if unknown:
            raise BackendError(
                f"projection {name}: table {schema}.{table} has no column {', '.join(unknown)}"
            )
        key = _projection_key(database, schema, table, name)
        with self.backend._store(write=True) as data:
            projections = data.setdefault(PROJECTIONS, {})
            if key in projections:
                raise BackendError(f"projection {name} of {schema}.{table}: the name is taken")
            projections[key] = {
                "name": name, "sorted_columns": list(sorted_columns),
                "unsorted_columns": list(unsorted_columns),
            }  # fmt: skip

    def delete_projection(self, database: str, schema: str, table: str, name: str) -> None:
        with self.backend._store(write=True) as data:
            data.get(PROJECTIONS, {}).pop(_projection_key(database, schema, table, name), None)


def _projection_key(database: str, schema: str, table: str, name: str) -> str:
    return "/".join((database, schema, table, name))


def _has_rows(database: Path) -> bool:
    import duckdb

    with exclusive(database), duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
        ).fetchall()
        return any(
            con.execute(f"SELECT 1 FROM {_qualified(s, t)} LIMIT 1").fetchall() for s, t in tables
        )


def _field(column: Record) -> pa.Field:
    import pyarrow as pa

    from vastobs.ddl import arrow_types

    by_name = {str(t): t for t in arrow_types().values()}  # as the VMS spec names them
    name = column["field"]["column_type"]
    if name not in by_name:
        raise BackendError(
            f"column {column['name']}: type {name} is not one of {', '.join(by_name)}"
        )
    return pa.field(column["name"], by_name[name])


def _ident(name: str) -> str:
    from sqlglot import exp

    return exp.to_identifier(name, quoted=True).sql("duckdb")


def _qualified(schema: str, table: str) -> str:
    from sqlglot import exp

    return exp.table_(table, db=schema, quoted=True).sql("duckdb")
