"""The local backend's deletion-safety reads: rows in a table, data in the database view."""

from __future__ import annotations

from pathlib import Path

import duckdb

from devtools.toolchain import PROJECT_DIR
from vastobs.backends.local import LocalBackend
from vastobs.ddl import load_table

BURSTS = load_table(PROJECT_DIR, "swift", "bursts")


def test_rows_in_a_table_count_as_data_in_its_view(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path)
    view = backend.collection("views").create({"path": "/db", "bucket": "db", "policy_id": 1})
    catalog = backend.catalog()
    catalog.create_schema("db", "swift")
    catalog.create_table("db", "swift", "bursts", BURSTS.vms_arrow_schema())
    assert catalog.table_rows("db", "swift", "bursts") == 0
    assert not backend.view_holds_data(view)

    with duckdb.connect(str(backend.database_file("db"))) as con:
        con.execute("INSERT INTO swift.bursts (trigger_id) VALUES (1)")
    assert catalog.table_rows("db", "swift", "bursts") == 1
    assert backend.view_holds_data(view)
    assert catalog.table_rows("db", "swift", "missing") is None


def test_creating_a_table_keeps_the_row_groups_loads_chose(tmp_path: Path) -> None:
    """A load writes its rows in the row groups its size asks for (16,384 rows for a
    small one); Pulumi creating another table later must not merge them into DuckDB's
    default 122,880, which made a cone at 10^6 rows 1.5x slower."""
    backend = LocalBackend(tmp_path)
    backend.collection("views").create({"path": "/db", "bucket": "db", "policy_id": 1})
    catalog = backend.catalog()
    catalog.create_schema("db", "swift")
    database = backend.database_file("db")
    with duckdb.connect(":memory:") as con:
        con.execute(f"ATTACH '{database}' AS db (ROW_GROUP_SIZE 16384)")
        con.execute("CREATE TABLE db.swift.points AS SELECT range AS i FROM range(60000)")
        con.execute("DETACH db")

    def groups() -> int:
        with duckdb.connect(str(database), read_only=True) as con:
            sql = "SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('swift.points')"
            return int(con.execute(sql).fetchone()[0])

    assert groups() == 4
    catalog.create_table("db", "swift", "bursts", BURSTS.vms_arrow_schema())
    assert groups() == 4
