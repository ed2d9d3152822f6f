"""``load()``: files into one table, with checks, quarantine, raw-file keeping and a summary."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa

from runner.loader.readers import parquet_batches, text_rows
from runner.loader.sinks import Sink
from runner.loader.validate import Rejected, RowChecker, check_rows, check_table
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
) -> LoadSummary:
    missing = [p for p in files if not p.is_file()]
    if missing:
        raise InputError(f"{missing[0]}: no such file")
    if not sink.exists(table):
        raise TableMissing(
            f"table {table.logical_name} does not exist on {sink.name}: "
            "declare it in the stack config and run pulumi up (Pulumi creates tables)"
        )
    summary = LoadSummary(table.logical_name, sink.name)
    checker = RowChecker(table)  # shared across files: a key twice in the input is rejected
    for path in files:
        result = FileSummary(path, sha256_of(path))
        rejected: list[Rejected] = []
        accepted = 0
        with sink.writer(table) as writer:
            for good, bad in _checked_batches(checker, path, batch_rows):
                result.read += good.num_rows + len(bad)
                accepted += good.num_rows
                writer.stage(good)
                rejected.extend(bad)
                if progress:
                    progress(good.num_rows + len(bad))
            result.loaded = writer.commit()
        result.already_present = accepted - result.loaded
        result.rejected = len(rejected)
        if rejected:
            result.quarantine = _quarantine(quarantine_dir, table, result, rejected)
        if raw_dir is not None:
            result.kept_as = _keep_raw(raw_dir, path, result.sha256)
        summary.files.append(result)
    return summary


def _checked_batches(
    checker: RowChecker, path: Path, batch_rows: int
) -> Iterator[tuple[pa.Table, list[Rejected]]]:
    if path.suffix.lower() == ".parquet":
        for first_line, batch in parquet_batches(path, batch_rows):
            yield check_table(checker, batch, first_line)
        return
    rows = text_rows(path)
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


def _keep_raw(raw_dir: Path, path: Path, sha256: str) -> Path:
    """Raw inputs live in the observatory's view, named by content, so usage is real."""
    kept = raw_dir / f"{sha256}{''.join(path.suffixes).lower()}"
    if not kept.exists():
        raw_dir.mkdir(parents=True, exist_ok=True)
        tmp = kept.with_name(kept.name + ".partial")
        shutil.copyfile(path, tmp)
        tmp.replace(kept)
    return kept
