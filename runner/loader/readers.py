"""Input formats: Parquet (typed, in batches), CSV (text), the Swift GRB table (text).

``parquet_batches`` yields ``(first_line, pa.Table)`` batches for the typed
path, ``text_rows`` the header and ``(line, dict)`` rows for the text path.
A file that cannot be read as its format (not Parquet, binary bytes in a
text file, broken CSV quoting) raises ``InputError`` naming the file, in one
line: the whole load is refused, nothing is committed.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from runner.loader.grbtable import is_grb_table, read_grb_table
from vastobs.errors import InputError

TEXT_ENCODINGS = ("utf-8", "latin-1")  # latin-1 decodes any byte: the last resort
MAX_FIELD_BYTES = 64 << 20
"""A CSV cell may be this long (Python's csv module stops at 128 KiB by default)."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def parquet_file(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(
            f"{path}: not a readable Parquet file ({_first_line(exc)}); nothing was loaded"
        ) from exc


def parquet_batches(
    handle: pq.ParquetFile, path: Path, batch_rows: int, columns: list[str] | None = None
) -> Iterator[tuple[int, Any]]:
    """``(first_line, table)`` of ``batch_rows`` rows at a time (``columns`` only, if given)."""
    line = 1
    batches = handle.iter_batches(batch_size=batch_rows, columns=columns)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pa.ArrowException, OSError, ValueError) as exc:  # a damaged page or row group
            raise InputError(
                f"{path}: Parquet data unreadable after row {line - 1} ({_first_line(exc)});"
                " nothing was loaded"
            ) from exc
        table = pa.Table.from_batches([batch])
        yield line, table
        line += table.num_rows


READ_BLOCK = 1 << 20


def text_encoding(path: Path) -> str:
    """UTF-8 if the whole file decodes as it, else latin-1; read in blocks (any size).

    A NUL byte anywhere refuses the file: no text format holds one.
    """
    decoder = codecs.getincrementaldecoder(TEXT_ENCODINGS[0])()
    utf8, offset = True, 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(READ_BLOCK), b""):
            nul = block.find(b"\x00")
            if nul >= 0:  # binary, or half of it
                raise InputError(
                    f"{path}: not a text file (a NUL byte at offset {offset + nul}); expected"
                    " CSV or the Swift GRB table; nothing was loaded"
                )
            offset += len(block)
            if utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return TEXT_ENCODINGS[0] if utf8 else TEXT_ENCODINGS[-1]  # latin-1 decodes any byte


def _csv_rows(path: Path, reader: Any) -> Iterator[tuple[int, list[str]]]:
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(
                f"{path}: line {reader.line_num}: not valid CSV ({_first_line(exc)});"
                " nothing was loaded"
            ) from exc
        yield reader.line_num, cells


def csv_rows(path: Path, handle: TextIO) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    """The header, and rows as dicts of text (a ragged row keeps its cells: the checks say so).

    Read from ``handle`` as the rows are taken (closed at the end), so a file
    of any size streams.
    """
    csv.field_size_limit(MAX_FIELD_BYTES)
    lines = _csv_rows(path, csv.reader(handle))
    try:
        _line, header = next(lines)
    except StopIteration:
        handle.close()
        raise InputError(
            f"{path}: empty file, expected a header line; nothing was loaded"
        ) from None
    header = [h.strip() for h in header]

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        with handle:
            for line, (_physical, cells) in enumerate(lines, start=1):  # data rows, as before
                if not cells:
                    continue
                row: dict[str, Any] = dict(zip(header, cells, strict=False))
                if len(cells) != len(header):
                    row["__ragged__"] = f"{len(cells)} cells, header has {len(header)}"
                yield line, row

    return header, rows()


def text_rows(path: Path) -> tuple[list[str] | None, Iterator[tuple[int, dict[str, Any]]]]:
    """The header (None for the GRB table, whose columns are mapped) and the rows.

    The GRB table (a thousand-odd lines) is read whole; CSV streams.
    """
    encoding = text_encoding(path)
    handle = path.open(encoding=encoding, newline="")
    if is_grb_table(handle.readline()):
        handle.close()
        return None, read_grb_table(path.read_text(encoding=encoding))
    handle.seek(0)
    return csv_rows(path, handle)
