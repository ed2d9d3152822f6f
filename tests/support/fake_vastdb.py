"""A fake of the few vastdb SDK calls the loader uses, with the server's strictness.

The real SDK needs a live VAST endpoint (it checks the server's version on
connect), so the loader's vastdb target is tested against this: it raises the
SDK's own errors for missing buckets, schemas and tables, refuses an insert
whose Arrow schema differs from the table's, and rolls a transaction back when
its block raises, as the SDK does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import pyarrow as pa
import pyarrow.compute as pc
from vastdb import errors

T = TypeVar("T")
ROW_ID = "$row_id"  # the SDK's internal row id column (uint64)


@dataclass
class FakeTable:
    name: str
    schema: pa.Schema
    rows: pa.Table = field(init=False)
    fail_after_inserts: int | None = None  # fault injection: raise on the Nth insert
    inserts: int = 0

    ids: pa.Array = field(init=False)  # each row's ``$row_id``, as the server keeps them
    next_id: int = 0

    def __post_init__(self) -> None:
        self.rows = self.schema.empty_table()
        self.ids = pa.array([], pa.uint64())

    def select(
        self, columns: list[str] | None = None, *, internal_row_id: bool = False
    ) -> pa.RecordBatchReader:
        data = self.rows.select(columns) if columns else self.rows
        if internal_row_id:
            data = data.append_column(ROW_ID, self.ids)
        return pa.RecordBatchReader.from_batches(data.schema, data.to_batches())

    def delete(self, rows: pa.Table | pa.RecordBatch) -> None:
        """The rows whose ``$row_id`` is given go; any other column is refused, as the SDK does."""
        if rows.schema.names != [ROW_ID]:
            raise errors.BadRequest(
                code="InvalidArgument", message=f"delete takes {ROW_ID} only",
                method="DELETE", url=self.name, status=400, headers={},
            )  # fmt: skip
        keep = pc.invert(pc.is_in(self.ids, value_set=pa.array(rows.column(0), pa.uint64())))
        self.rows, self.ids = self.rows.filter(keep), self.ids.filter(keep)

    def insert(self, rows: pa.Table | pa.RecordBatch) -> pa.ChunkedArray:
        table = pa.Table.from_batches([rows]) if isinstance(rows, pa.RecordBatch) else rows
        if not table.schema.equals(self.schema):
            raise errors.BadRequest(
                code="InvalidArgument", message=f"schema mismatch for {self.name}",
                method="POST", url=self.name, status=400, headers={},
            )  # fmt: skip
        self.inserts += 1
        if self.fail_after_inserts is not None and self.inserts > self.fail_after_inserts:
            raise errors.ServiceUnavailable(
                code="SlowDown",
                message="injected",
                method="POST",
                url=self.name,
                status=503,
                headers={},
            )
        new = pa.array(range(self.next_id, self.next_id + table.num_rows), pa.uint64())
        self.next_id += table.num_rows
        self.rows = pa.concat_tables([self.rows, table])
        self.ids = pa.concat_arrays([self.ids, new])
        return pa.chunked_array([new])


def _lookup(found: dict[str, T], name: str, missing: Exception | None) -> T | None:
    """``found[name]``; when it is absent, ``missing`` raised, or None without one (the
    SDK's ``fail_if_missing``)."""
    if name in found:
        return found[name]
    if missing is not None:
        raise missing
    return None


@dataclass
class FakeSchema:
    name: str
    tables: dict[str, FakeTable] = field(default_factory=dict)

    def table(self, name: str, fail_if_missing: bool = True) -> FakeTable | None:
        missing = errors.MissingTable("bucket", self.name, name)
        return _lookup(self.tables, name, missing if fail_if_missing else None)


@dataclass
class FakeBucket:
    name: str
    schemas: dict[str, FakeSchema] = field(default_factory=dict)

    def schema(self, name: str, fail_if_missing: bool = True) -> FakeSchema | None:
        missing = errors.MissingSchema(self.name, name)
        return _lookup(self.schemas, name, missing if fail_if_missing else None)


class FakeSession:
    def __init__(self, buckets: dict[str, FakeBucket]) -> None:
        self.buckets = buckets
        self.committed = 0
        self.rolled_back = 0

    @contextmanager
    def transaction(self) -> Iterator[FakeSession]:
        snapshot = {
            id(t): (t.rows, t.ids)
            for b in self.buckets.values()
            for s in b.schemas.values()
            for t in s.tables.values()
        }
        try:
            yield self
        except BaseException:
            for bucket in self.buckets.values():
                for schema in bucket.schemas.values():
                    for table in schema.tables.values():
                        table.rows, table.ids = snapshot.get(id(table), (table.rows, table.ids))
            self.rolled_back += 1
            raise
        self.committed += 1

    def bucket(self, name: str) -> FakeBucket:
        if name not in self.buckets:
            raise errors.MissingBucket(name)
        return self.buckets[name]
