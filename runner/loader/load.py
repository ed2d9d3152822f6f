"""``load()``: files into one table, with checks, quarantine, raw-file keeping and a summary."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from runner.loader.index_feed import IndexFeed
from runner.loader.readers import parquet_batches, parquet_file, text_rows
from runner.loader.sinks import Sink
from runner.loader.spool import Spool
from runner.loader.validate import (
    Checked,
    Rejected,
    RowChecker,
    check_columns,
    check_rows,
    check_table,
)
from vastobs.ddl import TableDef
from vastobs.errors import InputError, TableMissing


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

    @property
    def loaded(self) -> int:
        return sum(f.loaded for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load(
    table: TableDef,
    files: list[Path],
    sink: Sink,
    *,
    batch_rows: int,
    quarantine_dir: Path,
    raw_dir: Path | None = None,
    progress: Callable[[int], None] | None = None,
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
    memory a load takes does not grow with its rows.

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
    spool = Spool(table, sink.spool_parent)
    try:
        with sink.writer(table, feed) as writer:
            for index, path in enumerate(files):
                result = FileSummary(path, sha256_of(path))
                rejected.append([])
                for good, lines, bad in _checked_batches(checker, path, batch_rows):
                    result.read += good.num_rows + len(bad)
                    spool.add(good, lines, index)
                    rejected[index].extend(bad)
                    if progress:
                        progress(good.num_rows + len(bad))
                summary.files.append(result)
            for index, duplicates in spool.seal().items():
                rejected[index] = sorted(rejected[index] + duplicates, key=lambda r: r.line)
            accepted = spool.accepted
            raw = [_stage_raw(raw_dir, f.path, f.sha256) for f in summary.files] if raw_dir else []
            try:
                new = writer.commit(spool)
            except BaseException:
                for partial, _kept in raw:
                    partial.unlink(missing_ok=True)
                raise
    finally:
        spool.close()
    for partial, kept in raw:
        if partial.exists():
            partial.replace(kept)
    for index, result in enumerate(summary.files):
        result.loaded = new.get(index, 0)
        result.already_present = accepted.get(index, 0) - result.loaded
        result.rejected = len(rejected[index])
        if rejected[index]:
            result.quarantine = _quarantine(quarantine_dir, table, result, rejected[index])
        if raw:
            result.kept_as = raw[index][1]
    return summary


def _checked_batches(checker: RowChecker, path: Path, batch_rows: int) -> Iterator[Checked]:
    table = checker.table
    if path.suffix.lower() == ".parquet":
        handle = parquet_file(path)
        check_columns(table, handle.schema_arrow.names, path)
        for first_line, batch in parquet_batches(handle, path, batch_rows):
            yield check_table(checker, batch, first_line)
        return
    header, rows = text_rows(path)
    if header is not None:
        check_columns(table, header, path)
    while chunk := list(islice(rows, batch_rows)):
        yield check_rows(checker, chunk)


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


def _stage_raw(raw_dir: Path, path: Path, sha256: str) -> tuple[Path, Path]:
    """Raw inputs live in the observatory's view, named by content, so usage is real.

    Copied beside their place before the commit and renamed into it after,
    so a refused load keeps no raw file and a committed one keeps them all.
    """
    kept = raw_dir / f"{sha256}{''.join(path.suffixes).lower()}"
    partial = kept.with_name(f"{kept.name}.partial-{os.getpid()}")
    if not kept.exists():
        raw_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, partial)
    return partial, kept
