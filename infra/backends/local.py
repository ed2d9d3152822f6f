"""The embedded backend: a view is a directory under a local root.

Mirrors the VMS objects closely enough that the same providers drive both:
``<root>/views/<view path>`` is the view's directory (docs/architecture.md).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from infra.errors import BackendError


@dataclass(frozen=True)
class LocalView:
    path: str
    directory: Path

    @property
    def exists(self) -> bool:
        return self.directory.is_dir()


class LocalViews:
    """Views as directories; the root is created on first use."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def directory(self, path: str) -> Path:
        return self.root / "views" / path.lstrip("/")

    def get(self, path: str) -> LocalView | None:
        view = LocalView(path, self.directory(path))
        return view if view.exists else None

    def create(self, path: str) -> LocalView:
        directory = self.directory(path)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackendError(f"view {path}: cannot create {directory}: {exc.strerror}") from exc
        return LocalView(path, directory)

    def used_bytes(self, path: str) -> int:
        total = 0
        for dirpath, _dirs, files in os.walk(self.directory(path)):
            for name in files:
                try:
                    total += os.lstat(os.path.join(dirpath, name)).st_size
                except FileNotFoundError:
                    continue
        return total

    def delete(self, path: str, *, allow_data: bool) -> None:
        """Remove the view; refuse when it holds data unless explicitly allowed."""
        directory = self.directory(path)
        if not directory.exists():
            return
        if not allow_data and any(directory.iterdir()):
            raise BackendError(
                f"view {path}: {directory} holds data; set "
                "allow_destroy_with_data: true on its observatory to delete it anyway"
            )
        shutil.rmtree(directory)
