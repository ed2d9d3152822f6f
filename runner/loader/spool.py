"""The checked rows of one load, on disk, and what SQL finds across them.

The checks see one batch at a time; the spool keeps what they pass in a
Parquet file of its own (``__source_file`` and ``__line`` beside the
table's columns), or, for a Parquet file every row of which passes as it
is (``add_in_place``), reads that file where it is; and lets DuckDB,
bounded by ``SPOOL_MEMORY`` and spilling to the spool's directory, answer
what needs every row at once: which keys come twice in the input (the
later rows are quarantined as duplicates) and, for the sinks, which rows
are new to the table and in what order they go (``sorted_by``). So a
load's memory does not grow with its rows; its disk does, about the size
of the input once more, less the files read in place.

A file read in place is read again at the commit, so each sink calls
``confirm_unchanged`` before it commits: a file changed since its checks
refuses the load.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from runner.loader.validate import Rejected
from vastobs.ddl import TableDef
from vastobs.errors import InputError

SOURCE = "__source_file"  # the staged rows' file index, never a table column
LINE = "__line"  # the row's line in its file (1-based data rows), never a table column
SPOOL_MEMORY = "1GB"
"""DuckDB's memory for a load's SQL (duplicates, anti-join, sort); beyond it DuckDB spills
to the spool's directory. With Python, Arrow's batches and the reader this keeps a load
of any size under 2 GB of RSS (docs/data.md, bench/load_bench.py)."""
SPOOL_ROW_GROUP = 131_072
"""Rows per row group of the spool: small batches are merged up to it, large ones split, so
DuckDB reads the spool with every thread (one row group is one thread's work)."""


def ident(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql("duckdb")


def literal(text: str) -> str:
    return exp.Literal.string(text).sql("duckdb")


Fingerprint = tuple[int, int, int]


def fingerprint(path: Path) -> Fingerprint:
    """What tells a file rewritten or changed since: its inode, size and modification time."""
    stat = path.stat()
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


@dataclass
class OrderWatch:
    """Whether the rows seen so far, across batches and files, are in ``keys`` order."""

    keys: list[str]
    ascending: bool = True
    last: pa.Table | None = None  # the last row seen, its keys only

    def follow(self, rows: pa.Table) -> None:
        if not self.ascending:
            return
        rows = rows.select(self.keys)
        probe = rows if self.last is None else pa.concat_tables([self.last, rows])
        self.ascending = ascending(probe, self.keys)
        self.last = rows.slice(rows.num_rows - 1)


class Spool:
    """One load's checked rows: written batch by batch, then read by SQL.

    Lives in a ``.load-*`` directory under ``parent`` (the database's
    directory for the local sink, so its size counts where the data go;
    the system's temporary directory otherwise), removed by ``close``.
    """

    def __init__(self, table: TableDef, parent: Path | None) -> None:
        self.table = table
        self.directory = Path(tempfile.mkdtemp(prefix=".load-", dir=parent))
        self.path = self.directory / "rows.parquet"
        self.schema = (
            table.arrow_schema()
            .append(pa.field(SOURCE, pa.int32(), nullable=False))
            .append(pa.field(LINE, pa.int64(), nullable=False))
        )
        self._writer: pq.ParquetWriter | None = pq.ParquetWriter(
            self.path, self.schema, compression="none", use_dictionary=False
        )  # written once and read twice, on local disk: encoding costs more than it saves
        self._writing = ThreadPoolExecutor(1, thread_name_prefix="spool")
        self._written: Future[None] | None = None
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self.staged: dict[int, int] = {}
        self.duplicates: dict[int, int] = {}
        self.watch = OrderWatch(self.order_keys())
        """The order of the rows staged so far (``add`` follows it; ``add_in_place`` gets it)."""
        self._spooled = False
        self._in_place: list[tuple[int, Path, Fingerprint]] = []
        self.con = duckdb.connect(
            str(self.directory / "spool.duckdb"),
            config={"memory_limit": SPOOL_MEMORY, "temp_directory": str(self.directory / "spill")},
        )
        self.rows = ""
        """SQL for the rows to add, once sealed: every staged row but the input's duplicates."""

    def add(self, good: pa.Table, lines: pa.Array, source: int) -> None:
        """Checked rows of input file ``source``, with their lines."""
        if not good.num_rows:
            return
        self.staged[source] = self.staged.get(source, 0) + good.num_rows
        self._spooled = True
        self.watch.follow(good)
        tagged = good.append_column(
            SOURCE, pa.repeat(pa.scalar(source, pa.int32()), good.num_rows)
        ).append_column(LINE, lines)
        self._pending.append(tagged.cast(self.schema))
        self._pending_rows += good.num_rows
        if self._pending_rows >= SPOOL_ROW_GROUP:
            self._flush()

    def add_in_place(
        self, path: Path, source: int, seen: Fingerprint, rows: int, watch: OrderWatch
    ) -> None:
        """Parquet file ``source``, each of whose ``rows`` passes every check as it is
        (``validate.passes_as_is``): SQL reads it where it is, so its rows are not copied.
        ``seen``: its ``fingerprint`` before its checks; ``watch``: a copy of ``self.watch``
        that followed its rows."""
        self.staged[source] = self.staged.get(source, 0) + rows
        self._link(source).symlink_to(path.resolve())  # DuckDB reads [ ] * ? as a glob
        self._in_place.append((source, path, seen))
        self.watch = watch

    def _link(self, source: int) -> Path:
        """Where SQL reads file ``source`` read in place: a name of ours linked to it."""
        return self.directory / f"in-place-{source}.parquet"

    @property
    def in_order(self) -> bool:
        """Whether the rows to add come in ``sorted_by`` order already (then no sort is due):
        rows from one part only (the spool, or one file read in place), as DuckDB keeps a
        file's order but not one across the parts of a ``UNION ALL``."""
        return self.watch.ascending and len(self._in_place) + self._spooled <= 1

    def _parts(self) -> list[str]:
        """SQL for each part of the staged rows: the files read in place, then the spool's."""
        columns = ", ".join(ident(c.name) for c in self.table.columns)
        parts = [
            f"SELECT {columns}, CAST({source} AS INTEGER) AS {ident(SOURCE)},"
            f" file_row_number + 1 AS {ident(LINE)}"
            f" FROM read_parquet({literal(str(self._link(source)))}, file_row_number = true)"
            for source, _path, _seen in self._in_place
        ]
        if self._spooled or not parts:
            parts.append(f"SELECT * FROM read_parquet({literal(str(self.path))})")
        return parts

    def confirm_unchanged(self) -> None:
        """Refuse the load if a file read in place is not the one checked (rewritten,
        changed or gone since): called by each sink before it commits."""
        for _source, path, seen in self._in_place:
            try:
                now = fingerprint(path)
            except OSError:
                now = None
            if now != seen:
                raise InputError(
                    f"{path}: changed or replaced while it was being loaded (after its"
                    " checks); nothing was loaded"
                )

    def _flush(self) -> None:
        """The pending rows written as one row group, in a thread of their own while the
        next batches are read and checked (pyarrow lets go of the GIL); one write at a time."""
        self._wait()
        if self._pending and self._writer is not None:
            rows = pa.concat_tables(self._pending)
            self._written = self._writing.submit(self._writer.write_table, rows, SPOOL_ROW_GROUP)
        self._pending, self._pending_rows = [], 0

    def _wait(self) -> None:
        if self._written is not None:
            written, self._written = self._written, None
            written.result()  # a failed write (a full disk) fails the load

    def seal(self) -> dict[int, list[Rejected]]:
        """Every row written; the input's duplicate keys found, per file, as rejections.

        The first row of a key (by file, then line) stays; each later one is
        rejected as a duplicate in the input, as the row-by-row check did.
        """
        self._flush()
        self._wait()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.watch.last = None
        pa.default_memory_pool().release_unused()  # the read's batches, back to the system
        self.rows = f"({' UNION ALL '.join(self._parts())})"
        keys = ", ".join(ident(k) for k in self.table.key)
        partition = ", ".join(f"s.{ident(k)}" for k in self.table.key)
        self.con.execute(  # keys that hash alike first (one integer a row), then exactly
            f"CREATE TEMP TABLE dup AS SELECT * FROM ("
            f" SELECT s.*, row_number() OVER (PARTITION BY {partition}"
            f"  ORDER BY s.{ident(SOURCE)}, s.{ident(LINE)}) AS __nth"
            f" FROM {self.rows} AS s WHERE hash({keys}) IN"
            f" (SELECT hash({keys}) FROM {self.rows} GROUP BY ALL HAVING count(*) > 1)"
            f") WHERE __nth > 1"
        )
        found: dict[int, list[Rejected]] = {}
        cursor = self.con.execute(
            f"SELECT * EXCLUDE (__nth) FROM dup ORDER BY {ident(SOURCE)}, {ident(LINE)}"
        )
        names = [d[0] for d in cursor.description]
        for values in iter(cursor.fetchone, None):
            row = dict(zip(names, values, strict=True))
            source, line = int(row.pop(SOURCE)), int(row.pop(LINE))
            key = {k: row[k] for k in self.table.key}
            found.setdefault(source, []).append(
                Rejected(line, f"duplicate key {key} in the input", row)
            )
            self.duplicates[source] = self.duplicates.get(source, 0) + 1
        if found:
            self.watch.ascending = False  # the anti-join below need not keep the order
            on = f"s.{ident(SOURCE)} = d.{ident(SOURCE)} AND s.{ident(LINE)} = d.{ident(LINE)}"
            self.rows = f"(SELECT s.* FROM {self.rows} AS s ANTI JOIN dup AS d ON {on})"
        return found

    @property
    def accepted(self) -> dict[int, int]:
        """Rows per file that passed every check, the input's uniqueness included."""
        return {k: n - self.duplicates.get(k, 0) for k, n in self.staged.items()}

    def batches(self, rows: int, sql: str | None = None) -> Iterator[pa.RecordBatch]:
        """The rows of ``sql`` (default: every row to add, table columns and ``SOURCE``)
        in Arrow batches of at most ``rows``: what a remote sink sends at a time."""
        columns = ", ".join(ident(c.name) for c in self.table.columns)
        query = sql or f"SELECT {columns}, {ident(SOURCE)} FROM {self.rows}"
        reader = self.con.sql(query).to_arrow_reader(rows)
        yield from reader

    def order_keys(self) -> list[str]:
        """The table's ``sorted_by`` (its key when it has none)."""
        return list(self.table.sorted_by or self.table.key)

    def order(self) -> str:
        return ", ".join(ident(k) for k in self.order_keys())

    def close(self) -> None:
        with suppress(Exception):  # the load already failed; its spool goes
            self._wait()
        self._writing.shutdown()
        if self._writer is not None:
            self._writer.close()
        self.con.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def keyed(table: TableDef, left: str, right: str) -> str:
    """``left.k = right.k AND ...`` over the table's key."""
    return " AND ".join(f"{left}.{ident(k)} = {right}.{ident(k)}" for k in table.key)


def as_table(batch: pa.RecordBatch, table: TableDef) -> tuple[pa.Table, Any]:
    """A spool batch as the table's Arrow rows, and its ``SOURCE`` column."""
    data = pa.Table.from_batches([batch])
    return data.drop_columns([SOURCE]).cast(table.arrow_schema()), data[SOURCE]


def ascending(rows: pa.Table, keys: list[str]) -> bool:
    """Whether ``rows`` are in non-decreasing order of ``keys`` (lexicographic; NULL: no)."""
    if rows.num_rows < 2:
        return rows.num_rows == 0 or all(rows[k].null_count == 0 for k in keys)
    tied = np.ones(rows.num_rows - 1, dtype=bool)  # pairs equal on the keys so far
    for k in keys:
        if rows[k].null_count:
            return False
        values = rows[k].to_numpy()
        before, after = values[:-1], values[1:]
        if np.any(tied & (before > after)):
            return False
        tied &= before == after
        if not tied.any():
            return True
    return True
