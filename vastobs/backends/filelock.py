"""An advisory file lock with a bounded wait: the one way writers share local files.

DuckDB admits one writing process per database file, and the provider serves
several resources at once; every local writer takes this lock first.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from vastobs.errors import BackendError

_THREAD_LOCKS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()


@contextlib.contextmanager
def exclusive(path: Path, timeout: float = 30.0) -> Iterator[None]:
    """Hold ``<path>.lock`` exclusively, waiting at most ``timeout`` seconds."""
    lock_path = Path(f"{path}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with _GUARD:
        thread_lock = _THREAD_LOCKS.setdefault(str(lock_path), threading.Lock())
    if not thread_lock.acquire(timeout=timeout):
        raise BackendError(f"{lock_path}: still locked by another writer after {timeout:.0f}s")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise BackendError(
                            f"{lock_path}: still locked by another process after {timeout:.0f}s"
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
