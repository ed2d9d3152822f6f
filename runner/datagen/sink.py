"""One Parquet file per table, written as the cells arrive, in bounded row groups.

Cells are small and arrive in sky order, already sorted; the sink only
buffers them until a row group of ``batch_rows`` is full, so memory stays at
a row group plus a cell whatever the dataset's size. Writer options are
fixed, so the same rows give the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


class TableSink:
    def __init__(self, path: Path, schema: pa.Schema, batch_rows: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.schema, self.batch_rows = path, schema, batch_rows
        self.partial = path.with_name(path.name + ".partial")
        self.writer = pq.ParquetWriter(
            self.partial,
            schema,
            compression="zstd",
            write_statistics=True,
            store_schema=True,
        )
        self.pending: list[pa.Table] = []
        self.pending_rows = 0
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        self.pending.append(table)
        self.pending_rows += table.num_rows
        while self.pending_rows >= self.batch_rows:
            self._flush(self.batch_rows)

    def _flush(self, size: int) -> None:
        merged = pa.concat_tables(self.pending)
        self.writer.write_table(merged.slice(0, size), row_group_size=size)
        rest = merged.slice(size)
        self.pending = [rest] if rest.num_rows else []
        self.pending_rows = rest.num_rows
        self.rows += size

    def close(self) -> None:
        if self.pending_rows:
            self._flush(self.pending_rows)
        self.writer.close()
        self.partial.replace(self.path)

    def abort(self) -> None:
        self.writer.close()
        self.partial.unlink(missing_ok=True)
