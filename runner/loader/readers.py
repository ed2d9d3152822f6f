"""Input formats: Parquet (typed, in batches), CSV (text), the Swift GRB table (text).

Each reader yields ``(first_line, pa.Table)`` batches for the typed path or
``(line, dict)`` rows for the text path; ``read()`` picks by suffix.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from runner.loader.grbtable import is_grb_table, read_grb_table
from vastobs.errors import InputError

TEXT_ENCODINGS = ("utf-8", "latin-1")  # latin-1 decodes any byte: the last resort


def parquet_batches(path: Path, batch_rows: int) -> Iterator[tuple[int, Any]]:
    import pyarrow as pa

    try:
        handle = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from exc
    line = 1
    for batch in handle.iter_batches(batch_size=batch_rows):
        table = pa.Table.from_batches([batch])
        yield line, table
        line += table.num_rows


def decode(path: Path) -> tuple[str, str]:
    data = path.read_bytes()
    for encoding in TEXT_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")


def csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows as dicts of text; a ragged row keeps its cells and is caught by the checks."""
    text, _encoding = decode(path)
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{path}: empty file, expected a header line") from None
    for line, cells in enumerate(reader, start=1):
        if not cells:
            continue
        row: dict[str, Any] = dict(zip(header, cells, strict=False))
        if len(cells) != len(header):
            row["__ragged__"] = f"{len(cells)} cells, header has {len(header)}"
        yield line, row


def text_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    text, _encoding = decode(path)
    if is_grb_table(text):
        yield from read_grb_table(text)
    else:
        yield from csv_rows(path)
