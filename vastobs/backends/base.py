"""What a backend offers the providers and the monitor: VMS-shaped collections, a
table catalog, and the capacity of the storage underneath.

Records are dicts with the VMS field names (``id``, ``path``, ``hard_limit``,
...), so the providers' matching, diffing and adoption logic is the same for
the ``vast`` backend (VMS REST through vastpy) and the ``local`` one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

Record = dict[str, Any]
COLLECTIONS = ("views", "viewpolicies", "qospolicies", "quotas")


@dataclass(frozen=True)
class Capacity:
    """Bytes the storage under the views can hold and holds; ``source`` names it."""

    total_bytes: int | None
    used_bytes: int | None
    source: str


class Collection(Protocol):
    """One VMS object kind: ``/views/``, ``/viewpolicies/``, ``/qospolicies/``, ``/quotas/``."""

    kind: str

    def list(self, **filters: Any) -> list[Record]: ...

    def get(self, id_: int) -> Record | None: ...

    def create(self, body: Record) -> Record: ...

    def update(self, id_: int, changes: Record) -> Record: ...

    def delete(self, id_: int) -> None: ...


class Catalog(Protocol):
    """VAST DB schemas, tables and their sorted projections in one database (the bucket
    of the database view)."""

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

    def projection(self, database: str, schema: str, table: str, name: str) -> Record | None:
        """``{name, sorted_columns, unsorted_columns}`` of a table's sorted projection, or
        None when the table or the projection does not exist."""

    def create_projection(
        self, database: str, schema: str, table: str, name: str,
        sorted_columns: list[str], unsorted_columns: list[str],
    ) -> None: ...  # fmt: skip

    def delete_projection(self, database: str, schema: str, table: str, name: str) -> None: ...


class Backend(Protocol):
    def collection(self, kind: str) -> Collection: ...

    def catalog(self) -> Catalog: ...

    def view_holds_data(self, view: Record) -> bool: ...

    def remove_view_data(self, view: Record) -> None:
        """After deleting a view: the local backend removes its directory; VAST keeps it."""

    def capacity(self) -> Capacity | None:
        """The storage the views live on (usage per path is in the quota records);
        None when the backend cannot tell."""
