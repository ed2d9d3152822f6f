"""A load's input files as they came: each one's SHA-256, and its raw copy kept.

Raw inputs live in the observatory's view, named by content, so usage is
real and the same file loaded twice is kept once. Each file is hashed, then
copied beside its place, in a thread of its own while the load reads and
checks the rows (hashlib and file writes let go of the GIL: on a 10^8-row
file, 6 s of hashing and 4 s of copying that no longer add to the load's).
The load waits for the copies before its commit (``wait``: a full disk
fails it there, the table as it was) and renames them into their places
after it (``keep``), so a refused load keeps no raw file and a committed one
keeps them all.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path

READ_BLOCK = 1 << 20


class _Stopped(Exception):
    """The load failed: the thread stops between blocks."""


class RawFiles:
    """The files of one load, hashed and copied in a thread started here."""

    def __init__(self, files: list[Path], raw_dir: Path | None) -> None:
        self.raw_dir = raw_dir
        self._new_dir = raw_dir is not None and not raw_dir.exists()
        self._stop = threading.Event()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="raw-files")
        self._hashes: list[Future[str]] = []
        self._copies: list[Future[tuple[Path, Path] | None]] = []
        for path in files:  # one thread: each file's copy follows its hash
            hashed = self._thread.submit(self._hash, path)
            self._hashes.append(hashed)
            self._copies.append(self._thread.submit(self._copy, path, hashed))

    def sha256(self, index: int) -> str:
        """File ``index``'s SHA-256 (waits for it)."""
        return self._hashes[index].result()

    def kept_as(self, index: int) -> Path | None:
        """Where file ``index`` is kept once ``keep`` has run (None without a raw directory)."""
        copied = self._copies[index].result()
        return copied[1] if copied else None

    def wait(self) -> None:
        """Before the commit: every copy made (a failed one, a full disk, raises)."""
        for done in self._copies:
            done.result()

    def keep(self) -> None:
        """After the commit: each copy into its place (already there if kept before)."""
        for done in self._copies:
            copied = done.result()
            if copied and copied[0].exists():
                copied[0].replace(copied[1])
        self._thread.shutdown()

    def discard(self) -> None:
        """The load failed: the thread stopped, its copies removed, a directory it made too."""
        self._stop.set()
        self._thread.shutdown(cancel_futures=True)  # waits for a copy under way
        for done in self._copies:
            if done.done() and not done.cancelled() and done.exception() is None:
                copied = done.result()
                if copied:
                    copied[0].unlink(missing_ok=True)
        if self.raw_dir is not None and self._new_dir:
            with suppress(OSError):  # not empty: another load keeps files there
                self.raw_dir.rmdir()

    def _hash(self, path: Path) -> str:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(READ_BLOCK), b""):
                if self._stop.is_set():
                    raise _Stopped
                digest.update(block)
        return digest.hexdigest()

    def _copy(self, path: Path, hashed: Future[str]) -> tuple[Path, Path] | None:
        """With a raw directory, the copy ``(partial, kept)``: by the system's own copy
        (``shutil.copyfile``), a file not kept before only."""
        if self.raw_dir is None or self._stop.is_set():
            return None
        kept = self.raw_dir / f"{hashed.result()}{''.join(path.suffixes).lower()}"
        partial = kept.with_name(f"{kept.name}.partial-{os.getpid()}")
        if not kept.exists():
            self.raw_dir.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copyfile(path, partial)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
        return partial, kept
