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
