"""File locks with a bounded wait: the one way writers and readers share local files.

DuckDB admits one writing process per database file and refuses, at once,
to open a file another process holds the other way ("Could not set lock on
file"). So every local writer first takes ``<file>.lock`` (``exclusive``),
then opens the file with ``open_duckdb``, which retries DuckDB's own lock
until the readers already inside have finished; readers (``open_duckdb``
with ``read_only``) wait while a writer holds ``<file>.lock``, so a writer
is never starved by a stream of readers. Every wait is bounded and ends in
one line naming the file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from vastobs.errors import BackendError

if TYPE_CHECKING:
    import duckdb

T = TypeVar("T")

_THREAD_LOCKS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()
DUCKDB_LOCKED = "Could not set lock on file"
READ_WAIT_SECONDS = 60.0
"""How long a reader waits for a writer (a load's commit, ``pulumi up``) to let go.

A load holds the database only for its final commit (docs/reliability.md
gives the figures: seconds at 10^7 rows), so this bound is generous."""


def lock_path(path: Path) -> Path:
    return Path(f"{path}.lock")


@contextlib.contextmanager
def exclusive(path: Path, timeout: float = 30.0) -> Iterator[None]:
    """Hold ``<path>.lock`` exclusively, waiting at most ``timeout`` seconds."""
    lock = lock_path(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    with _GUARD:
        thread_lock = _THREAD_LOCKS.setdefault(str(lock), threading.Lock())
    if not thread_lock.acquire(timeout=timeout):
        raise BackendError(f"{lock}: still locked by another writer after {timeout:.0f}s")
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise BackendError(
                            f"{lock}: still locked by another process after {timeout:.0f}s"
                        ) from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    finally:
        thread_lock.release()


def writer_holds(path: Path) -> bool:
    """Whether another process holds ``<path>.lock`` (a probe: takes nothing, creates nothing)."""
    try:
        fd = os.open(lock_path(path), os.O_RDONLY)
    except OSError:
        return False  # never written through the lock (or not ours to read): no writer
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def retry_while_locked(open_: Callable[[], T], path: Path, timeout: float, *, reader: bool) -> T:
    """``open_()``, retried while a process holds the database the other way.

    A reader also waits while a writer holds ``<path>.lock`` (writers go
    first); after ``timeout`` seconds one line says who holds the file.
    """
    import duckdb

    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        if not (reader and writer_holds(path)):
            try:
                return open_()
            except duckdb.IOException as exc:
                if DUCKDB_LOCKED not in str(exc):
                    raise
        if time.monotonic() > deadline:
            holder = "a load (or pulumi up) is writing it" if reader else "readers still hold it"
            raise BackendError(
                f"{path}: the database is busy, {holder}; still locked after {timeout:.0f}s,"
                " try again when it finishes"
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def open_duckdb(
    path: Path, *, read_only: bool = False, timeout: float = READ_WAIT_SECONDS
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection on ``path``; a writer must hold ``exclusive(path)`` first.

    A writer's checkpoint does not vacuum: DuckDB 2.0 would merge every table's
    adjacent row groups up to this connection's row group size (its default,
    122,880), undoing the sizes loads choose for selective reads
    (runner/loader/sinks.py ``row_group_rows``): creating one table made a cone
    at 10^6 rows 1.5x slower. Loads, which attach with their own size, vacuum.
    """
    import duckdb

    config = {} if read_only else {"max_vacuum_tasks": 0}
    con = retry_while_locked(
        lambda: duckdb.connect(str(path), read_only=read_only, config=config),
        path, timeout, reader=read_only,
    )  # fmt: skip
    if read_only and _held is not None and str(path) not in _held:
        _held[str(path)] = duckdb.connect(str(path), read_only=True)  # the same instance
    return con


_held: dict[str, Any] | None = None  # path -> a reader kept open (hold_readers_until_exit)


def hold_readers_until_exit() -> None:
    """Keep every database a reader opens from now on open until the process ends.

    DuckDB frees a database when its last connection closes: its function catalog and
    the metadata of the tables read (35 ms for a cone search over 10^8 rows, 8 ms over
    10^7). A command whose process then ends at once (runner/cli.py ``command_line``)
    never pays it, and its next reader of the file reuses the open database (0.3 ms
    instead of 30 ms or more). Read-only connections alone: a writer waits for this
    process to end, never for a connection it forgot.
    """
    global _held
    if _held is None:
        _held = {}
