"""What a backend offers the providers: VMS-shaped collections and a table catalog.

Records are dicts with the VMS field names (``id``, ``path``, ``hard_limit``,
...), so the providers' matching, diffing and adoption logic is the same for
the ``vast`` backend (VMS REST through vastpy) and the ``local`` one.
"""

from __future__ import annotations

from typing import Any, Protocol

Record = dict[str, Any]
COLLECTIONS = ("views", "viewpolicies", "qospolicies", "quotas")


class Collection(Protocol):
    """One VMS object kind: ``/views/``, ``/viewpolicies/``, ``/qospolicies/``, ``/quotas/``."""

    kind: str

    def list(self, **filters: Any) -> list[Record]: ...

    def get(self, id_: int) -> Record | None: ...

    def create(self, body: Record) -> Record: ...

    def update(self, id_: int, changes: Record) -> Record: ...

    def delete(self, id_: int) -> None: ...


class Catalog(Protocol):
    """VAST DB schemas and tables of one database (the bucket of the database view)."""

    def schema_exists(self, database: str, schema: str) -> bool: ...

    def create_schema(self, database: str, schema: str) -> None: ...

    def delete_schema(self, database: str, schema: str) -> None: ...

    def columns(self, database: str, schema: str, table: str) -> list[Record] | None:
        """``[{name, field: {column_type}}]``, or None when the table does not exist."""

    def table_rows(self, database: str, schema: str, table: str) -> int | None:
        """Row count, or None when the table does not exist."""

    def create_table(
        self, database: str, schema: str, table: str, arrow_schema: list[Record]
    ) -> None: ...

    def add_columns(
        self, database: str, schema: str, table: str, arrow_schema: list[Record]
    ) -> None: ...

    def delete_table(self, database: str, schema: str, table: str) -> None: ...


class Backend(Protocol):
    def collection(self, kind: str) -> Collection: ...

    def catalog(self) -> Catalog: ...

    def view_holds_data(self, view: Record) -> bool: ...

    def remove_view_data(self, view: Record) -> None:
        """After deleting a view: the local backend removes its directory; VAST keeps it."""
