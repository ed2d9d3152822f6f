"""``load()``: files into one table, with checks, quarantine, raw-file keeping and a summary."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import duckdb

from runner.kept_matches import refresh
from runner.loader.index_feed import IndexFeed
from runner.loader.raw import RawFiles
from runner.loader.readers import parquet_batches, parquet_file, text_rows
from runner.loader.sinks import Sink
from runner.loader.spool import Fingerprint, Spool, fingerprint
from runner.loader.validate import (
    Checked,
    Rejected,
    RowChecker,
    as_is_columns,
    check_columns,
    check_rows,
    check_table,
    passes_as_is,
)
from vastobs.ddl import TableDef
from vastobs.errors import BackendError, InputError, TableMissing, VastobsError

Progress = Callable[[int], None] | None
"""Told the rows read as they are read (less, if some must be read again)."""


@dataclass
class FileSummary:
    path: Path
    sha256: str
    read: int = 0
    loaded: int = 0
    already_present: int = 0
    rejected: int = 0
    quarantine: Path | None = None
    kept_as: Path | None = None


@dataclass
class LoadSummary:
    table: str
    sink: str
    files: list[FileSummary] = field(default_factory=list)
    matches: int | None = None  # sky.matches' rows after the load refilled them
    matches_failed: str | None = None  # why it could not: the load stands, the table is stale

    @property
    def loaded(self) -> int:
        return sum(f.loaded for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)


def load(
    table: TableDef,
    files: list[Path],
    sink: Sink,
    *,
    batch_rows: int,
    quarantine_dir: Path,
    raw_dir: Path | None = None,
    progress: Progress = None,
    feed: IndexFeed | None = None,
) -> LoadSummary:
    """Every file's good rows in one commit, or nothing.

    A file that cannot be read as a whole (not its format, truncated, columns
    that are not the table's, empty) raises ``InputError`` naming it, before
    anything is committed. Rows that fail a check inside a readable file go
    to the quarantine with their line and reason; the others load.

    Files are read and checked a batch of ``batch_rows`` at a time and the
    good rows spooled to disk (runner.loader.spool), where SQL finds the
    keys given twice and the sink takes the new rows in bounded batches: the
    memory a load takes does not grow with its rows. A Parquet file whose
    rows all pass as they are is checked on the columns a check can fail on
    and read in place, not copied (``_in_place``). Each file's SHA-256 and
    raw copy are taken in a thread beside the reading (runner.loader.raw).

    ``feed``: the table is a point kind of a stack that keeps the sky index
    (runner.loader.index_feed); the same unit adds the new rows' points to it.
    """
    missing = [p for p in files if not p.is_file()]
    if missing:
        raise InputError(f"{missing[0]}: no such file; nothing was loaded")
    if not sink.exists(table):
        raise TableMissing(
            f"table {table.logical_name} does not exist on {sink.name}: "
            "declare it in the stack config and run pulumi up (Pulumi creates tables)"
        )
    summary = LoadSummary(table.logical_name, sink.name)
    checker = RowChecker(table)
    rejected: list[list[Rejected]] = []
    seen = [fingerprint(p) for p in files]  # before any read: the hash, the copy, the checks
    spool = Spool(table, sink.spool_parent)
    originals = RawFiles(files, raw_dir)
    stager = _Stager(checker, spool, batch_rows, progress)
    try:
        with sink.writer(table, feed) as writer:
            try:
                for index, (path, before) in enumerate(zip(files, seen, strict=True)):
                    read, bad = stager.stage(path, index, before)
                    rejected.append(bad)
                    summary.files.append(FileSummary(path, originals.sha256(index), read=read))
                for index, duplicates in spool.seal().items():
                    rejected[index] = sorted(rejected[index] + duplicates, key=lambda r: r.line)
                accepted = spool.accepted
                originals.wait()
            except OSError as exc:  # a full disk, a file that went: before the commit, so
                where = f"{exc.filename}: " if exc.filename else ""
                raise BackendError(f"{where}{exc.strerror or exc}; nothing was loaded") from exc
            except duckdb.IOException as exc:  # the spool's SQL, spilling to a full disk
                first = str(exc).strip().splitlines()[0]
                raise BackendError(f"the load's spool: {first}; nothing was loaded") from exc
            new = writer.commit(spool)
    except BaseException:
        originals.discard()
        raise
    finally:
        spool.close()
    originals.keep()
    for index, result in enumerate(summary.files):
        result.loaded = new.get(index, 0)
        result.already_present = accepted.get(index, 0) - result.loaded
        result.rejected = len(rejected[index])
        if rejected[index]:
            result.quarantine = _quarantine(quarantine_dir, table, result, rejected[index])
        result.kept_as = originals.kept_as(index)
    if feed is not None and summary.loaded:
        _refill_matches(sink, feed, summary)
    return summary


def _refill_matches(sink: Sink, feed: IndexFeed, summary: LoadSummary) -> None:
    """``sky.matches`` from the points as they are now, after the commit: a failure leaves
    the load whole and the table stale, which cross_observatory_objects sees by its counts
    (it then computes from the points): reported, not raised."""
    try:
        summary.matches = refresh(sink, feed.catalog)
    except (VastobsError, duckdb.Error, OSError) as exc:
        summary.matches_failed = str(exc).strip().splitlines()[0]


@dataclass
class _Stager:
    """One load's files into its spool, each read in place or checked and copied."""

    checker: RowChecker
    spool: Spool
    batch_rows: int
    progress: Progress

    def stage(self, path: Path, source: int, seen: Fingerprint) -> tuple[int, list[Rejected]]:
        """File ``source`` of the load: the rows read and the rows rejected. ``seen``: its
        fingerprint before anything read it."""
        handle = None
        if path.suffix.lower() == ".parquet":
            handle = parquet_file(path)
            check_columns(self.checker.table, handle.schema_arrow.names, path)
            rows = self._in_place(handle, path, source, seen)
            if rows is not None:
                return rows, []
        read, rejected = 0, []
        for good, lines, bad in self._checked_batches(path, handle):
            read += good.num_rows + len(bad)
            self.spool.add(good, lines, source)
            rejected.extend(bad)
            self._advance(good.num_rows + len(bad))
        return read, rejected

    def _advance(self, rows: int) -> None:
        if self.progress:
            self.progress(rows)

    def _in_place(self, handle: Any, path: Path, source: int, seen: Fingerprint) -> int | None:
        """The rows of a Parquet file that loads as it is, staged in place; None, with
        nothing staged, for any other file (it is then checked again, batch by batch, and
        copied, which says which rows fail and why).

        Only the columns a check can fail on are read (numbers, times, the position and
        the sort keys: at 10^7 rows of swift.measurements a fifth of the reading), and
        nothing is copied: the commit reads the file itself, after
        ``Spool.confirm_unchanged``.
        """
        columns = as_is_columns(self.checker.table, handle.schema_arrow)
        if columns is None:
            return None
        wanted = columns + [k for k in self.spool.order_keys() if k not in columns]
        watch, rows = copy.copy(self.spool.watch), 0
        for _first_line, batch in parquet_batches(handle, path, self.batch_rows, wanted):
            if not passes_as_is(self.checker, batch):
                if rows:
                    self._advance(-rows)  # read again, the copying way
                return None
            watch.follow(batch)
            rows += batch.num_rows
            self._advance(batch.num_rows)
        self.spool.add_in_place(path, source, seen, rows, watch)
        return rows

    def _checked_batches(self, path: Path, handle: Any | None) -> Iterator[Checked]:
        """Checked batches of any format (``handle``: the Parquet file, opened already)."""
        if handle is not None:
            for first_line, batch in parquet_batches(handle, path, self.batch_rows):
                yield check_table(self.checker, batch, first_line)
            return
        header, rows = text_rows(path)
        if header is not None:
            check_columns(self.checker.table, header, path)
        while chunk := list(islice(rows, self.batch_rows)):
            yield check_rows(self.checker, chunk)


def _quarantine(
    directory: Path, table: TableDef, result: FileSummary, rejected: list[Rejected]
) -> Path:
    """One JSON line per rejected row: file, line, reason and the row as read."""
    out = directory / table.logical_name / f"{result.path.stem}-{result.sha256[:12]}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for r in rejected:
            record: dict[str, Any] = {
                "file": str(result.path),
                "line": r.line,
                "reason": r.reason,
                "row": {k: v for k, v in r.row.items() if not k.startswith("__")},
            }
            handle.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")
    return out
